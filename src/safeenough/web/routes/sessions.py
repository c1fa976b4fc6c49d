"""One session: its transcript (upload, who is who), and the session report once it is analysed.

The page has three states, in the order a clinician meets them:
1. no transcript yet: an upload form (one file; optionally "I am the speaker named …");
2. a transcript whose speaker roles were guessed: the therapist confirms who they are;
3. analysed: the session report, with a standalone copy to download.
Supervisors read the same page without any form; other clinicians get 404 (the facade decides).

Register with `register(app)`: it adds the router and the report stylesheet at
`/static/session_report.css` (ahead of the static mount, which would otherwise answer that path).
"""

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.errors import InvalidInput
from safeenough.practice import SessionAnalysis
from safeenough.reports import render_session_report_html, session_report_css
from safeenough.transcripts import MAX_BYTES, RoleAssignment, guess_roles
from safeenough.web.auth import Visitor, check_csrf, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.limits import RequestTooLarge
from safeenough.web.rendering import render, render_error

router = APIRouter()

ACCEPTED_EXTENSIONS: Final = (".vtt", ".srt", ".txt", ".docx", ".json", ".csv")
MAX_UPLOAD_BYTES: int = MAX_BYTES
"""Largest transcript accepted, the readers' own limit (a module variable so tests can lower it)."""
MULTIPART_SLACK_BYTES: Final = 64 * 1024
"""Room for the form's other fields and the multipart boundaries around the file."""
DRAIN_LIMIT_FACTOR: Final = 10
"""An oversize upload is read and discarded (so the browser sees our answer, not a reset connection)
up to this many times the limit; beyond that the connection is simply answered at once."""
MAX_SPEAKER_NAME_LENGTH: Final = 120
MAX_FILENAME_LENGTH: Final = 200
PREVIEW_TURNS: Final = 6
REPORT_CSS_PATH: Final = "/static/session_report.css"

STATUS_MESSAGES: Final = {
    "analysed": "Transcript read and analysed.",
    "confirm": "Transcript read. Before it is analysed, confirm which speaker is you.",
    "confirmed": "Thank you: the speakers are confirmed and the transcript is analysed.",
    "restored": "The dismissed suggestions are shown again.",
    "changed": "The speakers were changed and the transcript analysed again.",
}
"""Messages chosen by `?status=` after a change (never echoed from the URL). A link with one of them
may be opened again later, so each is shown only while it is still true of the session."""


def _status_message(key: str, analysis: SessionAnalysis) -> str | None:
    """The `?status=` message, when the session is still in the state it speaks of."""
    stored = analysis.transcript
    awaiting_roles = stored is not None and not stored.roles_confirmed
    still_true = {
        "analysed": analysis.report is not None,
        "confirmed": analysis.report is not None,
        "restored": analysis.report is not None,
        "changed": analysis.report is not None,
        "confirm": awaiting_roles and not analysis.read_only,
    }
    return STATUS_MESSAGES[key] if still_true.get(key, False) else None


@dataclass(slots=True)
class UploadForm:
    """What the upload form shows again after a problem: the name typed, and what went wrong."""

    therapist: str = ""
    error: str | None = None
    field: str | None = None
    """The field the error is about ("transcript", "therapist" or "replace"), to mark and focus it; a
    problem with what the file holds is about the file."""


@dataclass(frozen=True, slots=True)
class SpeakerChoice:
    name: str
    turns: int
    guessed: bool


@dataclass(slots=True)
class RolesForm:
    """The role-confirmation form: the speakers, the guess preselected, its confidence and reasons."""

    speakers: list[SpeakerChoice] = field(default_factory=list)
    guess: str | None = None
    confidence: float = 0.0
    reasons: tuple[str, ...] = ()
    preview: list[Turn] = field(default_factory=list)
    selected: str | None = None
    error: str | None = None
    not_clients: set[str] = field(default_factory=set)
    """Speakers marked as no client (an interpreter, a co-therapist)."""
    changing: bool = False
    """The roles were confirmed and the transcript analysed; the therapist is changing them."""

    @property
    def error_field(self) -> str | None:
        """Which part of the form the error is about: "not_client" (the "not a client" ticks) or
        "therapist_speaker" (the choice of who is the therapist)."""
        if self.error is None:
            return None
        return (
            "not_client"
            if "must be a client" in self.error or "no speaker" in self.error
            else ("therapist_speaker")
        )

    @property
    def confidence_words(self) -> str:
        """How sure the guess is, in words: its number comes from a few rules of thumb (who asks, who
        talks more), and a percentage would read as more exact than that."""
        if self.confidence >= 0.9:
            return "a confident guess"
        if self.confidence >= 0.7:
            return "a fair guess"
        return "an uncertain guess"


def _roles_form(
    conversation: Conversation,
    *,
    selected: str | None = None,
    error: str | None = None,
    not_clients: set[str] | None = None,
    changing: bool = False,
) -> RolesForm:
    """The guess is worked out again from the talk (it is deterministic), to show its reasons. When the
    roles are being changed, the current ones are preselected."""
    assignment: RoleAssignment = guess_roles(conversation)
    counts = Counter(turn.speaker for turn in conversation.turns)
    if changing:
        current = {turn.speaker: turn.role for turn in conversation.turns}
        if selected is None:
            selected = next((s for s, role in current.items() if role is SpeakerRole.THERAPIST), None)
        if not_clients is None:
            not_clients = {s for s, role in current.items() if role is SpeakerRole.OTHER}
    return RolesForm(
        not_clients=not_clients or set(),
        changing=changing,
        speakers=[
            SpeakerChoice(name=speaker, turns=counts[speaker], guessed=speaker == assignment.therapist)
            for speaker in conversation.speakers
        ],
        guess=assignment.therapist,
        confidence=assignment.confidence,
        reasons=assignment.reasons if assignment.therapist is not None else (),
        preview=list(conversation.turns[:PREVIEW_TURNS]),
        selected=selected if selected is not None else assignment.therapist,
        error=error,
    )


def _session_page(
    request: Request,
    visitor: Visitor,
    session_id: int,
    *,
    upload: UploadForm | None = None,
    roles_choice: str | None = None,
    roles_error: str | None = None,
    not_clients: set[str] | None = None,
    status_code: int = 200,
) -> Response:
    analysis: SessionAnalysis = web_context(request).practice.session_analysis(visitor.clinician, session_id)
    case, session, stored = analysis.case, analysis.session, analysis.transcript
    attendees = [client for client in case.clients if client.id in session.attendee_ids]
    roles = None
    if stored is not None and not stored.roles_confirmed:
        roles = _roles_form(
            stored.conversation, selected=roles_choice, error=roles_error, not_clients=not_clients
        )
    elif stored is not None and not analysis.read_only:
        roles = _roles_form(
            stored.conversation,
            selected=roles_choice,
            error=roles_error,
            not_clients=not_clients,
            changing=True,
        )
    report_html = (
        render_session_report_html(analysis.report, standalone=False) if analysis.report is not None else None
    )
    status_key = request.query_params.get("status", "")
    context = {
        "analysis": analysis,
        "case": case,
        "session": session,
        "transcript": stored,
        "attendees": attendees,
        "read_only": analysis.read_only,
        "upload": upload or UploadForm(),
        "roles": roles,
        "report_html": report_html,
        "status_message": _status_message(status_key, analysis) if status_code == 200 else None,
        "accept": ",".join(ACCEPTED_EXTENSIONS),
        "max_upload_mb": MAX_UPLOAD_BYTES / 1024 / 1024,
    }
    return render(
        request,
        "session.html",
        context,
        visitor=visitor,
        status_code=status_code,
        form_page=f"/sessions/{session_id}",
    )


@router.get("/sessions/{session_id:id}")
def session_page(
    request: Request, session_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    return _session_page(request, visitor, session_id)


def _too_large_message() -> str:
    limit = MAX_UPLOAD_BYTES / 1024 / 1024
    return (
        f"The file is larger than {limit:g} MB, the most safeenough reads for one transcript. Is this the "
        "recording rather than the transcript? Export the transcript (.vtt, .srt, .txt, .docx, .json or "
        ".csv) and upload that. Nothing was stored."
    )


def upload_limit() -> int:
    """The most a transcript upload request may send: the file, its form fields and boundaries."""
    return MAX_UPLOAD_BYTES + MULTIPART_SLACK_BYTES


def upload_drain_limit() -> int:
    return MAX_UPLOAD_BYTES * DRAIN_LIMIT_FACTOR


async def read_upload_form(request: Request) -> AsyncIterator[FormData | None]:
    """FastAPI dependency: the posted multipart form, or None when the upload is over the size limit.

    A declared size over the limit is refused before anything is parsed; the body is read and thrown
    away (up to a bound) so that the browser shows our answer rather than a reset connection. The
    form's spooled files are closed once the request is answered.
    """
    declared = request.headers.get("content-length", "")
    declared = declared if declared.isascii() and declared.isdecimal() else ""
    if declared and int(declared) > upload_limit():
        if int(declared) <= upload_drain_limit():
            async for _ in request.stream():
                pass
        yield None
        return
    try:
        form = await request.form()
    except RequestTooLarge:  # a body that did not say its size, stopped at the limit (web.limits)
        yield None
        return
    try:
        yield form
    finally:
        await form.close()


async def _file_bytes(upload: UploadFile) -> bytes | None:
    """The uploaded file's content, or None when it is over the limit (read no further than that)."""
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    return None if len(data) > MAX_UPLOAD_BYTES else data


def _clean_filename(raw: str | None) -> str:
    """Only the file's own name (browsers may send a path), within a sensible length."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name.strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_FILENAME_LENGTH - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and 0 < len(extension) < 10 else name[:MAX_FILENAME_LENGTH]
    return name


@dataclass(frozen=True, slots=True)
class Upload:
    """The upload as read from the form: the file (None if missing or too large) and the name typed."""

    filename: str
    data: bytes | None
    therapist: str
    too_large: bool = False
    replace: bool = False


async def read_upload(form: Annotated[FormData | None, Depends(read_upload_form)]) -> Upload | None:
    """FastAPI dependency: the file and fields of the upload form, read on the event loop."""
    if form is None:
        return None
    item = form.get("transcript")
    typed = form.get("therapist")
    therapist = typed if isinstance(typed, str) else ""
    replace = form.get("replace") == "yes"
    if not isinstance(item, UploadFile):
        return Upload(filename="", data=None, therapist=therapist, replace=replace)
    data = await _file_bytes(item)
    return Upload(
        filename=_clean_filename(item.filename),
        data=data,
        therapist=therapist,
        too_large=data is None,
        replace=replace,
    )


@router.post("/sessions/{session_id:id}/transcript")
def upload_transcript(
    request: Request,
    session_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData | None, Depends(read_upload_form)],
    upload: Annotated[Upload | None, Depends(read_upload)],
) -> Response:
    if form is None or upload is None:
        # Over the limit before the form could even be read: nothing was parsed or stored. The CSRF token
        # is in the unread body; answering with a message changes nothing, so that is safe.
        return _session_page(
            request,
            visitor,
            session_id,
            upload=UploadForm(error=_too_large_message(), field="transcript"),
            status_code=413,
        )
    check_csrf(visitor, form)
    entered = UploadForm(therapist=upload.therapist.strip())
    if upload.too_large:
        entered.error, entered.field = _too_large_message(), "transcript"
        return _session_page(request, visitor, session_id, upload=entered, status_code=413)
    if not upload.filename or upload.data is None:
        entered.error = f"Choose a transcript file to upload ({', '.join(ACCEPTED_EXTENSIONS)})."
        entered.field = "transcript"
    elif len(entered.therapist) > MAX_SPEAKER_NAME_LENGTH:
        entered.error = f"The speaker name is too long: at most {MAX_SPEAKER_NAME_LENGTH} characters."
        entered.field = "therapist"
    else:
        try:
            preview = web_context(request).practice.import_transcript(
                visitor.clinician,
                session_id,
                filename=upload.filename,
                data=upload.data,
                therapist=entered.therapist or None,
                replace=upload.replace,
            )
        except InvalidInput as exc:  # TranscriptError included: it names the file, the line, the expectation
            said = str(exc).rstrip()
            if not said.endswith("Nothing was stored."):
                said = f"{said}{'' if said.endswith(('.', '?', '!')) else '.'} Nothing was stored."
            entered.error = said
            entered.field = "replace" if "tick “replace" in said.lower() else "transcript"
        else:
            status = "analysed" if preview.analysed else "confirm"
            return RedirectResponse(f"/sessions/{session_id}?status={status}", status_code=303)
    return _session_page(request, visitor, session_id, upload=entered, status_code=422)


@router.post("/sessions/{session_id:id}/transcript/roles")
def confirm_roles(
    request: Request,
    session_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    raw = form.get("therapist_speaker")
    chosen = raw if isinstance(raw, str) else ""
    not_clients = {value for value in form.getlist("not_client") if isinstance(value, str)}
    if not chosen:
        error = "Choose which speaker is you, the therapist."
    else:
        try:
            changed = web_context(request).practice.confirm_transcript_roles(
                visitor.clinician, session_id, chosen, not_clients=not_clients
            )
        except InvalidInput as exc:
            error = str(exc)
        else:
            status = "changed" if changed else "confirmed"
            return RedirectResponse(f"/sessions/{session_id}?status={status}", status_code=303)
    return _session_page(
        request,
        visitor,
        session_id,
        roles_choice=chosen or None,
        roles_error=error,
        not_clients=not_clients,
        status_code=422,
    )


@router.post("/sessions/{session_id:id}/suggestions/{suggestion_id}/words")
def reword_suggestion(
    request: Request,
    session_id: int,
    suggestion_id: str,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """From the report's Edit, on Done (static/suggestions.js): the therapist's words are kept with the
    session. 204; 422 with what to do when they cannot be kept."""
    check_csrf(visitor, form)
    text = form.get("text")
    if not isinstance(text, str):
        return PlainTextResponse("No words were sent; write the check-in and press Done again.", 422)
    try:
        web_context(request).practice.reword_report_suggestion(
            visitor.clinician, session_id, suggestion_id, text
        )
    except InvalidInput as exc:
        return PlainTextResponse(str(exc), status_code=422)
    return Response(status_code=204)


@router.post("/sessions/{session_id:id}/suggestions/{suggestion_id}/suggested-words")
def restore_suggested_words(
    request: Request,
    session_id: int,
    suggestion_id: str,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """ "Back to the suggested words": answered with those words."""
    check_csrf(visitor, form)
    try:
        words = web_context(request).practice.restore_suggested_words(
            visitor.clinician, session_id, suggestion_id
        )
    except InvalidInput as exc:
        return PlainTextResponse(str(exc), status_code=422)
    return PlainTextResponse(words)


@router.post("/sessions/{session_id:id}/suggestions/{suggestion_id}/{action}")
def change_suggestion(
    request: Request,
    session_id: int,
    suggestion_id: str,
    action: Literal["dismiss", "restore"],
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """From the report's Dismiss button and its Undo (static/suggestions.js): answered without a page."""
    check_csrf(visitor, form)
    practice = web_context(request).practice
    change = (
        practice.dismiss_report_suggestion if action == "dismiss" else practice.restore_report_suggestions
    )
    try:
        change(visitor.clinician, session_id, suggestion_id)
    except InvalidInput as exc:
        return PlainTextResponse(str(exc), status_code=422)
    return Response(status_code=204)


@router.post("/sessions/{session_id:id}/suggestions/restore")
def restore_all_suggestions(
    request: Request,
    session_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """ "Show them again" under the report: every dismissed suggestion of the session comes back."""
    check_csrf(visitor, form)
    web_context(request).practice.restore_report_suggestions(visitor.clinician, session_id)
    return RedirectResponse(f"/sessions/{session_id}?status=restored", status_code=303)


@router.get("/sessions/{session_id:id}/report.html")
def download_report(
    request: Request, session_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    analysis = web_context(request).practice.session_analysis(
        visitor.clinician, session_id, exported_as="report.html"
    )
    if analysis.report is None:
        return render_error(
            request,
            404,
            "No report yet",
            "This session has no analysed transcript yet, so there is no report to download.",
            visitor=visitor,
        )
    html = render_session_report_html(analysis.report, standalone=True)
    filename = f"session-{analysis.session.number}-report.html"
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def report_stylesheet(request: Request) -> Response:
    return Response(session_report_css(), media_type="text/css; charset=utf-8")


def register(app: FastAPI) -> None:
    """Add the session routes, and the report stylesheet ahead of the `/static` mount."""
    app.include_router(router)
    app.router.routes.insert(0, Route(REPORT_CSS_PATH, report_stylesheet, methods=["GET", "HEAD"]))
