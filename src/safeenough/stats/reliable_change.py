"""Reliable change: is a difference between two scores bigger than measurement error?

Two tools:
- the reliable change index (RCI) of Jacobson & Truax (1991):
  RCI = (x2 − x1) / S_diff, with S_diff = √2 · SE and SE = SD · √(1 − r), i.e. S_diff = SD·√2·√(1 − r);
  |RCI| > 1.96 is unlikely (p < .05) to be measurement error alone;
- the instrument's reliable-change value (e.g. PHQ-9 ≥ 6, GAD-7 ≥ 4, IAPT 2011): a fixed number of
  points, which is what the alert rules use. Direction is the instrument's: "worse" is lower for an
  alliance measure and higher for PHQ-9.
"""

import math

from safeenough.domain.instrument import Instrument

RCI_CRITICAL = 1.96
"""Two-tailed 5% point of the normal distribution (Jacobson & Truax 1991)."""

_EPSILON = 1e-9


def standard_error_of_difference(sd: float, reliability: float) -> float:
    """S_diff = SD · √2 · √(1 − r) (Jacobson & Truax 1991)."""
    if not sd > 0:
        raise ValueError("sd must be greater than 0")
    if not 0 <= reliability < 1:
        raise ValueError("reliability must be in [0, 1)")
    return sd * math.sqrt(2) * math.sqrt(1 - reliability)


def reliable_change_index(before: float, after: float, *, sd: float, reliability: float) -> float:
    """RCI = (after − before) / S_diff (Jacobson & Truax 1991). Positive when the score went up."""
    return (after - before) / standard_error_of_difference(sd, reliability)


def is_reliable_change(before: float, after: float, *, sd: float, reliability: float) -> bool:
    """|RCI| > 1.96."""
    return abs(reliable_change_index(before, after, sd=sd, reliability=reliability)) > RCI_CRITICAL


def reliable_change_threshold(sd: float, reliability: float, *, critical: float = RCI_CRITICAL) -> float:
    """The smallest change in points that is reliable: critical · S_diff (e.g. for an instrument file)."""
    return critical * standard_error_of_difference(sd, reliability)


def worsening(instrument: Instrument, before: float, after: float) -> float:
    """How many points worse `after` is than `before` on this instrument (negative: better)."""
    return instrument.worsening(before, after)


def is_reliable_deterioration(instrument: Instrument, before: float, after: float) -> bool:
    """Worse by at least the instrument's reliable-change value (False if it has none)."""
    if instrument.reliable_change is None:
        return False
    return worsening(instrument, before, after) >= instrument.reliable_change.value - _EPSILON


def is_reliable_improvement(instrument: Instrument, before: float, after: float) -> bool:
    """Better by at least the instrument's reliable-change value (False if it has none)."""
    if instrument.reliable_change is None:
        return False
    return -worsening(instrument, before, after) >= instrument.reliable_change.value - _EPSILON
