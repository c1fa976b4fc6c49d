"""Who is asking: the login-session cookie, resumed through the facade on every request.

The cookie holds only the opaque token the facade handed out; the session itself (and its CSRF token)
lives in the database, so any worker can serve any request and logging out ends it everywhere.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import FormData

from safeenough.domain.clinician import Clinician, Role
from safeenough.errors import AuthenticationFailed
from safeenough.practice import LoginSession
from safeenough.web.context import web_context
from safeenough.web.security import CsrfError, new_form_token, tokens_match

SESSION_COOKIE = "safeenough_session"
LOGIN_FORM_COOKIE = "safeenough_login_form"
CSRF_FIELD = "csrf_token"


class LoginRequiredError(Exception):
    """No usable login: send the person to the login page. `reason` picks the note shown there."""

    def __init__(self, reason: str | None, next_path: str | None) -> None:
        super().__init__(reason or "login required")
        self.reason = reason
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Visitor:
    """A logged-in clinician together with the login session that carries their CSRF token."""

    clinician: Clinician
    login: LoginSession

    @property
    def is_admin(self) -> bool:
        return self.clinician.role is Role.ADMIN

    @property
    def csrf_token(self) -> str:
        return self.login.csrf_token


def safe_next_path(candidate: str | None) -> str | None:
    """Only paths on this site: '/cases/3' yes; '//evil.example', 'https://…' or '/\\evil' no."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if any(ch in candidate for ch in "\r\n\\"):
        return None
    return candidate


def login_url(reason: str | None = None, next_path: str | None = None) -> str:
    query = {}
    if reason:
        query["reason"] = reason
    safe = safe_next_path(next_path)
    if safe and safe != "/":
        query["next"] = safe
    return "/login" + (f"?{urlencode(query)}" if query else "")


def current_visitor(request: Request) -> Visitor:
    """FastAPI dependency: the logged-in visitor, or LoginRequiredError (a redirect to the login page)."""
    token = request.cookies.get(SESSION_COOKIE)
    next_path = request.url.path if request.method == "GET" else None
    if not token:
        raise LoginRequiredError(None, next_path)
    practice = web_context(request).practice
    try:
        clinician, login = practice.resume_login(token)
    except AuthenticationFailed:
        # Unknown, expired, tampered with or ended elsewhere: treated as logged out; nothing changes.
        raise LoginRequiredError("ended", next_path) from None
    visitor = Visitor(clinician=clinician, login=login)
    request.state.visitor = visitor  # so that error pages can still show who is logged in
    return visitor


def visitor_if_known(request: Request) -> Visitor | None:
    """The visitor this request already resumed, if any (for error pages); never touches the database."""
    visitor = getattr(request.state, "visitor", None)
    return visitor if isinstance(visitor, Visitor) else None


def check_csrf(visitor: Visitor, form: FormData) -> None:
    sent = form.get(CSRF_FIELD)
    if not tokens_match(visitor.csrf_token, sent if isinstance(sent, str) else None):
        raise CsrfError()


# The login form has no login session yet, so it uses a signed double-submit token: a value signed with a
# key every worker derives from the practice key, in a strict same-site HttpOnly cookie, that must come
# back in the form's hidden field. The signature stops a cookie planted by another site from counting.


def _login_form_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(web_context(request).practice.signing_key("login-form"), salt="login-form")


def login_form_token(request: Request) -> str:
    existing = request.cookies.get(LOGIN_FORM_COOKIE)
    if existing and _signed_by_us(request, existing):
        return existing
    return str(_login_form_signer(request).dumps(new_form_token()))


def _signed_by_us(request: Request, token: str) -> bool:
    try:
        _login_form_signer(request).loads(token)
    except BadSignature:
        return False
    return True


def set_login_form_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=web_context(request).settings.secure_cookies,
        path="/login",
    )


def check_login_form(request: Request, form: FormData) -> None:
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(LOGIN_FORM_COOKIE)
    if not tokens_match(cookie, sent if isinstance(sent, str) else None) or not _signed_by_us(
        request, cookie or ""
    ):
        raise CsrfError()


def set_session_cookie(request: Request, response: Response, login: LoginSession) -> None:
    # A browser-session cookie: the server-side expiry (which slides with use) is what ends a login.
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        httponly=True,
        samesite="lax",
        secure=web_context(request).settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_FORM_COOKIE, path="/login")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=web_context(request).settings.secure_cookies,
    )


async def read_form(request: Request) -> FormData:
    """FastAPI dependency: the posted form, read on the event loop so the handler can run in a thread.

    No form read this way takes a file (transcripts have their own reader), so a file part is refused
    before any of it is spooled to disk."""
    return await request.form(max_files=0)
