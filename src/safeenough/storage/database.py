"""Engines for the embedded SQLite default and for PostgreSQL, and schema migrations through Alembic."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError

from safeenough.errors import DatabaseNotReady, DatabaseUnavailable, InvalidInput
from safeenough.storage.encryption import FieldCipher

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def describe(url: str | URL) -> str:
    """The URL as it may be shown or logged: the password is replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def check_url(url: str, *, named: str = "SAFEENOUGH_DATABASE_URL") -> URL:
    """A URL safeenough can use, or InvalidInput saying what to write instead (checked before connecting).

    `named` says where the URL came from, for the message."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(f"{named} is not a database URL; write it as {SUPPORTED_URLS}") from None
    backend, _, driver = parsed.drivername.partition("+")  # without loading a dialect, which may be absent
    shown = parsed.render_as_string(hide_password=True)
    if backend == "postgres":
        raise InvalidInput(f"{named} {shown} starts with postgres://; write postgresql+psycopg:// instead")
    if backend == "postgresql" and driver not in ("", "psycopg"):
        raise InvalidInput(
            f"{named} {shown} asks for the driver {driver}, which safeenough does not "
            "install; write postgresql+psycopg:// instead"
        )
    if backend not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"{named} {shown}: safeenough runs on SQLite or PostgreSQL only; write it as {SUPPORTED_URLS}"
        )
    if backend == "postgresql" and not parsed.database:
        raise InvalidInput(f"{named} {shown} names no database; add /DATABASE at its end")
    return parsed


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up or shared between requests")
    return Path(database)


def create_database_engine(url: str, *, named: str = "SAFEENOUGH_DATABASE_URL") -> Engine:
    check_url(url, named=named)
    if is_sqlite(url):
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _configure_sqlite_connection)
    else:
        engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "connect", _configure_postgresql_connection)
    event.listen(engine, "handle_error", _explain_unreachable)
    return engine


def _configure_postgresql_connection(dbapi_connection: Any, _record: Any) -> None:
    # Every moment is stored and read in UTC whatever the server's or the database's own time zone: with
    # another zone psycopg hands back aware datetimes in that zone, and a naive value written (as SQLite
    # hands them back, e.g. when a practice moves over) would be read as local time.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _explain_unreachable(context: ExceptionContext) -> None:
    """A database that cannot be reached (down, wrong host, password or name, connection lost) becomes
    DatabaseUnavailable with a message a person can act on; other database errors pass unchanged."""
    if context.is_pre_ping:
        return  # the pool tries a fresh connection itself
    connecting = context.connection is None
    if not (connecting or context.is_disconnect):
        return
    url = context.engine.url if context.engine is not None else None
    shown = describe(url) if url is not None else "(unknown)"
    reason = str(context.original_exception).strip().splitlines()
    detail = reason[0] if reason else type(context.original_exception).__name__
    if url is not None and url.get_backend_name() == "sqlite":
        check = "check that the folder exists and this user may read and write the file"
        raise DatabaseUnavailable(
            f"safeenough cannot open its database {shown} ({detail}); {check}"
        ) from context.original_exception
    check = (
        "check that PostgreSQL is running and reachable at that host and port, and that the user, "
        "password and database name in the URL are right"
        if connecting
        else "the connection was lost; check that PostgreSQL is running, then try again"
    )
    raise DatabaseUnavailable(
        f"safeenough cannot reach its database {shown} ({detail}); {check}"
    ) from context.original_exception


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
            f"The database {describe(engine.url)} {state}; this version of "
            f"safeenough needs schema {head}. Run `safeenough migrate` (make run does this for you)."
        )


def as_utc(moment: datetime) -> datetime:
    """We store every moment in UTC; SQLite hands timezone-aware columns back naive, PostgreSQL hands them
    back aware in the session's time zone (UTC on our connections, but never assumed)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
