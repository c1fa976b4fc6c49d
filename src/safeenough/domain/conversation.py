"""Talk in a session: a Conversation of Turns by Speakers, immutable once read."""

from dataclasses import dataclass
from enum import StrEnum

from safeenough.domain.validation import DomainError


class SpeakerRole(StrEnum):
    THERAPIST = "therapist"
    CLIENT = "client"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Turn:
    """One stretch of talk by one speaker. `index` is the position in the conversation (0-based)."""

    index: int
    speaker: str
    role: SpeakerRole
    text: str
    source_id: str | None = None
    start_seconds: float | None = None
    end_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.index < 0:
            raise DomainError("turn index must be 0 or more")
        if not self.speaker.strip():
            raise DomainError(f"turn {self.index} has no speaker")
        if (
            self.start_seconds is not None
            and self.end_seconds is not None
            and self.end_seconds < self.start_seconds
        ):
            raise DomainError(f"turn {self.index} ends before it starts")


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]

    def __post_init__(self) -> None:
        if [turn.index for turn in self.turns] != list(range(len(self.turns))):
            raise DomainError("turns must be numbered 0, 1, 2, … in order")

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speakers in order of first appearance."""
        return tuple(dict.fromkeys(turn.speaker for turn in self.turns))

    def with_roles(self, roles: dict[str, SpeakerRole]) -> "Conversation":
        """A copy with speaker roles assigned; speakers not named keep their role."""
        turns = tuple(
            Turn(
                index=turn.index,
                speaker=turn.speaker,
                role=roles.get(turn.speaker, turn.role),
                text=turn.text,
                source_id=turn.source_id,
                start_seconds=turn.start_seconds,
                end_seconds=turn.end_seconds,
            )
            for turn in self.turns
        )
        return Conversation(id=self.id, turns=turns)
