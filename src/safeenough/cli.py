"""The command line: a thin caller of the Practice facade."""

import getpass
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from safeenough.domain.clinician import Role
from safeenough.errors import SafeEnoughError
from safeenough.practice import DemoCredentials, Practice
from safeenough.settings import Settings

app = typer.Typer(
    help="safeenough: help therapists build trust with their clients. Data stays on this machine.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage clinician accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
export_app = typer.Typer(help="Export check-in scores (pseudonymous codes only).", no_args_is_help=True)
app.add_typer(export_app, name="export")
checkin_app = typer.Typer(help="Client check-ins after sessions.", no_args_is_help=True)
app.add_typer(checkin_app, name="checkin")
instrument_app = typer.Typer(
    help="Questionnaires: the built-in ones and your licensed ones.", no_args_is_help=True
)
app.add_typer(instrument_app, name="instrument")


def _practice() -> Practice:
    return Practice.open(Settings())


def _fail(error: SafeEnoughError) -> None:
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=2)


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat password: ") != password:
        typer.secho("error: the passwords do not match; nothing was changed", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2)
    return password


def print_demo_credentials(credentials: DemoCredentials) -> None:
    typer.echo("Demo practice created (all people in it are fictional). Log in with:")
    for account in credentials.accounts:
        typer.echo(f"  {account.username:<6} {account.role.value:<10} password: {credentials.password}")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and check the encryption key."""
    try:
        settings = Settings()
        _prepare_data_dir(settings)
        Practice.create(settings).close()
    except SafeEnoughError as error:
        _fail(error)
    typer.echo("Database is up to date.")


def _prepare_data_dir(settings: Settings) -> None:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(settings.data_dir, 0o700)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep 127.0.0.1 unless behind a proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (state lives in the database).")] = 1,
    demo: Annotated[
        bool, typer.Option(help="Seed the fictional demo practice if the database is empty.")
    ] = False,
) -> None:
    """Migrate, optionally seed the demo practice, and serve the web app."""
    import uvicorn

    try:
        settings = Settings()
        _prepare_data_dir(settings)
        practice = Practice.create(settings)
        credentials = practice.seed_demo() if demo else None
        practice.close()
    except SafeEnoughError as error:
        _fail(error)
    if credentials is not None:
        print_demo_credentials(credentials)
    elif demo:
        typer.echo(
            "Demo practice already present: log in as ada, ben, sol or admin with password demo-password-1"
        )
    typer.echo(f"safeenough is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(
        "safeenough.web.asgi:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_level="info",
        # No access log: check-in URLs carry the client's link token, which has no place in a log file.
        access_log=False,
    )


@app.command("demo-reset")
def demo_reset(
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: delete the SQLite database and start over.")
    ] = False,
) -> None:
    """Delete the embedded database and create the demo practice afresh (SQLite only)."""
    settings = Settings()
    if settings.database_url is not None:
        _fail(SafeEnoughError("demo-reset only works on the embedded SQLite database"))
    if not yes:
        _fail(SafeEnoughError("this deletes all data in the embedded database; add --yes to confirm"))
    database = settings.data_dir / "safeenough.sqlite3"
    for path in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        path.unlink(missing_ok=True)
    settings.resolved_key_file.unlink(missing_ok=True)
    try:
        practice = Practice.create(settings)
        credentials = practice.seed_demo()
        practice.close()
    except SafeEnoughError as error:
        _fail(error)
    if credentials:
        print_demo_credentials(credentials)


@user_app.command("add")
def user_add(
    username: str,
    display_name: Annotated[str, typer.Option("--name", help="Name shown in the app.")],
    role: Annotated[Role, typer.Option(help="clinician, supervisor or admin.")] = Role.CLINICIAN,
    supervisor: Annotated[str | None, typer.Option(help="Username of this clinician's supervisor.")] = None,
) -> None:
    """Add an account; the password is asked for (or read from standard input)."""
    password = _read_password()
    try:
        practice = _practice()
        clinician = practice.add_clinician(
            None,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            supervisor_username=supervisor,
        )
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(f"Added {clinician.username} ({clinician.role.value}).")


@user_app.command("list")
def user_list() -> None:
    """List accounts."""
    try:
        clinicians = _practice().list_clinicians(None)
    except SafeEnoughError as error:
        _fail(error)
    names = {clinician.id: clinician.username for clinician in clinicians}
    typer.echo(f"{'username':<16} {'role':<11} {'active':<7} {'supervisor':<16} name")
    for clinician in clinicians:
        supervisor = names.get(clinician.supervisor_id or -1, "")
        active = "yes" if clinician.active else "no"
        typer.echo(
            f"{clinician.username:<16} {clinician.role.value:<11} {active:<7} {supervisor:<16} "
            f"{clinician.display_name}"
        )


@user_app.command("passwd")
def user_passwd(username: str) -> None:
    """Set a new password for an account (ends its open logins)."""
    password = _read_password()
    try:
        _practice().set_password(None, username, password)
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(f"Password changed for {username}; their open logins were ended.")


@checkin_app.command("link")
def checkin_link(
    session: Annotated[int, typer.Argument(help="Session id (shown on the case page).")],
    client: Annotated[int, typer.Argument(help="Client id of an attending client.")],
    base_url: Annotated[
        str, typer.Option(help="The address clients reach the app on.")
    ] = "http://127.0.0.1:8000",
    instrument: Annotated[list[str] | None, typer.Option(help="Instrument id to ask (repeatable).")] = None,
) -> None:
    """Print a single-use check-in link for one client and one session (valid for 4 days by default)."""
    try:
        issued = _practice().issue_checkin_link_as_owner(
            session, client, instrument_ids=tuple(instrument) if instrument else None
        )
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(base_url.rstrip("/") + issued.path)
    typer.echo(f"(single use; expires {issued.link.expires_at:%Y-%m-%d %H:%M} UTC)", err=True)


@instrument_app.command("add")
def instrument_add(
    file: Path,
    replace: Annotated[bool, typer.Option(help="Replace an installed instrument with the same id.")] = False,
) -> None:
    """Check and install a licensed instrument's definition file (see docs/instrument-format.md)."""
    try:
        instrument = _practice().install_instrument(file, replace=replace)
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(f"Installed {instrument.title} ({instrument.id}, {len(instrument.items)} items).")


@instrument_app.command("list")
def instrument_list() -> None:
    """List the instruments available for check-ins."""
    try:
        catalogue = _practice().instruments()
    except SafeEnoughError as error:
        _fail(error)
    for instrument in catalogue:
        origin = "built-in" if catalogue.is_builtin(instrument.id) else "installed"
        validated = "" if instrument.validated else " (not yet validated)"
        typer.echo(f"{instrument.id:<20} {origin:<9} {instrument.title}{validated}")
    for problem in catalogue.problems:
        typer.secho(f"problem: {problem}", err=True, fg=typer.colors.YELLOW)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists():
        _fail(SafeEnoughError(f"{out} already exists; choose a new file name so nothing is overwritten"))
    out.write_text(text, encoding="utf-8")
    out.chmod(0o600)
    typer.echo(f"Written to {out}.", err=True)


@export_app.command("fhir")
def export_fhir(
    case: Annotated[int, typer.Option("--case", help="Case id.")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
    free_text: Annotated[bool, typer.Option(help="Include clients' free-text answers (sensitive).")] = False,
) -> None:
    """A FHIR R4B Bundle of Questionnaire, QuestionnaireResponse and Observation for one case."""
    try:
        bundle = _practice().export_case_fhir_as_owner(case, include_free_text=free_text)
    except SafeEnoughError as error:
        _fail(error)
    _write(bundle, out)


@export_app.command("csv")
def export_csv(
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
) -> None:
    """Tidy CSV of every check-in score in the practice, one row per item and total, for research."""
    try:
        text = _practice().export_scores_csv(None)
    except SafeEnoughError as error:
        _fail(error)
    _write(text, out)


class ReportFormat(StrEnum):
    JSONL = "jsonl"
    HTML = "html"


@app.command()
def analyze(
    files: Annotated[
        list[Path], typer.Argument(help="Transcripts: .vtt .srt .txt .docx .json, AnnoMI-style .csv")
    ],
    therapist: Annotated[str | None, typer.Option(help="The therapist's speaker name in the files.")] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", help="jsonl: research export; html: report.")
    ] = (ReportFormat.JSONL),
    out: Annotated[
        Path | None, typer.Option(help="File (jsonl, or html of one session) or folder (html).")
    ] = None,
    processes: Annotated[int | None, typer.Option(help="Worker processes (default: by batch size).")] = None,
) -> None:
    """Analyse transcripts without storing them: the research export (JSONL) or readable HTML reports."""
    from tqdm import tqdm

    from safeenough.analysis.research_export import write_jsonl
    from safeenough.reports import build_session_report, render_session_report_html

    bar = tqdm(total=0, unit="conversation", disable=None, file=sys.stderr, desc="analysing")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        analysed = Practice.analyse_files(files, therapist=therapist, processes=processes, progress=progress)
    except SafeEnoughError as error:
        bar.close()
        _fail(error)
    bar.close()
    for item in analysed:
        if item.roles.needs_confirmation:
            typer.secho(
                f"note: {item.filename}: took {item.roles.therapist!r} as the therapist "
                f"({min(99, round(item.roles.confidence * 100))}% sure); "
                "pass --therapist NAME to say who it is",
                err=True,
                fg=typer.colors.YELLOW,
            )
    if format is ReportFormat.JSONL:
        if out is None:
            write_jsonl((item.result for item in analysed), sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as handle:
                lines = write_jsonl((item.result for item in analysed), handle)
            typer.echo(f"Wrote {lines} lines for {len(analysed)} conversations to {out}.", err=True)
        return
    pages = {
        f"{item.result.conversation.id}.html": render_session_report_html(
            build_session_report(item.result, title=item.result.conversation.id), standalone=True
        )
        for item in analysed
    }
    if out is None and len(pages) == 1:
        typer.echo(next(iter(pages.values())))
    elif out is not None and len(pages) == 1 and out.suffix == ".html":
        out.write_text(next(iter(pages.values())), encoding="utf-8")
        typer.echo(f"Wrote {out}.", err=True)
    else:
        folder = out or Path("reports")
        folder.mkdir(parents=True, exist_ok=True)
        for name, page in pages.items():
            (folder / name).write_text(page, encoding="utf-8")
        typer.echo(f"Wrote {len(pages)} reports to {folder}/.", err=True)


@app.command()
def backup(path: Path) -> None:
    """Write a consistent copy of the embedded database to PATH, while the app keeps running.

    The copy stays encrypted: keep the key file (data/secret.key) safe as well, but not beside the backup.
    """
    try:
        written = _practice().backup(path)
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(
        f"Backup written to {written}. Clinical text in it is encrypted; back up the key file separately."
    )


@app.command()
def restore(path: Path) -> None:
    """Replace the embedded database with the backup at PATH (the current one is kept beside it)."""
    try:
        kept = _practice().restore(path)
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(f"Restored from {path}. The database as it was before is kept at {kept}.")


def main() -> None:
    app()
