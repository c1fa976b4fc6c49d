"""Small builders the tests share."""

from collections.abc import Mapping
from dataclasses import replace

from safeenough.analysis import AnalysisResult
from safeenough.domain.annotation import Annotation, AnnotationSet, AnnotationValue
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.practice import Practice
from safeenough.storage.fixtures import DEMO_PASSWORD


def login(practice: Practice, username: str, password: str = DEMO_PASSWORD) -> Clinician:
    return practice.authenticate(username, password, client_address="test")


Labels = dict[str, AnnotationValue]


def analysed(*turns: tuple[str, str, Labels]) -> AnalysisResult:
    """A labelled session built by hand, standing in for the models.

    Turns are ("T" or "C", text, labels); the labels become annotations of a test component.
    """
    built = tuple(
        Turn(
            index=i,
            speaker="Therapist" if who == "T" else "Client",
            role=SpeakerRole.THERAPIST if who == "T" else SpeakerRole.CLIENT,
            text=text,
        )
        for i, (who, text, _) in enumerate(turns)
    )
    annotations = tuple(
        Annotation(i, key, value, None, (), "test_labels.v1")
        for i, (_, _, labels) in enumerate(turns)
        for key, value in labels.items()
    )
    return AnalysisResult(Conversation("s1", built), AnnotationSet(annotations), ("test_labels.v1",))


def with_speakers(result: AnalysisResult, speakers: Mapping[int, str]) -> AnalysisResult:
    """The same session with some turns given a speaker's name (e.g. two partners of a couple)."""
    turns = tuple(
        replace(turn, speaker=speakers.get(turn.index, turn.speaker)) for turn in result.conversation.turns
    )
    return replace(result, conversation=replace(result.conversation, turns=turns))
