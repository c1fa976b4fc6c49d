"""The command line: a thin caller of the Practice facade."""

import getpass
import os
import re
import sys
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO, TypeVar

import typer
from pydantic import ValidationError

from safeenough.domain.clinician import Role
from safeenough.errors import SafeEnoughError
from safeenough.settings import Settings
from safeenough.transcripts.roles import RoleAssignment

if TYPE_CHECKING:
    from safeenough.practice import AnalysedFile, DemoCredentials, Practice
    from safeenough.practice.moving import MoveSummary

T = TypeVar("T")

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


def _settings() -> Settings:
    """The settings from the environment; a value that cannot be used is one line each, not a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "SAFEENOUGH_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = str(problem["msg"]).removeprefix("Value error, ")
            typer.secho(f"error: {name}: {message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None


def _facade() -> "type[Practice]":
    # Imported by the commands that need it: `analyze` then starts without loading the database layer.
    from safeenough.practice import Practice

    return Practice


def _practice(settings: Settings | None = None) -> "Practice":
    return _facade().open(settings or _settings())


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


def print_demo_credentials(credentials: "DemoCredentials") -> None:
    typer.echo("Demo practice created (all people in it are fictional). Log in with:")
    for account in credentials.accounts:
        typer.echo(f"  {account.username:<6} {account.role.value:<10} password: {credentials.password}")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and check the encryption key."""
    settings = _settings()
    try:
        _prepare_data_dir(settings)
        _facade().create(settings).close()
    except SafeEnoughError as error:
        _fail(error)
    typer.echo("Database is up to date.")


def _prepare_data_dir(settings: Settings) -> None:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(settings.data_dir, 0o700)


def serving_warnings(host: str, settings: Settings) -> list[str]:
    """What is unsafe about serving this way: health data reached from other machines over plain http, or
    login cookies not marked Secure while clients reach the app over HTTPS through a proxy."""
    behind_https = settings.public_url is not None and settings.public_url.scheme == "https"
    if host in {"127.0.0.1", "localhost", "::1"}:
        if behind_https and not settings.secure_cookies:
            return [
                "SAFEENOUGH_PUBLIC_URL is an https address but SAFEENOUGH_SECURE_COOKIES is off, so a login "
                "cookie may travel unencrypted; set SAFEENOUGH_SECURE_COOKIES=true (README, 'Letting "
                "clients open check-in links')."
            ]
        return []
    warnings = [
        f"listening on {host}: other machines can reach safeenough directly, over plain http. Put an HTTPS "
        "reverse proxy in front of it and keep --host 127.0.0.1 (README, 'Letting clients open check-in "
        "links')."
    ]
    if not settings.secure_cookies:
        warnings.append(
            "SAFEENOUGH_SECURE_COOKIES is off, so a login cookie may travel unencrypted; turn it on when the "
            "app is served over HTTPS."
        )
    return warnings


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

    settings = _settings()
    try:
        _prepare_data_dir(settings)
        practice = _facade().create(settings)
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
    for warning in serving_warnings(host, settings):
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
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
    settings = _settings()
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
        practice = _facade().create(settings)
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


@user_app.command("supervisor")
def user_supervisor(
    username: str,
    supervisor: Annotated[
        str | None, typer.Argument(help="The supervisor's username; leave out for no supervisor.")
    ] = None,
) -> None:
    """Link an account to its supervisor, who then reads its cases read-only (or unlink it)."""
    try:
        _practice().set_supervisor(None, username, supervisor)
    except SafeEnoughError as error:
        _fail(error)
    typer.echo(
        f"{username} is now supervised by {supervisor}." if supervisor else f"{username} has no supervisor."
    )


@checkin_app.command("link")
def checkin_link(
    session: Annotated[
        int, typer.Argument(help="Session id: the number in the session page's address, /sessions/ID.")
    ],
    client: Annotated[
        int,
        typer.Argument(
            help="Client id of an attending client: the number in their map's address, /clients/ID/map."
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            help="The address clients reach the app on (default: SAFEENOUGH_PUBLIC_URL, else "
            "http://127.0.0.1:8000)."
        ),
    ] = None,
    instrument: Annotated[list[str] | None, typer.Option(help="Instrument id to ask (repeatable).")] = None,
) -> None:
    """Print a single-use check-in link for one client and one session (valid for 4 days by default)."""
    settings = _settings()
    try:
        issued = _practice(settings).issue_checkin_link_as_owner(
            session, client, instrument_ids=tuple(instrument) if instrument else None
        )
    except SafeEnoughError as error:
        _fail(error)
    base = base_url or settings.checkin_base_url or "http://127.0.0.1:8000"
    typer.echo(base.rstrip("/") + issued.path)
    expires = issued.link.expires_at.astimezone(settings.zone)
    typer.echo(f"(single use; expires {expires:%Y-%m-%d %H:%M} {expires.tzname() or ''})", err=True)


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
    _make_folders(out.parent)
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
    if out is not None:
        _check_new_file(out)  # before the export, which is audited
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
    if out is not None:
        _check_new_file(out)  # before the export, which is audited
    try:
        text = _practice().export_scores_csv(None)
    except SafeEnoughError as error:
        _fail(error)
    _write(text, out)


class ReportFormat(StrEnum):
    JSONL = "jsonl"
    HTML = "html"


REPORTS_FOLDER = Path("reports")
# A report's file name comes from its conversation id, for an AnnoMI-style CSV whatever its transcript_id
# says: only these characters are kept, so a name never leaves the folder or hides as a dot file.
UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.-]+")
NAME_MAX_CHARACTERS = 80
NAME_MAX_BYTES = 200  # file systems allow 255 bytes a name: room left for "-2.html"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _refuse(message: str) -> NoReturn:
    _fail(SafeEnoughError(message))
    raise typer.Exit(code=2)  # not reached: `_fail` exits


def _report_file_name(conversation_id: str, taken: set[str]) -> str:
    """A safe name of its own for a conversation's report: `s.html`, then `s-2.html`, `s-3.html`...

    `taken` holds the names given so far, casefolded as some file systems ignore case; the new one joins it.
    """
    stem = UNSAFE_NAME_CHARACTERS.sub("-", unicodedata.normalize("NFC", conversation_id))
    stem = stem.strip(".-")[:NAME_MAX_CHARACTERS]
    while len(stem.encode()) > NAME_MAX_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(".-") or "conversation"
    name, number = f"{stem}.html", 1
    while name.casefold() in taken:
        number += 1
        name = f"{stem}-{number}.html"
    taken.add(name.casefold())
    return name


def _exists(path: Path) -> bool:
    """Anything there, even a link to nothing."""
    return path.exists() or path.is_symlink()


def _missing_folders(folder: Path) -> list[Path]:
    """The folders from the nearest one that exists down to `folder` that are still to be created
    (outermost first); refuses when something on the way exists and is not a folder."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        if _exists(current):
            _refuse(f"{current} is not a folder; choose another --out")
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    return list(reversed(missing))


def _check_parent_folder(path: Path) -> None:
    """The folder `path` goes in exists, or can be made (it is made only when writing, see
    `_make_folders`); something in the way that is not a folder is refused."""
    _missing_folders(path.parent)


def _make_folders(folder: Path) -> None:
    """Create `folder` and any folder above it that is missing, readable by you only (0700), as
    `mkdir -p` would; say which were made, so a mistyped --out is seen at once."""
    for missing in _missing_folders(folder):
        try:
            missing.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as error:
            _refuse(
                f"could not create the folder {missing} ({error.strerror or error}); choose another --out"
            )
        typer.echo(f"Created the folder {missing}.", err=True)


def _check_new_file(path: Path) -> None:
    """Refuse, before any work, an output file that exists (as `export` does) or cannot be created."""
    if _exists(path):
        _refuse(f"{path} already exists; choose a new file name so nothing is overwritten")
    _check_parent_folder(path)


def _check_report_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    if _exists(folder):
        _refuse(
            f"{folder} exists and is not a folder; give --out a folder for the reports "
            "(or an .html file when there is one session)"
        )
    _check_parent_folder(folder)


def _html_destination(out: Path | None, reports: int, counted: str) -> tuple[Path | None, Path | None]:
    """(file, folder) for `reports` HTML reports, both None for standard output; refuses what cannot work.

    `counted` says what `reports` counts, for the message: "2 files were given".
    """
    if out is None:
        if reports == 1:
            return None, None
        folder = REPORTS_FOLDER
    elif out.suffix.lower() == ".html" and not out.is_dir():
        if reports > 1:
            _refuse(
                f"{out} would hold one session's report, but {counted}; give --out a folder "
                f"(such as {out.with_suffix('')}) to write one report for each"
            )
        _check_new_file(out)
        return out, None
    else:
        folder = out
    _check_report_folder(folder)
    return None, folder


def _write_problem(path: Path, error: OSError) -> str:
    if isinstance(error, FileExistsError):
        return f"{path} already exists; choose a new file name so nothing is overwritten"
    if isinstance(error, FileNotFoundError):
        return f"the folder {path.parent} does not exist; create it first or choose another --out"
    return f"could not write {path} ({error.strerror or error}); choose another --out"


def _write_private(path: Path, write: Callable[[TextIO], T]) -> T:
    """Write a new file only its owner may read (0600): never over a file, or a link, that exists.

    A file left half written (a full disk, say) is removed again. Missing folders on the way are made.
    """
    _make_folders(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        _refuse(_write_problem(path, error))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            return write(handle)
    except OSError as error:
        path.unlink(missing_ok=True)
        _refuse(_write_problem(path, error))


def _write_private_text(path: Path, text: str) -> None:
    _write_private(path, lambda handle: handle.write(text))


def _roles_note(roles: RoleAssignment) -> str:
    if roles.therapist is None:
        why = "only one speaker" if len(roles.roles) < 2 else "no speaker stood out"
        return f"could not tell who the therapist is ({why}); pass --therapist NAME to say who it is"
    sure = min(99, round(roles.confidence * 100))
    return f"took {roles.therapist!r} as the therapist ({sure}% sure); pass --therapist NAME to say who it is"


def _warn_of_shared_ids(files: list[Path], analysed: "list[AnalysedFile]", reports: list[str] | None) -> None:
    """A conversation's id is its file's stem (or CSV transcript_id), as the JSONL export promises: say
    when two share one, and which files they came from."""
    by_id: dict[str, list[int]] = {}
    for index, item in enumerate(analysed):
        by_id.setdefault(item.result.conversation.id, []).append(index)
    for conversation_id, indices in by_id.items():
        if len(indices) < 2:
            continue
        names = {analysed[index].filename for index in indices}
        sources = dict.fromkeys(str(path) for path in files if path.name in names)
        where = (
            "their JSONL lines carry the same conversation id"
            if reports is None
            else "their reports are " + ", ".join(reports[index] for index in indices)
        )
        typer.secho(
            f"warning: {len(indices)} conversations have the id {conversation_id!r} "
            f"(from {', '.join(sources)}): {where}, in the order the files were given",
            err=True,
            fg=typer.colors.YELLOW,
        )


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
        Path | None,
        typer.Option(
            help="A new file (jsonl, or .html for one session) or a folder for html reports, one file per "
            "session. Default: standard output, but several html reports go to the folder ./reports/. "
            "Existing files are never overwritten; missing folders are created."
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Worker processes. Default: one, which embeds every turn of the batch in one pass (the "
            "fastest on a few cores); more only help on a machine with many cores."
        ),
    ] = None,
) -> None:
    """Analyse transcripts without storing them: the research export (JSONL) or readable HTML reports.

    Output files are readable by you only (0600).
    """
    from tqdm import tqdm

    from safeenough.analysis.research_export import write_jsonl
    from safeenough.practice.research import analyse_files
    from safeenough.reports import build_session_report, render_session_report_html

    # Refuse an output that cannot be written before the analysis, not after it.
    if format is ReportFormat.JSONL and out is not None:
        if out.is_dir():
            _refuse(
                f"{out} is a folder; give --out a file name for the JSONL export, "
                f"such as {out / 'analysis.jsonl'}"
            )
        _check_new_file(out)
    elif format is ReportFormat.HTML:
        _html_destination(out, len(files), f"{_plural(len(files), 'file')} were given")

    # Two stages: reading every turn (most of the time), then labelling conversation by conversation.
    bars: dict[str, Any] = {}

    def stage(name: str, unit: str) -> Callable[[int, int], None]:
        def progress(done: int, total: int) -> None:
            bar = bars.get(name)
            if bar is None:
                bar = bars[name] = tqdm(total=total, unit=unit, disable=None, file=sys.stderr, desc=name)
            bar.total = total
            bar.n = done
            bar.refresh()
            if done >= total:
                bar.close()

        return progress

    try:
        analysed = analyse_files(
            files,
            therapist=therapist,
            processes=processes,
            progress=stage("labelling", "conversation"),
            embedding_progress=stage("reading turns", "turn"),
        )
    except SafeEnoughError as error:
        for bar in bars.values():
            bar.close()
        _fail(error)
    for item in analysed:
        if item.roles.needs_confirmation:
            typer.secho(f"note: {item.filename}: {_roles_note(item.roles)}", err=True, fg=typer.colors.YELLOW)
    if format is ReportFormat.JSONL:
        _warn_of_shared_ids(files, analysed, None)
        results = (item.result for item in analysed)
        if out is None:
            write_jsonl(results, sys.stdout)
            return
        lines = _write_private(out, lambda handle: write_jsonl(results, handle))
        conversations = _plural(len(analysed), "conversation")
        typer.echo(f"Wrote {_plural(lines, 'line')} for {conversations} to {out}.", err=True)
        return
    taken: set[str] = set()
    names = [_report_file_name(item.result.conversation.id, taken) for item in analysed]
    _warn_of_shared_ids(files, analysed, names)
    file, folder = _html_destination(
        out, len(analysed), f"the files hold {_plural(len(analysed), 'conversation')}"
    )
    if folder is not None:
        existing = [folder / name for name in names if _exists(folder / name)]
        if existing:
            others = len(existing) - 1
            exist = f" (and {others} more) already exist" if others else " already exists"
            _refuse(f"{existing[0]}{exist}; give --out a new folder so nothing is overwritten")
    pages = [
        render_session_report_html(
            build_session_report(item.result, title=item.result.conversation.id), standalone=True
        )
        for item in analysed
    ]
    if file is None and folder is None:
        typer.echo(pages[0])
    elif file is not None:
        _write_private_text(file, pages[0])
        typer.echo(f"Wrote {file}.", err=True)
    elif folder is not None:
        _make_folders(folder)
        for name, page in zip(names, pages, strict=True):
            _write_private_text(folder / name, page)
        typer.echo(f"Wrote {_plural(len(pages), 'report')} to {folder}/.", err=True)


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


@app.command("move-to")
def move_to_command(
    url: Annotated[
        str,
        typer.Argument(help="The empty database to move to, e.g. postgresql+psycopg://USER:PASSWORD@HOST/DB"),
    ],
) -> None:
    """Copy this practice into another, empty database (e.g. from SQLite to PostgreSQL) and check the copy.

    Stop the server first: what is written during the move is not copied. The database in use now is
    left as it was. Clinical text is copied still encrypted, so keep using the same key file.
    """
    from safeenough.practice.moving import move_to

    settings = _settings()
    try:
        summary = move_to(settings, url)
    except SafeEnoughError as error:
        _fail(error)
    _print_move(summary)


def _print_move(summary: "MoveSummary") -> None:
    typer.echo(f"Moved the practice from {summary.source} to {summary.target}:")
    for table in summary.tables:
        typer.echo(f"  {table.name:<24} {table.rows:>8}")
    typer.echo(
        f"{_plural(summary.rows, 'row')} copied and counted again in the target; "
        f"{_plural(summary.sequences_reset, 'id sequence')} set past the copied ids; "
        f"the key opened {_plural(summary.sealed_values_opened, 'sealed value')} in the copy."
    )
    typer.echo(
        "Next: set SAFEENOUGH_DATABASE_URL to the new database for the server and every command, and keep "
        "SAFEENOUGH_SECRET_KEY_FILE pointing at the same key file. The old database is left as it was."
    )


def main() -> None:
    app()
