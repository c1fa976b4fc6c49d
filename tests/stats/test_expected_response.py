import math

import pytest

from safeenough.stats.expected_response import (
    DEFAULT_CURVE_CHECKIN,
    EtrSource,
    PracticeReference,
    TrackStatus,
    client_expected_response,
    default_expected,
    expected_response,
)
from tests.stats.helpers import check_in, even_answers, history, phq9, safety


def test_without_enough_similar_clients_the_provisional_default_curve_is_used() -> None:
    etr = expected_response(phq9(), 15, PracticeReference(((15, 10),) * 29))
    assert etr is not None
    assert etr.source is EtrSource.DEFAULT
    assert etr.provisional
    assert etr.matched_clients == 29
    assert "Provisional default curve" in etr.basis
    assert "Howard et al. 1986" in etr.basis
    assert etr.point(1).expected == 15
    # One reliable-change value (6 points on PHQ-9) of improvement by check-in 8, log-shaped before it.
    assert etr.point(DEFAULT_CURVE_CHECKIN).expected == pytest.approx(9)
    assert etr.point(2).expected == pytest.approx(15 - 6 * math.log(2) / math.log(8))


def test_the_default_curve_expects_no_change_from_a_client_already_below_caseness() -> None:
    etr = expected_response(phq9(), 6)
    assert etr is not None
    assert {p.expected for p in etr.points} == {6}


def test_the_default_curve_never_expects_past_the_best_score() -> None:
    etr = expected_response(phq9(), 11, horizon=60)
    assert etr is not None
    assert min(p.expected for p in etr.points) >= 0
    assert all(p.lower >= 0 and p.upper <= 27 for p in etr.points)


def test_with_thirty_similar_clients_the_practices_own_mean_trajectory_is_used() -> None:
    similar = tuple((14 + (i % 3), 12, 10, 8) for i in range(30))  # intakes 14, 15, 16: all within ±1 of 15
    different = tuple((25, 25, 25, 25) for _ in range(50))
    etr = expected_response(phq9(), 15, PracticeReference(similar + different))
    assert etr is not None
    assert etr.source is EtrSource.PRACTICE
    assert not etr.provisional
    assert etr.matched_clients == 30
    assert [p.expected for p in etr.points[:4]] == [15, 12, 10, 8]
    assert etr.point(4).contributors == 30
    # Past the practice's data the last well-supported point carries forward.
    assert etr.point(10).expected == 8


def test_status_is_green_amber_or_red_by_distance_from_the_expected_score() -> None:
    etr = expected_response(phq9(), 15)
    assert etr is not None
    expected = etr.point(8).expected  # 9
    assert etr.status(8, expected - 1) is TrackStatus.ON_TRACK
    assert etr.status(8, expected + 3) is TrackStatus.BELOW_EXPECTED
    assert etr.status(8, expected + 6) is TrackStatus.NOT_ON_TRACK
    assert etr.alert_line(8) == pytest.approx(expected + 6)
    assert TrackStatus.NOT_ON_TRACK.colour == "red"


def test_the_band_for_a_higher_is_better_measure_lies_below_the_expected_line() -> None:
    etr = expected_response(safety(), 30)
    assert etr is not None
    point = etr.point(3)
    assert point.lower < point.expected < point.upper
    assert etr.alert_line(3) == point.lower


def test_an_instrument_without_a_reliable_change_value_has_no_etr() -> None:
    import dataclasses

    assert expected_response(dataclasses.replace(phq9(), reliable_change=None), 15) is None


def test_past_check_in_twenty_a_clients_expected_response_follows_the_curve_not_its_last_drawn_point() -> (
    None
):
    etr = client_expected_response(history(phq9(), [20] * 25), phq9())
    assert etr is not None
    assert etr.point(25).expected == pytest.approx(default_expected(phq9(), 20, 25))
    assert etr.point(25).expected < etr.point(20).expected


def test_a_clients_intake_is_their_first_session_even_when_its_check_in_came_back_later() -> None:
    later_session_sent_first = check_in(phq9(), even_answers(phq9(), 8), session=2, check_in_id=1)
    first_session_sent_later = check_in(phq9(), even_answers(phq9(), 20), session=1, check_in_id=2)
    etr = client_expected_response([later_session_sent_first, first_session_sent_later], phq9())
    assert etr is not None
    assert etr.intake == 20


def test_an_alliance_measure_has_no_expected_treatment_response_for_a_client() -> None:
    assert client_expected_response(history(safety(), [40, 42]), safety()) is None
