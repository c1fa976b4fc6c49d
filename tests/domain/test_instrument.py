import pytest

from safeenough.domain.alert import AlertSeverity
from safeenough.domain.instrument import (
    LOCAL_CODE_SYSTEM,
    Anchor,
    Codes,
    Cutoff,
    FreeTextItem,
    Instrument,
    InstrumentKind,
    Item,
    ReliableChange,
    Scoring,
    ScoringMethod,
    SeverityBand,
    Subscale,
    format_number,
)
from safeenough.domain.validation import DomainError


def item(item_id: str = "a", **kwargs: object) -> Item:
    fields: dict[str, object] = {
        "id": item_id,
        "text": f"Question {item_id}",
        "minimum": 0.0,
        "maximum": 10.0,
    }
    fields.update(kwargs)
    return Item(**fields)  # type: ignore[arg-type]


def instrument(**kwargs: object) -> Instrument:
    fields: dict[str, object] = {
        "id": "test",
        "version": "1",
        "title": "Test",
        "kind": InstrumentKind.ALLIANCE,
        "items": (item("a"), item("b")),
        "higher_is_better": True,
        "licence": "ours",
        "validated": False,
        "codes": Codes.local("test"),
    }
    fields.update(kwargs)
    return Instrument(**fields)  # type: ignore[arg-type]


def test_an_item_scale_must_run_upwards() -> None:
    with pytest.raises(DomainError, match="maximum must be greater than its minimum"):
        item(minimum=5.0, maximum=5.0)


def test_anchors_and_item_thresholds_must_lie_on_the_scale() -> None:
    with pytest.raises(DomainError, match="anchor 11"):
        item(anchors=(Anchor(11, "too high"),))
    with pytest.raises(DomainError, match="alert threshold"):
        item(alert_threshold=-1.0)


def test_a_reverse_scored_item_scores_the_mirror_of_the_answer() -> None:
    assert item(reverse_scored=True).score(2) == 8
    assert item().score(2) == 2


def test_an_item_accepts_only_answers_on_its_steps() -> None:
    whole = item()
    assert whole.accepts(3)
    assert not whole.accepts(3.5)
    assert not whole.accepts(11)
    assert item(step=None).accepts(3.47)


def test_item_ids_must_be_unique() -> None:
    with pytest.raises(DomainError, match="repeated item ids"):
        instrument(items=(item("a"), item("a")))


def test_the_free_text_question_cannot_share_an_item_id() -> None:
    with pytest.raises(DomainError, match="repeats a scored item"):
        instrument(free_text=FreeTextItem("a", "Anything else?"))


def test_subscales_must_name_existing_items() -> None:
    with pytest.raises(DomainError, match="unknown items: z"):
        instrument(scoring=Scoring(subscales=(Subscale("s", "Sub", ("a", "z")),)))


def test_the_missing_item_rule_must_leave_at_least_one_item() -> None:
    with pytest.raises(DomainError, match="max_missing"):
        instrument(scoring=Scoring(max_missing=2))


def test_severity_bands_must_ascend() -> None:
    with pytest.raises(DomainError, match="ascending"):
        instrument(bands=(SeverityBand("high", 10), SeverityBand("low", 0)))


def test_the_cut_off_must_lie_within_the_possible_totals() -> None:
    with pytest.raises(DomainError, match="outside the total range"):
        instrument(cutoff=Cutoff(25, source="test"))


def test_a_reliable_change_value_needs_a_source_and_a_positive_size() -> None:
    with pytest.raises(DomainError, match="greater than 0"):
        ReliableChange(0, "somewhere")
    with pytest.raises(DomainError, match="source"):
        ReliableChange(5, " ")


def test_total_range_follows_the_scoring_method() -> None:
    assert instrument().total_range == (0, 20)
    assert instrument(scoring=Scoring(method=ScoringMethod.MEAN)).total_range == (0, 10)


def test_worse_means_lower_for_alliance_and_higher_for_symptoms() -> None:
    alliance = instrument(cutoff=Cutoff(15, source="test"))
    symptoms = instrument(
        higher_is_better=False, kind=InstrumentKind.SYMPTOM, cutoff=Cutoff(10, source="test")
    )
    assert alliance.worsening(18, 12) == 6
    assert symptoms.worsening(12, 18) == 6
    assert alliance.beyond_cutoff(15)
    assert not alliance.beyond_cutoff(16)
    assert symptoms.beyond_cutoff(10)
    assert not symptoms.beyond_cutoff(9)
    assert alliance.best_total == 20
    assert symptoms.best_total == 0


def test_an_exclusive_cut_off_excludes_the_value_itself() -> None:
    ors_like = instrument(cutoff=Cutoff(15, source="test", inclusive=False))
    assert not ors_like.beyond_cutoff(15)
    assert ors_like.beyond_cutoff(14.9)


def test_the_band_is_the_one_with_the_largest_minimum_at_or_below_the_total() -> None:
    banded = instrument(bands=(SeverityBand("low", 0), SeverityBand("mid", 5), SeverityBand("high", 10)))
    assert banded.band_for(4.9).label == "low"  # type: ignore[union-attr]
    assert banded.band_for(5).label == "mid"  # type: ignore[union-attr]
    assert banded.band_for(20).label == "high"  # type: ignore[union-attr]


def test_instruments_without_loinc_codes_use_our_one_local_code_system() -> None:
    codes = Codes.local("srs")
    assert codes.system == LOCAL_CODE_SYSTEM == "https://safeenough.org/fhir/CodeSystem/instruments"
    assert (codes.panel, codes.total) == ("srs", "srs-total")


def test_item_alert_severity_defaults_to_medium() -> None:
    assert item().alert_severity is AlertSeverity.MEDIUM


def test_numbers_in_rules_read_naturally() -> None:
    assert format_number(12.0) == "12"
    assert format_number(12.25) == "12.2"
    assert format_number(-3) == "-3"
