"""Curiosity prompts: where to keep learning who this client is. Pure functions.

Curiosity builds safety; assumptions stated as facts shut it down (DOMAIN.md §1, §6, §7). Three kinds
of prompt, each with the reason it appears and links to its evidence:

- **unexplored domain**: a domain of the map with no entry at all, with an open question to begin;
- **untested hypothesis**: a therapist's hypothesis still not checked with the client after N sessions
  the client attended since it was recorded (default 3), with an open question to test it;
- **assuming language**: a therapist turn in a recent analysed transcript whose stance was `assuming`
  (it stated the client's feelings, motives or meaning as fact) about a domain where the client has not
  yet said anything in their own words.

Which domain an assuming turn is about is decided by `keyword_domains` (below) unless a classifier is
passed. The keyword map is deliberately small and transparent: a domain matches when any of its words
or phrases occurs as a whole word in the lower-cased turn (e.g. "your father" → family and history;
"your partner" → relationships). A turn can match several domains, or none (then no prompt).

The questions are our own wording. They are open and tentative on purpose — an invitation the client
can correct, never a conclusion.

Couples: `shared_goals` sets the partners' stated goals side by side and says where they agree and
differ (the method is described there).
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from enum import StrEnum

from safeenough.domain.formulation import EpistemicStatus, FormulationDomain, FormulationEntry
from safeenough.domain.session import Session

UNTESTED_AFTER_SESSIONS = 3
"""A hypothesis not checked after this many sessions (attended since it was recorded) is prompted."""
RECENT_SESSIONS = 3
"""Assuming language is looked for in this many of the latest analysed sessions."""
MIN_CONFIDENCE = 0.5
"""A classifier's domain counts when its confidence is at least this."""

DomainClassifier = Callable[[str], Sequence[tuple[str, float]]]
"""Text → (domain value, confidence) pairs."""


class PromptKind(StrEnum):
    UNEXPLORED_DOMAIN = "unexplored_domain"
    UNTESTED_HYPOTHESIS = "untested_hypothesis"
    ASSUMING_LANGUAGE = "assuming_language"


@dataclass(frozen=True, slots=True)
class TurnRef:
    """Evidence in a transcript: a session and a turn of it."""

    session_id: int
    session_number: int
    turn_index: int


@dataclass(frozen=True, slots=True)
class CuriosityPrompt:
    kind: PromptKind
    domain: FormulationDomain
    reason: str
    """Why the prompt appears, in a sentence."""
    question: str
    """A suggested open question for the next session."""
    entry_ids: tuple[int, ...] = ()
    turns: tuple[TurnRef, ...] = ()


@dataclass(frozen=True, slots=True)
class AssumingTurn:
    """A therapist turn whose stance annotation was `assuming`."""

    session_id: int
    session_number: int
    turn_index: int
    text: str


EXPLORE_QUESTIONS: Mapping[FormulationDomain, str] = {
    FormulationDomain.PRESENTING_CONCERNS: "What brings you here now — and what made now the time?",
    FormulationDomain.GOALS: "If our work together went well, what would be different for you?",
    FormulationDomain.VALUES: "What matters most to you in how you live your life?",
    FormulationDomain.RELATIONSHIPS: "Who are the people who matter in your life at the moment?",
    FormulationDomain.FAMILY_HISTORY: "What was it like growing up in your family?",
    FormulationDomain.CULTURE_IDENTITY: (
        "Which parts of who you are — your background, culture, faith or identity — would you want me "
        "to understand?"
    ),
    FormulationDomain.STRENGTHS_RESOURCES: "When things have been hard before, what helped you through?",
    FormulationDomain.SAFETY_MEANING: "What helps you feel safe enough to say what is really on your mind?",
    FormulationDomain.PAST_HELP: (
        "What has getting help been like for you before — what helped, and what didn't?"
    ),
}

TEST_QUESTIONS: Mapping[FormulationDomain, str] = {
    FormulationDomain.PRESENTING_CONCERNS: "How would you describe what is hardest for you right now?",
    FormulationDomain.GOALS: "What would you most like to be different — in your own words?",
    FormulationDomain.VALUES: "What matters most to you about this?",
    FormulationDomain.RELATIONSHIPS: "How are things between you and the people close to you?",
    FormulationDomain.FAMILY_HISTORY: "How do you see your family's part in this, if it has one?",
    FormulationDomain.CULTURE_IDENTITY: "How does your background or identity shape how you see this?",
    FormulationDomain.STRENGTHS_RESOURCES: "What do you draw on when things get like this?",
    FormulationDomain.SAFETY_MEANING: "What does feeling safe mean for you — here, and elsewhere?",
    FormulationDomain.PAST_HELP: "How was it for you when you asked for help before?",
}

DOMAIN_KEYWORDS: Mapping[FormulationDomain, tuple[str, ...]] = {
    FormulationDomain.PRESENTING_CONCERNS: (
        "anxious", "anxiety", "depressed", "depression", "panic", "stress", "stressed", "sleep",
        "worry", "worried", "symptom", "symptoms", "problem", "struggling", "overwhelmed",
    ),
    FormulationDomain.GOALS: (
        "goal", "goals", "you want", "you'd like", "you would like", "you hope", "hoping", "aim",
        "change", "better",
    ),
    FormulationDomain.VALUES: (
        "value", "values", "matters to you", "important to you", "you care about", "you believe",
        "principle", "principles", "meaning", "purpose",
    ),
    FormulationDomain.RELATIONSHIPS: (
        "partner", "wife", "husband", "boyfriend", "girlfriend", "friend", "friends", "colleague",
        "colleagues", "boss", "manager", "relationship", "relationships", "marriage", "dating",
    ),
    FormulationDomain.FAMILY_HISTORY: (
        "father", "mother", "dad", "mum", "mom", "parent", "parents", "brother", "sister", "sibling",
        "siblings", "family", "childhood", "grew up", "growing up", "grandmother", "grandfather",
        "as a child", "when you were young",
    ),
    FormulationDomain.CULTURE_IDENTITY: (
        "culture", "cultural", "religion", "religious", "faith", "identity", "heritage", "community",
        "ethnic", "ethnicity", "race", "gender", "sexuality", "gay", "queer", "trans", "language",
        "immigrant", "background",
    ),
    FormulationDomain.STRENGTHS_RESOURCES: (
        "strength", "strengths", "cope", "coping", "resilient", "resilience", "good at", "managed",
        "resource", "resources", "support",
    ),
    FormulationDomain.SAFETY_MEANING: (
        "safe", "safety", "unsafe", "trust", "trusting", "judged", "judge", "exposed", "threatened",
    ),
    FormulationDomain.PAST_HELP: (
        "therapy", "therapist", "counsellor", "counselor", "counselling", "counseling", "doctor",
        "medication", "psychiatrist", "treatment", "help before", "tried before",
    ),
}  # fmt: skip

_DOMAIN_NAMES = frozenset(domain.value for domain in FormulationDomain)

_PATTERNS: Mapping[FormulationDomain, re.Pattern[str]] = {
    domain: re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b")
    for domain, words in DOMAIN_KEYWORDS.items()
}


def keyword_domains(text: str) -> list[tuple[str, float]]:
    """The domains whose keywords occur in the text, each with confidence 1.0 (see DOMAIN_KEYWORDS)."""
    lowered = text.lower().replace("’", "'")
    return [(domain.value, 1.0) for domain, pattern in _PATTERNS.items() if pattern.search(lowered)]


def _domains(text: str, classify: DomainClassifier) -> list[FormulationDomain]:
    found = []
    for name, confidence in classify(text):
        if confidence >= MIN_CONFIDENCE and name in _DOMAIN_NAMES:
            domain = FormulationDomain(name)
            if domain not in found:
                found.append(domain)
    return found


def unexplored_domains(entries: Iterable[FormulationEntry]) -> list[CuriosityPrompt]:
    """One prompt for each domain with no entry yet, in the map's order."""
    present = {entry.domain for entry in entries}
    return [
        CuriosityPrompt(
            kind=PromptKind.UNEXPLORED_DOMAIN,
            domain=domain,
            reason=f"Nothing is recorded yet about {domain.label.lower()}.",
            question=EXPLORE_QUESTIONS[domain],
        )
        for domain in FormulationDomain
        if domain not in present
    ]


def sessions_since(
    entry: FormulationEntry, sessions: Iterable[Session], today: date, zone: tzinfo = UTC
) -> list[Session]:
    """Sessions held after the day the entry was recorded (on the practice's calendar: `zone`) and up to
    today (future ones not counted)."""
    recorded = entry.created_at.astimezone(zone).date()
    return [session for session in sessions if recorded < session.held_on <= today]


def untested_hypotheses(
    entries: Iterable[FormulationEntry],
    sessions: Sequence[Session],
    *,
    today: date,
    after_sessions: int = UNTESTED_AFTER_SESSIONS,
    zone: tzinfo = UTC,
) -> list[CuriosityPrompt]:
    """Hypotheses still unchecked after `after_sessions` sessions since they were recorded.

    Pass the sessions the client attended: a session they missed is no chance to check with them.
    """
    if after_sessions < 1:
        raise ValueError("after_sessions must be 1 or more")
    prompts = []
    for entry in entries:
        if not entry.is_open_hypothesis:
            continue
        since = sessions_since(entry, sessions, today, zone)
        if len(since) < after_sessions:
            continue
        prompts.append(
            CuriosityPrompt(
                kind=PromptKind.UNTESTED_HYPOTHESIS,
                domain=entry.domain,
                reason=(
                    f"Recorded as a hypothesis on {entry.created_at:%d %b %Y}; {len(since)} sessions "
                    "since, and not yet checked with the client."
                ),
                question=TEST_QUESTIONS[entry.domain],
                entry_ids=(entry.id,),
            )
        )
    return prompts


def client_has_spoken(entries: Iterable[FormulationEntry]) -> set[FormulationDomain]:
    """Domains where the client has said something in their own words (said, or answered a check)."""
    return {entry.domain for entry in entries if entry.status.client_spoke}


def assuming_language(
    entries: Iterable[FormulationEntry],
    turns: Iterable[AssumingTurn],
    *,
    classify: DomainClassifier = keyword_domains,
) -> list[CuriosityPrompt]:
    """One prompt per domain that assuming turns spoke about while the client has not spoken to it.

    The prompt links every such turn (newest session first, as given) and any hypotheses in that
    domain, which is often where the assumption was recorded.
    """
    entries = list(entries)
    spoken = client_has_spoken(entries)
    by_domain: dict[FormulationDomain, list[AssumingTurn]] = {}
    for turn in turns:
        for domain in _domains(turn.text, classify):
            if domain not in spoken:
                by_domain.setdefault(domain, []).append(turn)
    prompts = []
    for domain in FormulationDomain:
        found = by_domain.get(domain)
        if not found:
            continue
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        prompts.append(
            CuriosityPrompt(
                kind=PromptKind.ASSUMING_LANGUAGE,
                domain=domain,
                reason=(
                    f"In session {first.session_number} you stated something about "
                    f"{domain.label.lower()} as fact{more}, and the client has not yet spoken to it in "
                    "their own words."
                ),
                question=EXPLORE_QUESTIONS[domain],
                entry_ids=tuple(entry.id for entry in entries if entry.domain is domain),
                turns=tuple(TurnRef(turn.session_id, turn.session_number, turn.turn_index) for turn in found),
            )
        )
    return prompts


def curiosity_prompts(
    entries: Sequence[FormulationEntry],
    sessions: Sequence[Session],
    assuming_turns: Sequence[AssumingTurn] = (),
    *,
    today: date,
    untested_after: int = UNTESTED_AFTER_SESSIONS,
    classify: DomainClassifier = keyword_domains,
    zone: tzinfo = UTC,
) -> tuple[CuriosityPrompt, ...]:
    """Every prompt for one client's map: untested hypotheses first, then assumptions, then gaps."""
    return tuple(
        untested_hypotheses(entries, sessions, today=today, after_sessions=untested_after, zone=zone)
        + assuming_language(entries, assuming_turns, classify=classify)
        + unexplored_domains(entries)
    )


# Couples: shared goals -------------------------------------------------------------------------------

AGREEMENT_THRESHOLD = 0.25
"""Two goals agree when the overlap of their content words (Jaccard) is at least this."""

STOPWORDS = frozenset(
    """a an the and or but to of in on for with at by from about as into like than then so that this
    these those it its is are be been being was were do does did have has had i me my we our us you
    your he she they them their his her him more less most very just really want wants wanted would
    like could should can will get got feel feels felt be able again each other one both""".split()  # noqa: SIM905 (a word list reads better as text)
)


def content_words(text: str) -> frozenset[str]:
    """Lower-case words without stopwords, with a plain-English ending stripped (see STEM_ENDINGS)."""
    words = re.findall(r"[a-z]+", text.lower().replace("’", "'"))
    return frozenset(_stem(word) for word in words if word not in STOPWORDS and len(word) > 2)


STEM_ENDINGS = ("ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s", "e")
"""Stripped (the first that fits, leaving at least three letters): "arguing", "arguments" and "argue"
all become "argu". Crude, but the same for both partners' words, which is all the overlap needs."""


def _stem(word: str) -> str:
    for ending in STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def goal_similarity(first: str, second: str) -> float:
    """Jaccard overlap of the two goals' content words (0: nothing shared, 1: the same words)."""
    a, b = content_words(first), content_words(second)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class GoalAgreement:
    first: FormulationEntry
    second: FormulationEntry
    similarity: float
    shared_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharedGoals:
    """Where two partners' stated goals agree, and the goals only one of them has stated."""

    agree: tuple[GoalAgreement, ...]
    only_first: tuple[FormulationEntry, ...]
    only_second: tuple[FormulationEntry, ...]


def stated_goals(entries: Iterable[FormulationEntry]) -> list[FormulationEntry]:
    """Goals the client stated or confirmed (hypotheses and disconfirmed goals are not theirs)."""
    stated = (EpistemicStatus.CLIENT_SAID, EpistemicStatus.CHECKED_CONFIRMED)
    return [entry for entry in entries if entry.domain is FormulationDomain.GOALS and entry.status in stated]


def shared_goals(
    first: Iterable[FormulationEntry],
    second: Iterable[FormulationEntry],
    *,
    threshold: float = AGREEMENT_THRESHOLD,
) -> SharedGoals:
    """Pair the partners' stated goals that agree; the rest differ.

    Method: each goal is reduced to its content words (lower case, stopwords removed, a plain ending
    stripped: "arguments" and "arguing" → "argu"); two goals agree when the Jaccard overlap of those
    sets is at least `threshold`. Pairs are taken greedily, most similar first, each goal in at most one
    pair. It is a pointer for the conversation, not a judgement: the therapist reads both lists.
    """
    mine, theirs = stated_goals(first), stated_goals(second)
    scored = sorted(
        ((goal_similarity(a.text, b.text), i, j) for i, a in enumerate(mine) for j, b in enumerate(theirs)),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    used_first: set[int] = set()
    used_second: set[int] = set()
    agree = []
    for similarity, i, j in scored:
        if similarity < threshold or similarity == 0.0:
            break
        if i in used_first or j in used_second:
            continue
        used_first.add(i)
        used_second.add(j)
        shared = sorted(content_words(mine[i].text) & content_words(theirs[j].text))
        agree.append(GoalAgreement(mine[i], theirs[j], round(similarity, 3), tuple(shared)))
    return SharedGoals(
        agree=tuple(agree),
        only_first=tuple(goal for i, goal in enumerate(mine) if i not in used_first),
        only_second=tuple(goal for j, goal in enumerate(theirs) if j not in used_second),
    )
