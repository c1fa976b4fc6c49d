"""MITI-style indicators from turn labels; results are built by hand, standing in for the models."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.analysis.indicators import Level, compute_indicators, level_of
from tests.builders import Labels, analysed


def q(kind: str) -> Labels:
    return {"behaviour": "question", "question": kind}


def r(kind: str) -> Labels:
    return {"behaviour": "reflection", "reflection": kind}


def test_reflection_to_question_ratio_of_two_to_one_is_good_by_miti_4() -> None:
    result = analysed(
        ("T", "What brings you?", q("open")),
        ("C", "Work.", {"talk_type": "neutral"}),
        ("T", "Work is weighing on you.", r("complex")),
        ("C", "Yes.", {}),
        ("T", "Work.", r("simple")),
        ("T", "And at home?", q("open")),
        ("T", "Nowhere feels restful.", r("complex")),
        ("T", "Tired.", r("simple")),
    )
    indicators = compute_indicators(result)
    assert indicators.reflection_to_question.value == 2.0
    assert indicators.reflection_to_question.display == "2 : 1"
    assert indicators.reflection_to_question.level is Level.GOOD
    assert "1:1 fair, 2:1 good" in indicators.reflection_to_question.threshold_note


def test_complex_reflections_between_forty_and_fifty_percent_are_fair() -> None:
    result = analysed(*(("T", "x", r("complex" if i < 9 else "simple")) for i in range(20)))
    indicator = compute_indicators(result).complex_reflection_share
    assert indicator.value == pytest.approx(0.45)
    assert indicator.level is Level.FAIR
    assert indicator.display == "45%"
    assert (indicator.fair, indicator.good) == (0.40, 0.50)


def test_open_question_share_says_miti_4_has_no_threshold_instead_of_inventing_one() -> None:
    result = analysed(("T", "How?", q("open")), ("T", "Is it?", q("closed")), ("T", "Why?", q("open")))
    indicator = compute_indicators(result).open_question_share
    assert indicator.value == pytest.approx(2 / 3)
    assert indicator.fair is None
    assert indicator.good is None
    assert indicator.level is Level.NO_THRESHOLD
    assert "no threshold" in indicator.threshold_note


def test_a_session_without_questions_has_no_ratio_and_says_not_enough_to_say() -> None:
    result = analysed(("T", "Hello.", {"behaviour": "other"}), ("C", "Hi.", {}))
    indicators = compute_indicators(result)
    for indicator in (
        indicators.reflection_to_question,
        indicators.open_question_share,
        indicators.complex_reflection_share,
        indicators.change_talk_share,
    ):
        assert indicator.value is None
        assert indicator.level is Level.NOT_ENOUGH_DATA
        assert indicator.display.startswith("not enough")
        assert "to say" in indicator.display


def test_reflections_without_questions_still_give_no_ratio_rather_than_infinity() -> None:
    indicator = compute_indicators(analysed(("T", "You feel stuck.", r("simple")))).reflection_to_question
    assert indicator.value is None
    assert "not enough to say" in indicator.display


def test_therapist_talk_share_counts_words_not_turns() -> None:
    result = analysed(("T", "one two three", {}), ("C", "a b c d e f g h i", {}), ("T", "?", {}))
    indicators = compute_indicators(result)
    assert indicators.therapist_words == 4
    assert indicators.client_words == 9
    assert indicators.therapist_talk_share.value == pytest.approx(4 / 13)


def test_change_talk_share_is_change_of_change_plus_sustain_and_neutral_is_left_out() -> None:
    result = analysed(
        ("C", "I want to stop.", {"talk_type": "change"}),
        ("C", "I could cut down.", {"talk_type": "change"}),
        ("C", "I like it though.", {"talk_type": "sustain"}),
        ("C", "It was Tuesday.", {"talk_type": "neutral"}),
    )
    indicators = compute_indicators(result)
    assert (indicators.change_talk, indicators.sustain_talk) == (2, 1)
    assert indicators.change_talk_share.value == pytest.approx(2 / 3)


def test_labels_on_turns_of_the_wrong_role_are_not_counted() -> None:
    result = analysed(("C", "Why?", q("open")), ("T", "I want to stop.", {"talk_type": "change"}))
    indicators = compute_indicators(result)
    assert indicators.questions == 0
    assert indicators.change_talk == 0


def test_every_indicator_explains_what_it_means_for_the_client_in_one_sentence() -> None:
    for indicator in compute_indicators(analysed(("T", "How?", q("open")))).all:
        assert indicator.meaning.endswith(".")
        assert indicator.meaning.count(". ") == 0
        assert "MITI" in indicator.threshold_note


def test_summary_uses_the_research_export_keys() -> None:
    summary = compute_indicators(analysed(("T", "How?", q("open")), ("C", "Well.", {}))).summary()
    assert set(summary) == {
        "reflection_to_question",
        "open_question_share",
        "complex_reflection_share",
        "therapist_talk_share",
        "change_talk",
        "sustain_talk",
    }


def test_a_ratio_from_fewer_than_five_turns_shows_its_value_but_no_miti_level() -> None:
    result = analysed(("T", "What brings you?", q("open")), ("C", "Work.", {}), ("T", "Work.", r("simple")))
    indicator = compute_indicators(result).reflection_to_question
    assert indicator.display == "1 : 1"
    assert indicator.level is Level.NOT_ENOUGH_DATA
    assert level_of(0.0, 1.0, 2.0, counted=4) is Level.NOT_ENOUGH_DATA
    assert level_of(0.0, 1.0, 2.0, counted=5) is Level.BELOW_FAIR


def test_level_of_a_value_exactly_on_a_threshold_reaches_it() -> None:
    assert level_of(1.0, 1.0, 2.0) is Level.FAIR
    assert level_of(2.0, 1.0, 2.0) is Level.GOOD
    assert level_of(0.99, 1.0, 2.0) is Level.BELOW_FAIR


therapist_labels = st.one_of(
    st.just({}),
    st.sampled_from(["open", "closed"]).map(q),
    st.sampled_from(["simple", "complex"]).map(r),
    st.just({"behaviour": "other"}),
)
client_labels = st.sampled_from(["change", "neutral", "sustain"]).map(lambda kind: {"talk_type": kind})
turn_strategy = st.one_of(
    st.tuples(st.just("T"), st.text(max_size=30), therapist_labels),
    st.tuples(st.just("C"), st.text(max_size=30), client_labels),
)


@given(st.lists(turn_strategy, max_size=30))
def test_ratio_is_never_negative_and_shares_stay_between_zero_and_one(
    turns: list[tuple[str, str, Labels]],
) -> None:
    indicators = compute_indicators(analysed(*turns))
    ratio = indicators.reflection_to_question.value
    assert ratio is None or ratio >= 0
    for indicator in indicators.all[1:]:
        assert indicator.value is None or 0.0 <= indicator.value <= 1.0
        assert indicator.display
