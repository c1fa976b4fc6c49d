"""Account administration: list, add, deactivate, set a password. Admins never see clinical content."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.domain.clinician import Role
from safeenough.errors import InvalidInput
from safeenough.practice.accounts import MIN_PASSWORD_LENGTH
from safeenough.web.auth import Visitor, check_csrf, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import render

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


@router.get("/audit")
def audit(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    practice = web_context(request).practice
    events = practice.audit_log(visitor.clinician, limit=200)
    names = {clinician.id: clinician.username for clinician in practice.list_clinicians(visitor.clinician)}
    return render(request, "admin_audit.html", {"events": events, "names": names}, visitor=visitor)


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
