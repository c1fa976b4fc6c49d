"""The storage entry point: one engine, the field cipher, and units of work over repositories."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, inspect, select

from safeenough.errors import InvalidInput, KeyMismatch
from safeenough.storage import database
from safeenough.storage.alerts import AlertRepository
from safeenough.storage.audit import AuditRepository
from safeenough.storage.cases import CaseRepository
from safeenough.storage.checkin_links import CheckInLinkRepository
from safeenough.storage.checkins import CheckInRepository
from safeenough.storage.clinicians import ClinicianRepository
from safeenough.storage.encryption import FieldCipher, create_key_file, load_key_file
from safeenough.storage.formulation import DismissalRepository, FormulationRepository, PatternRepository
from safeenough.storage.instruments import InstrumentRepository
from safeenough.storage.logins import LoginRepository
from safeenough.storage.sessions import SessionRepository
from safeenough.storage.suggestion_edits import SuggestionEditRepository
from safeenough.storage.tables import settings
from safeenough.storage.transcripts import TranscriptRepository

KEY_CHECK = "key_check"
KEY_CHECK_TEXT = "safeenough key check"


@dataclass(frozen=True)
class UnitOfWork:
    """Repositories sharing one transaction: all of it is stored, or none of it."""

    connection: Connection
    clinicians: ClinicianRepository
    cases: CaseRepository
    sessions: SessionRepository
    audit: AuditRepository
    logins: LoginRepository
    checkin_links: CheckInLinkRepository
    checkins: CheckInRepository
    alerts: AlertRepository
    transcripts: TranscriptRepository
    formulation: FormulationRepository
    patterns: PatternRepository
    dismissals: DismissalRepository
    suggestion_edits: SuggestionEditRepository
    instruments: InstrumentRepository


class Store:
    def __init__(self, url: str, key_file: Path) -> None:
        self.url = url
        self.key_file = key_file
        self.engine: Engine = database.create_database_engine(url)
        self._cipher: FieldCipher | None = None
        self._serialise = database.is_sqlite(url)
        self._turn = threading.RLock()
        self._depth = threading.local()

    def migrate(self) -> None:
        # A database that already holds sealed data gets the key, so that migrations can seal values that
        # earlier versions stored in the clear; an empty one has nothing to seal and may have no key yet.
        database.upgrade(self.engine, cipher=self.cipher if self._has_key_check() else None)

    def _has_key_check(self) -> bool:
        if not inspect(self.engine).has_table(settings.name):
            return False
        with self.engine.connect() as connection:
            found = connection.execute(select(settings.c.key).where(settings.c.key == KEY_CHECK)).first()
        return found is not None

    def require_current_schema(self) -> None:
        database.require_current_schema(self.engine)

    @property
    def cipher(self) -> FieldCipher:
        if self._cipher is None:
            self._cipher = self._open_cipher()
        return self._cipher

    def _open_cipher(self) -> FieldCipher:
        """Load the key and prove it opens this database's data before anything is written with it."""
        with self.engine.begin() as connection:
            check = connection.execute(
                select(settings.c.value).where(settings.c.key == KEY_CHECK)
            ).scalar_one_or_none()
            if check is None:
                cipher = (
                    load_key_file(self.key_file) if self.key_file.exists() else create_key_file(self.key_file)
                )
                connection.execute(
                    insert(settings).values(key=KEY_CHECK, value=cipher.seal(KEY_CHECK_TEXT, field=KEY_CHECK))
                )
                return cipher
            cipher = load_key_file(self.key_file)
            if cipher.open(check, field=KEY_CHECK) != KEY_CHECK_TEXT:
                raise KeyMismatch(f"{self.key_file} does not belong to this database")
            return cipher

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        cipher = self.cipher  # proves the key (in its own transaction) before this one begins
        if not self._serialise:
            with self.engine.begin() as connection:
                yield self._unit_of_work(connection, cipher)
            return
        # SQLite has one writer at a time, and a connection that finds the database locked sleeps in
        # steps of up to 100 ms before it tries again: a burst of check-ins submitted at the same moment
        # queued for seconds that way. Within this process, transactions take turns on a lock instead
        # (a waiting thread resumes the moment the previous one commits), and each one takes SQLite's
        # write lock when it begins (BEGIN IMMEDIATE), so one that reads and then writes can never fail
        # because another process wrote in between; SQLite's busy timeout still covers other processes.
        with self._turn:
            depth = getattr(self._depth, "value", 0)
            self._depth.value = depth + 1
            try:
                with self.engine.begin() as connection:
                    if depth == 0:
                        connection.exec_driver_sql("BEGIN IMMEDIATE")
                    yield self._unit_of_work(connection, cipher)
            finally:
                self._depth.value = depth

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A unit of work that only reads, from one consistent snapshot, and does not take turns with
        writers: on SQLite (WAL) a long read such as a practice-wide export neither waits for nor holds
        up a check-in being stored. Writing through it is refused by the database."""
        cipher = self.cipher
        with self.engine.connect() as connection:
            if not self._serialise:
                with connection.begin():
                    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield self._unit_of_work(connection, cipher)
                return
            connection.exec_driver_sql("PRAGMA query_only = ON")
            try:
                connection.exec_driver_sql("BEGIN")  # deferred: the snapshot is taken at the first read
                yield self._unit_of_work(connection, cipher)
            finally:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA query_only = OFF")  # before it goes back to the pool

    @staticmethod
    def _unit_of_work(connection: Connection, cipher: FieldCipher) -> UnitOfWork:
        return UnitOfWork(
            connection=connection,
            clinicians=ClinicianRepository(connection),
            cases=CaseRepository(connection, cipher),
            sessions=SessionRepository(connection, cipher),
            audit=AuditRepository(connection),
            logins=LoginRepository(connection, cipher.derive_secret("login-usernames")),
            checkin_links=CheckInLinkRepository(connection, cipher),
            checkins=CheckInRepository(connection, cipher),
            alerts=AlertRepository(connection, cipher),
            transcripts=TranscriptRepository(connection, cipher),
            formulation=FormulationRepository(connection, cipher),
            patterns=PatternRepository(connection, cipher),
            dismissals=DismissalRepository(connection, cipher),
            suggestion_edits=SuggestionEditRepository(connection, cipher),
            instruments=InstrumentRepository(connection),
        )

    @contextmanager
    def reading_instruments(self) -> Iterator[InstrumentRepository]:
        """Installed instruments, read outside a unit of work: they are not clinical, so this needs no
        key, and on SQLite it does not queue behind writers (WAL lets it read while another writes)."""
        with self.engine.connect() as connection:
            yield InstrumentRepository(connection)

    def setting(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(settings.c.value).where(settings.c.key == key)
            ).scalar_one_or_none()
            return None if value is None else str(value)

    def set_setting(self, connection: Connection, key: str, value: str) -> None:
        connection.execute(settings.delete().where(settings.c.key == key))
        connection.execute(insert(settings).values(key=key, value=value))

    def dispose(self) -> None:
        self.engine.dispose()

    # Backup and restore -------------------------------------------------------------------------

    def backup(self, target: Path) -> Path:
        """A consistent copy of the live SQLite database, taken while the app keeps running."""
        source = self._require_sqlite("backup")
        if target.exists():
            raise InvalidInput(f"{target} already exists; choose a new file name so no backup is overwritten")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
                live.backup(copy)
            target.chmod(0o600)
        except (OSError, sqlite3.Error) as error:
            with suppress(OSError):
                target.unlink(missing_ok=True)
            raise InvalidInput(
                f"A backup cannot be written to {target} ({error}); choose a folder you can write to. "
                "Nothing was written."
            ) from None
        return target

    def restore(self, backup_file: Path) -> Path:
        """Replace the live database with a backup, after proving the backup is whole and our key opens it.

        The database as it was is kept beside it first, so a restore never loses data.
        """
        live_path = self._require_sqlite("restore")
        self._check_backup(backup_file)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = live_path.with_name(f"{live_path.name}.before-restore-{stamp}")
        if live_path.exists():
            self.backup(kept)
        self.engine.dispose()
        with closing(sqlite3.connect(backup_file)) as source, closing(sqlite3.connect(live_path)) as live:
            source.backup(live)
        self._cipher = None
        return kept

    def _check_backup(self, backup_file: Path) -> None:
        if not backup_file.is_file():
            raise InvalidInput(f"{backup_file} does not exist or is not a file")
        try:
            with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as backup:
                integrity = backup.execute("PRAGMA integrity_check").fetchone()
                check = backup.execute("SELECT value FROM settings WHERE key = ?", (KEY_CHECK,)).fetchone()
        except sqlite3.DatabaseError as error:
            raise InvalidInput(
                f"{backup_file} is not a safeenough backup ({error}); nothing was changed"
            ) from None
        if integrity is None or integrity[0] != "ok":
            raise InvalidInput(f"{backup_file} is damaged (integrity check failed); nothing was changed")
        if check is None:
            raise InvalidInput(f"{backup_file} holds no safeenough data; nothing was changed")
        cipher = load_key_file(self.key_file)
        try:
            cipher.open(check[0], field=KEY_CHECK)
        except KeyMismatch:
            raise KeyMismatch(
                f"{backup_file} was encrypted with a different key than {self.key_file}; restore the key "
                "file that was backed up with it first. Nothing was changed."
            ) from None

    def _require_sqlite(self, action: str) -> Path:
        if not database.is_sqlite(self.url):
            raise InvalidInput(
                f"safeenough {action} works on the embedded SQLite database. For PostgreSQL use pg_dump "
                "(e.g. `pg_dump -Fc safeenough > safeenough.dump`) and pg_restore; back up the key file too."
            )
        return database.sqlite_path(self.url)

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())
