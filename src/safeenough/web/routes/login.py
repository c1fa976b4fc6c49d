"""Logging in and out."""

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.errors import AuthenticationFailed, TooManyAttempts
from safeenough.web.auth import (
    Visitor,
    check_csrf,
    check_login_form,
    clear_session_cookie,
    current_visitor,
    login_form_token,
    read_form,
    safe_next_path,
    set_login_form_cookie,
    set_session_cookie,
)
from safeenough.web.context import web_context
from safeenough.web.rendering import format_datetime, render

router = APIRouter()

# Notes shown above the login form, chosen by ?reason= (never echoed from the URL).
LOGIN_NOTES = {
    "ended": "Your login has ended or could not be read. Please log in again.",
    "logged_out": "You have logged out.",
    "password_changed": "Your password was changed and your logins have ended. Log in with the new password.",
}

WRONG_CREDENTIALS = "Wrong username or password."
LOG_IN_FIRST = "Log in to see that page."
"""Said when a page sent the visitor here (`?next=`) because nobody was logged in."""


def _wait_description(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _login_page(
    request: Request,
    *,
    username: str = "",
    next_path: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = login_form_token(request)
    note = LOGIN_NOTES.get(request.query_params.get("reason", ""))
    if note is None and safe_next_path(next_path):
        note = LOG_IN_FIRST
    response = render(
        request,
        "login.html",
        {
            "form_token": token,
            "username": username,
            "next_path": safe_next_path(next_path) or "",
            "error": error,
            "note": None if error else note,
        },
        status_code=status_code,
        headers=headers,
        form_page=_login_address(next_path),
    )
    set_login_form_cookie(request, response, token)
    return response


def _login_address(next_path: str | None) -> str:
    safe = safe_next_path(next_path)
    return f"/login?{urlencode({'next': safe})}" if safe and safe != "/" else "/login"


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request, next_path=request.query_params.get("next"))


@router.post("/login")
def login(request: Request, form: Annotated[FormData, Depends(read_form)]) -> Response:
    check_login_form(request, form)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_path = safe_next_path(str(form.get("next") or "")) or "/"
    practice = web_context(request).practice
    client_address = request.client.host if request.client else "unknown"
    try:
        clinician = practice.authenticate(username, password, client_address=client_address)
    except TooManyAttempts as exc:
        wait = max(1, int(exc.retry_after_seconds))
        until = datetime.now(UTC) + timedelta(seconds=wait)
        after = format_datetime(until, web_context(request).settings.zone)
        message = (
            f"Too many failed logins: logging in is paused for {_wait_description(wait)}. "
            f"Try again after {after}, or ask your admin to reset your password."
        )
        return _login_page(
            request,
            username=username,
            next_path=next_path,
            error=message,
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    except AuthenticationFailed:
        return _login_page(
            request, username=username, next_path=next_path, error=WRONG_CREDENTIALS, status_code=401
        )
    login_session = practice.start_login(clinician)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, login_session)
    return response


@router.post("/logout")
def logout(
    request: Request,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    web_context(request).practice.end_login(visitor.login.token)
    response = RedirectResponse("/login?reason=logged_out", status_code=303)
    clear_session_cookie(request, response)
    return response
