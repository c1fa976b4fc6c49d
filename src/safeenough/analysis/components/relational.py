"""Ruptures and repair (after the 3RS, Eubanks, Muran & Safran 2015): markers, anticipated judgement,
the therapist's stance, explicit check-ins, and whether a marked moment was repaired."""

from safeenough.analysis import keys
from safeenough.analysis.addressee import answers, has_several_clients
from safeenough.analysis.component import component
from safeenough.analysis.components._shared import evidence_span, prediction
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation, SpeakerRole

NOT_REPAIRING = frozenset({"pressing", "assuming"})
"""Stances in which a turn repairs nothing, whatever its words (the guide's "continues, argues")."""

JUDGEMENT_CUES = ("think i'm", "think i am", "judge", "going to tell me", "sorry", "i know it sounds", "lazy")
MARKER_CUES = ("no", "don't", "not", "why", "whatever", "fine", "nothing", "pointless", "but")


@component(
    name="rupture_markers",
    version=4,
    produces=(keys.MARKER, keys.SUBTYPE, keys.EVIDENCE_SPAN),
)
def rupture_markers(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """Client turns that move away from (withdrawal) or against (confrontation) the therapist or the work.

    Every client turn gets a marker ("none" for most); marked turns carry their subtype and the words
    that show it. The confidence is how likely the turn is a marker at all, calibrated on data the model
    did not see.
    v2: cue words count only as whole words, and a short turn without one is quoted whole.
    v3: the confidence is calibrated (Platt); before, it was the class-balanced head's probability,
    which overstated it.
    v4: the confidence also reads the session's quality estimate (models 2025.6). Out of fold, flags in
    sessions that looked like good counselling matched the annotator about 1 time in 6, and those in
    sessions that did not about 2 times in 3. The flag itself does not depend on it.
    """
    spec = rupture_markers.spec
    found: list[Annotation] = []
    for turn in prediction(conversation).turns:
        if turn.role is not SpeakerRole.CLIENT or turn.marker is None:
            continue
        found.append(spec.annotate(turn.index, keys.MARKER, turn.marker, confidence=turn.marker_prob))
        if turn.marker != "none":
            found.append(spec.annotate(turn.index, keys.SUBTYPE, turn.subtype, confidence=turn.subtype_prob))
            text = conversation.turns[turn.index].text
            found.append(spec.annotate(turn.index, keys.EVIDENCE_SPAN, evidence_span(text, MARKER_CUES)))
    return found


@component(name="anticipated_judgement", version=2, produces=(keys.ANTICIPATES_JUDGEMENT,))
def anticipated_judgement(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """Client turns that pre-empt criticism ("you probably think I'm…").

    v2: the confidence is calibrated (Platt)."""
    spec = anticipated_judgement.spec
    return [
        spec.annotate(
            turn.index,
            keys.ANTICIPATES_JUDGEMENT,
            bool(turn.anticipates_judgement),
            confidence=turn.anticipates_judgement_prob,
        )
        for turn in prediction(conversation).turns
        if turn.role is SpeakerRole.CLIENT and turn.anticipates_judgement is not None
    ]


@component(name="therapist_stance", version=1, produces=(keys.STANCE,))
def therapist_stance(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """Curious (exploring) versus assuming or pressing, turn by turn."""
    spec = therapist_stance.spec
    return [
        spec.annotate(
            turn.index, keys.STANCE, turn.stance, confidence=(turn.stance_probs or {}).get(turn.stance)
        )
        for turn in prediction(conversation).turns
        if turn.role is SpeakerRole.THERAPIST and turn.stance is not None
    ]


@component(name="check_in", version=2, produces=(keys.CHECK_IN,))
def check_in(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """The therapist explicitly attends to how the session is landing ("how is this for you to hear?").

    v2: the confidence is calibrated (Platt)."""
    spec = check_in.spec
    return [
        spec.annotate(turn.index, keys.CHECK_IN, bool(turn.check_in), confidence=turn.check_in_prob)
        for turn in prediction(conversation).turns
        if turn.role is SpeakerRole.THERAPIST and turn.check_in is not None
    ]


@component(
    name="repair", version=7, requires=(keys.BEHAVIOUR, keys.MARKER, keys.STANCE), produces=(keys.REPAIR,)
)
def repair(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """For therapist turns after a marked client turn: the repair strategy, or none.

    As in the annotation guide, a therapist turn is a repair opportunity when the previous client turn,
    or one of the two client turns before it, carries a marker; other therapist turns get "n/a". A turn
    that presses (argues, lectures, warns) is not a repair whatever its words: the guide's "none" is
    "continues, argues, repeats".
    v4: the confidence is calibrated (Platt).
    v5: carrying on with the task (information, advice, negotiation in a neutral stance) is not a
    validation either. The repair head called turns like "Good, I'll print the form and you can start
    tonight", right after a deferential "Okay, if you think it's best", a validation, which told the
    therapist the moment was repaired when it was passed over. In the development data 2 of the 25
    such turns after a marker are validations.
    v6: a turn that states an assumption as fact is no repair either, like a pressing one: the report
    had called "You're clearly someone who can't handle criticism…" a validation.
    v7: with several clients, a turn answers only markers of the client it turns to (the last client to
    speak, or one it names; `analysis.addressee`): validating one partner had counted as repairing the
    other's withdrawal. Sessions with one client are labelled as before.
    """
    spec = repair.spec
    markers = annotations.by_turn(keys.MARKER)
    stances = annotations.by_turn(keys.STANCE)
    behaviours = annotations.by_turn(keys.BEHAVIOUR)
    found: list[Annotation] = []
    recent_clients: list[int] = []
    predictions = {turn.index: turn for turn in prediction(conversation).turns}
    turns = conversation.turns
    several = has_several_clients(turns)
    for turn in conversation.turns:
        if turn.role is SpeakerRole.CLIENT:
            recent_clients = [*recent_clients[-2:], turn.index]
            continue
        if turn.role is not SpeakerRole.THERAPIST:
            continue
        marked = [
            index
            for index in reversed(recent_clients)
            if markers.get(index) not in (None, "none")
            and answers(turns, turn.index, turns[index].speaker, several_clients=several)
        ]
        if not marked:
            found.append(spec.annotate(turn.index, keys.REPAIR, "n/a"))
            continue
        predicted = predictions[turn.index]
        value = predicted.repair if predicted.repair not in (None, "n/a") else "none"
        if stances.get(turn.index) in NOT_REPAIRING or _carries_on_with_the_task(
            value, behaviours.get(turn.index), stances.get(turn.index)
        ):
            value = "none"
        found.append(
            spec.annotate(turn.index, keys.REPAIR, value, confidence=predicted.repair_prob, evidence=marked)
        )
    return found


def _carries_on_with_the_task(strategy: object, behaviour: object, stance: object) -> bool:
    """A "validation" that only continues the task: information, advice or negotiation, neutrally put.

    Validating means empathising with the client's stance (the guide's wording); a turn that goes on
    with the plan without exploring has not done that, whatever the repair head read into it."""
    return strategy == "validation" and behaviour == "therapist_input" and stance == "neutral"
