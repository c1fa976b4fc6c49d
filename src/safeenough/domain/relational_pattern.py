"""Relational patterns (after Luborsky's Core Conflictual Relationship Theme) and their enactments.

A pattern reads wish → expected or actual response of others → response of self ("to be accepted →
expects criticism from people in authority → withdraws or defends"). When the same pattern shows up with
the therapist — the client anticipating judgement, or defending against perceived criticism — the moment
in the session can be linked to the pattern as an enactment. Those moments are the opportunity: whether
each was repaired is kept beside it (DOMAIN.md §1, §7).
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from safeenough.domain.formulation import QUOTE_MAX, clean_note
from safeenough.domain.validation import DomainError, require_text

PART_MAX = 500
EXAMPLE_MAX = 1000
EXAMPLES_MAX = 20
ANTICIPATED_JUDGEMENT = "anticipated_judgement"
"""The `marker` of a moment where the client braced for judgement without a 3RS rupture marker."""
MOMENT_MARKERS = ("withdrawal", "confrontation", ANTICIPATED_JUDGEMENT)


@dataclass(frozen=True, slots=True)
class RelationalPattern:
    id: int
    case_id: int
    client_id: int
    wish: str
    response_of_other: str
    response_of_self: str
    examples: tuple[str, ...]
    created_at: datetime
    created_by: int | None
    updated_at: datetime
    updated_by: int | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "wish", require_text(self.wish, "wish", max_length=PART_MAX))
        object.__setattr__(
            self,
            "response_of_other",
            require_text(self.response_of_other, "response of other", max_length=PART_MAX),
        )
        object.__setattr__(
            self,
            "response_of_self",
            require_text(self.response_of_self, "response of self", max_length=PART_MAX),
        )
        object.__setattr__(self, "examples", clean_examples(self.examples))
        if self.updated_at < self.created_at:
            raise DomainError("a pattern cannot be updated before it was created")

    @property
    def summary(self) -> str:
        return f"{self.wish} → {self.response_of_other} → {self.response_of_self}"


def clean_examples(examples: "tuple[str, ...] | list[str]") -> tuple[str, ...]:
    """Examples as stored: stripped, empty ones dropped, each and all of them bounded."""
    cleaned = tuple(example.strip() for example in examples if example.strip())
    if len(cleaned) > EXAMPLES_MAX:
        raise DomainError(f"a pattern holds at most {EXAMPLES_MAX} examples (got {len(cleaned)})")
    for example in cleaned:
        require_text(example, "example", max_length=EXAMPLE_MAX)
    return cleaned


class EnactmentStatus(StrEnum):
    LINKED = "linked"
    """The therapist linked the moment to the pattern."""
    DISMISSED = "dismissed"
    """Linked once, later judged not to be this pattern after all (kept for the history)."""


@dataclass(frozen=True, slots=True)
class Enactment:
    """A moment in a session linked to a pattern. `repaired` is None where it could not be told."""

    id: int
    pattern_id: int
    session_id: int
    turn_index: int
    quote: str
    marker: str
    """"withdrawal", "confrontation" or "anticipated_judgement"."""
    subtype: str | None
    status: EnactmentStatus
    repaired: bool | None
    linked_at: datetime
    linked_by: int | None
    note: str | None = None
    session_number: int | None = None
    held_on: date | None = None

    def __post_init__(self) -> None:
        _check_moment(self.turn_index, self.quote, self.marker)
        object.__setattr__(self, "quote", self.quote.strip())
        object.__setattr__(self, "note", clean_note(self.note))

    @property
    def anticipated_judgement(self) -> bool:
        return self.marker == ANTICIPATED_JUDGEMENT


@dataclass(frozen=True, slots=True)
class EnactmentCandidate:
    """A moment from a stored analysis that may be an enactment of one of the client's patterns."""

    session_id: int
    session_number: int
    held_on: date
    turn_index: int
    speaker: str
    quote: str
    marker: str
    subtype: str | None
    anticipates_judgement: bool
    repaired: bool

    def __post_init__(self) -> None:
        _check_moment(self.turn_index, self.quote, self.marker)

    @property
    def reason(self) -> str:
        if self.subtype == "defends_self":
            return "The client defended against perceived criticism."
        if self.subtype == "complaint_therapist":
            return "The client complained about the therapist."
        return "The client anticipated judgement."


def _check_moment(turn_index: int, quote: str, marker: str) -> None:
    if turn_index < 0:
        raise DomainError("a turn index is 0 or more")
    if not quote.strip():
        raise DomainError("a moment needs the quoted turn")
    if len(quote.strip()) > QUOTE_MAX:
        raise DomainError(f"a quote must be at most {QUOTE_MAX} characters")
    if marker not in MOMENT_MARKERS:
        raise DomainError(f"a moment's marker is one of {', '.join(MOMENT_MARKERS)} (got {marker!r})")
