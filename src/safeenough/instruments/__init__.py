"""Instruments as data: the definitions we ship, the catalogue, and the loader for practice-supplied files.

Public API:
- `load_catalogue(data_dir)` → `Catalogue` (built-in + installed instruments, and problems of bad files)
- `install_instrument(path, data_dir, replace=False)` → `Instrument` (what `safeenough instrument add` calls)
- `load_instrument_file(path)` / `parse_instrument(text, source_name=...)` → `Instrument`
- `builtin_instruments()` → the shipped instruments

The file format is documented in docs/instrument-format.md.
"""

from safeenough.instruments.catalogue import (
    GAD_7,
    PHQ_9,
    SAFETY_CHECKIN,
    Catalogue,
    builtin_instruments,
    install_instrument,
    load_catalogue,
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
    "builtin_instruments",
    "install_instrument",
    "load_catalogue",
    "load_instrument_file",
    "parse_instrument",
    "user_instruments_dir",
]
