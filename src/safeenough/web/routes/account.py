"""One's own account: who one is logged in as, and changing one's own password."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.errors import InvalidInput
from safeenough.practice.accounts import MIN_PASSWORD_LENGTH
from safeenough.web.auth import Visitor, check_csrf, clear_session_cookie, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import render

router = APIRouter()


def _account_page(
    request: Request,
    visitor: Visitor,
    *,
    error: str | None = None,
    field: str = "current_password",
    status_code: int = 200,
) -> Response:
    """The account page; after a refused change, `error` beside `field` (a form field's name)."""
    return render(
        request,
        "account.html",
        {"error": error, "wrong": field if error else None, "min_password_length": MIN_PASSWORD_LENGTH},
        visitor=visitor,
        status_code=status_code,
        form_page="/account",
    )


def _field_of(error: InvalidInput) -> str:
    """The account form's field a refusal is about: the new password, or else the current one."""
    return "new_password" if error.field == "password" else "current_password"


@router.get("/account")
def account(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    return _account_page(request, visitor)


@router.post("/account/password")
def change_password(
    request: Request,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    current = str(form.get("current_password") or "")
    new = str(form.get("new_password") or "")
    # Empty fields are said as such (an empty current password is not a wrong guess towards the lockout).
    if not current:
        return _account_page(
            request, visitor, error="Enter your current password.", field="current_password", status_code=422
        )
    if not new:
        return _account_page(
            request,
            visitor,
            error=f"Enter a new password of at least {MIN_PASSWORD_LENGTH} characters.",
            field="new_password",
            status_code=422,
        )
    if new != str(form.get("new_password_again") or ""):
        return _account_page(
            request,
            visitor,
            error="The two new passwords differ; type the same one twice.",
            field="new_password_again",
            status_code=422,
        )
    client_address = request.client.host if request.client else "unknown"
    try:
        web_context(request).practice.change_own_password(
            visitor.clinician, current, new, client_address=client_address
        )
    except InvalidInput as exc:
        return _account_page(request, visitor, error=str(exc), field=_field_of(exc), status_code=422)
    # Every login of the account has ended, this one too: log in again with the new password.
    response = RedirectResponse("/login?reason=password_changed", status_code=303)
    clear_session_cookie(request, response)
    return response
