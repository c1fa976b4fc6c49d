"""Instruments as data: the definitions we ship, the catalogue, and the loader for practice-supplied files.

Public API:
- `load_catalogue(user_definitions)` → `Catalogue` (built-in + the given (source name, bytes) definitions,
  and the problems of those that could not be loaded); pure: the facade reads the definitions from the
  database
- `read_instrument_file(path)` → (`Instrument`, bytes) and `check_installable(instrument, ...)`: what
  `safeenough instrument add` checks before the facade stores the file
- `legacy_instrument_files(data_dir)` → files installed under `<data dir>/instruments` before the database
- `load_instrument_file(path)` / `parse_instrument(text, source_name=...)` → `Instrument`
- `builtin_instruments()` → the shipped instruments

The file format is documented in docs/instrument-format.md.
"""

from safeenough.instruments.catalogue import (
    GAD_7,
    PHQ_9,
    SAFETY_CHECKIN,
    Catalogue,
    UserDefinition,
    builtin_instruments,
    check_installable,
    legacy_instrument_files,
    load_catalogue,
    read_instrument_file,
    user_instruments_dir,
)
from safeenough.instruments.loader import (
    FORMAT,
    InstrumentFileInvalid,
    load_instrument_file,
    parse_instrument,
)

__all__ = [
    "FORMAT",
    "GAD_7",
    "PHQ_9",
    "SAFETY_CHECKIN",
    "Catalogue",
    "InstrumentFileInvalid",
    "UserDefinition",
    "builtin_instruments",
    "check_installable",
    "legacy_instrument_files",
    "load_catalogue",
    "load_instrument_file",
    "parse_instrument",
    "read_instrument_file",
    "user_instruments_dir",
]
