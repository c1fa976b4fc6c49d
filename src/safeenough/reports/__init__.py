"""Reports: typed report data built from analyses and check-ins, rendered to HTML with Jinja.

`build_session_report(result, check_in)` gives a `SessionReport`; `render_session_report_html(report,
standalone=...)` turns it into a page (the standalone file for `safeenough analyze --format html`) or
into the fragment the app places inside its own layout.
"""

from safeenough.reports.render import TEMPLATES_DIR, render_session_report_html, session_report_css
from safeenough.reports.session_report import (
    Badge,
    CheckInItem,
    CheckInSummary,
    ContextTurn,
    Disagreement,
    HighlightedMoment,
    SessionReport,
    TimelineTurn,
    TranscriptTurn,
    build_session_report,
    timeline_spec,
)

__all__ = [
    "TEMPLATES_DIR",
    "Badge",
    "CheckInItem",
    "CheckInSummary",
    "ContextTurn",
    "Disagreement",
    "HighlightedMoment",
    "SessionReport",
    "TimelineTurn",
    "TranscriptTurn",
    "build_session_report",
    "render_session_report_html",
    "session_report_css",
    "timeline_spec",
]
