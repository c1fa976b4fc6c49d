"""Moving the practice to another database: the one use case that works on two databases at once."""

from safeenough.practice.facade import Practice
from safeenough.settings import Settings
from safeenough.storage.moving import CopiedTable, MoveSummary, move_practice

__all__ = ["CopiedTable", "MoveSummary", "move_to"]


def move_to(settings: Settings, target_url: str) -> MoveSummary:
    """Copy the configured practice (at the current schema) into the empty database at `target_url`.

    Sealed values are copied as they are: the target must be used with the same key file. The source is
    left as it was; anything written to it while this runs is not copied, so stop the server first."""
    practice = Practice.open(settings)
    try:
        return move_practice(practice.store, target_url)
    finally:
        practice.close()
