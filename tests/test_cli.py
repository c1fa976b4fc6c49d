from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeenough.cli import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFEENOUGH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SAFEENOUGH_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAFEENOUGH_SECRET_KEY_FILE", raising=False)
    return tmp_path


def test_migrate_creates_the_database_and_a_private_key_file(cli_runner: CliRunner, env: Path) -> None:
    result = cli_runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (env / "data" / "safeenough.sqlite3").exists()
    assert oct((env / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"


def test_user_add_then_list_shows_the_new_account(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["migrate"])
    added = cli_runner.invoke(
        app, ["user", "add", "rae", "--name", "Rae Moss", "--role", "supervisor"], input="a-long-password\n"
    )
    assert added.exit_code == 0, added.output
    listed = cli_runner.invoke(app, ["user", "list"])
    assert "rae" in listed.output
    assert "supervisor" in listed.output


def test_user_passwd_for_an_unknown_user_says_so(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["migrate"])
    result = cli_runner.invoke(app, ["user", "passwd", "ghost"], input="a-long-password\n")
    assert result.exit_code == 2
    assert "no account with the username 'ghost'" in result.output


def test_commands_on_an_unmigrated_database_say_how_to_fix_it(cli_runner: CliRunner, env: Path) -> None:
    result = cli_runner.invoke(app, ["user", "list"])
    assert result.exit_code == 2
    assert "safeenough migrate" in result.output


def test_backup_and_restore_round_trip(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    backed_up = cli_runner.invoke(app, ["backup", str(env / "copy.sqlite3")])
    assert backed_up.exit_code == 0, backed_up.output
    restored = cli_runner.invoke(app, ["restore", str(env / "copy.sqlite3")])
    assert restored.exit_code == 0, restored.output
    assert "kept at" in restored.output


def test_demo_reset_prints_the_demo_logins(cli_runner: CliRunner, env: Path) -> None:
    result = cli_runner.invoke(app, ["demo-reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert "demo-password-1" in result.output
    assert "ada" in result.output


def _answer_one_check_in(cli_runner: CliRunner) -> None:
    from safeenough.practice import Practice
    from safeenough.settings import Settings

    practice = Practice.open(Settings())
    ada = practice.authenticate("ada", "demo-password-1", client_address="test")
    case = next(summary.case for summary in practice.caseload(ada) if summary.case.title.startswith("Theo"))
    session = practice.case_detail(ada, case.id).sessions[0]
    issued = practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    instrument = practice.open_checkin(issued.token).instruments[0]
    practice.submit_checkin(issued.token, {instrument.id: {item.id: 8 for item in instrument.items}}, {})
    practice.close()


def test_checkin_link_prints_a_url_for_the_client(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    # session 8: the couple's third, held last week with no check-ins yet (session 9 is booked ahead)
    result = cli_runner.invoke(app, ["checkin", "link", "8", "2", "--base-url", "https://therapy.example"])
    assert result.exit_code == 0, result.output
    assert "https://therapy.example/c/" in result.output


def test_checkin_link_for_a_client_who_was_not_there_says_so(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    result = cli_runner.invoke(app, ["checkin", "link", "1", "999"])
    assert result.exit_code == 2
    assert "attended" in result.output


def test_export_csv_and_fhir_hold_codes_not_names(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    _answer_one_check_in(cli_runner)
    csv_result = cli_runner.invoke(app, ["export", "csv"])
    assert csv_result.exit_code == 0, csv_result.output
    assert csv_result.output.startswith("case_id,client_code")
    fhir_result = cli_runner.invoke(app, ["export", "fhir", "--case", "1", "--out", str(env / "b.json")])
    assert fhir_result.exit_code == 0, fhir_result.output
    bundle = (env / "b.json").read_text()
    assert '"resourceType":"Bundle"' in bundle.replace(" ", "")
    for name in ("Mara", "Jonah", "Priya"):
        assert name not in bundle
        assert name not in csv_result.output


def test_instrument_add_explains_what_is_wrong_with_a_file(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["migrate"])
    (env / "srs.json").write_text('{"id": "srs"}')
    result = cli_runner.invoke(app, ["instrument", "add", str(env / "srs.json")])
    assert result.exit_code == 2
    assert "srs.json" in result.output


def test_instrument_list_shows_the_built_in_questionnaires(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["migrate"])
    result = cli_runner.invoke(app, ["instrument", "list"])
    assert "phq-9" in result.output
    assert "safeenough-safety" in result.output
