"""The research export's confidence keys, from annotations built by hand."""

from safeenough.analysis import keys
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.research_export import turn_records
from safeenough.domain.annotation import Annotation, AnnotationSet
from tests.builders import analysed


def exported(*found: Annotation) -> list[dict[str, object]]:
    conversation = analysed(
        ("T", "Would you try a sleep diary?", {}),
        ("C", "Okay. Sure.", {}),
        ("T", "Can I check how that landed?", {}),
    ).conversation
    return list(turn_records(AnalysisResult(conversation, AnnotationSet(found), ())))


def test_a_calibrated_confidence_is_exported_beside_its_label() -> None:
    records = exported(
        Annotation(1, keys.MARKER, "withdrawal", 0.31, (), "rupture_markers.v3"),
        Annotation(1, keys.ANTICIPATES_JUDGEMENT, False, 0.02, (), "anticipated_judgement.v2"),
        Annotation(2, keys.CHECK_IN, True, 0.83, (), "check_in.v2"),
        Annotation(2, keys.REPAIR, "metacommunication", 0.55, (1,), "repair.v4"),
    )
    assert records[1]["marker"] == "withdrawal"
    assert records[1]["marker_confidence"] == 0.31
    assert records[1]["anticipates_judgement_confidence"] == 0.02
    assert records[2]["check_in_confidence"] == 0.83
    assert records[2]["repair_confidence"] == 0.55


def test_a_confidence_from_before_calibration_is_exported_as_null() -> None:
    records = exported(
        Annotation(1, keys.MARKER, "withdrawal", 0.71, (), "rupture_markers.v2"),
        Annotation(2, keys.CHECK_IN, True, 0.9, (), "check_in.v1"),
    )
    assert records[1]["marker"] == "withdrawal"
    assert records[1]["marker_confidence"] is None
    assert records[2]["check_in_confidence"] is None


def test_confidence_keys_of_the_other_role_are_null() -> None:
    records = exported(Annotation(1, keys.MARKER, "none", 0.05, (), "rupture_markers.v3"))
    therapist, client = records[0], records[1]
    assert therapist["marker_confidence"] is None
    assert therapist["anticipates_judgement_confidence"] is None
    assert client["check_in_confidence"] is None
    assert client["repair_confidence"] is None
