import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from safeenough.errors import DatabaseNotReady
from safeenough.storage import database
from safeenough.storage.tables import metadata


def test_migrating_an_empty_database_to_head_gives_exactly_the_table_definitions(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    database.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_downgrading_to_base_removes_every_table(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    database.upgrade(engine)
    database.downgrade(engine, "base")
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()


def test_an_unmigrated_database_is_reported_with_what_to_do(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    with pytest.raises(DatabaseNotReady, match="safeenough migrate"):
        database.require_current_schema(engine)
    engine.dispose()
