import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.stats.reliable_change import (
    is_reliable_change,
    is_reliable_deterioration,
    is_reliable_improvement,
    reliable_change_index,
    reliable_change_threshold,
    standard_error_of_difference,
)
from tests.stats.helpers import phq9, safety


def test_the_rci_divides_the_change_by_the_standard_error_of_the_difference() -> None:
    # Jacobson & Truax 1991: S_diff = SD·√2·√(1 − r). With SD 7.5 and r .88, S_diff ≈ 3.674.
    assert standard_error_of_difference(7.5, 0.88) == pytest.approx(7.5 * math.sqrt(2) * math.sqrt(0.12))
    assert reliable_change_index(30, 20, sd=7.5, reliability=0.88) == pytest.approx(-10 / 3.674, rel=1e-3)
    assert is_reliable_change(30, 20, sd=7.5, reliability=0.88)
    assert not is_reliable_change(30, 25, sd=7.5, reliability=0.88)


def test_the_reliable_change_threshold_is_196_standard_errors() -> None:
    threshold = reliable_change_threshold(7.5, 0.88)
    assert threshold == pytest.approx(1.96 * standard_error_of_difference(7.5, 0.88))


def test_impossible_reliabilities_are_refused() -> None:
    with pytest.raises(ValueError, match="reliability"):
        standard_error_of_difference(5, 1.0)
    with pytest.raises(ValueError, match="sd"):
        standard_error_of_difference(0, 0.8)


def test_phq_9_deteriorates_reliably_when_it_rises_by_six_or_more() -> None:
    assert is_reliable_deterioration(phq9(), 8, 14)
    assert not is_reliable_deterioration(phq9(), 8, 13)
    assert is_reliable_improvement(phq9(), 14, 8)


def test_the_safety_check_in_deteriorates_when_it_falls_by_the_provisional_five() -> None:
    assert is_reliable_deterioration(safety(), 48, 43)
    assert not is_reliable_deterioration(safety(), 43, 48)


@given(
    before=st.floats(-100, 100),
    after=st.floats(-100, 100),
    sd=st.floats(0.1, 50),
    reliability=st.floats(0, 0.99),
)
def test_the_rci_is_antisymmetric(before: float, after: float, sd: float, reliability: float) -> None:
    forward = reliable_change_index(before, after, sd=sd, reliability=reliability)
    backward = reliable_change_index(after, before, sd=sd, reliability=reliability)
    assert forward == pytest.approx(-backward, abs=1e-9)
