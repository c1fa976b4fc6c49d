import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeenough.cli import app, serving_warnings
from safeenough.domain.audit import AuditAction
from safeenough.practice import Practice
from safeenough.settings import Settings


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
    assert "no account with the username “ghost”" in result.output


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


def export_events(env: Path) -> list[str]:
    practice = Practice.open(Settings(data_dir=env / "data"))
    try:
        return [e.detail for e in practice.audit_log(None) if e.action is AuditAction.EXPORT]
    finally:
        practice.close()


def test_a_command_line_export_is_audited_as_such_and_says_when_free_text_went_with_it(
    cli_runner: CliRunner, env: Path
) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    result = cli_runner.invoke(
        app, ["export", "fhir", "--case", "1", "--free-text", "--out", str(env / "b.json")]
    )
    assert result.exit_code == 0, result.output
    assert "fhir, with free-text answers, from the command line" in export_events(env)


def test_an_export_refused_for_an_existing_file_leaves_no_export_in_the_audit_trail(
    cli_runner: CliRunner, env: Path
) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    (env / "b.json").write_text("keep me", encoding="utf-8")
    before = export_events(env)
    result = cli_runner.invoke(app, ["export", "fhir", "--case", "1", "--out", str(env / "b.json")])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (env / "b.json").read_text(encoding="utf-8") == "keep me"
    assert export_events(env) == before


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


SESSION = (
    "Dana: How are you today?\nSam: Not great, honestly.\nDana: Tell me more about that.\nSam: It is fine.\n"
)


def _transcript(path: Path, text: str = SESSION) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _annomi_csv(path: Path, *transcript_ids: str) -> Path:
    rows = ["transcript_id,utterance_id,interlocutor,utterance_text"]
    for transcript_id in transcript_ids:
        rows += [f'"{transcript_id}",0,therapist,How are you?', f'"{transcript_id}",1,client,Fine.']
    return _transcript(path, "\n".join(rows) + "\n")


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_report_file_names_keep_only_safe_characters_and_stay_short() -> None:
    from safeenough.cli import _report_file_name

    taken: set[str] = set()
    assert _report_file_name("../../x/pwn", taken) == "x-pwn.html"
    assert _report_file_name("/tmp/abs", taken) == "tmp-abs.html"
    assert _report_file_name(".hidden", taken) == "hidden.html"
    assert _report_file_name("Sitzung Müller", taken) == "Sitzung-Müller.html"
    assert _report_file_name("../..", taken) == "conversation.html"
    assert _report_file_name("X-PWN", taken) == "X-PWN-2.html"  # some file systems ignore case
    assert len(_report_file_name("a" * 500, taken)) == 80 + len(".html")


def test_analyze_html_never_writes_outside_the_report_folder(cli_runner: CliRunner, tmp_path: Path) -> None:
    source = _annomi_csv(tmp_path / "in" / "evil.csv", "../../x/pwn", f"{tmp_path}/abs", ".hidden")
    result = cli_runner.invoke(
        app, ["analyze", str(source), "--format", "html", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in (tmp_path / "o").iterdir())
    assert len(written) == 3
    assert "x-pwn.html" in written
    assert "hidden.html" in written
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in", "o"]


def test_analyze_html_gives_each_same_named_transcript_its_own_report(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    first, second = _transcript(tmp_path / "a" / "s.txt"), _transcript(tmp_path / "b" / "s.txt")
    out = tmp_path / "outhtml"
    result = cli_runner.invoke(
        app, ["analyze", str(first), str(second), "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == ["s-2.html", "s.html"]
    assert "Wrote 2 reports" in result.stderr
    assert str(first) in result.stderr
    assert str(second) in result.stderr


def test_analyze_jsonl_keeps_the_file_stem_as_id_but_warns_when_two_files_share_it(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    first, second = _transcript(tmp_path / "a" / "s.txt"), _transcript(tmp_path / "b" / "s.txt")
    out = tmp_path / "both.jsonl"
    result = cli_runner.invoke(app, ["analyze", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: 2 conversations have the id 's' (from {first}, {second})" in result.stderr
    assert {json.loads(line)["conversation"] for line in out.read_text().splitlines()} == {"s"}
    assert "for 2 conversations" in result.stderr


def test_analyze_refuses_to_overwrite_an_existing_output_file(cli_runner: CliRunner, tmp_path: Path) -> None:
    source = _transcript(tmp_path / "s.txt")
    for name, form in (("exist.jsonl", "jsonl"), ("exist.html", "html")):
        (tmp_path / name).write_text("keep me")
        result = cli_runner.invoke(
            app, ["analyze", str(source), "--format", form, "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 2
        assert "already exists; choose a new file name so nothing is overwritten" in result.stderr
        assert (tmp_path / name).read_text() == "keep me"


def test_analyze_refuses_a_report_that_exists_in_the_folder_before_writing_any(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    files = [str(_transcript(tmp_path / name)) for name in ("r.txt", "s.txt")]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "s.html").write_text("keep me")
    result = cli_runner.invoke(app, ["analyze", *files, "--format", "html", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "s.html already exists" in result.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["s.html"]
    assert (tmp_path / "out" / "s.html").read_text() == "keep me"


def test_analyze_says_what_to_do_when_out_is_a_folder_or_a_file_stands_where_a_folder_should(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = str(_transcript(tmp_path / "s.txt"))
    into_folder = cli_runner.invoke(app, ["analyze", source, "--out", str(tmp_path)])
    assert into_folder.exit_code == 2
    assert "is a folder; give --out a file name for the JSONL export" in into_folder.stderr
    (tmp_path / "notes.txt").write_text("keep me")
    under_a_file = cli_runner.invoke(
        app, ["analyze", source, "--out", str(tmp_path / "notes.txt" / "s.jsonl")]
    )
    assert under_a_file.exit_code == 2
    assert f"{tmp_path / 'notes.txt'} is not a folder; choose another --out" in under_a_file.stderr
    assert "Traceback" not in into_folder.output + under_a_file.output


def test_analyze_creates_the_missing_folders_of_out_readable_by_you_only_and_says_so(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = str(_transcript(tmp_path / "s.txt"))
    out = tmp_path / "results" / "2025" / "s.jsonl"
    result = cli_runner.invoke(app, ["analyze", source, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().strip()
    for folder in (tmp_path / "results", tmp_path / "results" / "2025"):
        assert f"Created the folder {folder}." in result.stderr
        assert folder.stat().st_mode & 0o777 == 0o700
    reports = tmp_path / "more" / "reports"
    html = cli_runner.invoke(app, ["analyze", source, "--format", "html", "--out", str(reports)])
    assert html.exit_code == 0, html.output
    assert [path.suffix for path in reports.iterdir()] == [".html"]


def test_analyze_takes_an_upper_case_html_suffix_as_one_report_file(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = str(_transcript(tmp_path / "s.txt"))
    result = cli_runner.invoke(
        app, ["analyze", source, "--format", "html", "--out", str(tmp_path / "r.HTML")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.HTML").is_file()


def test_analyze_refuses_one_html_file_for_several_sessions(cli_runner: CliRunner, tmp_path: Path) -> None:
    files = [str(_transcript(tmp_path / name)) for name in ("r.txt", "s.txt")]
    result = cli_runner.invoke(
        app, ["analyze", *files, "--format", "html", "--out", str(tmp_path / "both.html")]
    )
    assert result.exit_code == 2
    assert "would hold one session's report, but 2 files were given; give --out a folder" in result.stderr
    assert not (tmp_path / "both.html").exists()
    csv = str(_annomi_csv(tmp_path / "two.csv", "1", "2"))
    result = cli_runner.invoke(
        app, ["analyze", csv, "--format", "html", "--out", str(tmp_path / "both.html")]
    )
    assert result.exit_code == 2
    assert "the files hold 2 conversations" in result.stderr
    assert not (tmp_path / "both.html").exists()


def test_analyze_puts_several_html_reports_in_reports_by_default_and_never_over_them(
    cli_runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = [str(_transcript(tmp_path / name)) for name in ("r.txt", "s.txt")]
    first = cli_runner.invoke(app, ["analyze", *files, "--format", "html"])
    assert first.exit_code == 0, first.output
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == ["r.html", "s.html"]
    again = cli_runner.invoke(app, ["analyze", *files, "--format", "html"])
    assert again.exit_code == 2
    assert "already exist; give --out a new folder so nothing is overwritten" in again.stderr


def test_analyze_writes_its_files_and_folders_for_the_owner_only(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = str(_transcript(tmp_path / "s.txt"))
    jsonl = cli_runner.invoke(app, ["analyze", source, "--out", str(tmp_path / "s.jsonl")])
    one = cli_runner.invoke(app, ["analyze", source, "--format", "html", "--out", str(tmp_path / "s.html")])
    folder = cli_runner.invoke(app, ["analyze", source, "--format", "html", "--out", str(tmp_path / "out")])
    assert [jsonl.exit_code, one.exit_code, folder.exit_code] == [0, 0, 0]
    assert "Wrote 1 report to" in folder.stderr
    assert _mode(tmp_path / "s.jsonl") == 0o600
    assert _mode(tmp_path / "s.html") == 0o600
    assert _mode(tmp_path / "out") == 0o700
    assert _mode(tmp_path / "out" / "s.html") == 0o600


def test_analyze_says_it_cannot_tell_the_therapist_when_only_one_person_speaks(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = str(_transcript(tmp_path / "one.txt", "Dana: Hello there.\nDana: Anyone here?\n"))
    result = cli_runner.invoke(app, ["analyze", source])
    assert result.exit_code == 0, result.output
    assert "could not tell who the therapist is (only one speaker); pass --therapist NAME" in result.stderr
    assert "None" not in result.stderr


def test_serving_beyond_this_machine_warns_about_plain_http_and_insecure_cookies(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert serving_warnings("127.0.0.1", settings) == []
    warnings = serving_warnings("0.0.0.0", settings)
    assert "over plain http" in warnings[0]
    assert "SAFEENOUGH_SECURE_COOKIES is off" in warnings[1]
    secure = Settings(data_dir=tmp_path, secure_cookies=True)
    assert len(serving_warnings("0.0.0.0", secure)) == 1


def test_serving_behind_an_https_address_without_secure_cookies_warns_even_on_this_machine(
    tmp_path: Path,
) -> None:
    behind_https = Settings(data_dir=tmp_path, public_url="https://checkin.example-practice.org")
    (warning,) = serving_warnings("127.0.0.1", behind_https)
    assert "SAFEENOUGH_SECURE_COOKIES=true" in warning
    secure = Settings(
        data_dir=tmp_path, public_url="https://checkin.example-practice.org", secure_cookies=True
    )
    assert serving_warnings("127.0.0.1", secure) == []


def test_user_supervisor_links_and_unlinks_a_supervisor(cli_runner: CliRunner, env: Path) -> None:
    cli_runner.invoke(app, ["demo-reset", "--yes"])
    linked = cli_runner.invoke(app, ["user", "supervisor", "ben", "sol"])
    assert linked.exit_code == 0, linked.output
    assert "ben is now supervised by sol." in linked.output
    unlinked = cli_runner.invoke(app, ["user", "supervisor", "ben"])
    assert "ben has no supervisor." in unlinked.output
    refused = cli_runner.invoke(app, ["user", "supervisor", "ben", "ada"])
    assert refused.exit_code == 2
    assert "not an active supervisor" in refused.output


def test_analyze_starts_without_loading_the_database_layer() -> None:
    # `safeenough analyze` needs no database: not loading it saves over a second of start-up.
    loads = (
        "import sys, safeenough.cli\n"
        "from safeenough.practice.research import analyse_files\n"
        "from safeenough.analysis.research_export import write_jsonl\n"
        "from safeenough.reports import build_session_report, render_session_report_html\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'safeenough.storage') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", loads], check=True, capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]"


def test_analyze_reads_an_otter_export_with_its_heading_lines(cli_runner: CliRunner, tmp_path: Path) -> None:
    source = _transcript(
        tmp_path / "otter.txt",
        "Dana Reyes  0:03\nHow has the week been?\n\nSam Okafor  0:09\nWork: it never stops.\n\n"
        "Dana Reyes  0:15\nIt sounds like you are stretched.\n\nTranscribed by https://otter.ai\n",
    )
    out = tmp_path / "otter.jsonl"
    result = cli_runner.invoke(app, ["analyze", str(source), "--therapist", "Dana Reyes", "--out", str(out)])
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in out.read_text().splitlines() if "turn" in json.loads(line)]
    assert [(turn["speaker"], turn["role"], turn["source_id"]) for turn in turns] == [
        ("Dana Reyes", "therapist", "1"),
        ("Sam Okafor", "client", "4"),
        ("Dana Reyes", "therapist", "7"),
    ]


def test_analyze_refuses_a_zoom_chat_log_naming_the_file_and_line(
    cli_runner: CliRunner, tmp_path: Path
) -> None:
    source = _transcript(tmp_path / "chat.txt", "14:02:11 From Dana Reyes to Everyone:\n\tThe worksheet.\n")
    result = cli_runner.invoke(app, ["analyze", str(source), "--out", str(tmp_path / "chat.jsonl")])
    assert result.exit_code == 2
    assert "chat.txt, line 1: this looks like a Zoom chat log" in result.output
    assert not (tmp_path / "chat.jsonl").exists()
