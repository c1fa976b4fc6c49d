"""The command line with a database it cannot use: one clear line, never a traceback; and moving a
practice from SQLite to PostgreSQL."""

import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from safeenough.cli import app
from safeenough.domain.case import CaseKind
from safeenough.practice import Practice
from safeenough.settings import Settings
from tests.builders import login
from tests.web.helpers import case_titled

PASSWORD = "s3cret-pw"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFEENOUGH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SAFEENOUGH_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAFEENOUGH_SECRET_KEY_FILE", raising=False)
    monkeypatch.delenv("SAFEENOUGH_TIME_ZONE", raising=False)
    return tmp_path


@pytest.fixture
def closed_port() -> int:
    """A port on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_clear_line(output: str) -> str:
    assert "Traceback" not in output
    assert PASSWORD not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", [["migrate"], ["user", "list"], ["export", "csv"]])
def test_a_database_server_that_is_not_running_is_one_line_naming_it_without_its_password(
    cli_runner: CliRunner, env: Path, monkeypatch: pytest.MonkeyPatch, closed_port: int, command: list[str]
) -> None:
    url = f"postgresql+psycopg://safeenough:{PASSWORD}@127.0.0.1:{closed_port}/practice"
    monkeypatch.setenv("SAFEENOUGH_DATABASE_URL", url)
    result = cli_runner.invoke(app, command)
    assert result.exit_code == 2
    line = _one_clear_line(result.output)
    assert (
        f"cannot reach its database postgresql+psycopg://safeenough:***@127.0.0.1:{closed_port}/practice"
        in line
    )
    assert "check that PostgreSQL is running" in line


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL; write it as sqlite:///PATH or postgresql+psycopg://"),
        (
            f"postgres://ada:{PASSWORD}@db.internal/practice",
            "starts with postgres://; write postgresql+psycopg://",
        ),
        (f"mysql://ada:{PASSWORD}@db.internal/practice", "safeenough runs on SQLite or PostgreSQL only"),
        (f"postgresql+psycopg2://ada:{PASSWORD}@db.internal/practice", "write postgresql+psycopg:// instead"),
        (f"postgresql+psycopg://ada:{PASSWORD}@db.internal", "names no database"),
    ],
)
def test_a_database_url_safeenough_cannot_use_is_one_line_saying_what_to_write(
    cli_runner: CliRunner, env: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("SAFEENOUGH_DATABASE_URL", url)
    result = cli_runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert says in _one_clear_line(result.output)


@pytest.mark.postgres
def test_a_database_that_does_not_exist_on_a_running_server_is_named(
    cli_runner: CliRunner, env: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    missing = make_url(postgres_url).set(database="no_such_practice", password=PASSWORD)
    monkeypatch.setenv("SAFEENOUGH_DATABASE_URL", missing.render_as_string(hide_password=False))
    result = cli_runner.invoke(app, ["user", "list"])
    assert result.exit_code == 2
    line = _one_clear_line(result.output)
    assert 'database "no_such_practice" does not exist' in line


def test_an_unknown_time_zone_is_one_line_naming_the_setting(
    cli_runner: CliRunner, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEENOUGH_TIME_ZONE", "Mars/Olympus_Mons")
    result = cli_runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    line = _one_clear_line(result.output)
    assert "SAFEENOUGH_TIME_ZONE: 'Mars/Olympus_Mons' is not a time zone" in line


# Moving a practice from SQLite to PostgreSQL --------------------------------------------------------


@pytest.fixture
def moved(cli_runner: CliRunner, env: Path, postgres_url: str) -> Iterator[tuple[Practice, str]]:
    """The demo practice made on SQLite, moved to PostgreSQL, opened there with the same key file."""
    made = cli_runner.invoke(app, ["demo-reset", "--yes"])
    assert made.exit_code == 0, made.output
    result = cli_runner.invoke(app, ["move-to", postgres_url])
    assert result.exit_code == 0, result.output
    practice = Practice.open(
        Settings(
            data_dir=env / "data", database_url=postgres_url, secret_key_file=env / "data" / "secret.key"
        )
    )
    yield practice, result.output
    practice.close()


@pytest.mark.postgres
def test_move_to_copies_every_table_and_says_what_it_checked(moved: tuple[Practice, str], env: Path) -> None:
    practice, output = moved
    sqlite = Practice.open(Settings(data_dir=env / "data"))
    try:
        admin_before = len(sqlite.audit_log(login(sqlite, "admin"), limit=100_000))
    finally:
        sqlite.close()
    assert "Moved the practice from sqlite:///" in output
    assert "clinicians" in output
    assert "counted again in the target" in output
    assert "id sequences set past the copied ids" in output
    assert "the key opened" in output
    # the login above and this one are the only events the copy has that the original had not
    assert len(practice.audit_log(login(practice, "admin"), limit=100_000)) >= admin_before


@pytest.mark.postgres
def test_a_moved_practice_reads_a_case_with_its_check_ins_alerts_and_session_report(
    moved: tuple[Practice, str],
) -> None:
    practice, _output = moved
    ada = login(practice, "ada")
    mara = case_titled(practice, ada, "Mara")
    monitoring = practice.case_monitoring(ada, mara.id)
    assert any(track.history for track in monitoring.tracks)
    assert monitoring.alerts
    session_three = practice.case_detail(ada, mara.id).sessions[2]
    analysis = practice.session_analysis(ada, session_three.id)
    assert analysis.transcript is not None
    assert analysis.report is not None


@pytest.mark.postgres
def test_a_moved_practice_adds_new_rows_after_the_copied_ids(moved: tuple[Practice, str]) -> None:
    practice, _output = moved
    ada = login(practice, "ada")
    highest = max(summary.case.id for summary in practice.caseload(ada))
    case = practice.open_case(ada, title="After the move", kind=CaseKind.INDIVIDUAL, client_names=["Io"])
    assert case.id > highest
    session = practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=[case.clients[0].id])
    issued = practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    assert issued.link.id > 0
    added = practice.add_clinician(
        None, username="newcomer", display_name="New Comer", role=ada.role, password="a-long-password"
    )
    assert added.id > ada.id


@pytest.mark.postgres
def test_move_to_refuses_a_database_that_already_holds_a_practice(
    moved: tuple[Practice, str], cli_runner: CliRunner, postgres_url: str
) -> None:
    again = cli_runner.invoke(app, ["move-to", postgres_url])
    assert again.exit_code == 2
    assert "already holds practice data" in _one_clear_line(again.output)


@pytest.mark.postgres
def test_move_to_from_an_unmigrated_database_says_to_migrate_first(
    cli_runner: CliRunner, env: Path, postgres_url: str
) -> None:
    result = cli_runner.invoke(app, ["move-to", postgres_url])
    assert result.exit_code == 2
    assert "safeenough migrate" in _one_clear_line(result.output)


@pytest.mark.postgres
def test_move_to_copies_in_batches(
    cli_runner: CliRunner, env: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safeenough.storage.moving.BATCH_ROWS", 7)
    assert cli_runner.invoke(app, ["demo-reset", "--yes"]).exit_code == 0
    result = cli_runner.invoke(app, ["move-to", postgres_url])
    assert result.exit_code == 0, result.output
    sqlite = Practice.open(Settings(data_dir=env / "data"))
    moved = Practice.open(
        Settings(
            data_dir=env / "data", database_url=postgres_url, secret_key_file=env / "data" / "secret.key"
        )
    )
    try:
        ada_there, ada_here = login(moved, "ada"), login(sqlite, "ada")
        assert [s.case.id for s in moved.caseload(ada_there)] == [
            s.case.id for s in sqlite.caseload(ada_here)
        ]
    finally:
        moved.close()
        sqlite.close()
