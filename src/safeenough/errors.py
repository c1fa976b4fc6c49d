"""Errors that reach a user. Each carries a message that says what is wrong and what to do."""


class SafeEnoughError(Exception):
    """Base class: the message is written for the person who will read it."""


class NotFound(SafeEnoughError):
    """The thing does not exist, or the current clinician may not see it (we never say which)."""


class PermissionDenied(SafeEnoughError):
    """The clinician is known, but their role does not allow this action."""


class InvalidInput(SafeEnoughError):
    """Input that cannot be accepted; nothing was stored.

    `field`: the parameter of the use case the message is about ("held_on", "password"), where it is about
    one, so that a form can show the message beside that field; None for the input as a whole.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AuthenticationFailed(SafeEnoughError):
    """Wrong username or password."""


class TooManyAttempts(SafeEnoughError):
    """Login is paused for this username or address after repeated failures."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class KeyMismatch(SafeEnoughError):
    """The encryption key cannot open the data stored in this database."""


class KeyMissing(SafeEnoughError):
    """The database holds encrypted data but the key file is gone."""


class DatabaseNotReady(SafeEnoughError):
    """The database schema is missing or older than this version of safeenough."""


class DatabaseUnavailable(SafeEnoughError):
    """The database cannot be reached or opened right now (server down, wrong address, password or name);
    nothing was stored. The message names the database without its password and says what to check."""


class LinkUnusable(SafeEnoughError):
    """A check-in link that cannot be used; `reason` is expired, used or invalid."""

    def __init__(self, reason: str) -> None:
        messages = {
            "expired": "This check-in link has expired. Your therapist can send you a new one.",
            "used": "This check-in has already been sent. Thank you — your therapist has your answers.",
            "invalid": "This check-in link is not valid. Please check that the whole link was copied.",
        }
        super().__init__(messages.get(reason, messages["invalid"]))
        self.reason = reason if reason in messages else "invalid"


class AnswersInvalid(InvalidInput):
    """Check-in answers that cannot be stored; `problems` maps (instrument id, item id) to what is wrong."""

    def __init__(self, problems: dict[tuple[str, str], str]) -> None:
        super().__init__("Some answers need another look; nothing was sent yet.")
        self.problems = problems
