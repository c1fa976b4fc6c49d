"""Check-ins: one client's answers to one instrument after one session, and the score they give.

Answers are numbers (or None for an item left blank). Whether they fit the instrument's scale is
checked where the instrument is known (`stats.scoring`); here we only refuse what can never be an
answer (not a number, infinite).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from safeenough.domain.validation import DomainError

Answer = float | None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A client's answers for one session and instrument.

    `answers` maps item id → number, or None for an item left unanswered. `free_text` is the answer to
    the instrument's open question, if it has one. The mapping is copied on construction, so a CheckIn
    cannot change after it is made (it is not hashable, because of the mapping).
    """

    id: int
    session_id: int
    client_id: int
    instrument_id: str
    submitted_at: datetime
    answers: Mapping[str, Answer]
    free_text: str | None = None
    instrument_version: str | None = None
    """The version of the instrument the client answered (None where it is not known)."""

    def __post_init__(self) -> None:
        answers: dict[str, Answer] = {}
        for item_id, value in dict(self.answers).items():
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise DomainError(f"answer to {item_id} must be a number (got {value!r})")
                if not math.isfinite(value):
                    raise DomainError(f"answer to {item_id} must be a finite number")
                value = float(value)
            answers[item_id] = value
        object.__setattr__(self, "answers", answers)
        if self.free_text is not None and not isinstance(self.free_text, str):
            raise DomainError("free text must be a string")

    @property
    def has_comment(self) -> bool:
        """Did the client write anything in the free-text answer?"""
        return bool(self.free_text and self.free_text.strip())

    @property
    def answered_item_ids(self) -> tuple[str, ...]:
        return tuple(item_id for item_id, value in self.answers.items() if value is not None)


@dataclass(frozen=True, slots=True)
class Score:
    """What a check-in scores on its instrument.

    `total` is None when the check-in is unscorable (too many items missing); `item_scores` are after
    reverse scoring (None for a missing item); `prorated` says the total was made up for missing items
    by the instrument's missing-item rule. `band` is the severity band label, if the instrument has bands.
    """

    instrument_id: str
    total: float | None
    item_scores: Mapping[str, float | None]
    subscale_scores: Mapping[str, float | None]
    missing_items: tuple[str, ...] = ()
    prorated: bool = False
    band: str | None = None
    unscorable_reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_scores", dict(self.item_scores))
        object.__setattr__(self, "subscale_scores", dict(self.subscale_scores))
        object.__setattr__(self, "missing_items", tuple(self.missing_items))
        if self.total is None and self.unscorable_reason is None:
            raise DomainError("an unscorable score must say why")
        if self.total is not None and not math.isfinite(self.total):
            raise DomainError("a total must be a finite number")

    @property
    def scorable(self) -> bool:
        return self.total is not None


@dataclass(frozen=True, slots=True)
class ScoredCheckIn:
    """A check-in with its score and the number of the session it belongs to: one point of history."""

    check_in: CheckIn
    score: Score
    session_number: int

    def __post_init__(self) -> None:
        if self.score.instrument_id != self.check_in.instrument_id:
            raise DomainError("a score must be for the check-in's own instrument")
        if self.session_number < 1:
            raise DomainError("session numbers start at 1")

    @property
    def id(self) -> int:
        return self.check_in.id

    @property
    def client_id(self) -> int:
        return self.check_in.client_id

    @property
    def session_id(self) -> int:
        return self.check_in.session_id

    @property
    def submitted_at(self) -> datetime:
        return self.check_in.submitted_at

    @property
    def total(self) -> float | None:
        return self.score.total


@dataclass(frozen=True, slots=True)
class SessionReturn:
    """A session a client attended, and whether their check-in for it came back.

    Pass only sessions whose check-in window has closed (link expired or answered): a link still open
    is not yet "not returned".
    """

    session_id: int
    session_number: int
    held_on: date
    returned: bool
