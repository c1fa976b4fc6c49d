"""What the therapist did and how the client responded (MITI / MISC-style codes, trained on AnnoMI)."""

from safeenough.analysis import keys
from safeenough.analysis.component import component
from safeenough.analysis.components._shared import prediction
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation, SpeakerRole

SUB_LABEL_KEY = {"reflection": keys.REFLECTION, "question": keys.QUESTION, "therapist_input": keys.INPUT}


@component(
    name="therapist_behaviour",
    version=1,
    produces=(keys.BEHAVIOUR, keys.QUESTION, keys.REFLECTION, keys.INPUT),
)
def therapist_behaviour(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    spec = therapist_behaviour.spec
    found: list[Annotation] = []
    for turn in prediction(conversation).turns:
        if turn.role is not SpeakerRole.THERAPIST or turn.behaviour is None:
            continue
        confidence = (turn.behaviour_probs or {}).get(turn.behaviour)
        found.append(spec.annotate(turn.index, keys.BEHAVIOUR, turn.behaviour, confidence=confidence))
        sub_key = SUB_LABEL_KEY.get(turn.behaviour)
        if sub_key is not None and turn.sub_label is not None:
            found.append(spec.annotate(turn.index, sub_key, turn.sub_label, confidence=turn.sub_label_prob))
    return found


@component(name="client_talk", version=1, produces=(keys.TALK_TYPE,))
def client_talk(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    spec = client_talk.spec
    return [
        spec.annotate(
            turn.index,
            keys.TALK_TYPE,
            turn.talk_type,
            confidence=(turn.talk_type_probs or {}).get(turn.talk_type),
        )
        for turn in prediction(conversation).turns
        if turn.role is SpeakerRole.CLIENT and turn.talk_type is not None
    ]


@component(name="session_quality", version=2, produces=(keys.QUALITY,))
def session_quality(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    """How much the session reads like high-quality, client-centred counselling, in [0, 1].

    Only for a conversation between a therapist and a client: a monologue is no session to judge.
    """
    spec = session_quality.spec
    roles = {turn.role for turn in conversation.turns}
    if not {SpeakerRole.THERAPIST, SpeakerRole.CLIENT} <= roles:
        return []
    return [spec.annotate(None, keys.QUALITY, float(prediction(conversation).quality))]
