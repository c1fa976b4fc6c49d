"""An alert as the therapist works with it: stored, with its status and the therapist's note."""

from dataclasses import dataclass
from datetime import datetime

from safeenough.domain.alert import Alert, AlertStatus


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    case_id: int
    alert: Alert
    status: AlertStatus
    created_at: datetime
    status_note: str | None = None
    status_changed_at: datetime | None = None
    status_changed_by: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is AlertStatus.OPEN
