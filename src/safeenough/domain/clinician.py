"""Clinicians and their roles."""

from dataclasses import dataclass
from enum import StrEnum

from safeenough.domain.validation import DomainError, require_text


class Role(StrEnum):
    """What an account may do.

    - clinician: sees and edits their own cases only.
    - supervisor: a clinician who also reads (never edits) their supervisees' cases.
    - admin: manages accounts; never reads clinical content.
    """

    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def holds_caseload(self) -> bool:
        return self is not Role.ADMIN


USERNAME_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
USERNAME_MAX = 64


@dataclass(frozen=True, slots=True)
class Clinician:
    id: int
    username: str
    display_name: str
    role: Role
    supervisor_id: int | None = None
    active: bool = True

    def __post_init__(self) -> None:
        require_text(self.display_name, "display name")
        if not self.username or set(self.username) - USERNAME_ALLOWED:
            raise DomainError(
                f"username must use lower-case letters, digits, '.', '_' or '-' only (got {self.username!r})"
            )
        if len(self.username) > USERNAME_MAX:
            raise DomainError(f"a username has at most {USERNAME_MAX} characters (got {len(self.username)})")
        if self.supervisor_id is not None and self.supervisor_id == self.id:
            raise DomainError("a clinician cannot supervise themselves")
