"""Annotations: what an analysis component says about one turn or a whole session.

Annotations never change a Conversation; they point into it by turn index. `produced_by` records the
component and its version ("therapist_behaviour.v1"), so a stored report can say which versions made
it and old reports stay reproducible when a component is improved.
"""

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from safeenough.domain.validation import DomainError

AnnotationValue = str | float | bool | None
"""Labels are strings, estimates are floats (ints are accepted as floats), flags are bools."""

VERSIONED_NAME = re.compile(r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*$")
KEY = re.compile(r"^[a-z][a-z0-9_.]*$")
MAX_NAME_LENGTH = 64
"""Keys and component names are stored in columns of this width."""


@dataclass(frozen=True, slots=True)
class Annotation:
    """One finding. `target_turn` None means it is about the whole session.

    `evidence` lists the turn indices that support the finding (e.g. the client turn that shows a
    rupture and the therapist turn that repairs it); `confidence` is in [0, 1] where the component
    can estimate one.
    """

    target_turn: int | None
    key: str
    value: AnnotationValue
    confidence: float | None
    evidence: tuple[int, ...]
    produced_by: str

    def __post_init__(self) -> None:
        if self.target_turn is not None and (isinstance(self.target_turn, bool) or self.target_turn < 0):
            raise DomainError(f"annotation target turn must be 0 or more (got {self.target_turn!r})")
        if not KEY.match(self.key) or len(self.key) > MAX_NAME_LENGTH:
            raise DomainError(
                f"annotation key must be lower-case words joined by '_' or '.', at most {MAX_NAME_LENGTH} "
                f"characters (got {self.key!r})"
            )
        if not isinstance(self.value, str | int | float | bool | None):
            raise DomainError(
                f"annotation value must be a string, number, bool or None (got {type(self.value).__name__})"
            )
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise DomainError(f"annotation value must be a finite number (got {self.value!r})")
        if self.confidence is not None and not (0.0 <= self.confidence <= 1.0):
            raise DomainError(f"annotation confidence must be between 0 and 1 (got {self.confidence!r})")
        # Accept any iterable of turn indices (lists are common) but store a tuple: hashable, frozen.
        evidence = tuple(self.evidence)
        if any(isinstance(turn, bool) or not isinstance(turn, int) or turn < 0 for turn in evidence):
            raise DomainError(f"annotation evidence must be turn indices of 0 or more (got {evidence!r})")
        object.__setattr__(self, "evidence", evidence)
        if not VERSIONED_NAME.match(self.produced_by) or len(self.produced_by) > MAX_NAME_LENGTH:
            raise DomainError(
                "annotation produced_by must be a versioned component name like 'rupture_markers.v1', "
                f"at most {MAX_NAME_LENGTH} characters "
                f"(got {self.produced_by!r})"
            )

    @property
    def is_session_level(self) -> bool:
        return self.target_turn is None

    @property
    def turns_referenced(self) -> tuple[int, ...]:
        """Every turn index this annotation points at: its target and its evidence."""
        target = () if self.target_turn is None else (self.target_turn,)
        return target + self.evidence


@dataclass(frozen=True, slots=True)
class AnnotationSet:
    """An ordered, immutable collection of annotations with the look-ups components and reports need."""

    items: tuple[Annotation, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))

    def __iter__(self) -> Iterator[Annotation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def with_key(self, key: str) -> "AnnotationSet":
        return AnnotationSet(tuple(item for item in self.items if item.key == key))

    def for_turn(self, turn: int) -> "AnnotationSet":
        return AnnotationSet(tuple(item for item in self.items if item.target_turn == turn))

    def session_level(self) -> "AnnotationSet":
        return AnnotationSet(tuple(item for item in self.items if item.target_turn is None))

    def produced_by(self, name: str) -> "AnnotationSet":
        return AnnotationSet(tuple(item for item in self.items if item.produced_by == name))

    def value(self, key: str, turn: int | None = None, default: AnnotationValue = None) -> AnnotationValue:
        """The value of the first annotation with this key on this turn (None: on the session)."""
        for item in self.items:
            if item.key == key and item.target_turn == turn:
                return item.value
        return default

    def by_turn(self, key: str) -> dict[int, AnnotationValue]:
        """Turn index → value for one key (the first annotation wins if a turn has several)."""
        values: dict[int, AnnotationValue] = {}
        for item in self.items:
            if item.key == key and item.target_turn is not None:
                values.setdefault(item.target_turn, item.value)
        return values

    def annotations_by_turn(self, key: str) -> dict[int, Annotation]:
        """Turn index → the annotation for one key (the first wins if a turn has several)."""
        found: dict[int, Annotation] = {}
        for item in self.items:
            if item.key == key and item.target_turn is not None:
                found.setdefault(item.target_turn, item)
        return found

    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.key for item in self.items))

    def __add__(self, other: "AnnotationSet | Iterable[Annotation]") -> "AnnotationSet":
        extra = other.items if isinstance(other, AnnotationSet) else tuple(other)
        return AnnotationSet(self.items + extra)
