"""The instruments a practice can use: the ones we ship, plus the ones it installed from its own files.

Shipped definitions live in the package (`instruments/definitions/*.json`, read with importlib.resources).
A practice's own definitions are stored in its database (the facade reads and writes them); this module
only checks and parses them, so it needs no storage:
- `load_catalogue(user_definitions)` builds the catalogue from the built-ins plus user definitions given
  as (source name, bytes) pairs. A broken or clashing one never stops the catalogue from loading: it is
  left out and its problems are listed in `Catalogue.problems`, to be shown to the clinician.
- `read_instrument_file` + `check_installable` are what installing a file checks, with the same messages.
- `legacy_instrument_files` lists the files installed before definitions moved into the database
  (`<data dir>/instruments/<id>.json`), so the facade can import them once.
"""

import functools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from safeenough.domain.instrument import Instrument
from safeenough.errors import InvalidInput, NotFound
from safeenough.instruments.loader import InstrumentFileInvalid, parse_instrument, read_definition_bytes

USER_FOLDER = "instruments"

SAFETY_CHECKIN = "safeenough-safety"
PHQ_9 = "phq-9"
GAD_7 = "gad-7"

UserDefinition = tuple[str, bytes | str]
"""A practice's own definition: (source name, the file's bytes or text). The source name starts every
problem reported about it, e.g. `srs.json`."""


def user_instruments_dir(data_dir: Path) -> Path:
    """Where installed instrument files lived before they moved into the database.

    `<data dir>/instruments`; read once when a practice opens, to import them."""
    return data_dir / USER_FOLDER


def legacy_instrument_files(data_dir: Path) -> list[Path]:
    """The `*.json` files under `<data dir>/instruments` (installs from before the database), by name."""
    folder = user_instruments_dir(data_dir)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@functools.cache
def builtin_instruments() -> tuple[Instrument, ...]:
    """The instruments we ship, in a stable order (our own check-in first, then by file name).

    Read once per process."""
    folder = resources.files("safeenough.instruments").joinpath("definitions")
    found: list[Instrument] = []
    for entry in sorted(folder.iterdir(), key=lambda e: (e.name != f"{SAFETY_CHECKIN}.json", e.name)):
        if entry.name.endswith(".json") and entry.is_file():
            found.append(parse_instrument(entry.read_bytes(), source_name=entry.name))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Instruments by id (built-in first), and the problems of user files that could not be loaded."""

    instruments: Mapping[str, Instrument]
    builtin_ids: frozenset[str]
    problems: tuple[str, ...] = field(default=())

    def get(self, instrument_id: str) -> Instrument:
        try:
            return self.instruments[instrument_id]
        except KeyError:
            raise NotFound(f"no instrument {instrument_id!r} is installed") from None

    def is_builtin(self, instrument_id: str) -> bool:
        return instrument_id in self.builtin_ids

    def __contains__(self, instrument_id: object) -> bool:
        return instrument_id in self.instruments

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.instruments.values())

    def __len__(self) -> int:
        return len(self.instruments)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.instruments)


def load_catalogue(user_definitions: Iterable[UserDefinition] = ()) -> Catalogue:
    """Built-in instruments, plus every valid user definition given as (source name, bytes) pairs.

    Pure: nothing is read but the built-ins. A definition that does not parse, or whose id is a built-in
    one or already taken by an earlier definition, is left out and explained in `problems`.
    """
    instruments = {instrument.id: instrument for instrument in builtin_instruments()}
    builtin_ids = frozenset(instruments)
    problems: list[str] = []
    for source_name, data in user_definitions:
        try:
            instrument = parse_instrument(data, source_name=source_name)
        except InstrumentFileInvalid as error:
            problems.extend(error.problems)
            continue
        if instrument.id in builtin_ids:
            problems.append(
                f"{source_name}: id: {instrument.id!r} is a built-in instrument; choose another id"
            )
        elif instrument.id in instruments:
            problems.append(f"{source_name}: id: {instrument.id!r} is defined by another file too")
        else:
            instruments[instrument.id] = instrument
    return Catalogue(instruments=instruments, builtin_ids=builtin_ids, problems=tuple(problems))


def read_instrument_file(source: Path) -> tuple[Instrument, bytes]:
    """Check one definition file; return the instrument and the file's bytes as given (what is stored).

    Raises `InstrumentFileInvalid` explaining each problem, as `load_instrument_file` does.
    """
    data = read_definition_bytes(source)
    return parse_instrument(data, source_name=source.name), data


def check_installable(
    instrument: Instrument, *, source_name: str, installed_ids: Collection[str], replace: bool = False
) -> None:
    """Raise `InvalidInput` when the instrument's id is taken: by a built-in instrument, or by an
    installed one unless `replace`."""
    if instrument.id in {builtin.id for builtin in builtin_instruments()}:
        raise InvalidInput(
            f"{source_name}: id: {instrument.id!r} is a built-in instrument; choose another id"
        )
    if instrument.id in installed_ids and not replace:
        raise InvalidInput(
            f"{source_name}: id: an instrument {instrument.id!r} is already installed; "
            "use --replace to overwrite it"
        )
