"""Session reports to HTML, with Jinja and autoescaping on: client words are always shown as text.

Two forms:
- standalone=True: a whole HTML document with its stylesheet inlined in a <style> element, for
  `safeenough analyze --format html` (opened from disk, so nothing is fetched);
- standalone=False: the report's body only, for the app to place inside its own layout (whose <h1> it
  leaves alone: the report's title is then not a heading). The app can
  instead import the macro itself: add TEMPLATES_DIR to its Jinja loader and write
  `{% from "session_report.html" import session_report %}{{ session_report(report) }}`; its stylesheet
  is `session_report_css()` (the same file the standalone page inlines).
"""

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from safeenough.reports.session_report import SessionReport

TEMPLATES_DIR = Path(__file__).parent / "templates"
CSS_FILE = TEMPLATES_DIR / "session_report.css"

_FRAGMENT = (
    '{% from "session_report.html" import session_report %}{{ session_report(report, embedded=true) }}'
)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_session_report_html(report: SessionReport, standalone: bool) -> str:
    """The report as HTML: a whole document (standalone) or the body for the app's layout."""
    environment = _environment()
    if standalone:
        return environment.get_template("session_report_standalone.html").render(report=report)
    return environment.from_string(_FRAGMENT).render(report=report)


def session_report_css() -> str:
    """The report's stylesheet, for the app to serve as a static file (its CSP forbids inline styles)."""
    return CSS_FILE.read_text(encoding="utf-8")
