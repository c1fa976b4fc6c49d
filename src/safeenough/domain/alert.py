"""Alerts: something in a client's check-ins that the therapist should look at, with the reason why.

An alert is never a verdict. It carries the rule that raised it in words ("total 31 ≤ cut-off 36"),
the evidence behind it (which check-ins, which scores, when) so the screen can link to the answers,
and a suggested next step: a concrete way the therapist could open the next session. Suggestions are
for the therapist only and are never shown or sent to clients.

Whether an alert is open, acknowledged or resolved is stored elsewhere (`AlertStatus` names the states).
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from safeenough.domain.validation import DomainError, require_text


class AlertKind(StrEnum):
    BELOW_CUTOFF = "below_cutoff"
    """The total is on the worse side of the instrument's cut-off."""
    LOW_ITEM = "low_item"
    """A single item is at or beyond its item threshold."""
    RELIABLE_DROP = "reliable_drop"
    """Worse than the previous check-in by at least the reliable-change value."""
    BELOW_BASELINE = "below_baseline"
    """Worse than the client's own baseline (mean of their first three check-ins) by at least that value."""
    NOT_ON_TRACK = "not_on_track"
    """Worse than the expected treatment response for a client with this intake score."""
    SPLIT_ALLIANCE = "split_alliance"
    """Partners experienced the same session very differently."""
    MISSING_CHECKINS = "missing_checkins"
    """Two check-ins in a row did not come back."""
    CLIENT_COMMENT = "client_comment"
    """The client wrote something in answer to the free-text question."""

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    def label_for(self, higher_is_better: bool) -> str:
        """The label in the instrument's direction: on PHQ-9 (higher is worse) an item of concern is a
        high one, not a low one."""
        return (
            _KIND_LABELS[self] if higher_is_better else _WORSE_IS_HIGHER_LABELS.get(self, _KIND_LABELS[self])
        )


_KIND_LABELS = {
    AlertKind.BELOW_CUTOFF: "Below cut-off",
    AlertKind.LOW_ITEM: "Low item",
    AlertKind.RELIABLE_DROP: "Reliable drop since last check-in",
    AlertKind.BELOW_BASELINE: "Below own baseline",
    AlertKind.NOT_ON_TRACK: "Not on track",
    AlertKind.SPLIT_ALLIANCE: "Split alliance",
    AlertKind.MISSING_CHECKINS: "Check-ins not returned",
    AlertKind.CLIENT_COMMENT: "Client comment",
}


_WORSE_IS_HIGHER_LABELS = {
    AlertKind.BELOW_CUTOFF: "At or above cut-off",
    AlertKind.LOW_ITEM: "Item of concern",
    AlertKind.RELIABLE_DROP: "Reliably worse since last check-in",
    AlertKind.BELOW_BASELINE: "Worse than own baseline",
}


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """For sorting: higher needs attention sooner."""
        return {AlertSeverity.LOW: 1, AlertSeverity.MEDIUM: 2, AlertSeverity.HIGH: 3}[self]


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    def can_become(self, other: "AlertStatus") -> bool:
        """Open → acknowledged → resolved; open → resolved; a resolved alert may be reopened."""
        allowed = {
            AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED},
            AlertStatus.ACKNOWLEDGED: {AlertStatus.RESOLVED, AlertStatus.OPEN},
            AlertStatus.RESOLVED: {AlertStatus.OPEN},
        }
        return other in allowed[self]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind an alert: a score of a check-in, a baseline, an expected value, a missed session.

    `label` says what the fact is ("this check-in", "previous check-in", "baseline (mean of first
    three)", "session not returned"). Ids point at the stored records so the UI can link to them.
    """

    label: str
    value: float | None = None
    client_id: int | None = None
    check_in_id: int | None = None
    session_id: int | None = None
    session_number: int | None = None
    submitted_at: datetime | None = None
    held_on: date | None = None
    item_id: str | None = None

    def __post_init__(self) -> None:
        require_text(self.label, "evidence label")


@dataclass(frozen=True, slots=True)
class Alert:
    """One reason to look closer. `client_ids` holds one client, or both partners for a split alliance.

    `session_id` is the session the alert is about (the latest one involved). `item_id` is set for item
    alerts and client comments. `key` identifies the alert for de-duplication: evaluating the same
    history twice gives alerts with the same keys.
    """

    kind: AlertKind
    client_ids: tuple[int, ...]
    session_id: int
    instrument_id: str | None
    rule: str
    evidence: tuple[Evidence, ...]
    suggested_next_step: str
    severity: AlertSeverity
    item_id: str | None = None

    def __post_init__(self) -> None:
        client_ids = tuple(sorted(set(self.client_ids)))
        if not client_ids:
            raise DomainError("an alert is about at least one client")
        object.__setattr__(self, "client_ids", client_ids)
        require_text(self.rule, "alert rule", max_length=400)
        evidence = tuple(self.evidence)
        if not evidence:
            raise DomainError("an alert must carry the evidence that raised it")
        object.__setattr__(self, "evidence", evidence)
        require_text(self.suggested_next_step, "suggested next step", max_length=2000)

    @property
    def client_id(self) -> int:
        """The client, for alerts about one client (the first of the partners otherwise)."""
        return self.client_ids[0]

    @property
    def check_in_ids(self) -> tuple[int, ...]:
        """Every check-in the evidence points at, in order, without repeats."""
        return tuple(dict.fromkeys(e.check_in_id for e in self.evidence if e.check_in_id is not None))

    @property
    def key(self) -> tuple[str, tuple[int, ...], int, str | None, str | None]:
        return (self.kind.value, self.client_ids, self.session_id, self.instrument_id, self.item_id)
