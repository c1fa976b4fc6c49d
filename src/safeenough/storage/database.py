"""Engines for the embedded SQLite default and for PostgreSQL, and schema migrations through Alembic."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from safeenough.errors import DatabaseNotReady
from safeenough.storage.encryption import FieldCipher

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up or shared between requests")
    return Path(database)


def create_database_engine(url: str) -> Engine:
    if is_sqlite(url):
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while a check-in is written; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine, cipher: FieldCipher | None = None) -> Config:
    """`cipher` is for migrations that seal or open stored values; an empty database needs none."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["cipher"] = cipher
    return config


def upgrade(engine: Engine, revision: str = "head", *, cipher: FieldCipher | None = None) -> None:
    command.upgrade(alembic_config(engine, cipher), revision)


def downgrade(engine: Engine, revision: str, *, cipher: FieldCipher | None = None) -> None:
    command.downgrade(alembic_config(engine, cipher), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no safeenough tables" if current is None else f"is at schema {current}"
        raise DatabaseNotReady(
            f"The database {engine.url.render_as_string(hide_password=True)} {state}; this version of "
            f"safeenough needs schema {head}. Run `safeenough migrate` (make run does this for you)."
        )


def as_utc(moment: datetime) -> datetime:
    """We store every moment in UTC; SQLite hands timezone-aware columns back naive, PostgreSQL does not."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
