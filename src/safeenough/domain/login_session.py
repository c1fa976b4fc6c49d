"""A clinician's login: the cookie token, the matching CSRF token, and when it lapses."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LoginSession:
    token: str
    csrf_token: str
    clinician_id: int
    expires_at: datetime
