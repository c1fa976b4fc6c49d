"""Expected treatment response (ETR): where a client with this intake score would usually be by now.

Practice curve (preferred). Following the ETR used with PCOMS (MyOutcomes, OpenFIT): take the
practice's earlier clients whose intake score (first check-in) was within ±1 of this client's, and
average their scores check-in by check-in. Points are indexed by check-in number (1 = intake), not by
session number, so a missed check-in does not shift the curve. A point needs at least 10 contributing
clients; later points carry the last well-supported value forward.

Default curve (provisional fallback, used while the practice has fewer than 30 such clients). It is a
documented assumption, not a norm, and is labelled as such wherever it is drawn:
- expected improvement grows with the logarithm of the check-in number (negatively accelerated change:
  the log-linear shape of expected recovery curves, Finch, Lambert & Schaalje 2001; most change comes
  early, Howard, Kopta, Krause & Orlinsky 1986, about half of clients measurably improved by session 8);
- it reaches one reliable-change value of the instrument at the 8th check-in (the dose at which Howard
  et al. 1986 found half of clients improved), i.e. improvement(n) = RC · ln(n) / ln(8);
- a client whose intake is already on the healthy side of the cut-off is expected to hold steady;
- the curve never goes past the best possible score.

Both curves carry a band of ± one reliable-change value. Green: at or better than expected. Amber:
worse than expected, by less than the reliable-change value. Red (not on track): worse by at least it.
Alerts fire on red only.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from safeenough.domain.checkin import ScoredCheckIn
from safeenough.domain.instrument import Instrument, InstrumentKind, format_number
from safeenough.stats.baseline import chronological

PRACTICE_MIN_CLIENTS = 30
"""Fewer matched earlier clients than this: use the default curve."""
INTAKE_WINDOW = 1.0
"""Earlier clients match when their intake is within ± this many points (MyOutcomes/OpenFIT)."""
MIN_CONTRIBUTORS = 10
"""A practice-curve point needs this many matched clients with that many check-ins."""
DEFAULT_HORIZON = 20
DEFAULT_CURVE_CHECKIN = 8
"""The default curve reaches one reliable-change value of improvement here (Howard et al. 1986)."""

_EPSILON = 1e-9


class EtrSource(StrEnum):
    PRACTICE = "practice"
    DEFAULT = "default"


class TrackStatus(StrEnum):
    ON_TRACK = "on_track"
    BELOW_EXPECTED = "below_expected"
    NOT_ON_TRACK = "not_on_track"

    @property
    def colour(self) -> str:
        return {"on_track": "green", "below_expected": "amber", "not_on_track": "red"}[self.value]


@dataclass(frozen=True, slots=True)
class PracticeReference:
    """The practice's earlier clients on one instrument: each one's totals in check-in order."""

    trajectories: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "trajectories", tuple(tuple(float(v) for v in t) for t in self.trajectories if t)
        )


@dataclass(frozen=True, slots=True)
class EtrPoint:
    """The expected score at check-in `number`, with the band drawn around it (lower ≤ upper)."""

    number: int
    expected: float
    lower: float
    upper: float
    contributors: int = 0


@dataclass(frozen=True, slots=True)
class ExpectedResponse:
    instrument_id: str
    intake: float
    source: EtrSource
    matched_clients: int
    margin: float
    higher_is_better: bool
    points: tuple[EtrPoint, ...]
    basis: str

    @property
    def provisional(self) -> bool:
        return self.source is EtrSource.DEFAULT

    def point(self, number: int) -> EtrPoint:
        """The point for check-in `number` (past the end of the curve: its last point)."""
        if number < 1:
            raise ValueError("check-in numbers start at 1")
        return self.points[min(number, len(self.points)) - 1]

    def shortfall(self, number: int, total: float) -> float:
        """How many points worse than expected the total is (negative: better than expected)."""
        expected = self.point(number).expected
        return expected - total if self.higher_is_better else total - expected

    def status(self, number: int, total: float) -> TrackStatus:
        shortfall = self.shortfall(number, total)
        if shortfall >= self.margin - _EPSILON:
            return TrackStatus.NOT_ON_TRACK
        if shortfall > _EPSILON:
            return TrackStatus.BELOW_EXPECTED
        return TrackStatus.ON_TRACK

    def alert_line(self, number: int) -> float:
        """The score at or beyond which the client is not on track at this check-in."""
        point = self.point(number)
        return point.lower if self.higher_is_better else point.upper


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def default_expected(instrument: Instrument, intake: float, number: int) -> float:
    """The provisional default curve at check-in `number` (see the module docstring)."""
    rc = instrument.reliable_change
    if rc is None or number <= 1:
        return intake
    if instrument.cutoff is not None and not instrument.beyond_cutoff(intake):
        return intake  # already on the healthy side of the cut-off: expected to hold steady
    improvement = rc.value * math.log(number) / math.log(DEFAULT_CURVE_CHECKIN)
    expected = intake + improvement if instrument.higher_is_better else intake - improvement
    low, high = instrument.total_range
    # Never expect past the best possible score, and never expect a client to get worse.
    if instrument.higher_is_better:
        return _clamp(expected, intake, max(high, intake))
    return _clamp(expected, min(low, intake), intake)


def _band(instrument: Instrument, number: int, expected: float, margin: float, contributors: int) -> EtrPoint:
    low, high = instrument.total_range
    return EtrPoint(
        number=number,
        expected=expected,
        lower=_clamp(expected - margin, low, high),
        upper=_clamp(expected + margin, low, high),
        contributors=contributors,
    )


def expected_response(
    instrument: Instrument,
    intake: float,
    reference: PracticeReference | None = None,
    *,
    horizon: int = DEFAULT_HORIZON,
    intake_window: float = INTAKE_WINDOW,
    min_clients: int = PRACTICE_MIN_CLIENTS,
) -> ExpectedResponse | None:
    """The ETR curve (check-ins 1…horizon) for a client with this intake score.

    Uses the practice's earlier clients with an intake within ±`intake_window` when there are at least
    `min_clients` of them, else the provisional default curve. None when the instrument has no
    reliable-change value, which both the band and the default curve need. Leave the client themself
    out of `reference`.
    """
    rc = instrument.reliable_change
    if rc is None:
        return None
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    margin = rc.value
    trajectories = reference.trajectories if reference is not None else ()
    matched = [t for t in trajectories if abs(t[0] - intake) <= intake_window + _EPSILON]
    points: list[EtrPoint] = []
    if len(matched) >= min_clients:
        last = sum(t[0] for t in matched) / len(matched)
        for number in range(1, horizon + 1):
            values = [t[number - 1] for t in matched if len(t) >= number]
            if len(values) >= MIN_CONTRIBUTORS:
                last = sum(values) / len(values)
            points.append(_band(instrument, number, last, margin, len(values)))
        basis = (
            f"Mean trajectory of {len(matched)} earlier clients of this practice whose intake score was "
            f"within ±{format_number(intake_window)} of {format_number(intake)}; band ± the reliable-change "
            f"value ({format_number(margin)})."
        )
        source = EtrSource.PRACTICE
    else:
        for number in range(1, horizon + 1):
            points.append(_band(instrument, number, default_expected(instrument, intake, number), margin, 0))
        basis = (
            f"Provisional default curve: the practice has {len(matched)} earlier clients with a similar "
            f"intake score ({min_clients} are needed for its own curve). Expected improvement grows with the "
            f"logarithm of the check-in number and reaches one reliable-change value "
            f"({format_number(margin)} points) at check-in {DEFAULT_CURVE_CHECKIN} (log-linear expected "
            "recovery, Finch, Lambert & Schaalje 2001; dose-effect, Howard et al. 1986). No change is "
            "expected when the intake score is already on the healthy side of the cut-off."
        )
        source = EtrSource.DEFAULT
    return ExpectedResponse(
        instrument_id=instrument.id,
        intake=intake,
        source=source,
        matched_clients=len(matched),
        margin=margin,
        higher_is_better=instrument.higher_is_better,
        points=tuple(points),
        basis=basis,
    )


def trajectory(totals: Sequence[float | None]) -> tuple[float, ...]:
    """A client's scorable totals in check-in order, as the practice reference wants them."""
    return tuple(float(t) for t in totals if t is not None)


def client_expected_response(
    history: Sequence[ScoredCheckIn], instrument: Instrument, reference: PracticeReference | None = None
) -> ExpectedResponse | None:
    """The ETR curve for one client's history on one instrument, as the alert rules judge it and as the
    case page draws it: the intake is the first scorable check-in in session order (not the first one
    sent back), and the curve runs at least as far as the client's scorable check-ins, so a point past
    check-in `DEFAULT_HORIZON` is on the curve itself, not its last drawn point. None for alliance
    measures (ETR is for outcome and symptom measures), without a scorable check-in, or without a
    reliable-change value."""
    if instrument.kind is InstrumentKind.ALLIANCE:
        return None
    scorable = [entry.total for entry in chronological(history) if entry.total is not None]
    if not scorable:
        return None
    return expected_response(instrument, scorable[0], reference, horizon=max(DEFAULT_HORIZON, len(scorable)))
