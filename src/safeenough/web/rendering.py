"""Templates and the one helper every route uses to render a page."""

from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import Response

from safeenough.domain.supervision import AllianceTrend
from safeenough.reports.supervision import render_sparkline_svg
from safeenough.settings import local_time_zone, zone_named
from safeenough.web.auth import CSRF_FIELD, Visitor, visitor_if_known
from safeenough.web.context import web_context

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def format_date(value: date | None) -> str:
    """'4 Mar 2025' (no leading zero), the same on every platform; '—' when there is none."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"


def format_datetime(value: datetime | None, zone: tzinfo | None = None) -> str:
    """'29 Nov 2026 14:05 CET': the moment in `zone` (SAFEENOUGH_TIME_ZONE; unset: this machine's zone),
    with the zone's abbreviation, so nobody has to guess. A naive value is taken to be UTC, as stored."""
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = moment.astimezone(zone or zone_named(local_time_zone()))
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


def _display_zone(context: Context) -> tzinfo | None:
    request = context.get("request")
    return web_context(request).settings.zone if isinstance(request, Request) else None


@pass_context
def _datetime_filter(context: Context, value: datetime | None) -> str:
    return format_datetime(value, _display_zone(context))


@pass_context
def _today(context: Context) -> date:
    """Today where the practice is (SAFEENOUGH_TIME_ZONE), not where the server's clock says."""
    return datetime.now(_display_zone(context) or zone_named(local_time_zone())).date()


def sparkline_markup(trend: AllianceTrend, who: str) -> Markup:
    """A client's alliance trend as inline SVG (drawn by the reports package, which escapes its text)."""
    return Markup(render_sparkline_svg(trend, who))  # noqa: S704 - rendered by an autoescaping Jinja template


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["date"] = format_date
    templates.env.filters["datetime"] = _datetime_filter
    templates.env.globals["csrf_field"] = CSRF_FIELD
    templates.env.globals["today"] = _today
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
    form_page: str | None = None,
) -> Response:
    """Render `template`. A page that answers a form's POST (e.g. the form again, with what was typed and
    the problem beside its field) names in `form_page` the address of the form's own page: static/forms.js
    puts that address in the browser's history in place of the POST, so that Back and reload never ask
    to resubmit the form, and nothing typed is kept anywhere but in the page itself."""
    values: dict[str, Any] = {"visitor": visitor, "csrf_token": visitor.csrf_token if visitor else None}
    if form_page is not None and request.method == "POST" and not is_htmx(request):
        values["form_page"] = form_page
        # A refused form: the page's title starts with "Error: ", the first thing a screen reader says.
        values["form_refused"] = status_code == 422
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
