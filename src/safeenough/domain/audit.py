"""Audit events: who read or changed which clinical record, and when."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    #: a logged-in person asked for something that is not theirs to see or do (or that does not exist)
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    actor_id: int | None
    action: AuditAction
    target_kind: str
    target_id: int | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which audit events to list, latest first: each field given narrows the list."""

    actor_id: int | None = None
    action: AuditAction | None = None
    target_kind: str | None = None
    since: datetime | None = None
    """The first moment included (timezone-aware)."""
    until: datetime | None = None
    """The first moment no longer included (timezone-aware)."""
    before_id: int | None = None
    """Only events older than this one: the next page of a long list."""

    @property
    def narrowed(self) -> bool:
        """Whether anything but paging narrows the list."""
        return any(
            value is not None
            for value in (self.actor_id, self.action, self.target_kind, self.since, self.until)
        )
