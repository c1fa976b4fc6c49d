"""Installed instrument definitions: a practice's own definition files, stored exactly as given.

Kept in the database (not in a folder beside one app server) so that every server sharing the database
asks the same questions. Definitions hold no clinical data, so they are not sealed. This module stores
bytes; checking and parsing them is `safeenough.instruments`' job (the facade joins the two).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from safeenough.storage.database import as_utc
from safeenough.storage.tables import instruments

InstrumentStamp = tuple[str, str, int, datetime]
"""(id, version, revision, installed_at) of one installed definition: cheap to read, and it changes
whenever the definition does, so a parsed catalogue can be kept until the stamps change."""


@dataclass(frozen=True, slots=True)
class InstalledDefinition:
    id: str
    version: str
    definition: bytes
    source_name: str
    """The name of the file it was installed from (for the record; problems name `<id>.json`)."""
    installed_at: datetime
    revision: int

    @property
    def stamp(self) -> InstrumentStamp:
        return (self.id, self.version, self.revision, self.installed_at)


_STAMPS = select(
    instruments.c.id, instruments.c.version, instruments.c.revision, instruments.c.installed_at
).order_by(instruments.c.id)
_ALL = select(instruments).order_by(instruments.c.id)


class InstrumentRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def stamps(self) -> tuple[InstrumentStamp, ...]:
        """One small query: what is installed, without the definitions themselves."""
        return tuple(
            (row.id, row.version, row.revision, as_utc(row.installed_at))
            for row in self.connection.execute(_STAMPS)
        )

    def all(self) -> list[InstalledDefinition]:
        """Every installed definition, by id."""
        return [
            InstalledDefinition(
                id=row.id,
                version=row.version,
                definition=bytes(row.definition),
                source_name=row.source_name,
                installed_at=as_utc(row.installed_at),
                revision=row.revision,
            )
            for row in self.connection.execute(_ALL)
        ]

    def ids(self) -> set[str]:
        return set(self.connection.execute(select(instruments.c.id)).scalars())

    def add(self, instrument_id: str, version: str, definition: bytes, source_name: str) -> bool:
        """Install a definition unless one with this id is installed already (also by another server
        at the same moment). Returns whether it was added."""
        statement = (
            self._insert()
            .values(
                id=instrument_id,
                version=version,
                definition=definition,
                source_name=source_name[:255],
                installed_at=datetime.now(UTC),
                revision=1,
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(instruments.c.id)
        )
        return self.connection.execute(statement).first() is not None

    def replace(self, instrument_id: str, version: str, definition: bytes, source_name: str) -> bool:
        """Replace an installed definition (its revision goes up by one). Returns whether one was there."""
        result = self.connection.execute(
            update(instruments)
            .where(instruments.c.id == instrument_id)
            .values(
                version=version,
                definition=definition,
                source_name=source_name[:255],
                installed_at=datetime.now(UTC),
                revision=instruments.c.revision + 1,
            )
        )
        return bool(result.rowcount)

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        if self.connection.dialect.name == "postgresql":
            return postgresql.insert(instruments)
        return sqlite.insert(instruments)
