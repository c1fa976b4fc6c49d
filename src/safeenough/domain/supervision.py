"""The data of a case summary for clinical supervision (rendered to HTML and PDF elsewhere).

Clients appear by their pseudonymous code only — never their display name — and the case title (which
often names the client) is left out. Free text the therapist wrote (hypotheses) has the clients' names
replaced by their codes before it gets here.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from safeenough.domain.client import CLIENT_CODE
from safeenough.domain.instrument import Instrument
from safeenough.domain.validation import DomainError


def _check_code(code: str) -> None:
    if not CLIENT_CODE.match(code):
        raise DomainError(f"a supervision summary names clients by code only (got {code!r})")


@dataclass(frozen=True, slots=True)
class AlliancePoint:
    session_number: int
    held_on: date
    total: float | None
    beyond_cutoff: bool
    """On the worse side of the instrument's cut-off."""


@dataclass(frozen=True, slots=True)
class AllianceTrend:
    """One client's alliance (safety) check-in totals, session by session."""

    client_code: str
    instrument_id: str
    instrument_title: str
    maximum: float
    cutoff: float | None
    points: tuple[AlliancePoint, ...]

    def __post_init__(self) -> None:
        _check_code(self.client_code)

    @classmethod
    def of(
        cls, client_code: str, instrument: Instrument, totals: Iterable[tuple[int, date, float | None]]
    ) -> "AllianceTrend":
        """The trend of one client on one instrument from (session number, held on, total), in order."""
        return cls(
            client_code=client_code,
            instrument_id=instrument.id,
            instrument_title=instrument.title,
            maximum=instrument.total_range[1],
            cutoff=instrument.cutoff.value if instrument.cutoff else None,
            points=tuple(
                AlliancePoint(
                    session_number=number,
                    held_on=held_on,
                    total=total,
                    beyond_cutoff=total is not None and instrument.beyond_cutoff(total),
                )
                for number, held_on, total in totals
            ),
        )


@dataclass(frozen=True, slots=True)
class OpenAlert:
    client_codes: tuple[str, ...]
    kind: str
    label: str
    rule: str
    severity: str
    session_number: int | None

    def __post_init__(self) -> None:
        for code in self.client_codes:
            _check_code(code)


@dataclass(frozen=True, slots=True)
class SessionRuptureRepair:
    """Counts from the stored analysis of one session (3RS markers; anticipated judgement apart)."""

    session_number: int
    held_on: date
    ruptures: int
    ruptures_repaired: int
    anticipated_judgement: int
    moments_repaired: int
    """All moments (ruptures and anticipated judgement) followed by a repair or check-in."""
    check_ins: int


@dataclass(frozen=True, slots=True)
class OpenHypothesis:
    domain: str
    domain_label: str
    text: str
    recorded_on: date
    sessions_since: int


@dataclass(frozen=True, slots=True)
class MapSummary:
    """One client's map (or the couple's shared map: `client_code` None) for supervision."""

    client_code: str | None
    explored_domains: tuple[str, ...]
    unexplored_domains: tuple[str, ...]
    entry_count: int
    open_hypotheses: tuple[OpenHypothesis, ...]

    def __post_init__(self) -> None:
        if self.client_code is not None:
            _check_code(self.client_code)

    @property
    def coverage(self) -> tuple[int, int]:
        """(domains with entries, all domains)."""
        return len(self.explored_domains), len(self.explored_domains) + len(self.unexplored_domains)


@dataclass(frozen=True, slots=True)
class SupervisionSummary:
    case_id: int
    case_kind: str
    therapist: str
    opened_on: date
    prepared_on: date
    client_codes: tuple[str, ...]
    session_count: int
    alliance: tuple[AllianceTrend, ...]
    open_alerts: tuple[OpenAlert, ...]
    rupture_repair: tuple[SessionRuptureRepair, ...]
    maps: tuple[MapSummary, ...]

    def __post_init__(self) -> None:
        for code in self.client_codes:
            _check_code(code)
