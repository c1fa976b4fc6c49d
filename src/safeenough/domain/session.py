"""Therapy sessions (not to be confused with a login session, which lives in the web layer)."""

from dataclasses import dataclass
from datetime import date

from safeenough.domain.validation import DomainError


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    case_id: int
    number: int
    held_on: date
    attendee_ids: tuple[int, ...]
    note: str | None = None
    transcript: str | None = None

    def __post_init__(self) -> None:
        if self.number < 1:
            raise DomainError("session numbers start at 1")
        if not self.attendee_ids:
            raise DomainError("a session needs at least one attending client")
        if len(set(self.attendee_ids)) != len(self.attendee_ids):
            raise DomainError("a client can attend a session only once")

    def is_upcoming(self, today: date) -> bool:
        """Booked for a later day: nobody can check in about it yet."""
        return self.held_on > today

    @property
    def has_transcript(self) -> bool:
        return bool(self.transcript)
