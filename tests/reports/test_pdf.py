"""HTML to PDF offline, the session report as PDF, and a clear error when WeasyPrint or Pango is missing."""

import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from safeenough.errors import SafeEnoughError
from safeenough.reports import build_session_report
from safeenough.reports import pdf as pdf_module
from safeenough.reports.pdf import PdfUnavailable, html_to_pdf
from safeenough.reports.session_pdf import render_session_report_html_for_print, render_session_report_pdf
from tests.reports.test_session_report import DEFENSIVE_WORDS, check_in, defensive_session


def pdf_text(pdf: bytes) -> str:
    """The PDF's text by poppler's pdftotext (Debian package poppler-utils), whitespace runs made single."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: install poppler-utils (apt-get install -y poppler-utils)")
    result = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request made to it."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p::after { content: 'FETCHED'; }")

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_html_becomes_a_pdf() -> None:
    pdf = html_to_pdf("<!doctype html><title>t</title><h1>Hello, supervision</h1><p>Ünïcode — “fine”.</p>")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Hello, supervision" in text
    assert "Ünïcode — “fine”." in text


def test_nothing_is_fetched_from_the_network_or_the_disk_but_data_urls_work(
    server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, requests = server
    local_css = tmp_path / "leak.css"
    local_css.write_text("p::before { content: 'LOCALFILE'; }", encoding="utf-8")
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{url}/style.css">
      <link rel="stylesheet" href="{local_css.as_uri()}">
      <link rel="stylesheet" href="relative.css">
      <style>@import url("{url}/imported.css");
        @import url("data:text/css,h1::after%7Bcontent:'DATAOK'%7D");
        body {{ background: url("{url}/background.png"); }}</style>
    </head><body><h1>Offline</h1><p>text</p><img src="{url}/image.png" alt="">
    <img src="{local_css.as_uri()}" alt=""></body></html>"""
    text = pdf_text(html_to_pdf(html))
    assert requests == []
    assert "FETCHED" not in text
    assert "LOCALFILE" not in text
    assert "DATAOK" in text  # data: URLs are the one kind allowed


def test_the_session_report_pdf_prints_the_report_with_page_numbers() -> None:
    report = build_session_report(defensive_session(), check_in(46))
    pdf = render_session_report_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 5000
    text = pdf_text(pdf)
    assert "Summary" in text
    assert "Moments" in text
    assert "Turn 3 · Confrontation: defending self" in text
    assert DEFENSIVE_WORDS in text
    assert "The client's check-in" in text
    assert "Timeline" in text
    assert "anticipated judgement" in text
    assert "Page 1 of" in text
    assert "vega" not in text.lower()


def test_the_print_html_inlines_the_print_rules_after_the_screen_stylesheet() -> None:
    html = render_session_report_html_for_print(build_session_report(defensive_session()))
    assert html.count("@page") >= 1
    assert 'counter(page) " of " counter(pages)' in html
    assert html.index("size: A4") < html.index("</head>")
    assert html.index(".sr-section {") < html.index("size: A4")  # the print rules come last and win
    assert ".sr-moment { break-inside: avoid" in html


@pytest.mark.parametrize(
    "failure",
    [
        ModuleNotFoundError("No module named 'weasyprint'"),
        OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file"),
    ],
)
def test_missing_weasyprint_or_pango_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def unavailable(name: str) -> ModuleType:
        raise failure

    monkeypatch.setattr(pdf_module, "import_module", unavailable)
    with pytest.raises(PdfUnavailable) as caught:
        html_to_pdf("<p>x</p>")
    error = caught.value
    assert isinstance(error, SafeEnoughError)
    message = str(error)
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in message
    assert "pip install weasyprint==70.0" in message
    assert "HTML export works without them" in message
    assert error.__cause__ is None
    assert error.__suppress_context__
    with pytest.raises(PdfUnavailable):
        render_session_report_pdf(build_session_report(defensive_session()))
