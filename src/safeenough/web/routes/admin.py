"""Account administration: list, add, deactivate, set a password. Admins never see clinical content."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response, StreamingResponse

from safeenough.domain.audit import AuditAction, AuditQuery
from safeenough.domain.clinician import Clinician, Role
from safeenough.errors import InvalidInput
from safeenough.interop.audit_csv import audit_csv_lines
from safeenough.practice.accounts import MIN_PASSWORD_LENGTH
from safeenough.web.auth import Visitor, check_csrf, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import render
from safeenough.web.routes.downloads import NO_STORE

router = APIRouter(prefix="/admin")

ROLE_LABELS = {
    Role.CLINICIAN: "Clinician",
    Role.SUPERVISOR: "Supervisor",
    Role.ADMIN: "Administrator",
}


@dataclass(slots=True)
class NewUserForm:
    """What the add-account form shows again after an error; never the password."""

    username: str = ""
    display_name: str = ""
    role: str = Role.CLINICIAN.value
    supervisor_username: str = ""
    error: str | None = None
    field: str | None = None
    """The field the error is about (the form field's name), to mark and focus it."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why an action on one account's row was refused; shown beside that row's field, folded open."""

    username: str
    action: str
    """"active", "password" or "supervisor": which of the row's forms."""
    message: str


def _users_page(
    request: Request,
    visitor: Visitor,
    *,
    form: NewUserForm | None = None,
    done: str | None = None,
    row_problem: RowProblem | None = None,
    status_code: int = 200,
) -> Response:
    clinicians = web_context(request).practice.list_clinicians(visitor.clinician)
    by_id = {clinician.id: clinician for clinician in clinicians}
    # The account a change was about, named in its confirmation; only a username that exists is shown.
    who = request.query_params.get("who", "")
    if done is not None and who in {clinician.username for clinician in clinicians}:
        done = f"{who}: {done}"
    supervisors = [c for c in clinicians if c.role is Role.SUPERVISOR and c.active]
    return render(
        request,
        "admin_users.html",
        {
            "clinicians": sorted(clinicians, key=lambda c: (not c.active, c.username)),
            "by_id": by_id,
            "supervisors": supervisors,
            "roles": list(Role),
            "role_labels": ROLE_LABELS,
            "form": form or NewUserForm(),
            "min_password_length": MIN_PASSWORD_LENGTH,
            "done": done,
            "row_problem": row_problem,
        },
        visitor=visitor,
        status_code=status_code,
        form_page="/admin/users",
    )


# Confirmations shown after a change, chosen by ?done= (never echoed from the URL).
DONE_MESSAGES = {
    "added": "The account was added.",
    "deactivated": "The account was deactivated; its logins have ended.",
    "activated": "The account was activated again.",
    "password": "The password was set. The account's logins have ended and any lockout is lifted.",
    "supervisor": "The supervisor was changed. A supervisor reads their supervisees' cases, read-only.",
}


@router.get("/users")
def users(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    done = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return _users_page(request, visitor, done=done)


@router.post("/users")
def add_user(
    request: Request,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    entered = NewUserForm(
        username=str(form.get("username") or "").strip(),
        display_name=str(form.get("display_name") or "").strip(),
        role=str(form.get("role") or ""),
        supervisor_username=str(form.get("supervisor_username") or "").strip(),
    )
    password = str(form.get("password") or "")
    try:
        role = Role(entered.role)
    except ValueError:
        entered.error, entered.field = "Choose a role: clinician, supervisor or administrator.", "role"
    else:
        try:
            web_context(request).practice.add_clinician(
                visitor.clinician,
                username=entered.username,
                display_name=entered.display_name,
                role=role,
                password=password,
                supervisor_username=entered.supervisor_username or None,
            )
        except InvalidInput as exc:
            entered.error, entered.field = str(exc), exc.field
        else:
            return RedirectResponse("/admin/users?done=added", status_code=303)
    return _users_page(request, visitor, form=entered, status_code=422)


@router.post("/users/{username}/active")
def set_active(
    request: Request,
    username: str,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    if form.get("active") not in ("true", "false"):
        problem = RowProblem(username, "active", "Choose whether to activate or deactivate the account.")
        return _users_page(request, visitor, row_problem=problem, status_code=422)
    active = form.get("active") == "true"
    try:
        web_context(request).practice.set_active(visitor.clinician, username, active)
    except InvalidInput as exc:
        problem = RowProblem(username, "active", str(exc))
        return _users_page(request, visitor, row_problem=problem, status_code=422)
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/admin/users?done={done}&who={quote(username.lower())}", status_code=303)


@router.post("/users/{username}/supervisor")
def set_supervisor(
    request: Request,
    username: str,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        web_context(request).practice.set_supervisor(
            visitor.clinician, username, str(form.get("supervisor") or "") or None
        )
    except InvalidInput as exc:
        problem = RowProblem(username, "supervisor", str(exc))
        return _users_page(request, visitor, row_problem=problem, status_code=422)
    return RedirectResponse(f"/admin/users?done=supervisor&who={quote(username.lower())}", status_code=303)


AUDIT_PAGE_SIZE = 200


@dataclass(slots=True)
class AuditFilter:
    """The audit page's filter as typed (query parameters), and what is wrong with it, if anything."""

    who: str = ""
    action: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    error: str | None = None
    field: str | None = None

    @property
    def query_string(self) -> str:
        """The filter as a query string, for the next page and the download."""
        pairs = {
            "who": self.who,
            "action": self.action,
            "kind": self.kind,
            "from": self.date_from,
            "to": self.date_to,
        }
        return urlencode({name: value for name, value in pairs.items() if value})

    @property
    def description(self) -> str:
        """What the filter asks for, in words, for the audit trail's own record of an export."""
        parts = [
            f"account {self.who}" if self.who else "",
            f"action {self.action}" if self.action else "",
            f"record {self.kind}" if self.kind else "",
            f"from {self.date_from}" if self.date_from else "",
            f"to {self.date_to}" if self.date_to else "",
        ]
        return ", ".join(part for part in parts if part) or "all events"


def _audit_filter(
    request: Request, clinicians: list[Clinician], kinds: list[str]
) -> tuple[AuditFilter, AuditQuery]:
    """Read the filter from the address; a value that cannot be used is named, beside its field."""
    params = request.query_params
    typed = AuditFilter(
        who=params.get("who", "").strip().lower(),
        action=params.get("action", ""),
        kind=params.get("kind", ""),
        date_from=params.get("from", "").strip(),
        date_to=params.get("to", "").strip(),
    )
    zone = web_context(request).practice.settings.zone
    by_username = {clinician.username: clinician for clinician in clinicians}
    problem: tuple[str, str] | None = None
    if typed.who and typed.who not in by_username:
        problem = ("who", f"There is no account with the username “{typed.who}”.")
    elif typed.action and typed.action not in {action.value for action in AuditAction}:
        problem = ("action", f"“{typed.action}” is not an action the audit log records.")
    elif typed.kind and typed.kind not in kinds:
        problem = ("kind", f"No event in the audit log is about a record of the kind “{typed.kind}”.")
    days: dict[str, date | None] = {"from": None, "to": None}
    for name, value in (("from", typed.date_from), ("to", typed.date_to)):
        if value and problem is None:
            try:
                days[name] = date.fromisoformat(value)
            except ValueError:
                problem = (name, f"“{value}” is not a date; write it as YYYY-MM-DD, e.g. 2026-11-29.")
    if problem is None and days["from"] and days["to"] and days["to"] < days["from"]:
        problem = ("to", "The last day comes before the first day; swap them or leave one empty.")
    if problem is not None:
        typed.field, typed.error = problem
        return typed, AuditQuery()
    start, end = days["from"], days["to"]
    query = AuditQuery(
        actor_id=by_username[typed.who].id if typed.who else None,
        action=AuditAction(typed.action) if typed.action else None,
        target_kind=typed.kind or None,
        # Whole days on the practice's calendar, the last one included.
        since=None if start is None else datetime.combine(start, time(), zone),
        until=None if end is None else datetime.combine(end + timedelta(days=1), time(), zone),
    )
    return typed, query


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() else None


@router.get("/audit")
def audit(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    practice = web_context(request).practice
    clinicians = practice.list_clinicians(visitor.clinician)
    kinds = practice.audit_kinds(visitor.clinician)
    typed, query = _audit_filter(request, clinicians, kinds)
    events = []
    if typed.error is None:
        # One more than a page, to know whether there are older events to offer.
        events = practice.audit_log(
            visitor.clinician, AUDIT_PAGE_SIZE + 1, replace(query, before_id=_before(request))
        )
    older = events[AUDIT_PAGE_SIZE - 1].id if len(events) > AUDIT_PAGE_SIZE else None
    context = {
        "events": events[:AUDIT_PAGE_SIZE],
        "names": {clinician.id: clinician.username for clinician in clinicians},
        "accounts": sorted(clinician.username for clinician in clinicians),
        "actions": [action.value for action in AuditAction],
        "kinds": kinds,
        "filter": typed,
        "narrowed": query.narrowed,
        "paged": _before(request) is not None,
        "older": older,
        "today": practice.today().isoformat(),
    }
    return render(
        request, "admin_audit.html", context, visitor=visitor, status_code=422 if typed.error else 200
    )


@router.get("/audit.csv")
def audit_csv(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    practice = web_context(request).practice
    clinicians = practice.list_clinicians(visitor.clinician)
    typed, query = _audit_filter(request, clinicians, practice.audit_kinds(visitor.clinician))
    if typed.error is not None:
        return RedirectResponse(f"/admin/audit?{typed.query_string}", status_code=303)
    pages = practice.export_audit_log(visitor.clinician, query, described_as=f"csv, {typed.description}")
    names = {clinician.id: clinician.username for clinician in clinicians}
    headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return StreamingResponse(
        audit_csv_lines(pages, names), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.post("/users/{username}/password")
def set_password(
    request: Request,
    username: str,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        web_context(request).practice.set_password(
            visitor.clinician, username, str(form.get("password") or "")
        )
    except InvalidInput as exc:
        problem = RowProblem(username, "password", str(exc))
        return _users_page(request, visitor, row_problem=problem, status_code=422)
    return RedirectResponse(f"/admin/users?done=password&who={quote(username.lower())}", status_code=303)
