"""Instruments: questionnaires described as data (items, scale, scoring, cut-offs, reliable change, codes).

Every figure an instrument carries (cut-off, severity bands, reliable-change value) comes with its
source in the definition file. Direction matters everywhere: for an alliance measure higher is better
and "worse" means lower; for PHQ-9 and GAD-7 lower is better and "worse" means higher. The helpers here
(`worsening`, `at_or_worse`, `beyond_cutoff`) hide that so the rules in `stats/` read the same for both.

The instruments we ship are built-in definition files (see `safeenough.instruments`); licensed ones
(SRS, ORS, WAI-SR, CORE-10) are loaded from files the practice supplies, because we never ship their
wording.
"""

import itertools
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from safeenough.domain.alert import AlertSeverity
from safeenough.domain.validation import DomainError, require_text

LOCAL_CODE_SYSTEM = "https://safeenough.org/fhir/CodeSystem/instruments"
"""Our one canonical CodeSystem URL for instruments and totals that have no LOINC code (e.g. alliance)."""

LOINC_SYSTEM = "http://loinc.org"

INSTRUMENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

RESERVED_ITEM_IDS = frozenset({"total"})
"""Item ids (compared in lower case) that would collide with the total row of the CSV export."""

MAX_VERSION_LENGTH = 32
"""The longest instrument version: it is stored with every check-in (`checkins.instrument_version`)."""

_EPSILON = 1e-9
"""Tolerance for comparisons of prorated (fractional) scores with thresholds."""


class InstrumentKind(StrEnum):
    ALLIANCE = "alliance"
    OUTCOME = "outcome"
    SYMPTOM = "symptom"


class ScoringMethod(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class CutoffAlert(StrEnum):
    """When a total on the worse side of the cut-off raises an alert.

    - always: every time (alliance: a session that did not work is always worth a conversation);
    - on_crossing: only when the client moves from the better side to the worse side (symptom measures,
      where most clients start above caseness and an alert at every session would be noise);
    - never: the cut-off is drawn on charts only.
    """

    ALWAYS = "always"
    ON_CROSSING = "on_crossing"
    NEVER = "never"


class ItemTheme(StrEnum):
    """What an item is about, so a suggestion can fit it whatever the exact wording.

    User-supplied instruments may tag their items too (an SRS "relationship" item is `heard`).
    """

    HEARD = "heard"
    SAFE_TO_SPEAK = "safe_to_speak"
    GOALS = "goals"
    APPROACH = "approach"
    OVERALL = "overall"
    BOND = "bond"
    WELLBEING = "wellbeing"
    SELF_HARM = "self_harm"


def format_number(value: float) -> str:
    """12 → '12', 12.5 → '12.5', 12.345 → '12.3' (for rules and messages people read)."""
    if math.isfinite(value) and abs(value - round(value)) < _EPSILON:
        return str(round(value))
    return f"{value:.1f}"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A labelled point on an item's scale ("0 = Not at all")."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question. Answers lie in [minimum, maximum] in steps of `step` (None: any value, as on a
    visual-analogue line).

    A reverse-scored item scores `minimum + maximum − answer`. `alert_threshold` is compared with the
    item score (after reversing) in the instrument's direction: at or below it when higher is better,
    at or above it when lower is better.
    """

    id: str
    text: str
    minimum: float
    maximum: float
    anchors: tuple[Anchor, ...] = ()
    step: float | None = 1.0
    reverse_scored: bool = False
    alert_threshold: float | None = None
    alert_severity: AlertSeverity = AlertSeverity.MEDIUM
    theme: ItemTheme | None = None

    def __post_init__(self) -> None:
        if not ITEM_ID.match(self.id):
            raise DomainError(f"item id must be letters, digits, '.', '_' or '-' (got {self.id!r})")
        if self.id.lower() in RESERVED_ITEM_IDS:
            raise DomainError(f"item id {self.id!r} is reserved for the total")
        require_text(self.text, f"item {self.id} text", max_length=1000)
        if not (math.isfinite(self.minimum) and math.isfinite(self.maximum)):
            raise DomainError(f"item {self.id} scale must be finite numbers")
        if self.maximum <= self.minimum:
            raise DomainError(
                f"item {self.id} maximum must be greater than its minimum ({format_number(self.minimum)})"
            )
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise DomainError(f"item {self.id} step must be a finite number greater than 0")
        object.__setattr__(self, "anchors", tuple(self.anchors))
        for anchor in self.anchors:
            if not self.in_range(anchor.value):
                raise DomainError(f"item {self.id} anchor {format_number(anchor.value)} is outside its scale")
        if self.alert_threshold is not None and not self.in_range(self.alert_threshold):
            raise DomainError(f"item {self.id} alert threshold is outside its scale")

    def in_range(self, value: float) -> bool:
        return math.isfinite(value) and self.minimum - _EPSILON <= value <= self.maximum + _EPSILON

    def on_step(self, value: float) -> bool:
        if self.step is None:
            return True
        steps = (value - self.minimum) / self.step
        return abs(steps - round(steps)) < 1e-6

    def accepts(self, value: float) -> bool:
        return self.in_range(value) and self.on_step(value)

    def score(self, answer: float) -> float:
        """The item score of an answer: reversed for reverse-scored items."""
        return self.minimum + self.maximum - answer if self.reverse_scored else answer

    @property
    def scale_label(self) -> str:
        return f"{format_number(self.minimum)}–{format_number(self.maximum)}"

    @property
    def scores_whole_points(self) -> bool:
        """Every answer, and so every item score, is a whole number: a whole-number scale in whole steps
        (PHQ-9's 0–3, our 0–10), not a visual-analogue line or half-point steps."""
        return (
            self.step is not None
            and _is_whole(self.step)
            and _is_whole(self.minimum)
            and _is_whole(self.maximum)
        )


def _is_whole(value: float) -> bool:
    return abs(value - round(value)) < _EPSILON


@dataclass(frozen=True, slots=True)
class FreeTextItem:
    """An optional open question. It is never scored; a non-empty answer raises a client-comment alert."""

    id: str
    text: str
    max_length: int = 2000

    def __post_init__(self) -> None:
        if not ITEM_ID.match(self.id):
            raise DomainError(f"free-text item id must be letters, digits, '.', '_' or '-' (got {self.id!r})")
        require_text(self.text, "free-text item text", max_length=1000)
        if self.max_length < 1:
            raise DomainError("free-text max length must be at least 1")


@dataclass(frozen=True, slots=True)
class Subscale:
    """A named group of items scored like the total (sum or mean). A subscale with more than
    `max_missing` of its items unanswered is unscorable; otherwise missing items are prorated."""

    id: str
    title: str
    item_ids: tuple[str, ...]
    max_missing: int = 0

    def __post_init__(self) -> None:
        require_text(self.title, f"subscale {self.id} title")
        object.__setattr__(self, "item_ids", tuple(self.item_ids))
        if not self.item_ids:
            raise DomainError(f"subscale {self.id} needs at least one item")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise DomainError(f"subscale {self.id} lists an item more than once")
        if not 0 <= self.max_missing < len(self.item_ids):
            raise DomainError(f"subscale {self.id} max_missing must be 0 to {len(self.item_ids) - 1}")


@dataclass(frozen=True, slots=True)
class Scoring:
    """How the total is made.

    Missing-item rule: with at most `max_missing` items unanswered the total is prorated (a sum becomes
    the mean of the answered items × the number of items, to the nearest whole point when every item
    scores whole points; a mean is the mean of the answered items); with more missing, the check-in is
    unscorable.
    """

    method: ScoringMethod = ScoringMethod.SUM
    max_missing: int = 0
    subscales: tuple[Subscale, ...] = ()

    def __post_init__(self) -> None:
        if self.max_missing < 0:
            raise DomainError("max_missing must be 0 or more")
        object.__setattr__(self, "subscales", tuple(self.subscales))


@dataclass(frozen=True, slots=True)
class SeverityBand:
    """A band starts at `minimum` (inclusive) and runs up to the next band's minimum."""

    label: str
    minimum: float


@dataclass(frozen=True, slots=True)
class Cutoff:
    """The clinical cut-off. A total is beyond it when on the worse side: ≤ value (or < value when not
    inclusive) where higher is better; ≥ value (or >) where lower is better."""

    value: float
    source: str
    label: str = "cut-off"
    inclusive: bool = True
    alert: CutoffAlert = CutoffAlert.ALWAYS
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class ReliableChange:
    """The smallest change in the total that is unlikely to be measurement error, with its source.

    `sd` and `reliability` are optional: with both, the reliable change index of Jacobson & Truax
    (1991) can be computed for any pair of scores (`stats.reliable_change`).
    """

    value: float
    source: str
    sd: float | None = None
    reliability: float | None = None
    provisional: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and self.value > 0):
            raise DomainError("reliable change value must be a finite number greater than 0")
        require_text(self.source, "reliable change source", max_length=500)
        if self.sd is not None and not (math.isfinite(self.sd) and self.sd > 0):
            raise DomainError("reliable change sd must be a finite number greater than 0")
        if self.reliability is not None and not 0 <= self.reliability < 1:
            raise DomainError("reliable change reliability must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class Codes:
    """Codes for interoperability: LOINC where they exist, else our local CodeSystem."""

    system: str
    panel: str | None = None
    total: str | None = None

    @staticmethod
    def local(instrument_id: str) -> "Codes":
        return Codes(system=LOCAL_CODE_SYSTEM, panel=instrument_id, total=f"{instrument_id}-total")


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    version: str
    title: str
    kind: InstrumentKind
    items: tuple[Item, ...]
    higher_is_better: bool
    licence: str
    validated: bool
    codes: Codes
    scoring: Scoring = field(default_factory=Scoring)
    free_text: FreeTextItem | None = None
    cutoff: Cutoff | None = None
    bands: tuple[SeverityBand, ...] = ()
    reliable_change: ReliableChange | None = None
    split_threshold: float | None = None
    instructions: str | None = None
    attribution: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not INSTRUMENT_ID.match(self.id):
            raise DomainError(
                f"instrument id must be lower-case letters, digits, '.', '_' or '-' (got {self.id!r})"
            )
        require_text(self.version, "instrument version", max_length=MAX_VERSION_LENGTH)
        require_text(self.title, "instrument title")
        require_text(self.licence, "licence note", max_length=2000)
        for name in ("items", "bands", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.items:
            raise DomainError(f"instrument {self.id} needs at least one item")
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise DomainError(f"instrument {self.id} has repeated item ids")
        if self.free_text is not None and self.free_text.id in ids:
            raise DomainError(f"free-text item id {self.free_text.id!r} repeats a scored item id")
        if self.scoring.max_missing >= len(self.items):
            raise DomainError(f"max_missing must be less than the number of items ({len(self.items)})")
        subscale_ids = [subscale.id for subscale in self.scoring.subscales]
        if len(set(subscale_ids)) != len(subscale_ids):
            raise DomainError(f"instrument {self.id} has repeated subscale ids")
        for subscale in self.scoring.subscales:
            unknown = [item_id for item_id in subscale.item_ids if item_id not in ids]
            if unknown:
                raise DomainError(f"subscale {subscale.id} names unknown items: {', '.join(unknown)}")
        minima = [band.minimum for band in self.bands]
        if any(b <= a for a, b in itertools.pairwise(minima)):
            raise DomainError("severity bands must be in ascending order of their minimum")
        low, high = self.total_range
        if self.cutoff is not None and not low <= self.cutoff.value <= high:
            raise DomainError(f"cut-off {format_number(self.cutoff.value)} is outside the total range")
        if any(not low <= minimum <= high for minimum in minima):
            raise DomainError("severity bands must start within the total range")
        if self.split_threshold is not None and not (
            math.isfinite(self.split_threshold) and self.split_threshold > 0
        ):
            raise DomainError("split threshold must be a finite number greater than 0")

    # --- look-ups -------------------------------------------------------------------------------------

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise DomainError(f"instrument {self.id} has no item {item_id!r}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def total_range(self) -> tuple[float, float]:
        """The lowest and highest possible total."""
        low = sum(item.minimum for item in self.items)
        high = sum(item.maximum for item in self.items)
        if self.scoring.method is ScoringMethod.MEAN:
            return low / len(self.items), high / len(self.items)
        return low, high

    def subscale_range(self, subscale: Subscale) -> tuple[float, float]:
        """The lowest and highest possible score of one subscale, scored like the total."""
        members = [self.item(item_id) for item_id in subscale.item_ids]
        low = sum(item.minimum for item in members)
        high = sum(item.maximum for item in members)
        if self.scoring.method is ScoringMethod.MEAN:
            return low / len(members), high / len(members)
        return low, high

    @property
    def best_total(self) -> float:
        low, high = self.total_range
        return high if self.higher_is_better else low

    @property
    def worst_total(self) -> float:
        low, high = self.total_range
        return low if self.higher_is_better else high

    @property
    def uses_loinc(self) -> bool:
        return self.codes.system == LOINC_SYSTEM

    # --- direction ------------------------------------------------------------------------------------

    def worsening(self, before: float, after: float) -> float:
        """How much worse `after` is than `before` (negative when it is better)."""
        return before - after if self.higher_is_better else after - before

    def at_or_worse(self, value: float, threshold: float, *, inclusive: bool = True) -> bool:
        """Is `value` at (when inclusive) or on the worse side of `threshold`?"""
        if self.higher_is_better:
            return value <= threshold + _EPSILON if inclusive else value < threshold - _EPSILON
        return value >= threshold - _EPSILON if inclusive else value > threshold + _EPSILON

    def beyond_cutoff(self, total: float) -> bool:
        if self.cutoff is None:
            return False
        return self.at_or_worse(total, self.cutoff.value, inclusive=self.cutoff.inclusive)

    def item_at_or_beyond_threshold(self, item: Item, item_score: float) -> bool:
        return item.alert_threshold is not None and self.at_or_worse(item_score, item.alert_threshold)

    def band_for(self, total: float) -> SeverityBand | None:
        """The severity band a total falls in: the band with the largest minimum ≤ total."""
        found: SeverityBand | None = None
        for band in self.bands:
            if total >= band.minimum - _EPSILON:
                found = band
        return found

    @property
    def worse_word(self) -> str:
        """For rule texts: 'lower' or 'higher'."""
        return "lower" if self.higher_is_better else "higher"

    @property
    def cutoff_symbol(self) -> str:
        if self.cutoff is None:
            return ""
        if self.higher_is_better:
            return "≤" if self.cutoff.inclusive else "<"
        return "≥" if self.cutoff.inclusive else ">"
