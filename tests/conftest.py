"""Shared fixtures. The cast of demo accounts (all fictional, password `demo-password-1`):

- ada: a clinician with three cases (two individual, one couple), supervised by sol;
- ben: a clinician with one case; he must never see ada's cases;
- sol: a supervisor with one case of his own, who reads ada's cases read-only;
- admin: manages accounts, never sees clinical content.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.settings import Settings
from tests.builders import login

# Property tests check behaviour, not speed (speed is measured in `make bench`): on a busy 2-core machine
# an example can take longer than Hypothesis's default 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile("safeenough", deadline=None)
# `HYPOTHESIS_PROFILE=thorough` tries 20 times as many examples, to hunt for rare failures before CI does.
hypothesis_settings.register_profile("thorough", deadline=None, max_examples=2000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "safeenough"))

POSTGRES_URL = os.environ.get("SAFEENOUGH_TEST_POSTGRES_URL")
# `make test` sets this: there, a missing PostgreSQL or Chromium is a failure, never a skip.
STRICT = os.environ.get("SAFEENOUGH_TEST_STRICT") == "1"
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


def _fresh_postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        message = "PostgreSQL leg needs SAFEENOUGH_TEST_POSTGRES_URL (make test starts a throwaway server)"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite always, and PostgreSQL (marked `postgres`)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'safeenough.sqlite3'}"
    else:
        yield from _fresh_postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty database of its own on the test PostgreSQL server, for tests only PostgreSQL can show
    (a server that goes away, a database in another time zone, a practice moving over from SQLite)."""
    yield from _fresh_postgres_database()


def postgres_admin_engine() -> Engine:
    """The test server's maintenance connection (AUTOCOMMIT), to change what a database allows."""
    assert POSTGRES_URL
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key_file=tmp_path / "secret.key",
    )


@pytest.fixture
def practice(settings: Settings) -> Iterator[Practice]:
    """A migrated, empty practice."""
    opened = Practice.create(settings)
    yield opened
    opened.close()


@pytest.fixture
def demo_practice(practice: Practice) -> Practice:
    """A migrated practice holding the fictional demo data."""
    practice.seed_demo()
    return practice


@pytest.fixture
def ada(demo_practice: Practice) -> Clinician:
    return login(demo_practice, "ada")


@pytest.fixture
def ben(demo_practice: Practice) -> Clinician:
    return login(demo_practice, "ben")


@pytest.fixture
def sol(demo_practice: Practice) -> Clinician:
    return login(demo_practice, "sol")


@pytest.fixture
def admin(demo_practice: Practice) -> Clinician:
    return login(demo_practice, "admin")


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the repository; tests that need it skip cleanly where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a fresh clone has no ../shared)")
    return SHARED
