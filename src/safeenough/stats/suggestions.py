"""Suggested next steps: a concrete, humane way for the therapist to open the next session.

Chosen by alert kind, and for item alerts by what the item is about (its theme), so the same text fits
our own check-in and a practice's licensed instrument whose items are tagged with a theme. The text is
ours (written for safeenough, after the rupture-repair literature: metacommunication, validating the
client's stance, owning the therapist's part; Eubanks, Muran & Safran 2018). It is for the therapist
only and is never shown or sent to clients.

In a couple or family case, an alert about one client gets a text that keeps their answers private:
raise it with them on their own, and in the joint session only in general terms that point at no one.
"""

from dataclasses import dataclass, replace

from safeenough.domain.alert import AlertKind
from safeenough.domain.instrument import CutoffAlert, Instrument, InstrumentKind, Item, ItemTheme

_ITEM: dict[ItemTheme, str] = {
    ItemTheme.HEARD: (
        'Open by checking your understanding rather than explaining yours: "Last time I wondered whether I '
        "really got what you were telling me. Would you tell me again? I'll try to say back what I hear, "
        'and please correct me where I get it wrong."'
    ),
    ItemTheme.SAFE_TO_SPEAK: (
        'Invite them to talk about what made it harder to speak: "Your answers made me think it may have '
        "been hard to say what really mattered last time. I'd like to understand what made it harder, "
        "whether it was something I said or did, or how we set things up. There's no wrong answer, and we "
        'can go at your pace." Then ask yourself what your part might have been.'
    ),
    ItemTheme.GOALS: (
        "Return to what they came for, in their words: \"I'm wondering whether we've been spending our "
        'time on what matters most to you. What would you most want us to work on today?" Let them set '
        "the focus before you suggest one."
    ),
    ItemTheme.APPROACH: (
        "Ask about the way you work, ready to change it rather than defend it: \"I'd like to check how the "
        "way we work suits you. What has helped, and what hasn't? Is there anything you'd like me to do "
        'more of, or less of?"'
    ),
    ItemTheme.OVERALL: (
        "Make room for what was missing: \"It sounds like last session wasn't quite right for you, and I'm "
        "glad you told me. What would have made it better, even if it's hard to put into words?\""
    ),
    ItemTheme.BOND: (
        "Talk about the relationship itself, gently: \"I'd like to check in about how it feels to work with "
        'me. Is there anything about how I come across that makes this harder for you?" Listen for '
        "whether they expected criticism, and respond differently from what they feared."
    ),
    ItemTheme.WELLBEING: (
        'Ask about this area of their life with curiosity: "You marked this as harder lately. What has '
        'it been like for you?" Keep the question open before moving to plans.'
    ),
    ItemTheme.SELF_HARM: (
        "Follow your service's risk procedure first, and do not wait for the next session if it says to "
        "make contact sooner. When you speak, you might open with: \"On the questionnaire you said you'd "
        "had thoughts that you'd be better off dead, or of hurting yourself. Thank you for telling me. "
        'Can we talk about what those thoughts have been like?" Ask directly and calmly; asking does not '
        "put the idea in someone's mind."
    ),
}

_UNANSWERED: dict[ItemTheme, str] = {
    ItemTheme.SELF_HARM: (
        "Follow your service's risk procedure for a risk question left unanswered. A blank answer may mean "
        "nothing, or that the question was hard to answer, so ask directly and calmly, without reproach: "
        '"The question about thoughts of being better off dead, or of hurting yourself, was left blank. '
        "That's completely fine, and I'd like to ask you about it directly: have you had thoughts like "
        "that lately?\" Asking does not put the idea in someone's mind."
    ),
}

_UNANSWERED_GENERIC = (
    "The question '{text}' was left unanswered. It is one whose answer you would want to know, so ask "
    'about it gently and directly: "One question on the questionnaire was left blank, which is fine. '
    "I'd like to ask you about it: '{text}' How has that been for you?\""
)

_ITEM_GENERIC = (
    "Ask about this question in their own words: \"On the question '{text}', your answer stood out to "
    'me. Would you tell me more about what was behind it?" Thank them for being honest.'
)

_ALLIANCE: dict[AlertKind, str] = {
    AlertKind.BELOW_CUTOFF: (
        'Before anything else next time, ask about the last session: "Your answers told me our last '
        "session didn't quite work for you, and I really appreciate you letting me know. What would have "
        'made it better?" Listen for what you could do differently, and say so.'
    ),
    AlertKind.RELIABLE_DROP: (
        'Name the change without putting it on them: "I noticed last session seemed to land differently '
        "for you than the one before. I wonder whether something happened between us, or something I "
        "said, that didn't feel right. I'd really like to know.\" Ask yourself what your part might have "
        "been, and be ready to own it."
    ),
    AlertKind.BELOW_BASELINE: (
        'Step back and look at the work together: "Compared with our first sessions, it seems our '
        "sessions have been working less well for you lately. I'd like us to look at how we're doing "
        'together. What has changed for you?" Consider bringing the case to supervision.'
    ),
    AlertKind.NOT_ON_TRACK: (
        "Share what you see and ask how they see it: \"Looking at your answers, our sessions don't seem to "
        "be feeling as helpful as I'd hoped by now. How does that fit with your sense of it?\""
    ),
}

_OUTCOME: dict[AlertKind, str] = {
    AlertKind.BELOW_CUTOFF: (
        "Their score has moved into the range where this is likely to be getting in the way of life. Ask "
        "how the last two weeks have been and what has changed, then review together whether the plan "
        "still fits."
    ),
    AlertKind.RELIABLE_DROP: (
        'Things seem to have become harder since the last check-in. Open with curiosity: "Your answers '
        'suggest the last couple of weeks have been harder. What has been happening?" Check risk if '
        "relevant, and review the plan together."
    ),
    AlertKind.BELOW_BASELINE: (
        'Scores are now reliably worse than when they started. Review the work together: "Since we '
        "started, things seem to have got harder rather than easier. I'd like us to think together about "
        "whether we're focusing on the right things, or whether something else would help.\" Consider "
        "supervision, and whether more or different support is needed."
    ),
    AlertKind.NOT_ON_TRACK: (
        "Progress is slower than usual for clients who started where they did. Share this openly: "
        "\"Looking at your answers, things don't seem to be shifting as much as we'd hoped. How does that "
        'fit with your sense of it? What might we do differently?" Consider bringing the case to '
        "supervision; early change is a good sign, and its absence is worth acting on."
    ),
}

_OUTCOME_IN_RANGE = (
    "Their score is in the range where this is likely to be getting in the way of life. This instrument "
    "raises the alert at every check-in in that range, so it may have been there for some time: look at "
    "the chart before you assume something changed. Ask how the last two weeks have been, then review "
    "together whether the plan still fits."
)
"""For an outcome measure set to alert at every check-in beyond its cut-off (`CutoffAlert.ALWAYS`): the
score may not have moved at all, so "has moved into the range" would be wrong."""

_OTHER: dict[AlertKind, str] = {
    AlertKind.SPLIT_ALLIANCE: (
        "The partners experienced the session differently. Open with both, without pointing at either: "
        "\"I'd like to check how our sessions are working for each of you. It's common for two people to "
        'experience them differently, and both views matter here." Make room for the partner who found '
        "the session harder to speak first if they wish, and protect that space without implying the other "
        "did anything wrong. Ask yourself whether you have sided with one of them."
    ),
    AlertKind.MISSING_CHECKINS: (
        "Ask with curiosity, not as a reminder: \"I noticed the short questionnaire hasn't come back the "
        "last couple of times, and that's completely fine. I'm curious whether it feels useful, or like a "
        'chore, or hard to answer honestly." Offer to fill it in together at the end of the session, or '
        "to stop using it."
    ),
    AlertKind.CLIENT_COMMENT: (
        'Read what they wrote before the session. Thank them for telling you and invite more: "Thank you '
        "for writing that. I'd like to understand it better. Could you tell me more about what happened "
        'for you?" Stay curious about your own part before explaining yours.'
    ),
}

_SPLIT_IN_A_FAMILY = (
    "The family members experienced the session differently. Open with everyone, without pointing at "
    "anyone: \"I'd like to check how our sessions are working for each of you. In a family it's common "
    'for people to experience them quite differently, and every view matters here." Make room for those '
    "who found the session harder to speak, if they wish, and protect that space without implying that "
    "anyone else did anything wrong. Ask yourself whether you have sided with some of them."
)
"""Split alliance in a case of more than two clients (a family), where "the partners" would be wrong."""

_FALLBACK = (
    "Open the next session by asking how the last one was for them, and listen before explaining: \"I'd "
    "like to hear how our last session was for you, including anything that didn't feel right.\""
)


# --- cases with more than one client (couples, families) -----------------------------------------------
#
# Each client's check-in is private: the form tells them that only their therapist (and the therapist's
# supervisor, where there is one) reads their answers.
# So an alert about one partner (or family member) is never raised in front of the others. Each text
# below says what to say to them on their own, and (where it fits) a question for the joint session in
# general terms that point at no one. Split alliance is about the partners together: it keeps its text.

_SHARED_LEAD = (
    "This alert is about one client's own check-ins, and they were told that their answers are read by "
    "their therapist (and supervisor) alone. Don't mention it, or anything they answered, in front of "
    "their partner or family unless they choose to share it."
)

_SHARED_ONE_TO_ONE = (
    "Talk with them on their own: a few minutes one-to-one before or after the joint session, or a "
    "short call."
)

_SHARED_TOGETHER_LEAD = "With everyone in the room, speak only in general terms that point at no one:"

_SHARED_HOW_IT_IS_WORKING = (
    "\"I'd like to check how these sessions are working for each of you. It's common for people to "
    'experience them differently, and every view matters here."'
)

_SHARED_HOW_THINGS_ARE = '"I\'d like to hear how things have been for each of you since we last met."'


@dataclass(frozen=True, slots=True)
class _Private:
    """What to say to one client on their own, and what may be asked of everyone together (if anything).

    `first` is what must be read before anything else (a risk procedure); `reach` how to find a moment
    alone with them.
    """

    alone: str
    together: str | None = _SHARED_HOW_IT_IS_WORKING
    first: str | None = None
    reach: str | None = _SHARED_ONE_TO_ONE


_SHARED_ITEM: dict[ItemTheme, _Private] = {
    ItemTheme.HEARD: _Private(
        '"I wondered whether I really got what you were telling me last time. Would you tell me again? '
        "I'll try to say back what I hear, and please correct me where I get it wrong.\"",
        "\"I want to be sure I understand each of you. I'll try to say back what I hear from each of "
        'you, and please correct me where I get it wrong."',
    ),
    ItemTheme.SAFE_TO_SPEAK: _Private(
        "\"Your answers made me think it may have been hard to say what really mattered last time. I'd "
        "like to understand what made it harder: something I said or did, how we set things up, or "
        'something that is hard to say with others in the room. We can go at your pace." Then ask '
        "yourself what your part might have been, and what would make the joint sessions safer for them.",
        "\"I'd like these sessions to be a place where each of you can say what really matters, even "
        'when it is hard to say or to hear. Is there anything that would make that easier?"',
    ),
    ItemTheme.GOALS: _Private(
        "\"I'm wondering whether we've been spending our time on what matters most to you. What would "
        'you most want us to work on?"',
        "\"I'd like to check that we're spending our time on what matters to each of you. What would "
        'each of you most want us to work on?"',
    ),
    ItemTheme.APPROACH: _Private(
        "\"I'd like to check how the way we work suits you. What has helped, and what hasn't? Is there "
        "anything you'd like me to do more of, or less of?\" Be ready to change it rather than defend it.",
        "\"I'd like to check how the way we work suits each of you. What has helped, and what would you "
        'change?"',
    ),
    ItemTheme.OVERALL: _Private(
        "\"It sounds like last session wasn't quite right for you, and I'm glad you told me. What would "
        "have made it better, even if it's hard to put into words?\""
    ),
    ItemTheme.BOND: _Private(
        "\"I'd like to check in about how it feels to work with me. Is there anything about how I come "
        'across that makes this harder for you?" Listen for whether they expected criticism, or felt '
        "you took sides, and respond differently from what they feared.",
        "\"I'd like to check how it feels for each of you to work with me, including whether I ever "
        'seem to take sides."',
    ),
    ItemTheme.WELLBEING: _Private(
        '"You marked this as harder lately. What has it been like for you?" Keep the question open '
        "before moving to plans.",
        _SHARED_HOW_THINGS_ARE,
    ),
    ItemTheme.SELF_HARM: _Private(
        'Speak with them alone, never in front of their partner or family: "On the '
        "questionnaire you said you'd had thoughts that you'd be better off dead, or of hurting yourself. "
        'Thank you for telling me. Can we talk about what those thoughts have been like?" Ask directly '
        "and calmly; asking does not put the idea in someone's mind. Unless your risk procedure says "
        "otherwise, ask them what, if anything, they want their partner or family to know.",
        together=None,
        first=(
            "Follow your service's risk procedure first, and do not wait for the next session if it says "
            "to make contact sooner."
        ),
        reach=None,
    ),
}

_SHARED_UNANSWERED: dict[ItemTheme, _Private] = {
    ItemTheme.SELF_HARM: _Private(
        'Speak with them alone, never in front of their partner or family: "The question about thoughts '
        "of being better off dead, or of hurting yourself, was left blank. That's completely fine, and I'd "
        'like to ask you about it directly: have you had thoughts like that lately?" Ask calmly and '
        "without reproach; asking does not put the idea in someone's mind.",
        together=None,
        first="Follow your service's risk procedure for a risk question left unanswered.",
        reach=None,
    ),
}

_SHARED_UNANSWERED_GENERIC = _Private(
    "\"One question on the questionnaire was left blank, which is fine. I'd like to ask you about it: "
    "'{text}' How has that been for you?\""
)

_SHARED_ITEM_GENERIC = _Private(
    "\"On the question '{text}', your answer stood out to me. Would you tell me more about what was "
    'behind it?" Thank them for being honest.'
)

_SHARED_ALLIANCE: dict[AlertKind, _Private] = {
    AlertKind.BELOW_CUTOFF: _Private(
        "\"Your answers told me our last session didn't quite work for you, and I really appreciate you "
        'letting me know. What would have made it better?" Listen for what you could do differently, '
        "and say so."
    ),
    AlertKind.RELIABLE_DROP: _Private(
        '"I noticed last session seemed to land differently for you than the one before. I wonder '
        "whether something happened in the room, or something I said, that didn't feel right. I'd "
        'really like to know." Ask yourself what your part might have been, and be ready to own it.'
    ),
    AlertKind.BELOW_BASELINE: _Private(
        '"Compared with our first sessions, it seems our sessions have been working less well for you '
        'lately. What has changed for you?" Consider bringing the case to supervision.'
    ),
    AlertKind.NOT_ON_TRACK: _Private(
        "\"Looking at your answers, our sessions don't seem to be feeling as helpful to you as I'd hoped "
        'by now. How does that fit with your sense of it?"'
    ),
}

_SHARED_OUTCOME: dict[AlertKind, _Private] = {
    AlertKind.BELOW_CUTOFF: _Private(
        "Their score has moved into the range where this is likely to be getting in the way of life. Ask "
        "how the last two weeks have been for them and what has changed, and whether the plan still "
        "fits them.",
        _SHARED_HOW_THINGS_ARE,
    ),
    AlertKind.RELIABLE_DROP: _Private(
        '"Your answers suggest the last couple of weeks have been harder for you. What has been '
        'happening?" Check risk if relevant.',
        _SHARED_HOW_THINGS_ARE,
    ),
    AlertKind.BELOW_BASELINE: _Private(
        "\"Since we started, things seem to have got harder for you rather than easier. I'd like us to "
        'think together about what would help." Consider supervision, and whether more or different '
        "support is needed for them alongside the joint work.",
        _SHARED_HOW_THINGS_ARE,
    ),
    AlertKind.NOT_ON_TRACK: _Private(
        "\"Looking at your answers, things don't seem to be shifting for you as much as we'd hoped. How "
        'does that fit with your sense of it?" Consider bringing the case to supervision.',
        _SHARED_HOW_THINGS_ARE,
    ),
}

_SHARED_OUTCOME_IN_RANGE = _Private(
    "Their score is in the range where this is likely to be getting in the way of life; this instrument "
    "raises the alert at every check-in in that range, so it may have been there for some time. Ask how "
    "the last two weeks have been for them, and whether the plan still fits them.",
    _SHARED_HOW_THINGS_ARE,
)

_SHARED_OTHER: dict[AlertKind, _Private] = {
    AlertKind.MISSING_CHECKINS: _Private(
        "\"I noticed the short questionnaire hasn't come back the last couple of times, and that's "
        "completely fine. I'm curious whether it feels useful, or like a chore, or hard to answer "
        'honestly." Remind them that no one else in the sessions sees their answers, and offer to stop '
        "using it.",
        "\"I'd like to check how the short questionnaires feel for each of you: useful, a chore, or "
        'something else?"',
    ),
    AlertKind.CLIENT_COMMENT: _Private(
        'Read what they wrote first, then thank them and invite more: "Thank you for '
        "writing that. I'd like to understand it better. Could you tell me more about what happened for "
        'you?" Ask whether, and how, they would like it brought into the joint sessions.'
    ),
}

_SHARED_FALLBACK = _Private(
    "\"I'd like to hear how our last session was for you, including anything that didn't feel right.\""
)


def suggest_next_step(
    kind: AlertKind,
    instrument: Instrument | None = None,
    item_id: str | None = None,
    *,
    shared_case: bool = False,
    unanswered: bool = False,
    clients: int = 1,
) -> str:
    """The suggested opening for an alert of this kind (on this item of this instrument).

    `shared_case`: the case has more than one client (a couple or family), so an alert about one of
    them gets a suggestion that keeps their answers from the others in the room. `unanswered`: the
    alert is about an item the client left blank (a risk question), not about their answer to it.
    `clients`: how many clients the alert compares (a split alliance among more than two is a family's).
    """
    if kind is AlertKind.SPLIT_ALLIANCE and clients > 2:
        return _SPLIT_IN_A_FAMILY
    if unanswered and kind is AlertKind.LOW_ITEM and instrument is not None and item_id is not None:
        item = _item(instrument, item_id)
        if item is not None:
            return _unanswered(item, shared_case=shared_case)
    if shared_case and kind is not AlertKind.SPLIT_ALLIANCE:
        return _keeping_it_private(_shared_choice(kind, instrument, item_id))
    if kind is AlertKind.LOW_ITEM and instrument is not None and item_id is not None:
        item = _item(instrument, item_id)
        if item is not None:
            if item.theme is not None:
                return _ITEM[item.theme]
            return _ITEM_GENERIC.format(text=item.text)
    if kind in _OTHER:
        return _OTHER[kind]
    if _is_outcome(instrument) and _alerts_in_range(kind, instrument):
        return _OUTCOME_IN_RANGE
    if _is_outcome(instrument) and kind in _OUTCOME:
        return _OUTCOME[kind]
    return _ALLIANCE.get(kind, _FALLBACK)


def _unanswered(item: Item, *, shared_case: bool) -> str:
    if shared_case:
        choice = _SHARED_UNANSWERED.get(item.theme) if item.theme is not None else None
        if choice is None:
            alone = _SHARED_UNANSWERED_GENERIC.alone.format(text=item.text)
            choice = replace(_SHARED_UNANSWERED_GENERIC, alone=alone)
        return _keeping_it_private(choice)
    if item.theme is not None and item.theme in _UNANSWERED:
        return _UNANSWERED[item.theme]
    return _UNANSWERED_GENERIC.format(text=item.text)


def _item(instrument: Instrument, item_id: str) -> Item | None:
    return next((item for item in instrument.items if item.id == item_id), None)


def _is_outcome(instrument: Instrument | None) -> bool:
    return instrument is not None and instrument.kind is not InstrumentKind.ALLIANCE


def _alerts_in_range(kind: AlertKind, instrument: Instrument | None) -> bool:
    """A cut-off alert that fires at every check-in beyond the cut-off, not only on crossing it: it says
    where the score is, not that it moved."""
    return (
        kind is AlertKind.BELOW_CUTOFF
        and instrument is not None
        and instrument.cutoff is not None
        and instrument.cutoff.alert is not CutoffAlert.ON_CROSSING
    )


def _shared_choice(kind: AlertKind, instrument: Instrument | None, item_id: str | None) -> _Private:
    if kind is AlertKind.LOW_ITEM and instrument is not None and item_id is not None:
        item = _item(instrument, item_id)
        if item is not None:
            if item.theme is not None:
                return _SHARED_ITEM[item.theme]
            return replace(_SHARED_ITEM_GENERIC, alone=_SHARED_ITEM_GENERIC.alone.format(text=item.text))
    if kind in _SHARED_OTHER:
        return _SHARED_OTHER[kind]
    if _is_outcome(instrument) and _alerts_in_range(kind, instrument):
        return _SHARED_OUTCOME_IN_RANGE
    if _is_outcome(instrument) and kind in _SHARED_OUTCOME:
        return _SHARED_OUTCOME[kind]
    return _SHARED_ALLIANCE.get(kind, _SHARED_FALLBACK)


def _keeping_it_private(choice: _Private) -> str:
    together = f"{_SHARED_TOGETHER_LEAD} {choice.together}" if choice.together else None
    parts = (choice.first, _SHARED_LEAD, choice.reach, choice.alone, together)
    return " ".join(part for part in parts if part)
