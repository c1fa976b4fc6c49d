"""How much a request may send: checked as the body arrives, before any of it is parsed or spooled.

Starlette reads a whole form, spooling its files to disk, before our handlers can look at the form's
token or the check-in link. Without a bound, anyone who can reach the login page or a check-in link
(no account needed) could fill the server's disk with one upload. So every request body is counted
as it arrives: a transcript upload may send a little over the largest transcript we read, any other
form far less. Over the bound, `RequestTooLarge` is raised from the body's reader and the error
handler answers 413; nothing was read into a form, so nothing was changed.
"""

import re
from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_LIMIT_BYTES: Final = 2 * 1024 * 1024
"""Any form but a transcript upload: notes and map entries are far shorter (a field over 1 MB is refused
by the form parser with its own message, so this bound lies above that)."""

UPLOAD_PATHS: Final = re.compile(r"/sessions/[0-9]+/transcript")


class RequestTooLarge(Exception):
    """The request's body is larger than this address accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request is larger than {limit:,} bytes")
        self.limit = limit


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1")
            return int(text) if text.isascii() and text.isdecimal() else None
    return None


class RequestSizeLimitMiddleware:
    """Counts each request's body as it arrives and stops reading it beyond the address's limit.

    The upload limits are read per request (the transcript routes own them).
    A transcript upload that says up front it is too large (Content-Length) may still be read and thrown
    away up to `upload_drain_limit`, so that the browser shows our answer rather than a reset
    connection; one that does not say its size is stopped at `upload_limit`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        upload_limit: Callable[[], int],
        upload_drain_limit: Callable[[], int],
        form_limit: int = FORM_LIMIT_BYTES,
    ) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.upload_drain_limit = upload_drain_limit
        self.form_limit = form_limit

    def limits_for(self, path: str, declared: int | None) -> tuple[int, int]:
        """(the most bytes the request may say it sends, the most bytes read before it is stopped)"""
        if UPLOAD_PATHS.fullmatch(path):
            return self.upload_drain_limit(), max(declared or 0, self.upload_limit())
        return self.form_limit, self.form_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        # Behind a proxy prefix (`--root-path`) the path starts with it; the limits are for our own paths.
        path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
        allowed, limit = self.limits_for(path.removeprefix(root) if root else path, declared)
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            if declared is not None and declared > allowed:
                # Said up front: refuse before reading any of it.
                raise RequestTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        await self.app(scope, counted_receive, send)
