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
