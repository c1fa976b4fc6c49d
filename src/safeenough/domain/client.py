"""Clients: known to the system by a pseudonymous code; the display name is for their therapist only."""

import re
from dataclasses import dataclass

from safeenough.domain.validation import DomainError, require_text

CLIENT_CODE = re.compile(r"^[A-Z]{1,4}-[0-9A-Z]{3,8}$")


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    case_id: int
    code: str
    display_name: str

    def __post_init__(self) -> None:
        require_text(self.display_name, "client display name", max_length=120)
        if not CLIENT_CODE.match(self.code):
            raise DomainError(f"client code must look like 'C-7K2Q' (got {self.code!r})")
