import pytest

from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.validation import DomainError


def annotation(**changes):
    fields = {
        "target_turn": 2,
        "key": "behaviour",
        "value": "question",
        "confidence": 0.9,
        "evidence": (1, 2),
        "produced_by": "therapist_behaviour.v1",
    }
    return Annotation(**(fields | changes))


def test_annotation_is_frozen_and_hashable():
    item = annotation()

    with pytest.raises(AttributeError):
        item.key = "other"  # type: ignore[misc]
    assert hash(item) == hash(annotation())


def test_annotation_evidence_given_as_a_list_is_stored_as_a_tuple():
    assert annotation(evidence=[3, 4]).evidence == (3, 4)


def test_session_level_annotation_has_no_target_turn():
    item = annotation(target_turn=None, key="quality", value=0.83)

    assert item.is_session_level
    assert item.turns_referenced == (1, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_turn": -1}, "target turn must be 0 or more"),
        ({"key": "Behaviour Label"}, "key must be lower-case"),
        ({"value": float("nan")}, "finite number"),
        ({"value": [1, 2]}, "value must be a string, number, bool or None"),
        ({"confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"evidence": (-1,)}, "evidence must be turn indices"),
        ({"produced_by": "therapist_behaviour"}, "versioned component name like 'rupture_markers.v1'"),
    ],
)
def test_annotation_refuses_impossible_values(changes, message):
    with pytest.raises(DomainError, match=message):
        annotation(**changes)


def test_annotation_set_looks_up_by_key_turn_and_producer():
    items = AnnotationSet(
        (
            annotation(target_turn=0, value="question"),
            annotation(target_turn=1, value="reflection"),
            annotation(target_turn=None, key="quality", value=0.7, produced_by="quality.v1"),
        )
    )

    assert items.by_turn("behaviour") == {0: "question", 1: "reflection"}
    assert items.value("quality") == 0.7
    assert items.value("behaviour", 1) == "reflection"
    assert len(items.produced_by("quality.v1")) == 1
    assert items.keys() == ("behaviour", "quality")
    assert len(items.for_turn(0) + items.session_level()) == 2


def test_annotation_set_gives_whole_annotations_by_turn_so_their_confidence_can_be_read():
    first = annotation(target_turn=0, confidence=0.3)
    items = AnnotationSet((first, annotation(target_turn=0, confidence=0.8), annotation(target_turn=None)))

    assert items.annotations_by_turn("behaviour") == {0: first}
