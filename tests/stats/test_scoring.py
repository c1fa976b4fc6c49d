import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.domain.checkin import CheckIn
from safeenough.domain.instrument import (
    Codes,
    Instrument,
    InstrumentKind,
    Item,
    Scoring,
    ScoringMethod,
    Subscale,
)
from safeenough.errors import InvalidInput
from safeenough.stats.scoring import answer_problems, score_answers, score_checkin
from tests.stats.helpers import gad7, phq9, safety

SHIPPED = [safety(), phq9(), gad7()]


def custom(
    *,
    reverse: tuple[bool, ...] = (False, False, False, False),
    method: ScoringMethod = ScoringMethod.SUM,
    max_missing: int = 1,
    step: float | None = 1.0,
) -> Instrument:
    """Four 1–5 items (some reverse-scored) with two subscales."""
    items = tuple(
        Item(id=f"i{n}", text=f"Question {n}", minimum=1, maximum=5, reverse_scored=r, step=step)
        for n, r in enumerate(reverse, start=1)
    )
    return Instrument(
        id="custom", version="1", title="Custom", kind=InstrumentKind.ALLIANCE, items=items,
        higher_is_better=True, licence="test", validated=False, codes=Codes.local("custom"),
        scoring=Scoring(method=method, max_missing=max_missing, subscales=(
            Subscale("first", "First", ("i1", "i2")),
            Subscale("second", "Second", ("i3", "i4"), max_missing=1),
        )),
    )  # fmt: skip


def complete_answers(instrument: Instrument) -> st.SearchStrategy[dict[str, float | None]]:
    return st.fixed_dictionaries(
        {item.id: st.integers(int(item.minimum), int(item.maximum)).map(float) for item in instrument.items}
    )


def answers_with_gaps(instrument: Instrument) -> st.SearchStrategy[dict[str, float | None]]:
    return st.fixed_dictionaries(
        {
            item.id: st.none() | st.integers(int(item.minimum), int(item.maximum)).map(float)
            for item in instrument.items
        }
    )


def test_a_complete_safety_check_in_scores_the_sum_of_its_items() -> None:
    score = score_answers(safety(), {"heard": 9, "safe_to_speak": 6, "goals": 8, "approach": 9, "overall": 8})
    assert score.total == 40
    assert score.scorable
    assert not score.prorated
    assert score.item_scores["safe_to_speak"] == 6
    assert score.missing_items == ()


def test_one_missing_safety_item_is_prorated_and_two_make_it_unscorable() -> None:
    prorated = score_answers(
        safety(), {"heard": 8, "safe_to_speak": 6, "goals": 8, "approach": None, "overall": 8}
    )
    assert prorated.total == 38  # 37.5, to the nearest whole point, halves up
    assert prorated.prorated
    assert prorated.missing_items == ("approach",)
    unscorable = score_answers(safety(), {"heard": 8, "safe_to_speak": 6, "goals": 8})
    assert unscorable.total is None
    assert not unscorable.scorable
    assert (
        unscorable.unscorable_reason
        == "2 of 5 items unanswered; the total can be prorated with at most 1 missing"
    )
    assert unscorable.band is None


def test_subscales_follow_their_own_missing_item_rule() -> None:
    score = score_answers(custom(), {"i1": 5, "i2": None, "i3": 4, "i4": None})
    assert score.total is None  # two of four missing, one allowed
    assert score.subscale_scores == {"first": None, "second": 8}


def test_mean_scoring_averages_the_answered_items() -> None:
    score = score_answers(custom(method=ScoringMethod.MEAN), {"i1": 5, "i2": 4, "i3": None, "i4": 3})
    assert score.total == pytest.approx(4)
    assert score.prorated
    assert score.subscale_scores == {"first": pytest.approx(4.5), "second": 3}


def test_answers_off_the_scale_or_for_unknown_items_are_refused() -> None:
    with pytest.raises(InvalidInput, match="heard: must be between 0 and 10"):
        score_answers(safety(), {"heard": 11})
    assert answer_problems(safety(), {"trust": 3, "goals": 4.5}) == {
        "trust": "safeenough Safety Check-in has no question 'trust'",
        "goals": "must be a whole step of 1 on the scale 0–10",
    }


def test_a_check_in_is_scored_only_against_its_own_instrument() -> None:
    made = CheckIn(1, 1, 1, "phq-9", datetime(2026, 1, 1, tzinfo=UTC), {"1": 2})
    with pytest.raises(InvalidInput, match="is for 'phq-9', not 'gad-7'"):
        score_checkin(made, gad7())


@pytest.mark.parametrize("instrument", SHIPPED, ids=lambda i: i.id)
@given(data=st.data())
def test_a_scorable_total_always_lies_within_the_instruments_range(
    instrument: Instrument, data: st.DataObject
) -> None:
    score = score_answers(instrument, data.draw(answers_with_gaps(instrument)))
    if score.total is not None:
        low, high = instrument.total_range
        assert low <= score.total <= high
        assert score.band == (instrument.band_for(score.total).label if instrument.bands else None)  # type: ignore[union-attr]


@pytest.mark.parametrize("instrument", SHIPPED, ids=lambda i: i.id)
@given(data=st.data())
def test_prorating_scales_the_mean_of_answered_items_and_gives_up_past_the_rule(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(answers_with_gaps(instrument))
    answered = [v for v in answers.values() if v is not None]
    missing = len(instrument.items) - len(answered)
    score = score_answers(instrument, answers)
    if missing > instrument.scoring.max_missing:
        assert score.total is None
    else:
        exact = sum(answered) / len(answered) * len(instrument.items)
        # The shipped instruments score whole points: a prorated total is the nearest one, halves up.
        assert score.total == math.floor(exact + 0.5 + 1e-9)
        assert score.prorated == (missing > 0)


@pytest.mark.parametrize("instrument", SHIPPED, ids=lambda i: i.id)
@given(data=st.data())
def test_raising_one_answer_never_lowers_the_total(instrument: Instrument, data: st.DataObject) -> None:
    answers = data.draw(complete_answers(instrument))
    item = data.draw(st.sampled_from(instrument.items))
    current = answers[item.id]
    assert current is not None
    higher = data.draw(st.integers(int(current), int(item.maximum)).map(float))
    before = score_answers(instrument, answers).total
    after = score_answers(instrument, {**answers, item.id: higher}).total
    assert before is not None
    assert after is not None
    assert after >= before


@given(
    reverse=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
    answers=st.tuples(*[st.integers(1, 5)] * 4),
)
def test_reverse_scoring_an_answer_equals_scoring_its_mirror(
    reverse: tuple[bool, bool, bool, bool], answers: tuple[int, int, int, int]
) -> None:
    reversed_instrument = custom(reverse=reverse)
    plain = custom()
    given_answers = {f"i{n}": float(a) for n, a in enumerate(answers, start=1)}
    mirrored = {
        f"i{n}": float(6 - a if r else a)
        for n, (a, r) in enumerate(zip(answers, reverse, strict=True), start=1)
    }
    assert score_answers(reversed_instrument, given_answers) == score_answers(plain, mirrored)


@given(answers=st.tuples(*[st.integers(1, 5)] * 4))
def test_reversing_every_item_mirrors_the_total(answers: tuple[int, int, int, int]) -> None:
    given_answers = {f"i{n}": float(a) for n, a in enumerate(answers, start=1)}
    plain = score_answers(custom(), given_answers).total
    reversed_total = score_answers(custom(reverse=(True,) * 4), given_answers).total
    assert plain is not None
    assert reversed_total is not None
    low, high = custom().total_range
    assert reversed_total == pytest.approx(low + high - plain)


def test_a_prorated_phq9_total_is_rounded_to_a_whole_point_so_it_falls_in_one_severity_band() -> None:
    answers: dict[str, float | None] = dict.fromkeys(phq9().item_ids, 1.0)
    answers.update({"1": 3.0, "2": 3.0, "3": 2.0, "9": None})  # 13 over 8 items: 14.625 prorated
    score = score_answers(phq9(), answers)
    assert score.total == 15
    assert score.band == "moderately severe"
    assert score.prorated


def test_a_prorated_total_on_a_visual_analogue_line_keeps_its_fraction() -> None:
    line = custom(step=None)
    score = score_answers(line, {"i1": 4.5, "i2": 4, "i3": None, "i4": 3})
    assert score.total == pytest.approx(11.5 / 3 * 4)
