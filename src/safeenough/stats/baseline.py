"""A client's own baseline: the mean total of their first three scorable check-ins.

Comparing a client with themselves (rather than only with a cut-off) catches a slide from a high
start: an alliance that begins at 48 of 50 and settles at 41 deserves a conversation even though it
has not reached a cut-off.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from safeenough.domain.checkin import ScoredCheckIn

BASELINE_CHECKINS = 3


@dataclass(frozen=True, slots=True)
class Baseline:
    value: float
    check_ins: tuple[ScoredCheckIn, ...]

    @property
    def check_in_ids(self) -> tuple[int, ...]:
        return tuple(entry.id for entry in self.check_ins)


def chronological(history: Sequence[ScoredCheckIn]) -> list[ScoredCheckIn]:
    """Check-ins in the order they belong: by session number, then submission time, then id."""
    return sorted(history, key=lambda entry: (entry.session_number, entry.submitted_at, entry.id))


def baseline_mean(totals: Sequence[float], count: int = BASELINE_CHECKINS) -> float | None:
    """Mean of the first `count` totals; None while there are fewer."""
    if len(totals) < count:
        return None
    return sum(totals[:count]) / count


def baseline(history: Sequence[ScoredCheckIn], count: int = BASELINE_CHECKINS) -> Baseline | None:
    """The baseline of one client's history of one instrument; None until it has `count` scorable ones."""
    scorable = [entry for entry in chronological(history) if entry.total is not None]
    value = baseline_mean([entry.total for entry in scorable if entry.total is not None], count)
    if value is None:
        return None
    return Baseline(value=value, check_ins=tuple(scorable[:count]))
