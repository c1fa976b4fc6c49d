"""The instruments a practice can use: the ones we ship, plus the ones it installed from its own files.

Shipped definitions live in the package (`instruments/definitions/*.json`, read with importlib.resources).
User-installed definitions live in `<data dir>/instruments/`, one `<id>.json` each; `install_instrument`
checks a file and copies it there. A broken user file never stops the catalogue from loading: it is
left out and its problems are listed in `Catalogue.problems`, to be shown to the clinician.
"""

import functools
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from safeenough.domain.instrument import Instrument
from safeenough.errors import InvalidInput, NotFound
from safeenough.instruments.loader import InstrumentFileInvalid, load_instrument_file, parse_instrument

USER_FOLDER = "instruments"

SAFETY_CHECKIN = "safeenough-safety"
PHQ_9 = "phq-9"
GAD_7 = "gad-7"


def user_instruments_dir(data_dir: Path) -> Path:
    """Where a practice's own instrument files live: `<data dir>/instruments`."""
    return data_dir / USER_FOLDER


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


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """Built-in instruments, plus every valid `*.json` under `<data_dir>/instruments` when given."""
    instruments = {instrument.id: instrument for instrument in builtin_instruments()}
    builtin_ids = frozenset(instruments)
    problems: list[str] = []
    folder = user_instruments_dir(data_dir) if data_dir is not None else None
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                instrument = load_instrument_file(path)
            except InstrumentFileInvalid as error:
                problems.extend(error.problems)
                continue
            if instrument.id in builtin_ids:
                problems.append(
                    f"{path.name}: id: {instrument.id!r} is a built-in instrument; choose another id"
                )
            elif instrument.id in instruments:
                problems.append(f"{path.name}: id: {instrument.id!r} is defined by another file too")
            else:
                instruments[instrument.id] = instrument
    return Catalogue(instruments=instruments, builtin_ids=builtin_ids, problems=tuple(problems))


def install_instrument(source: Path, data_dir: Path, *, replace: bool = False) -> Instrument:
    """Check a practice's instrument file and copy it into `<data_dir>/instruments/<id>.json`.

    Raises `InstrumentFileInvalid` explaining each problem, or `InvalidInput` when the id is taken (by
    a built-in instrument, or by an installed one unless `replace`). Nothing is written on failure.
    """
    instrument = load_instrument_file(source)
    if instrument.id in {builtin.id for builtin in builtin_instruments()}:
        raise InvalidInput(
            f"{source.name}: id: {instrument.id!r} is a built-in instrument; choose another id"
        )
    folder = user_instruments_dir(data_dir)
    target = folder / f"{instrument.id}.json"
    if target.exists() and not replace:
        raise InvalidInput(
            f"{source.name}: id: an instrument {instrument.id!r} is already installed; "
            "use replace to overwrite it"
        )
    folder.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename, so a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{instrument.id}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(source.read_bytes())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return instrument
