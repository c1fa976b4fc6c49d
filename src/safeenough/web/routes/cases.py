"""A case: its clients, its sessions timeline, and adding a session; opening a new case."""

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.domain.case import CaseKind
from safeenough.domain.validation import DomainError
from safeenough.errors import InvalidInput
from safeenough.practice.cases import future_opening_message
from safeenough.web.auth import Visitor, check_csrf, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import is_htmx, render
from safeenough.web.routes import parse_record_id

router = APIRouter()

MAX_NOTE_LENGTH = 20_000


@dataclass(slots=True)
class SessionForm:
    """What the add-session form shows: defaults, or exactly what the person typed."""

    held_on: str
    attendee_ids: set[int]
    note: str = ""
    error: str | None = None
    field: str | None = None
    """The field the error is about ("held_on", "attendee", "note"), to mark and focus."""

    def refuse(self, message: str, field_name: str) -> None:
        self.error, self.field = message, field_name


SESSION_FIELD_LABELS = {"held_on": "Date", "attendee": "Who attended", "note": "Note"}
CASE_FIELD_LABELS = {
    "title": "Case title",
    "kind": "Kind of case",
    "client_names": "Clients' names",
    "opened_on": "Opened on",
}


SESSION_FIELDS = {"attendee_ids": "attendee"}
"""The add-session form's name for a parameter of `Practice.add_session`, where they differ."""


def _session_field(error: InvalidInput) -> str:
    """Which add-session field a refusal from the facade is about."""
    field = error.field or "attendee_ids"
    return SESSION_FIELDS.get(field, field)


@dataclass(slots=True)
class CaseForm:
    title: str = ""
    kind: str = CaseKind.INDIVIDUAL.value
    client_names: str = ""
    opened_on: str = ""
    error: str | None = None
    kinds: list[CaseKind] = field(default_factory=lambda: list(CaseKind))
    field: str | None = None  # after `kinds`: the name shadows dataclasses.field from here on
    """The field the error is about ("title", "kind", "client_names", "opened_on"), to mark and focus."""

    def refuse(self, message: str, field_name: str | None) -> None:
        self.error, self.field = message, field_name


def _fresh_session_form(today: date, client_ids: list[int]) -> SessionForm:
    return SessionForm(held_on=today.isoformat(), attendee_ids=set(client_ids))


def case_page_response(
    request: Request,
    visitor: Visitor,
    case_id: int,
    *,
    session_form: SessionForm | None = None,
    added: int | None = None,
    status_code: int = 200,
    partial: bool = False,
    **shown: object,
) -> Response:
    """The case page (or, `partial`, its sessions area); `shown` adds what a form just did to it, e.g.
    the link just issued, for the page that answers a form posted without JavaScript."""
    detail = web_context(request).practice.case_detail(visitor.clinician, case_id)
    clients = {client.id: client for client in detail.case.clients}
    context = {
        "detail": detail,
        "case": detail.case,
        "clients": clients,
        "sessions": sorted(detail.sessions, key=lambda s: (s.held_on, s.number), reverse=True),
        "form": session_form or _fresh_session_form(web_context(request).practice.today(), list(clients)),
        "added": added,
        **shown,
    }
    template = "_sessions.html" if partial else "case.html"
    return render(
        request, template, context, visitor=visitor, status_code=status_code, form_page=f"/cases/{case_id}"
    )


@router.get("/cases/{case_id:id}")
def case_page(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    added_text = request.query_params.get("added", "")
    added = parse_record_id(added_text, digits=5)
    return case_page_response(request, visitor, case_id, added=added)


def _parse_session_form(form: FormData) -> tuple[SessionForm, date | None, list[int]]:
    held_on_text = str(form.get("held_on") or "").strip()
    note = str(form.get("note") or "")
    raw_ids = [str(value) for value in form.getlist("attendee")]
    ids = [found for value in raw_ids if (found := parse_record_id(value)) is not None]
    entered = SessionForm(held_on=held_on_text, attendee_ids=set(ids), note=note)
    if len(ids) != len(raw_ids):
        entered.refuse(
            "The list of attending clients was not understood; tick the clients again.", "attendee"
        )
        return entered, None, ids
    if not held_on_text:
        entered.refuse("Enter the date of the session.", "held_on")
        return entered, None, ids
    try:
        held_on = date.fromisoformat(held_on_text)
    except ValueError:
        entered.refuse("Enter the date of the session as a date, for example 2025-03-04.", "held_on")
        return entered, None, ids
    if not ids:
        entered.refuse("Tick at least one client who attended the session.", "attendee")
        return entered, None, ids
    if len(note) > MAX_NOTE_LENGTH:
        entered.refuse(
            f"The note is too long: at most {MAX_NOTE_LENGTH:,} characters (it has {len(note):,}).", "note"
        )
        return entered, None, ids
    return entered, held_on, ids


@router.post("/cases/{case_id:id}/sessions")
def add_session(
    request: Request,
    case_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    entered, held_on, attendee_ids = _parse_session_form(form)
    htmx = is_htmx(request)
    if held_on is not None and entered.error is None:
        try:
            session = web_context(request).practice.add_session(
                visitor.clinician,
                case_id,
                held_on=held_on,
                attendee_ids=attendee_ids,
                note=entered.note.strip() or None,
            )
        except InvalidInput as exc:
            entered.refuse(str(exc), _session_field(exc))
        else:
            if htmx:
                return case_page_response(request, visitor, case_id, added=session.number, partial=True)
            return RedirectResponse(f"/cases/{case_id}?added={session.number}", status_code=303)
    return case_page_response(request, visitor, case_id, session_form=entered, status_code=422, partial=htmx)


@router.get("/cases/new")
def new_case_form(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    if visitor.is_admin:
        return RedirectResponse("/admin/users", status_code=303)
    today = web_context(request).practice.today()
    form = CaseForm(opened_on=today.isoformat())
    return render(request, "new_case.html", _new_case_context(form, today), visitor=visitor)


def _new_case_context(form: CaseForm, today: date) -> dict[str, object]:
    return {"form": form, "today": today.isoformat(), "labels": CASE_FIELD_LABELS}


@router.post("/cases")
def open_case(
    request: Request,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    entered = CaseForm(
        title=str(form.get("title") or ""),
        kind=str(form.get("kind") or ""),
        client_names=str(form.get("client_names") or ""),
        opened_on=str(form.get("opened_on") or "").strip(),
    )
    names = [line.strip() for line in entered.client_names.splitlines() if line.strip()]
    kind = CaseKind(entered.kind) if entered.kind in {kind.value for kind in CaseKind} else None
    opened_on: date | None = None
    if not entered.title.strip():
        entered.refuse("Give the case a title.", "title")
    elif kind is None:
        entered.refuse("Choose the kind of case: individual, couple or family.", "kind")
    else:
        try:
            kind.check_client_count(len(names))
        except DomainError as error:
            entered.refuse(str(error).capitalize() + ".", "client_names")
    today = web_context(request).practice.today()
    if entered.error is None and entered.opened_on:
        try:
            opened_on = date.fromisoformat(entered.opened_on)
        except ValueError:
            entered.refuse("Give the opening date as a date, for example 2025-03-04.", "opened_on")
        else:
            if opened_on > today:
                entered.refuse(future_opening_message(opened_on, today), "opened_on")
    if entered.error is None and kind is not None:
        try:
            case = web_context(request).practice.open_case(
                visitor.clinician,
                title=entered.title.strip(),
                kind=kind,
                client_names=names,
                opened_on=opened_on,
            )
        except InvalidInput as exc:
            entered.refuse(str(exc), exc.field or "title")
        else:
            return RedirectResponse(f"/cases/{case.id}", status_code=303)
    return render(
        request,
        "new_case.html",
        _new_case_context(entered, today),
        visitor=visitor,
        status_code=422,
        form_page="/cases/new",
    )
