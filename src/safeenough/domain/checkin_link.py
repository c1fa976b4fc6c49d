"""A check-in link: one client, one session, used once, and only until it expires."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from safeenough.domain.validation import DomainError


class LinkState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class CheckInLink:
    id: int
    session_id: int
    client_id: int
    instrument_ids: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    kiosk: bool = False

    def __post_init__(self) -> None:
        if not self.instrument_ids:
            raise DomainError("a check-in link asks at least one instrument")
        if self.expires_at <= self.created_at:
            raise DomainError("a check-in link must expire after it is created")

    def state(self, now: datetime) -> LinkState:
        if self.used_at is not None:
            return LinkState.USED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.OPEN
