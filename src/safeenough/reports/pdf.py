"""HTML to PDF with WeasyPrint, offline: nothing is ever fetched over the network or from disk.

WeasyPrint is imported when a PDF is first asked for, so the rest of the app (and the HTML exports) work
on machines without it or without its system libraries (Pango). When either is missing the caller gets a
`PdfUnavailable` that says what to install, not a stack trace.

Every resource a page refers to (images, stylesheets, fonts by URL) goes through a fetcher that accepts
`data:` URLs only; `base_url` is None, so relative URLs resolve to nothing. Our reports inline their
stylesheets and draw their charts as inline SVG, so they need nothing else.
"""

from importlib import import_module
from typing import Any

from safeenough.errors import SafeEnoughError

WEASYPRINT_PIN = "weasyprint==70.0"
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
ALLOWED_URL_SCHEMES = ("data",)


class PdfUnavailable(SafeEnoughError):
    """PDF export needs WeasyPrint and the Pango libraries, and one of them is missing here."""


def pdf_unavailable_message(reason: str | None = None) -> str:
    message = (
        "PDF export is not available on this machine: it needs WeasyPrint and the Pango text libraries. "
        f"Install them with `pip install {WEASYPRINT_PIN}` and, on Debian or Ubuntu, "
        f"`apt-get install {SYSTEM_PACKAGES}`, then try again. The HTML export works without them."
    )
    if reason:
        message += f" (What was missing: {reason})"
    return message


def _weasyprint() -> tuple[Any, Any]:
    """The weasyprint module and its URL module, or PdfUnavailable."""
    try:
        weasyprint = import_module("weasyprint")
        urls = import_module("weasyprint.urls")
    except (ImportError, OSError) as error:
        # ImportError: the package is not installed; OSError: it is, but cffi cannot load Pango.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PdfUnavailable(pdf_unavailable_message(reason[:200])) from None
    return weasyprint, urls


def _offline_fetcher(urls: Any) -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but `data:` (no redirects, no network, no files).

    A refused resource is left out of the PDF (WeasyPrint logs a warning); the rendering goes on.
    """
    return urls.URLFetcher(timeout=1, allowed_protocols=ALLOWED_URL_SCHEMES, allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """The document as PDF bytes. Raises PdfUnavailable when WeasyPrint or Pango is not installed."""
    weasyprint, urls = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_offline_fetcher(urls))
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise PdfUnavailable(pdf_unavailable_message("WeasyPrint returned no PDF data"))
    return pdf
