"""Templates and the one helper every route uses to render a page."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from safeenough.domain.supervision import AllianceTrend
from safeenough.reports.supervision import render_sparkline_svg
from safeenough.web.auth import CSRF_FIELD, Visitor, visitor_if_known
from safeenough.web.context import web_context

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def format_date(value: date | None) -> str:
    """'4 Mar 2025' (no leading zero), the same on every platform; '—' when there is none."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y %H:%M}"


def sparkline_markup(trend: AllianceTrend, who: str) -> Markup:
    """A client's alliance trend as inline SVG (drawn by the reports package, which escapes its text)."""
    return Markup(render_sparkline_svg(trend, who))  # noqa: S704 - rendered by an autoescaping Jinja template


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["date"] = format_date
    templates.env.filters["datetime"] = format_datetime
    templates.env.globals["csrf_field"] = CSRF_FIELD
    templates.env.globals["today"] = date.today
    templates.env.filters["sparkline"] = sparkline_markup
    return templates


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    visitor: Visitor | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    values: dict[str, Any] = {"visitor": visitor, "csrf_token": visitor.csrf_token if visitor else None}
    values.update(context or {})
    return web_context(request).templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=headers
    )


def render_error(
    request: Request,
    status_code: int,
    title: str,
    message: str,
    *,
    visitor: Visitor | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    all_headers = dict(headers or {})
    if is_htmx(request):
        # An htmx form hit an error: show the error page's main content in place of the page's main.
        all_headers.update({"HX-Retarget": "#main", "HX-Reswap": "outerHTML", "HX-Reselect": "#main"})
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status_code": status_code},
        visitor=visitor or visitor_if_known(request),
        status_code=status_code,
        headers=all_headers,
    )
