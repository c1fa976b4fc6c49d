"""Whom a therapist turn answers, where a session has more than one client (couples, families).

A repair or a check-in after a client's moment counts for that moment only if the therapist was turning
to that client: validating one partner does not repair the other partner's withdrawal a turn earlier.
Without knowing the addressee for certain, we take the client who spoke last before the therapist turn,
or a client the turn names (its first name, as a whole word: "Morgan, you went quiet…"). With one
client every therapist turn answers them, so individual sessions (and the research export on them) are
unchanged.
"""

import re
from collections.abc import Sequence

from safeenough.domain.conversation import SpeakerRole, Turn


def first_name(speaker: str) -> str:
    """The word a therapist would call the speaker by: the first word of the label ("Morgan Lee")."""
    words = re.findall(r"[^\W\d_][\w'-]*", speaker)
    return words[0] if words else ""


def names(turn: Turn, speaker: str) -> bool:
    """Whether the turn calls the speaker by their first name (a whole word, any case)."""
    name = first_name(speaker)
    if len(name) < 2:
        return False
    return re.search(rf"(?<![\w'-]){re.escape(name)}(?![\w'-])", turn.text, re.IGNORECASE) is not None


def answers(turns: Sequence[Turn], therapist_turn: int, speaker: str, *, several_clients: bool) -> bool:
    """Whether the therapist turn can be answering the client `speaker` (see the module docstring)."""
    if not several_clients:
        return True
    last_client = next(
        (turns[i].speaker for i in range(therapist_turn - 1, -1, -1) if turns[i].role is SpeakerRole.CLIENT),
        None,
    )
    return last_client == speaker or names(turns[therapist_turn], speaker)


def has_several_clients(turns: Sequence[Turn]) -> bool:
    return len({turn.speaker for turn in turns if turn.role is SpeakerRole.CLIENT}) > 1
