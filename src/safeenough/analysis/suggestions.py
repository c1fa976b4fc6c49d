"""Suggested check-ins: for each moment that was not repaired, and for opening the next session.

Each suggestion is matched to what the client did (the 3RS marker subtype, or anticipated judgement)
and to a resolution strategy of the Rupture Resolution Rating System (3RS; Eubanks, Muran & Safran
2015): clarify, give the rationale, change the task, talk about what is happening between us
(metacommunication), validate the client's stance, own the therapist's part, link to a wider pattern.
Withdrawal is met by helping the client voice what they held back; confrontation by staying
non-defensive. Each one quotes the client's own words from the moment, so the therapist can take
them back to it.

The wording is ours. Suggestions are for the therapist only: never sent to the client. They carry the
turn they refer to and the strategy's name, so the app can let the therapist copy, edit or dismiss
each one.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.relational import RelationalSummary, RuptureMoment, summarise_relational

SOURCE = "3RS resolution strategies (Eubanks, Muran & Safran 2015)"
FOR_THERAPIST_ONLY = (
    "Suggestions for the therapist, in our own words: never sent to the client. Copy, change or dismiss them."
)
QUOTE_MAX_CHARACTERS = 90

NEXT_SESSION = "next_session"
"""Purpose of a suggestion about a moment that was not repaired: take it back to the client."""
OPENING = "opening"
"""Purpose of the one suggestion for opening the next session."""


@dataclass(frozen=True, slots=True)
class Strategy:
    """A 3RS resolution strategy, as we name it in the app."""

    key: str
    name: str
    why: str


STRATEGIES: Mapping[str, Strategy] = {
    strategy.key: strategy
    for strategy in (
        Strategy(
            "validate",
            "Validate the client's stance",
            "Acknowledging the client's position without defending your own lets them feel it is safe "
            "to have it.",
        ),
        Strategy(
            "invite_disagreement",
            "Invite disagreement",
            "Going along can hide disagreement; saying plainly that disagreeing is welcome helps the "
            "client voice what they held back.",
        ),
        Strategy(
            "name_the_shift",
            "Gently name the shift",
            "Naming a change in the contact without pressing for more gives the client room to say what "
            "happened, or not.",
        ),
        Strategy(
            "metacommunicate",
            "Talk about what is happening between you",
            "Wondering aloud about the moment together turns a strain into something you can look at side "
            "by side.",
        ),
        Strategy(
            "bring_it_close",
            "Bring it back to the here and now",
            "Moving from the general to what the client felt just then helps them voice what the "
            "abstract talk kept at a distance.",
        ),
        Strategy(
            "ask_what_would_help",
            "Ask what would make it worthwhile",
            "Taking a doubt about progress seriously and asking what would help puts the client's goals "
            "back at the centre.",
        ),
        Strategy(
            "own_your_part",
            "Own your part",
            "Recognising your contribution to a strain, without over-apologising, models the relationship "
            "the client may not have had.",
        ),
        Strategy(
            "change_the_task",
            "Change the task or give its rationale",
            "When an intervention does not fit, explaining why you offered it, or changing it together, "
            "repairs the collaboration on the work.",
        ),
        Strategy(
            "clarify",
            "Clarify the arrangements",
            "Practical strains (time, fees, being sent) are eased by naming them and looking for what "
            "can change.",
        ),
        Strategy(
            "name_the_expectation",
            "Name the expectation and offer a different response",
            "When the client braces for judgement, naming that expectation and responding differently "
            "gives them the new experience that builds trust.",
        ),
        Strategy(
            "invite_feedback",
            "Invite feedback on the last session",
            "Clients report strains less often than observers see them (Eubanks et al. 2018), so asking "
            "directly makes room for what went unsaid.",
        ),
    )
}

# Subtype (or "anticipated_judgement", "withdrawal", "confrontation") → strategy key and the wording;
# "{quote}" is replaced by the client's words.
WORDING: Mapping[str, tuple[str, str]] = {
    "defends_self": (
        "validate",
        "Last time, when you said {quote}, I wondered whether what I'd said sounded like criticism. "
        "I wouldn't want you to feel judged here. What was it like to hear what I said?",
    ),
    "deferential": (
        "invite_disagreement",
        "When you said {quote}, I wasn't sure whether that really fitted for you. It's completely fine to "
        "disagree with me, and I'd like to know if you do. What did you actually think?",
    ),
    "minimal_response": (
        "name_the_shift",
        "I noticed that when you said {quote}, things went a bit quieter between us. There's no pressure "
        "to say more, but if something shifted for you then, I'd like to hear about it.",
    ),
    "denial": (
        "name_the_shift",
        "When you said {quote}, I wondered if we'd come close to something that didn't feel right to look "
        "at yet. We can go at your pace. How was that moment for you?",
    ),
    "abstract": (
        "bring_it_close",
        "When you said {quote}, I found myself wanting to understand what that's like for you yourself. "
        "What was going on for you right then?",
    ),
    "topic_shift": (
        "metacommunicate",
        "We moved on to something else when you said {quote}. I'm wondering whether what we'd been "
        "talking about felt hard to stay with. Was it?",
    ),
    "hopeless": (
        "validate",
        "You said {quote}. That sounds really discouraging, and I want to take it seriously. What would "
        "need to happen here for this to feel worth it?",
    ),
    "complaint_therapist": (
        "own_your_part",
        "You said {quote}. I've been thinking about that, and I may have got something wrong. What was it "
        "about how I was with you?",
    ),
    "rejects_intervention": (
        "change_the_task",
        "When you said {quote}, it sounded like what I suggested didn't fit. Could we look together at "
        "what would fit you better?",
    ),
    "complaint_activity": (
        "change_the_task",
        "You said {quote} about what we were doing. Would it help if I explained why I suggested it, or "
        "shall we find a way of working that suits you better?",
    ),
    "complaint_parameters": (
        "clarify",
        "You said {quote}. Things like time, cost and how you came to be here matter. Can we talk about "
        "what would make them easier?",
    ),
    "complaint_progress": (
        "ask_what_would_help",
        "You said {quote}, and I think that's important. What would make our sessions feel worthwhile "
        "to you?",
    ),
    "pressures_therapist": (
        "metacommunicate",
        "When you said {quote}, it sounded like you need something from me that you're not getting yet. "
        "Can we talk about what that is?",
    ),
    "anticipated_judgement": (
        "name_the_expectation",
        "When you said {quote}, it sounded as if you expected me to judge you. I'm not judging you; I'm "
        "glad you told me. What made you expect that I would?",
    ),
    "withdrawal": (
        "name_the_shift",
        "I noticed that when you said {quote}, something seemed to shift between us. If anything didn't "
        "sit right then, I'd really like to hear about it.",
    ),
    "confrontation": (
        "validate",
        "You said {quote}. I'd like to understand that better, and I don't want to brush past it. What "
        "was happening for you then?",
    ),
}

# A moment that answered the other partner (in a couple's session) rather than the therapist: the
# wordings above speak of "what I suggested" or "disagree with me", which would misplace the strain.
# Withdrawal: name the step back and leave room; confrontation: take the feeling seriously without
# taking sides. "{partner}" is the other partner's name.
PARTNER_WORDING: Mapping[str, tuple[str, str]] = {
    "withdrawal": (
        "name_the_shift",
        "When you said {quote} to {partner}, I noticed you seemed to step back a little. There's no "
        "pressure, but I'd like to hear what was happening for you just then.",
    ),
    "confrontation": (
        "validate",
        "When you said {quote} to {partner}, it sounded like something really mattered to you. I'd like to "
        "understand it better. What was happening for you then?",
    ),
    "anticipated_judgement": (
        "name_the_expectation",
        "When you said {quote} to {partner}, it sounded as if you were expecting to be judged. That "
        "matters, and there's room for it here. What did you expect would happen?",
    ),
}

# The question a therapist asks themselves before using a suggestion: "what was my part?" (DOMAIN §5:
# therapists tend to blame the client and reach for technical fixes).
REFLECTION_PROMPT = "Before the session: what was my part in this moment?"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested check-in, for the therapist to copy, edit or dismiss."""

    id: str
    """Stable within a report: "turn-12" for a moment, "opening" for the next session's opening."""
    purpose: str
    """NEXT_SESSION (about an unrepaired moment) or OPENING (to open the next session)."""
    turn: int | None
    """The client turn it refers to; None for an opening that refers to no moment."""
    marker: str | None
    subtype: str | None
    strategy: str
    """A key of STRATEGIES."""
    strategy_name: str
    why: str
    quote: str | None
    """The client's own words from the moment, shortened at a word boundary."""
    text: str
    """The suggested words, quoting the client."""
    self_reflection: str
    source: str = SOURCE


def suggest_check_ins(
    result: AnalysisResult, summary: RelationalSummary | None = None
) -> tuple[Suggestion, ...]:
    """Suggestions for every unrepaired moment (in turn order), then one for the next session's opening."""
    relational = summary if summary is not None else summarise_relational(result)
    return suggestions_from(relational)


def suggestions_from(summary: RelationalSummary) -> tuple[Suggestion, ...]:
    found = [_for_moment(moment) for moment in summary.unrepaired]
    found.append(_opening(summary))
    return tuple(found)


def wording_key(moment: RuptureMoment) -> str:
    """Which wording fits a moment: anticipated judgement first, then the subtype, then the marker.

    A client who defends themselves right after the therapist's advice, pressing or assumption is
    answering something that was said, not only expecting judgement: "what made you expect that I
    would?" would put the strain on the client's expectation, so the wording that asks how what the
    therapist said sounded (and so their part: DOMAIN §5) is used instead."""
    braced_unprompted = moment.subtype is None or (
        moment.subtype == "defends_self" and not moment.preceded_by
    )
    if moment.anticipates_judgement and (not moment.is_rupture or braced_unprompted):
        return "anticipated_judgement"
    if moment.subtype is not None and moment.subtype in WORDING:
        return moment.subtype
    return moment.marker if moment.marker in WORDING else "withdrawal"


#: a turn this short is quoted whole, whatever its evidence span: a sentence or two is easy to say aloud,
#: and "When you said “I don't know”" leaves out the "I don't really want to talk about it" that
#: followed it
QUOTE_WHOLE_TURN_CHARACTERS = 60
#: an evidence span of fewer words than this is quoted with the rest of its turn when the turn fits:
#: "When you said “Fine”" could be any "fine" of the session, "When you said “Fine. Nothing to report.”"
#: is the one the client will recognise
SHORT_SPAN_WORDS = 3


def quote_of(moment: RuptureMoment, limit: int = QUOTE_MAX_CHARACTERS) -> str:
    """The client's words, in quotation marks: the whole turn when it is short, else the evidence span if
    it is in the turn (unless it is a word or two of a turn that fits), else the turn."""
    words = moment.text
    span = (moment.evidence_span or "").strip()
    if span and span in moment.text:
        length = len(" ".join(moment.text.split()))
        short_turn = length <= min(limit, QUOTE_WHOLE_TURN_CHARACTERS)
        if not short_turn and (len(span.split()) >= SHORT_SPAN_WORDS or length > limit):
            words = span
    return f"“{excerpt(words, limit)}”"


QUOTE_THEN_PUNCTUATION = re.compile(r"\.”(?=[.,]| [a-z])")
QUESTION_QUOTE_THEN_STOP = re.compile(r"(?<=[?!]”)\.")


def punctuated(text: str) -> str:
    """No doubled punctuation where a quote ends a clause: “Okay”. rather than “Okay.”. and
    “Why this?” rather than “Why this?”.; and no stop where the sentence goes on: “Okay” to Alex."""
    return QUESTION_QUOTE_THEN_STOP.sub("", QUOTE_THEN_PUNCTUATION.sub("”", text))


WRAPPING_QUOTES = re.compile(r'^["“](?P<inner>[^"“”]*)["”]$')
STRAIGHT_DOUBLE_QUOTE = re.compile(r'"')


def _nested(text: str) -> str:
    """Double quotation marks inside the client's words as single ones (‘ ’), so that a quote within
    the quote does not end it: “He said ‘try harder’ again” rather than “He said “try harder” again”."""
    text = text.replace("“", "‘").replace("”", "’")
    return STRAIGHT_DOUBLE_QUOTE.sub(
        lambda found: "‘" if found.start() == 0 or text[found.start() - 1] in " ([—–-" else "’", text
    )


def excerpt(text: str, limit: int = QUOTE_MAX_CHARACTERS) -> str:
    """Text shortened to at most `limit` characters at a word boundary, with "…" when cut; quotation
    marks around the whole of it dropped (it goes inside ours), and those within it made single."""
    flat = re.sub(r"\s+", " ", text).strip()
    wrapped = WRAPPING_QUOTES.match(flat)
    flat = _nested(wrapped.group("inner").strip() if wrapped else flat)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _for_moment(moment: RuptureMoment) -> Suggestion:
    quote = quote_of(moment)
    if moment.replying_to is not None:
        strategy_key, template = PARTNER_WORDING[moment.kind]
        text = template.format(quote=quote, partner=moment.replying_to)
    else:
        strategy_key, template = WORDING[wording_key(moment)]
        text = template.format(quote=quote)
    strategy = STRATEGIES[strategy_key]
    reflection = REFLECTION_PROMPT
    if moment.replying_to is not None:
        where = f" (turn {moment.preceding_turn})" if moment.preceding_turn is not None else ""
        reflection = (
            f"{REFLECTION_PROMPT} It answered {moment.replying_to} (turn {moment.turn - 1}): look at that "
            f"exchange, and at what you said before it{where}."
        )
    elif moment.preceding_turn is not None:
        reflection = (
            f"{REFLECTION_PROMPT} Look at what you said just before, in turn {moment.preceding_turn}."
        )
    return Suggestion(
        id=f"turn-{moment.turn}",
        purpose=NEXT_SESSION,
        turn=moment.turn,
        marker=moment.marker,
        subtype=moment.subtype,
        strategy=strategy.key,
        strategy_name=strategy.name,
        why=strategy.why,
        quote=quote,
        text=punctuated(text),
        self_reflection=reflection,
    )


def _opening(summary: RelationalSummary) -> Suggestion:
    unrepaired = summary.unrepaired
    if unrepaired:
        # Confrontation first (it predicts dropout: d = .74, Eubanks et al. 2019), then the moment the
        # model is surest of (an opening spent on a false alarm costs the most), then the earliest.
        ranked = sorted(unrepaired, key=lambda m: (m.kind != "confrontation", *_surest_first(m)))
        moment = ranked[0]
        quote = quote_of(moment)
        strategy = STRATEGIES["metacommunicate"]
        to_partner = f" to {moment.replying_to}" if moment.replying_to else ""
        text = (
            f"Before we start, I've been thinking about last time, when you said {quote}{to_partner}. How "
            "did you feel after the session, and was there anything I said that didn't sit right?"
        )
        return _opening_suggestion(moment, strategy, quote, punctuated(text))
    if summary.moments:
        moment = min(summary.moments, key=_surest_first)
        quote = quote_of(moment)
        strategy = STRATEGIES["metacommunicate"]
        text = (
            f"Last time we talked about what happened when you said {quote}. How has that sat with you since?"
        )
        return _opening_suggestion(moment, strategy, quote, punctuated(text))
    strategy = STRATEGIES["invite_feedback"]
    return Suggestion(
        id=OPENING,
        purpose=OPENING,
        turn=None,
        marker=None,
        subtype=None,
        strategy=strategy.key,
        strategy_name=strategy.name,
        why=strategy.why,
        quote=None,
        text=(
            "Before we start: was there anything from last time that didn't sit right, or that you "
            "wished I'd understood differently?"
        ),
        self_reflection="Before the session: what might the client not have felt able to say?",
    )


def _surest_first(moment: RuptureMoment) -> tuple[float, int]:
    """Sort key: the higher the calibrated confidence the earlier (none counts as zero), then by turn."""
    return (-(moment.confidence or 0.0), moment.turn)


def _opening_suggestion(moment: RuptureMoment, strategy: Strategy, quote: str, text: str) -> Suggestion:
    return Suggestion(
        id=OPENING,
        purpose=OPENING,
        turn=moment.turn,
        marker=moment.marker,
        subtype=moment.subtype,
        strategy=strategy.key,
        strategy_name=strategy.name,
        why=strategy.why,
        quote=quote,
        text=text,
        self_reflection=REFLECTION_PROMPT,
    )
