"""Moments are stored and read in UTC, whatever time zone the database server or the database is set to."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.database import as_utc
from tests.builders import login
from tests.web.helpers import case_titled

AUCKLAND = "Pacific/Auckland"


def test_an_aware_moment_in_another_zone_is_the_same_instant_in_utc() -> None:
    auckland = datetime(2026, 11, 30, 3, 5, tzinfo=ZoneInfo(AUCKLAND))
    moment = as_utc(auckland)
    assert moment.utcoffset() == timedelta(0)
    assert moment == auckland
    assert moment.hour == 14


def test_a_naive_moment_from_sqlite_is_taken_to_be_utc() -> None:
    assert as_utc(datetime(2026, 11, 29, 14, 5)) == datetime(2026, 11, 29, 14, 5, tzinfo=UTC)


@pytest.fixture
def auckland_practice(postgres_url: str, tmp_path: Path) -> Iterator[Practice]:
    """A demo practice in a PostgreSQL database whose own time zone is Pacific/Auckland."""
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        connection.execute(text(f"ALTER DATABASE \"{database}\" SET timezone = '{AUCKLAND}'"))
    with engine.connect() as connection:  # the setting is real: a plain new connection speaks Auckland time
        assert connection.execute(text("SHOW timezone")).scalar_one() == AUCKLAND
    engine.dispose()
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, secret_key_file=tmp_path / "secret.key")
    practice = Practice.create(settings)
    practice.seed_demo()
    yield practice
    practice.close()


@pytest.mark.postgres
def test_our_connections_speak_utc_in_a_database_set_to_another_zone(auckland_practice: Practice) -> None:
    with auckland_practice.store.engine.connect() as connection:
        assert connection.execute(text("SHOW timezone")).scalar_one() == "UTC"


@pytest.mark.postgres
def test_the_audit_trail_alerts_and_csv_export_give_utc_in_a_database_set_to_another_zone(
    auckland_practice: Practice,
) -> None:
    admin = login(auckland_practice, "admin")
    events = auckland_practice.audit_log(admin)
    assert events
    assert all(event.at.utcoffset() == timedelta(0) for event in events)
    assert abs(events[0].at - datetime.now(UTC)) < timedelta(minutes=5)

    ada = login(auckland_practice, "ada")
    alerts = auckland_practice.case_monitoring(ada, case_titled(auckland_practice, ada, "Mara").id).alerts
    assert alerts
    assert all(alert.created_at.utcoffset() == timedelta(0) for alert in alerts)

    rows = list(csv.DictReader(io.StringIO(auckland_practice.export_scores_csv(None))))
    assert rows
    assert all(row["submitted_at"].endswith("+00:00") for row in rows)
