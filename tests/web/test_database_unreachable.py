"""While the database cannot be reached, every page says so plainly with a 503, and nothing is stored."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.fixtures import DEMO_PASSWORD
from safeenough.web import create_app
from tests.builders import login
from tests.conftest import postgres_admin_engine
from tests.web.helpers import case_titled, csrf_from, log_in

pytestmark = pytest.mark.postgres

UNREACHABLE = "safeenough cannot reach its database right now; nothing you entered was stored"


@pytest.fixture
def unreachable(postgres_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Practice, "Outage"]]:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, secret_key_file=tmp_path / "secret.key")
    practice = Practice.create(settings)
    practice.seed_demo()
    outage = Outage(make_url(postgres_url).database or "")
    try:
        with TestClient(create_app(practice, settings), follow_redirects=False) as client:
            yield client, practice, outage
    finally:
        outage.end()
        outage.admin.dispose()
        practice.close()


class Outage:
    """The database refuses new connections and loses the open ones, as when its server goes down."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.admin = postgres_admin_engine()

    def begin(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.database},
            )

    def end(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true'))


def test_the_caseload_answers_503_with_a_plain_page_while_the_database_is_down(
    unreachable: tuple[TestClient, Practice, Outage],
) -> None:
    client, _practice, outage = unreachable
    log_in(client, "ada")
    outage.begin()
    response = client.get("/")
    assert response.status_code == 503
    assert UNREACHABLE in response.text
    assert "tell whoever runs the server" in response.text
    assert response.headers["Retry-After"] == "60"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_case_page_answers_503_when_the_login_check_cannot_reach_the_database(
    unreachable: tuple[TestClient, Practice, Outage],
) -> None:
    client, practice, outage = unreachable
    log_in(client, "ada")
    case = case_titled(practice, login(practice, "ada"), "Mara")
    outage.begin()
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 503
    assert UNREACHABLE in response.text


def test_logging_in_answers_503_and_works_again_once_the_database_is_back(
    unreachable: tuple[TestClient, Practice, Outage],
) -> None:
    client, _practice, outage = unreachable
    form = csrf_from(client.get("/login").text)
    outage.begin()
    response = client.post("/login", data={"username": "ada", "password": DEMO_PASSWORD, "csrf_token": form})
    assert response.status_code == 503
    assert UNREACHABLE in response.text
    outage.end()
    log_in(client, "ada")
    assert client.get("/").status_code == 200
