"""The instruments we ship: their figures are pinned to the published sources cited in the files."""

import pytest

from safeenough.domain.instrument import (
    LOCAL_CODE_SYSTEM,
    LOINC_SYSTEM,
    CutoffAlert,
    InstrumentKind,
    ItemTheme,
)
from safeenough.instruments import GAD_7, PHQ_9, SAFETY_CHECKIN, builtin_instruments, load_catalogue
from safeenough.stats.scoring import score_answers


def test_we_ship_the_safety_check_in_phq_9_and_gad_7_with_ours_first() -> None:
    assert [i.id for i in builtin_instruments()] == [SAFETY_CHECKIN, GAD_7, PHQ_9]


def test_the_safety_check_in_is_ours_and_labelled_not_yet_validated() -> None:
    safety = load_catalogue().get(SAFETY_CHECKIN)
    assert safety.kind is InstrumentKind.ALLIANCE
    assert safety.higher_is_better
    assert not safety.validated
    assert len(safety.items) == 5
    assert all((item.minimum, item.maximum) == (0, 10) for item in safety.items)
    assert [item.theme for item in safety.items] == [
        ItemTheme.HEARD,
        ItemTheme.SAFE_TO_SPEAK,
        ItemTheme.GOALS,
        ItemTheme.APPROACH,
        ItemTheme.OVERALL,
    ]
    assert safety.free_text is not None
    assert safety.free_text.text == "Was there anything in this session that didn't sit right with you?"
    assert safety.cutoff is not None
    assert safety.cutoff.provisional
    assert safety.reliable_change is not None
    assert safety.reliable_change.provisional
    assert safety.codes.system == LOCAL_CODE_SYSTEM


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)  # fmt: skip
def test_phq_9_severity_bands_follow_kroenke_2001(total: int, band: str) -> None:
    phq9 = load_catalogue().get(PHQ_9)
    answers: dict[str, float | None] = {}
    left = total
    for item in phq9.items:
        answers[item.id] = float(min(3, left))
        left -= min(3, left)
    score = score_answers(phq9, answers)
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)  # fmt: skip
def test_gad_7_severity_bands_follow_spitzer_2006(total: int, band: str) -> None:
    gad7 = load_catalogue().get(GAD_7)
    answers: dict[str, float | None] = {}
    left = total
    for item in gad7.items:
        answers[item.id] = float(min(3, left))
        left -= min(3, left)
    score = score_answers(gad7, answers)
    assert (score.total, score.band) == (total, band)


def test_phq_9_worked_example_sums_item_scores() -> None:
    # "Several days" on items 1-4 (1 each), "More than half the days" on 5-6 (2 each), "Nearly every
    # day" on 7 (3), "Not at all" on 8-9: 4 + 4 + 3 = 11, moderate depression and caseness.
    phq9 = load_catalogue().get(PHQ_9)
    answers = {"1": 1, "2": 1, "3": 1, "4": 1, "5": 2, "6": 2, "7": 3, "8": 0, "9": 0}
    score = score_answers(phq9, answers)
    assert score.total == 11
    assert score.band == "moderate"
    assert phq9.beyond_cutoff(11)


def test_phq_9_and_gad_7_carry_their_loinc_codes_and_iapt_figures() -> None:
    catalogue = load_catalogue()
    phq9, gad7 = catalogue.get(PHQ_9), catalogue.get(GAD_7)
    assert (phq9.codes.system, phq9.codes.panel, phq9.codes.total) == (LOINC_SYSTEM, "44249-1", "44261-6")
    assert (gad7.codes.system, gad7.codes.panel, gad7.codes.total) == (LOINC_SYSTEM, "69737-5", "70274-6")
    assert phq9.reliable_change is not None
    assert phq9.reliable_change.value == 6
    assert gad7.reliable_change is not None
    assert gad7.reliable_change.value == 4
    assert "IAPT" in phq9.reliable_change.source
    assert "IAPT" in gad7.reliable_change.source
    assert phq9.cutoff is not None
    assert phq9.cutoff.value == 10
    assert gad7.cutoff is not None
    assert gad7.cutoff.value == 8
    assert phq9.cutoff.alert is CutoffAlert.ON_CROSSING
    assert not phq9.higher_is_better
    assert not gad7.higher_is_better
    assert phq9.validated
    assert gad7.validated
    assert "Pfizer" in phq9.licence
    assert "Pfizer" in (phq9.attribution or "")


def test_phq_9_item_9_raises_a_high_severity_alert_on_any_endorsement() -> None:
    item9 = load_catalogue().get(PHQ_9).item("9")
    assert item9.theme is ItemTheme.SELF_HARM
    assert item9.alert_threshold == 1
    assert item9.alert_severity.value == "high"


def test_every_shipped_figure_names_its_source() -> None:
    for instrument in builtin_instruments():
        if instrument.cutoff is not None:
            assert instrument.cutoff.source.strip()
        if instrument.reliable_change is not None:
            assert instrument.reliable_change.source.strip()
        assert instrument.licence.strip()
