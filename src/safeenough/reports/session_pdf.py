"""The session report as PDF: the standalone page with the print rules added, rendered by WeasyPrint.

The PDF is the standalone HTML report (`render_session_report_html(report, standalone=True)`) with
`templates/print.css` inlined after its own stylesheet: A4, "Page N of M", highlighted moments kept on one
page where they fit. The Vega chart needs a browser and is left out; the HTML timeline strip prints.
"""

from safeenough.reports.pdf import html_to_pdf
from safeenough.reports.render import TEMPLATES_DIR, render_session_report_html
from safeenough.reports.session_report import SessionReport

PRINT_CSS_FILE = TEMPLATES_DIR / "print.css"


def print_css() -> str:
    """The print rules shared by our PDFs (A4, margins, page numbers, keeping moments together)."""
    return PRINT_CSS_FILE.read_text(encoding="utf-8")


def with_print_css(html: str) -> str:
    """The document with the print rules inlined last in its <head>, so they win over the screen rules."""
    style = f"<style>\n{print_css()}\n</style>\n"
    head_end = html.find("</head>")
    if head_end < 0:
        return style + html
    return html[:head_end] + style + html[head_end:]


def render_session_report_html_for_print(report: SessionReport) -> str:
    """The HTML that becomes the PDF: the standalone report plus the print rules."""
    return with_print_css(render_session_report_html(report, standalone=True))


def render_session_report_pdf(report: SessionReport) -> bytes:
    """The session report as PDF bytes. Raises `PdfUnavailable` when WeasyPrint or Pango is missing."""
    return html_to_pdf(render_session_report_html_for_print(report))
