"""Moving a practice to another database (SQLite to PostgreSQL, typically), row for row.

The target is migrated to the current schema and must hold no practice data. Every table is copied in
foreign-key order, in batches, within one transaction on the target: a move is stored whole or not at all.
Sealed values are copied as they are, so the target needs the very key file the source was sealed with.
PostgreSQL's id sequences are then set past the copied ids, and the copy is checked (rows per table, and
that the key opens the sealed values) before it is committed.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Engine, Integer, Table, func, inspect, select, text
from sqlalchemy import insert as sql_insert

from safeenough.errors import InvalidInput, KeyMismatch
from safeenough.storage import database
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.store import KEY_CHECK, KEY_CHECK_TEXT, Store
from safeenough.storage.tables import metadata, settings

BATCH_ROWS = 1000
SEALED_BATCH_ROWS = 50
SEALED_SUFFIX = "_sealed"


@dataclass(frozen=True, slots=True)
class CopiedTable:
    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class MoveSummary:
    source: str
    """The source database's URL, without its password."""
    target: str
    tables: tuple[CopiedTable, ...]
    sequences_reset: int
    sealed_values_opened: int

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def move_practice(source: Store, target_url: str) -> MoveSummary:
    """Copy everything in `source` (at the current schema) into the empty database at `target_url`."""
    source.require_current_schema()
    cipher = source.cipher  # the key opens the source: otherwise the copy could not be checked
    if database.describe(target_url) == database.describe(source.url):
        raise InvalidInput("the target is the database safeenough already uses; give another URL")
    target = database.create_database_engine(target_url, named="the target URL")
    try:
        _refuse_practice_data(target)
        database.upgrade(target)
        _refuse_practice_data(target)
        with source.reading() as work, target.begin() as out:
            copied = tuple(_copy_table(work.connection, out, table) for table in metadata.sorted_tables)
            sequences = _reset_sequences(out) if out.dialect.name == "postgresql" else 0
            _check_counts(out, copied)
            opened = _check_sealed(out, cipher)
    finally:
        target.dispose()
    return MoveSummary(
        source=database.describe(source.url),
        target=database.describe(target_url),
        tables=copied,
        sequences_reset=sequences,
        sealed_values_opened=opened,
    )


def _refuse_practice_data(target: Engine) -> None:
    present = set(inspect(target).get_table_names())
    with target.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise InvalidInput(
                    f"the target {database.describe(target.url)} already holds practice data (in "
                    f"{table.name}); safeenough moves a practice only into an empty database, so that "
                    "nothing there is mixed up or overwritten. Nothing was changed."
                )


def _copy_table(source: Connection, out: Connection, table: Table) -> CopiedTable:
    # A column pointing at its own table (a clinician's supervisor) is filled in once every row is there,
    # since a row may point at one with a higher id.
    own = [column.name for column in table.columns if _points_at(column, table)]
    keys = list(table.primary_key.columns)
    moments = [column.name for column in table.columns if isinstance(column.type, DateTime)]
    rows = 0
    later: list[dict[str, Any]] = []
    for batch in _batches(source, table):
        values = [_utc_moments(row, moments) for row in batch]
        if own:
            later.extend(row for row in values if any(row[name] is not None for name in own))
            values = [{**row, **dict.fromkeys(own)} for row in values]
        out.execute(sql_insert(table), values)
        rows += len(values)
    for row in later:
        where = [column == row[column.name] for column in keys]
        out.execute(table.update().where(*where).values({name: row[name] for name in own}))
    return CopiedTable(table.name, rows)


def _points_at(column: Column[Any], table: Table) -> bool:
    return any(key.column.table is table for key in column.foreign_keys)


def _batches(source: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    ordered = select(table).order_by(*table.primary_key.columns)
    # Rows with sealed text can be large (a session's transcript): fewer of them at a time.
    size = SEALED_BATCH_ROWS if any(c.name.endswith("_sealed") for c in table.columns) else BATCH_ROWS
    result = source.execution_options(yield_per=size).execute(ordered)
    for partition in result.mappings().partitions(size):
        yield [{str(name): value for name, value in row.items()} for row in partition]


def _utc_moments(row: dict[str, Any], moments: list[str]) -> dict[str, Any]:
    values = dict(row)
    for name in moments:
        moment = values.get(name)
        if isinstance(moment, datetime):
            values[name] = database.as_utc(moment)  # SQLite hands them back naive
    return values


def _reset_sequences(out: Connection) -> int:
    """Set each id sequence to the highest id copied, so the next row gets the next id."""
    reset = 0
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0].name
        sequence = out.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column}
        ).scalar_one_or_none()
        if sequence is None:
            continue
        highest = out.execute(select(func.max(table.c[column]))).scalar_one_or_none()
        out.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": highest or 1, "called": highest is not None},
        )
        reset += 1
    return reset


def _check_counts(out: Connection, copied: tuple[CopiedTable, ...]) -> None:
    for table in copied:
        found = out.execute(select(func.count()).select_from(metadata.tables[table.name])).scalar_one()
        if found != table.rows:
            raise InvalidInput(
                f"the copy of {table.name} holds {found} rows, the source {table.rows}; nothing was "
                "moved (the target was rolled back)"
            )


def _check_sealed(out: Connection, cipher: FieldCipher) -> int:
    """The key opens the copied key check and the first value of every sealed column."""
    check = out.execute(select(settings.c.value).where(settings.c.key == KEY_CHECK)).scalar_one_or_none()
    if check is None or cipher.open(check, field=KEY_CHECK) != KEY_CHECK_TEXT:
        raise KeyMismatch("the copy's key check does not open with the key; nothing was moved")
    opened = 1
    for table in metadata.sorted_tables:
        for column in table.columns:
            if not column.name.endswith(SEALED_SUFFIX):
                continue
            sealed = out.execute(
                select(column).where(column.is_not(None)).order_by(*table.primary_key.columns).limit(1)
            ).scalar_one_or_none()
            if sealed is not None:
                cipher.open(sealed, field=f"{table.name}.{column.name.removesuffix(SEALED_SUFFIX)}")
                opened += 1
    return opened
