"""Read an instrument definition file (JSON) and explain every problem in it.

The format is documented in `docs/instrument-format.md`. The same reader loads the instruments we ship
and the licensed instruments a practice installs from its own file (SRS, ORS, WAI-SR, CORE-10: the
practice supplies the wording; we never ship it).

Each problem names the file and the place in it, e.g. `srs.json: items[2].max: must be greater than
min (0)`, so a clinician can fix the file without reading Python.
"""

import json
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from safeenough.domain.alert import AlertSeverity
from safeenough.domain.instrument import (
    INSTRUMENT_ID,
    ITEM_ID,
    MAX_VERSION_LENGTH,
    RESERVED_ITEM_IDS,
    Anchor,
    Codes,
    Cutoff,
    CutoffAlert,
    FreeTextItem,
    Instrument,
    InstrumentKind,
    Item,
    ItemTheme,
    ReliableChange,
    Scoring,
    ScoringMethod,
    SeverityBand,
    Subscale,
    format_number,
)
from safeenough.domain.validation import DomainError
from safeenough.errors import InvalidInput

FORMAT = "safeenough-instrument/1"
"""The value of the `format` key in every definition file; a new incompatible format gets /2."""

MAX_FILE_BYTES = 1_000_000

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
ItemId = Annotated[str, Field(pattern=ITEM_ID.pattern)]


class InstrumentFileInvalid(InvalidInput):
    """An instrument file could not be accepted. `problems` lists each one as 'file: path: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class _Model(BaseModel):
    # allow_inf_nan=False: every number in a file must be finite (JSON parsers accept NaN and Infinity),
    # and each one that is not is reported at its own path.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class AnchorModel(_Model):
    value: float
    label: ShortText


class ItemModel(_Model):
    id: ItemId
    text: Annotated[str, Field(min_length=1, max_length=1000)]
    min: float
    max: float
    step: Annotated[float, Field(gt=0)] | None = 1
    anchors: list[AnchorModel] = []
    reverse_scored: bool = False
    alert_threshold: float | None = None
    alert_severity: AlertSeverity = AlertSeverity.MEDIUM
    theme: ItemTheme | None = None

    @field_validator("max")
    @classmethod
    def _max_above_min(cls, value: float, info: ValidationInfo) -> float:
        minimum = info.data.get("min")
        if isinstance(minimum, int | float) and value <= minimum:
            raise PydanticCustomError(
                "scale", "must be greater than min ({min})", {"min": format_number(minimum)}
            )
        return value


class FreeTextModel(_Model):
    id: ItemId
    text: Annotated[str, Field(min_length=1, max_length=1000)]
    max_length: Annotated[int, Field(ge=1, le=20_000)] = 2000


class MissingModel(_Model):
    max_missing: Annotated[int, Field(ge=0)] = 0


class SubscaleModel(_Model):
    id: ItemId
    title: ShortText
    items: Annotated[list[ItemId], Field(min_length=1)]
    max_missing: Annotated[int, Field(ge=0)] = 0


class ScoringModel(_Model):
    method: ScoringMethod = ScoringMethod.SUM
    missing: MissingModel = MissingModel()
    subscales: list[SubscaleModel] = []


class CutoffModel(_Model):
    value: float
    source: Text
    label: ShortText = "cut-off"
    inclusive: bool = True
    alert: CutoffAlert = CutoffAlert.ALWAYS
    provisional: bool = False


class BandModel(_Model):
    label: ShortText
    min: float


class ReliableChangeModel(_Model):
    value: Annotated[float, Field(gt=0)]
    source: Text
    sd: Annotated[float, Field(gt=0)] | None = None
    reliability: Annotated[float, Field(ge=0, lt=1)] | None = None
    provisional: bool = False


class CodesModel(_Model):
    system: Annotated[str, Field(pattern=r"^(https?|urn):\S+$")]
    panel: ShortText | None = None
    total: ShortText | None = None


class InstrumentModel(_Model):
    format: Literal["safeenough-instrument/1"]
    id: Annotated[str, Field(pattern=INSTRUMENT_ID.pattern)]
    version: Annotated[str, Field(min_length=1, max_length=MAX_VERSION_LENGTH)]
    title: ShortText
    kind: InstrumentKind
    higher_is_better: bool
    instructions: Text | None = None
    items: Annotated[list[ItemModel], Field(min_length=1, max_length=200)]
    free_text: FreeTextModel | None = None
    scoring: ScoringModel = ScoringModel()
    cutoff: CutoffModel | None = None
    bands: list[BandModel] = []
    reliable_change: ReliableChangeModel | None = None
    split_threshold: Annotated[float, Field(gt=0)] | None = None
    licence: Text
    attribution: Text | None = None
    validated: bool
    codes: CodesModel | None = None
    notes: list[Text] = []


# --- problems the schema alone cannot see --------------------------------------------------------------


def _cross_checks(model: InstrumentModel) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(model.items):
        path = f"items[{index}]"
        if item.id in seen:
            problems.append((f"{path}.id", f"repeats the id of items[{seen[item.id]}] ({item.id!r})"))
        elif item.id.lower() in RESERVED_ITEM_IDS:
            problems.append((f"{path}.id", f"{item.id!r} is reserved for the total; choose another id"))
        seen.setdefault(item.id, index)
        if item.step is not None and not _whole_steps(item.max - item.min, item.step):
            problems.append(
                (
                    f"{path}.step",
                    f"max ({format_number(item.max)}) must be reachable from min ({format_number(item.min)}) "
                    f"in whole steps of {format_number(item.step)}",
                )
            )
        scale = f"the scale {format_number(item.min)}–{format_number(item.max)}"
        for a_index, anchor in enumerate(item.anchors):
            if not item.min <= anchor.value <= item.max:
                problems.append((f"{path}.anchors[{a_index}].value", f"must lie within {scale}"))
        if item.alert_threshold is not None and not item.min <= item.alert_threshold <= item.max:
            problems.append((f"{path}.alert_threshold", f"must lie within {scale}"))
    if model.free_text is not None and model.free_text.id in seen:
        problems.append(("free_text.id", f"repeats the id of items[{seen[model.free_text.id]}]"))
    if model.scoring.missing.max_missing >= len(model.items):
        problems.append(
            ("scoring.missing.max_missing", f"must be less than the number of items ({len(model.items)})")
        )
    subscale_ids: dict[str, int] = {}
    for s_index, subscale in enumerate(model.scoring.subscales):
        path = f"scoring.subscales[{s_index}]"
        if subscale.id in subscale_ids:
            first = subscale_ids[subscale.id]
            problems.append((f"{path}.id", f"repeats the id of scoring.subscales[{first}] ({subscale.id!r})"))
        subscale_ids.setdefault(subscale.id, s_index)
        listed: dict[str, int] = {}
        for i_index, item_id in enumerate(subscale.items):
            if item_id in listed:
                problems.append(
                    (f"{path}.items[{i_index}]", f"repeats {path}.items[{listed[item_id]}] ({item_id!r})")
                )
            elif item_id not in seen:
                problems.append(
                    (f"{path}.items[{i_index}]", f"names no item of this instrument ({item_id!r})")
                )
            listed.setdefault(item_id, i_index)
        if subscale.max_missing >= len(subscale.items):
            problems.append(
                (f"{path}.max_missing", f"must be less than the subscale's items ({len(subscale.items)})")
            )
    for b_index in range(1, len(model.bands)):
        if model.bands[b_index].min <= model.bands[b_index - 1].min:
            previous = format_number(model.bands[b_index - 1].min)
            problems.append((f"bands[{b_index}].min", f"must be greater than the band before ({previous})"))
    problems.extend(_range_checks(model))
    return problems


def _whole_steps(span: float, step: float) -> bool:
    """Is `span` a whole number of `step`s (with the tolerance `Item.on_step` uses)?"""
    steps = span / step
    return math.isfinite(steps) and abs(steps - round(steps)) < 1e-6


def _range_checks(model: InstrumentModel) -> list[tuple[str, str]]:
    """The cut-off and the severity bands must lie within the possible totals."""
    low = sum(item.min for item in model.items)
    high = sum(item.max for item in model.items)
    if model.scoring.method is ScoringMethod.MEAN:
        low, high = low / len(model.items), high / len(model.items)
    if not (math.isfinite(low) and math.isfinite(high)):
        return [("items", "the scales are too large to add up to a total")]
    total_range = f"the total range {format_number(low)}–{format_number(high)}"
    problems: list[tuple[str, str]] = []
    if model.cutoff is not None and not low <= model.cutoff.value <= high:
        problems.append(("cutoff.value", f"must lie within {total_range}"))
    for b_index, band in enumerate(model.bands):
        if not low <= band.min <= high:
            problems.append((f"bands[{b_index}].min", f"must lie within {total_range}"))
    return problems


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _message(error_type: str, message: str, loc: tuple[int | str, ...]) -> str:
    if error_type == "string_pattern_mismatch":
        if loc == ("id",):
            return (
                "must be lower-case letters, digits, '.', '_' or '-' (at most 64), "
                "starting with a letter or digit"
            )
        if loc and loc[-1] == "system":
            return "must be a URL, such as 'http://loinc.org'"
        return "must be letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit"
    if error_type == "extra_forbidden":
        return "is not a known key (check the spelling against docs/instrument-format.md)"
    if error_type == "missing":
        return "is required"
    if error_type == "finite_number":
        return "must be a finite number (not NaN or Infinity)"
    if error_type == "string_too_long" and loc == ("version",):
        return (
            f"must be at most {MAX_VERSION_LENGTH} characters "
            "(it is stored with every check-in answered on it)"
        )
    if error_type == "literal_error" and message.startswith("Input should be 'safeenough-instrument"):
        return f"must be {FORMAT!r}"
    return message[:1].lower() + message[1:]


def _to_domain(model: InstrumentModel) -> Instrument:
    items = tuple(
        Item(
            id=item.id,
            text=item.text,
            minimum=item.min,
            maximum=item.max,
            anchors=tuple(Anchor(a.value, a.label) for a in item.anchors),
            step=item.step,
            reverse_scored=item.reverse_scored,
            alert_threshold=item.alert_threshold,
            alert_severity=item.alert_severity,
            theme=item.theme,
        )
        for item in model.items
    )
    scoring = Scoring(
        method=model.scoring.method,
        max_missing=model.scoring.missing.max_missing,
        subscales=tuple(
            Subscale(s.id, s.title, tuple(s.items), s.max_missing) for s in model.scoring.subscales
        ),
    )
    cutoff = model.cutoff
    rc = model.reliable_change
    codes = model.codes
    return Instrument(
        id=model.id,
        version=model.version,
        title=model.title,
        kind=model.kind,
        items=items,
        higher_is_better=model.higher_is_better,
        licence=model.licence,
        validated=model.validated,
        codes=Codes(codes.system, codes.panel, codes.total) if codes else Codes.local(model.id),
        scoring=scoring,
        free_text=(
            FreeTextItem(model.free_text.id, model.free_text.text, model.free_text.max_length)
            if model.free_text
            else None
        ),
        cutoff=(
            Cutoff(
                value=cutoff.value,
                source=cutoff.source,
                label=cutoff.label,
                inclusive=cutoff.inclusive,
                alert=cutoff.alert,
                provisional=cutoff.provisional,
            )
            if cutoff
            else None
        ),
        bands=tuple(SeverityBand(b.label, b.min) for b in model.bands),
        reliable_change=(
            ReliableChange(rc.value, rc.source, rc.sd, rc.reliability, rc.provisional) if rc else None
        ),
        split_threshold=model.split_threshold,
        instructions=model.instructions,
        attribution=model.attribution,
        notes=tuple(model.notes),
    )


def parse_instrument(data: str | bytes, *, source_name: str) -> Instrument:
    """Parse the text of a definition file. `source_name` (usually the file name) starts every problem.

    Raises `InstrumentFileInvalid` listing every problem found.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InstrumentFileInvalid([f"{source_name}: is not UTF-8 text"]) from None
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as error:
        raise InstrumentFileInvalid(
            [f"{source_name}: line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"]
        ) from None
    if not isinstance(raw, dict):
        raise InstrumentFileInvalid([f"{source_name}: (top level): must be a JSON object {{…}}"])
    try:
        model = InstrumentModel.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{source_name}: {_location(tuple(e['loc']))}: {_message(e['type'], e['msg'], tuple(e['loc']))}"
            for e in error.errors(include_url=False)
        ]
        raise InstrumentFileInvalid(problems) from None
    cross = _cross_checks(model)
    if cross:
        raise InstrumentFileInvalid([f"{source_name}: {path}: {message}" for path, message in cross])
    try:
        return _to_domain(model)
    except DomainError as error:  # defence in depth: the checks above should catch these first
        raise InstrumentFileInvalid([f"{source_name}: {error}"]) from None


def load_instrument_file(path: Path) -> Instrument:
    """Read and check one definition file; problems name the file by its base name."""
    return parse_instrument(read_definition_bytes(path), source_name=path.name)


def read_definition_bytes(path: Path) -> bytes:
    """A definition file's bytes, after checking it exists, can be read and is not too large."""
    try:
        size = path.stat().st_size
    except OSError:
        raise InstrumentFileInvalid([f"{path.name}: cannot be read (does the file exist?)"]) from None
    if size > MAX_FILE_BYTES:
        raise InstrumentFileInvalid([f"{path.name}: is larger than {MAX_FILE_BYTES // 1000} kB"])
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InstrumentFileInvalid([f"{path.name}: cannot be read ({error.strerror})"]) from None
    return data
