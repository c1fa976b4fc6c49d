"""How errors reach a person: a clear page with the right status code, and nothing changed."""

import logging
from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from safeenough.errors import (
    DatabaseNotReady,
    DatabaseUnavailable,
    KeyMismatch,
    KeyMissing,
    NotFound,
    PermissionDenied,
)
from safeenough.web.auth import (
    SESSION_COOKIE,
    LoginRequiredError,
    Visitor,
    clear_session_cookie,
    current_visitor,
    login_url,
    visitor_if_known,
)
from safeenough.web.context import web_context
from safeenough.web.limits import RequestTooLarge
from safeenough.web.rendering import is_htmx, render, render_error
from safeenough.web.security import SECURITY_HEADERS, CsrfError

log = logging.getLogger("safeenough.web")

CLIENT_FORM_PREFIX = "/c/"
"""The client's check-in pages (no account): their errors speak to the client, not the therapist."""

NOT_FOUND_MESSAGE = "There is no such page, or it is not yours to see."
UNEXPECTED_MESSAGE = (
    "safeenough could not finish this request because of an error of its own. Anything it was changing "
    "was rolled back, and what was stored before is as it was. The details are in the server's log; "
    "please try again, and report it if it happens again."
)
# The catch-all handler answers outside the middleware that adds these, so it adds them itself.
_UNEXPECTED_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store", "Pragma": "no-cache"}
UNREACHABLE_TITLE = "The database cannot be reached"
UNREACHABLE_MESSAGE = (
    "safeenough cannot reach its database right now; nothing you entered was stored. Please try again in "
    "a minute; if it goes on, tell whoever runs the server."
)
BUSY_TITLE = "The database is busy"
BUSY_MESSAGE = (
    "safeenough could not finish this request because its database was busy with other work; nothing you "
    "entered was stored. Please try again in a moment."
)
UNREACHABLE_RETRY_SECONDS = 60
BUSY_SIGNS = ("database is locked", "deadlock detected", "could not serialize", "lock timeout")
"""Operational errors that mean "busy" (SQLite's busy timeout, PostgreSQL deadlocks and serialisation
failures), not "unreachable": the server is fine and the next try will likely pass."""
CSRF_MESSAGE = (
    "This form expired or was not sent from safeenough; reload the page and try again. Nothing was changed."
)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    target = login_url(exc.reason, exc.next_path)
    response: Response
    if is_htmx(request):
        response = Response(status_code=401, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if exc.reason:
        clear_session_cookie(request, response)
    return response


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    return render_error(request, 403, "This form expired", CSRF_MESSAGE)


async def _not_found(request: Request, exc: Exception) -> Response:
    # An address no route matched never resumed the login; do so here, so that a logged-in visitor keeps
    # the navigation on the way back (a failure just shows the page without it).
    visitor = visitor_if_known(request)
    if visitor is None and request.cookies.get(SESSION_COOKIE):
        try:
            visitor = current_visitor(request)
        except Exception:  # a 404 page must render whatever state the login is in
            visitor = None
    _record_refusal(request, visitor)
    return render_error(request, 404, "Not found", NOT_FOUND_MESSAGE, visitor=visitor)


async def _permission_denied(request: Request, exc: Exception) -> Response:
    message = str(exc) or "Your role does not allow this."
    _record_refusal(request, visitor_if_known(request))
    return render_error(request, 403, "Not allowed", message)


def _record_refusal(request: Request, visitor: Visitor | None) -> None:
    """Who asked for what they were refused goes in the audit trail, so probing shows up there."""
    if visitor is None:
        return
    try:
        web_context(request).practice.record_refusal(
            visitor.clinician, f"{request.method} {request.url.path}"
        )
    except Exception:  # the refusal page matters more than its audit line
        log.exception("could not record a refused request in the audit trail")


async def _key_problem(request: Request, exc: Exception) -> Response:
    log.error("encryption key problem: %s", exc)
    return render_error(request, 500, "The encryption key does not fit", str(exc))


async def _database_not_ready(request: Request, exc: Exception) -> Response:
    log.error("database not ready: %s", exc)
    return render_error(request, 503, "The database is not ready", str(exc))


async def _database_unreachable(request: Request, exc: Exception) -> Response:
    """503 with a plain page of its own: drawing the usual page could need the database it cannot reach."""
    busy = any(sign in str(exc).lower() for sign in BUSY_SIGNS)
    log.error(
        "database %s on %s %s: %s", "busy" if busy else "unreachable", request.method, request.url.path, exc
    )
    title, message = (BUSY_TITLE, BUSY_MESSAGE) if busy else (UNREACHABLE_TITLE, UNREACHABLE_MESSAGE)
    headers = {**_UNEXPECTED_HEADERS, "Retry-After": str(5 if busy else UNREACHABLE_RETRY_SECONDS)}
    if is_htmx(request):
        headers.update({"HX-Retarget": "#main", "HX-Reswap": "outerHTML", "HX-Reselect": "#main"})
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · safeenough</title></head>"
        f'<body><main id="main"><h1>{escape(title)}</h1>'
        f"<p>{escape(message)}</p></main></body></html>\n"
    )
    return HTMLResponse(page, status_code=503, headers=headers)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return await _not_found(request, exc)
    if exc.status_code == 405:
        return render_error(request, 405, "Not possible here", "This page cannot be used that way.")
    if exc.status_code == 400:
        # Starlette refuses a form it will not read (a field over 1 MB, a file where none is taken, over
        # 1,000 fields) before any of our code sees it: say so in plain words, to the client on their pages.
        detail = str(exc.detail)
        if "exceeded maximum size" in detail:
            title, message = "The form was too large", "A field of the form was over 1 MB."
        elif detail.startswith("Too many files"):
            title, message = "No files here", "This form takes no files."
        elif detail.startswith("Too many fields"):
            title, message = "The form was too large", "The form had far more fields than any of ours."
        else:
            title, message = "The form could not be read", "What was sent was not a form safeenough reads."
        if request.url.path.startswith(CLIENT_FORM_PREFIX):
            return render(
                request,
                "checkin_unusable.html",
                {
                    "title": "Your answers could not be read",
                    "message": (
                        "Something in the form was far longer than it can be. Go back, shorten what you "
                        "wrote, and send it again."
                        if "exceeded maximum size" in detail
                        else "Something in what was sent could not be read. Go back and send it again."
                    ),
                    "reason": "too_long",
                },
                status_code=400,
            )
        return render_error(request, 400, title, f"{message} Nothing was changed.")
    return render_error(request, exc.status_code, "Something went wrong", str(exc.detail))


async def _request_too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestTooLarge)
    if request.url.path.startswith(CLIENT_FORM_PREFIX):
        return render(
            request,
            "checkin_unusable.html",
            {
                "title": "Your answers could not be read",
                "message": "What was sent was far larger than a check-in can be. Go back, shorten what you "
                "wrote, and send it again.",
                "reason": "too_long",
            },
            status_code=413,
        )
    megabytes = exc.limit / 1024 / 1024
    return render_error(
        request,
        413,
        "Too much was sent",
        f"This page accepts at most {megabytes:.0f} MB, and more was sent. Nothing was read or changed.",
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    # Only path parameters are validated by FastAPI here (e.g. /cases/abc): such a page does not exist.
    return await _not_found(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        return render_error(
            request, 500, "Something went wrong", UNEXPECTED_MESSAGE, headers=_UNEXPECTED_HEADERS
        )
    except Exception:  # the error page itself could not be drawn (e.g. the database is gone)
        return PlainTextResponse(UNEXPECTED_MESSAGE, status_code=500, headers=_UNEXPECTED_HEADERS)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(CsrfError, _csrf_failed)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(PermissionDenied, _permission_denied)
    app.add_exception_handler(KeyMismatch, _key_problem)
    app.add_exception_handler(KeyMissing, _key_problem)
    app.add_exception_handler(DatabaseNotReady, _database_not_ready)
    # Whether the storage layer recognised it (DatabaseUnavailable) or the driver's error came through as
    # it was, in a route or in a dependency such as the login check.
    for unreachable in (DatabaseUnavailable, OperationalError, InterfaceError, DisconnectionError):
        app.add_exception_handler(unreachable, _database_unreachable)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RequestTooLarge, _request_too_large)
