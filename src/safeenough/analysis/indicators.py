"""MITI-style indicators of one session, from the turn labels of an analysis.

The thresholds are the proficiency guides of the Motivational Interviewing Treatment Integrity code,
MITI 4.2.1 (Moyers, Manuel & Ernst 2014; Moyers et al. 2016): reflection-to-question ratio 1:1 fair,
2:1 good; complex reflections 40% of reflections fair, 50% good. MITI 4 gives no threshold for the
share of open questions, for therapist talk share, or for client change talk (MITI codes the therapist
only), and we do not invent one: those indicators say so.

Every ratio can have nothing to divide by (a session without questions, a transcript without client
talk): the value is then None and the display reads "not enough … to say".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from safeenough.analysis import keys
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.domain.annotation import AnnotationSet
from safeenough.domain.conversation import Conversation, SpeakerRole

MITI_SOURCE = "MITI 4.2.1 (Moyers et al. 2014)"

FEWEST_FOR_A_LEVEL = 5
"""Counted turns (reflections and questions for the ratio, reflections for the complex share) below
which an indicator shows its value but no MITI level: one question in a short transcript read "below
fair", a verdict that one turn more would overturn. MITI itself codes 20-minute segments."""


class Level(StrEnum):
    """Where a value sits against the MITI proficiency guides."""

    GOOD = "good"
    FAIR = "fair"
    BELOW_FAIR = "below fair"
    NO_THRESHOLD = "no MITI threshold"
    NOT_ENOUGH_DATA = "not enough to say"


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator: its value, how to show it, where it sits and what it means for the client.

    `value` is a ratio (reflection-to-question) or a share in [0, 1]; None when there was nothing to
    divide by. `fair` and `good` are the MITI thresholds where MITI 4 has them, else None.
    """

    key: str
    label: str
    value: float | None
    numerator: int
    denominator: int
    display: str
    basis: str
    """What the value was made from, in words: "6 of 10 questions"."""
    fair: float | None
    good: float | None
    level: Level
    threshold_note: str
    meaning: str

    @property
    def has_threshold(self) -> bool:
        return self.fair is not None and self.good is not None


@dataclass(frozen=True, slots=True)
class MitiIndicators:
    """The indicators of one session, and the counts they were made from."""

    reflection_to_question: Indicator
    open_question_share: Indicator
    complex_reflection_share: Indicator
    therapist_talk_share: Indicator
    change_talk_share: Indicator
    reflections: int
    complex_reflections: int
    questions: int
    open_questions: int
    therapist_words: int
    client_words: int
    change_talk: int
    sustain_talk: int

    @property
    def all(self) -> tuple[Indicator, ...]:
        """The indicators in the order a report shows them."""
        return (
            self.reflection_to_question,
            self.open_question_share,
            self.complex_reflection_share,
            self.therapist_talk_share,
            self.change_talk_share,
        )

    def summary(self) -> dict[str, float | int | None]:
        """The values under the research export's summary keys (None where there is nothing to say)."""
        return {
            "reflection_to_question": self.reflection_to_question.value,
            "open_question_share": self.open_question_share.value,
            "complex_reflection_share": self.complex_reflection_share.value,
            "therapist_talk_share": self.therapist_talk_share.value,
            "change_talk": self.change_talk,
            "sustain_talk": self.sustain_talk,
        }


MEANINGS: Mapping[str, str] = {
    "reflection_to_question": (
        "When reflections outnumber questions, the client more often hears their own words understood "
        "back than is asked for more, which tends to feel like being listened to rather than interviewed."
    ),
    "open_question_share": (
        "Open questions leave the client room to say what matters to them in their own words, where "
        "closed questions steer them towards the therapist's picture."
    ),
    "complex_reflection_share": (
        "Complex reflections offer back a meaning or feeling the client implied but did not say, which "
        "can help them feel deeply understood, and gives them a chance to correct a guess that is off."
    ),
    "therapist_talk_share": (
        "This is how much of the talking the therapist did: the lower it is, the more of the session's "
        "space was the client's own."
    ),
    "change_talk_share": (
        "Change talk is the client voicing their own reasons for change; sustain talk is them voicing "
        "reasons to stay as they are, which is not a rupture and deserves the same respectful hearing."
    ),
}


def compute_indicators(result: AnalysisResult) -> MitiIndicators:
    """The MITI-style indicators of an analysed session."""
    return indicators_from(result.conversation, result.annotations)


def indicators_from(conversation: Conversation, annotations: AnnotationSet) -> MitiIndicators:
    """The indicators from a conversation and its turn labels (keys from `analysis.keys`)."""
    behaviour = annotations.by_turn(keys.BEHAVIOUR)
    question = annotations.by_turn(keys.QUESTION)
    reflection = annotations.by_turn(keys.REFLECTION)
    talk_type = annotations.by_turn(keys.TALK_TYPE)
    roles = {turn.index: turn.role for turn in conversation.turns}

    def therapist(turn: int) -> bool:
        # A label on a turn that is not the therapist's (a mislabelled role) is not counted.
        return roles.get(turn) is SpeakerRole.THERAPIST

    question_turns = [t for t, v in behaviour.items() if v == "question" and therapist(t)]
    reflection_turns = [t for t, v in behaviour.items() if v == "reflection" and therapist(t)]
    open_questions = sum(question.get(t) == "open" for t in question_turns)
    complex_reflections = sum(reflection.get(t) == "complex" for t in reflection_turns)
    therapist_words = sum(
        len(turn.text.split()) for turn in conversation.turns if turn.role is SpeakerRole.THERAPIST
    )
    client_words = sum(
        len(turn.text.split()) for turn in conversation.turns if turn.role is SpeakerRole.CLIENT
    )
    client_turns = {turn.index for turn in conversation.turns if turn.role is SpeakerRole.CLIENT}
    change = sum(v == "change" for t, v in talk_type.items() if t in client_turns)
    sustain = sum(v == "sustain" for t, v in talk_type.items() if t in client_turns)

    return MitiIndicators(
        reflection_to_question=_reflection_to_question(len(reflection_turns), len(question_turns)),
        open_question_share=_share(
            "open_question_share",
            "Open questions",
            open_questions,
            len(question_turns),
            of="questions",
            basis=f"{open_questions:,} of {_plural(len(question_turns), 'question')}",
            fair=None,
            good=None,
            threshold_note=(
                f"{MITI_SOURCE} sets no threshold for the share of open questions; read it beside the "
                "other indicators."
            ),
        ),
        complex_reflection_share=_share(
            "complex_reflection_share",
            "Complex reflections",
            complex_reflections,
            len(reflection_turns),
            of="reflections",
            basis=f"{complex_reflections:,} of {_plural(len(reflection_turns), 'reflection')}",
            fair=0.40,
            good=0.50,
            threshold_note=f"{MITI_SOURCE}: 40% of reflections fair, 50% good.",
        ),
        therapist_talk_share=_share(
            "therapist_talk_share",
            "Therapist talk share (words)",
            therapist_words,
            therapist_words + client_words,
            of="talk",
            basis=f"{therapist_words:,} of {_plural(therapist_words + client_words, 'word')}",
            fair=None,
            good=None,
            threshold_note=f"{MITI_SOURCE} sets no threshold for talk share.",
        ),
        change_talk_share=_share(
            "change_talk_share",
            "Change talk (of change and sustain talk)",
            change,
            change + sustain,
            of="change or sustain talk",
            basis=f"{change:,} change, {sustain:,} sustain",
            fair=None,
            good=None,
            threshold_note=f"{MITI_SOURCE} codes the therapist only and sets no threshold for client talk.",
        ),
        reflections=len(reflection_turns),
        complex_reflections=complex_reflections,
        questions=len(question_turns),
        open_questions=open_questions,
        therapist_words=therapist_words,
        client_words=client_words,
        change_talk=change,
        sustain_talk=sustain,
    )


def level_of(
    value: float | None, fair: float | None, good: float | None, *, counted: int = FEWEST_FOR_A_LEVEL
) -> Level:
    """Where a value sits against fair/good thresholds (higher is better for every MITI guide we use);
    not enough to say when `counted` turns are fewer than `FEWEST_FOR_A_LEVEL`."""
    if value is None:
        return Level.NOT_ENOUGH_DATA
    if fair is None or good is None:
        return Level.NO_THRESHOLD
    if counted < FEWEST_FOR_A_LEVEL:
        return Level.NOT_ENOUGH_DATA
    if value >= good:
        return Level.GOOD
    if value >= fair:
        return Level.FAIR
    return Level.BELOW_FAIR


def _reflection_to_question(reflections: int, questions: int) -> Indicator:
    fair, good = 1.0, 2.0
    value: float | None
    if questions == 0:
        value = None
        display = (
            "not enough reflections or questions to say"
            if reflections == 0
            else f"no questions to compare with ({reflections} reflections), so not enough to say"
        )
    else:
        value = reflections / questions
        display = f"{_trim(value)} : 1"
    return Indicator(
        key="reflection_to_question",
        label="Reflection-to-question ratio",
        value=value,
        numerator=reflections,
        denominator=questions,
        display=display,
        basis=f"{_plural(reflections, 'reflection')} to {_plural(questions, 'question')}",
        fair=fair,
        good=good,
        level=level_of(value, fair, good, counted=reflections + questions),
        threshold_note=f"{MITI_SOURCE}: 1:1 fair, 2:1 good.",
        meaning=MEANINGS["reflection_to_question"],
    )


def _share(
    key: str,
    label: str,
    part: int,
    whole: int,
    *,
    of: str,
    fair: float | None,
    good: float | None,
    threshold_note: str,
    basis: str,
) -> Indicator:
    value = part / whole if whole > 0 else None
    display = f"{round(value * 100)}%" if value is not None else f"not enough {of} to say"
    return Indicator(
        key=key,
        label=label,
        value=value,
        numerator=part,
        denominator=whole,
        display=display,
        basis=basis,
        fair=fair,
        good=good,
        level=level_of(value, fair, good, counted=whole),
        threshold_note=threshold_note,
        meaning=MEANINGS[key],
    )


def _trim(value: float) -> str:
    """1.0 → "1", 1.25 → "1.3", 0.5 → "0.5"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
