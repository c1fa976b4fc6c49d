"""The supervision case summary as HTML and PDF, from a summary built by hand; the PDF read by pdftotext.

The summary names clients by code only; these tests keep a client with a display name beside it (as the
practice has) and check that the name reaches neither the HTML nor the PDF.
"""

import re
import shutil
import subprocess
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from safeenough.domain.client import Client
from safeenough.domain.supervision import (
    AlliancePoint,
    AllianceTrend,
    MapSummary,
    OpenAlert,
    OpenHypothesis,
    SessionRuptureRepair,
    SupervisionSummary,
)
from safeenough.reports.supervision import (
    case_heading,
    render_supervision_html,
    render_supervision_pdf,
    sparkline,
    trend_reading,
)

JONAH = Client(id=1, case_id=7, code="C-7K2Q", display_name="Jonah Reyes")
PRIYA = Client(id=2, case_id=7, code="C-9M3D", display_name="Priya Anand")
NAMES = ("Jonah", "Reyes", "Priya", "Anand")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in reading order, by poppler's pdftotext (Debian package poppler-utils), with runs
    of whitespace made single spaces so a phrase that wraps in a table cell still reads as one."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: install poppler-utils (apt-get install -y poppler-utils)")
    result = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


def pdf_pages(text: str) -> int:
    """The page count from the "Page N of M" footer (which also shows the footer prints)."""
    found = re.search(r"Page 1 of (\d+)", text)
    assert found, "no 'Page 1 of M' footer in the PDF text"
    return int(found[1])


def points(*totals: float | None, cutoff: float = 36) -> tuple[AlliancePoint, ...]:
    return tuple(
        AlliancePoint(
            session_number=i + 1,
            held_on=date(2025, 3, 4) + timedelta(weeks=i),
            total=total,
            beyond_cutoff=total is not None and total <= cutoff,
        )
        for i, total in enumerate(totals)
    )


def couple_summary() -> SupervisionSummary:
    """A couple case (built from the clients' codes only, as the practice does)."""
    return SupervisionSummary(
        case_id=7,
        case_kind="couple",
        therapist="Ada Lovelace",
        opened_on=date(2025, 3, 4),
        prepared_on=date(2025, 4, 15),
        client_codes=(JONAH.code, PRIYA.code),
        session_count=5,
        alliance=(
            AllianceTrend(JONAH.code, "srs", "Session Rating Scale", 40, 36, points(38.5, 35, None, 33, 37)),
            AllianceTrend(PRIYA.code, "srs", "Session Rating Scale", 40, 36, points(39, 39.5, 38, 39, 40)),
        ),
        open_alerts=(
            OpenAlert(
                client_codes=(JONAH.code, PRIYA.code),
                kind="split_alliance",
                label="Split alliance",
                rule=f"{JONAH.code} 33 and {PRIYA.code} 39 differ by 6 or more",
                severity="medium",
                session_number=4,
            ),
            OpenAlert((JONAH.code,), "below_cutoff", "Below cut-off", "total 33 ≤ cut-off 36", "high", 4),
        ),
        rupture_repair=(
            SessionRuptureRepair(1, date(2025, 3, 4), 2, 0, 1, 1, 3),
            SessionRuptureRepair(4, date(2025, 3, 25), 1, 1, 0, 1, 2),
        ),
        maps=(
            MapSummary(
                client_code=JONAH.code,
                explored_domains=("family_history", "goals"),
                unexplored_domains=(
                    "presenting_concerns",
                    "values",
                    "relationships",
                    "culture_identity",
                    "strengths_resources",
                    "safety_meaning",
                    "past_help",
                ),
                entry_count=3,
                open_hypotheses=(
                    OpenHypothesis(
                        "family_history",
                        "Family and history",
                        f"{JONAH.code} learnt to keep the peace <by staying quiet>.",
                        date(2025, 3, 4),
                        4,
                    ),
                ),
            ),
            MapSummary(PRIYA.code, ("goals",), ("values",), 1, ()),
            MapSummary(None, ("goals",), (), 2, ()),
        ),
    )


def test_the_supervision_pdf_has_the_headings_and_codes_and_no_client_name() -> None:
    summary = couple_summary()
    pdf = render_supervision_pdf(summary)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for heading in (
        "Case summary for supervision",
        "Alliance trend",
        "Open alerts",
        "Rupture and repair",
        "Map coverage",
        "Open hypotheses",
    ):
        assert heading in text
    assert "Couple case · C-7K2Q and C-9M3D" in text
    assert JONAH.code in text
    assert PRIYA.code in text
    assert "Split alliance" in text
    assert "total 33 ≤ cut-off 36" in text
    assert "Not yet explored:" in text
    assert "Earlier experiences of help" in text
    assert "learnt to keep the peace <by staying quiet>." in text
    assert "Client names are replaced by pseudonymous codes" in text
    assert "For supervision only" in text
    assert "Page 1 of" in text
    for name in NAMES:
        assert name not in text
    assert 1 <= pdf_pages(text) <= 3


def test_the_supervision_html_is_standalone_escaped_and_has_no_client_name() -> None:
    html = render_supervision_html(couple_summary())
    assert html.startswith("<!doctype html>")
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "@page" in html  # the print rules travel with the page
    assert "&lt;by staying quiet&gt;" in html
    assert "<by staying quiet>" not in html
    for name in NAMES:
        assert name not in html

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.svgs = 0
            self.headings: list[str] = []
            self._in_h2 = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.svgs += tag == "svg"
            self._in_h2 = tag == "h2"

        def handle_data(self, data: str) -> None:
            if self._in_h2:
                self.headings.append(data.strip())
                self._in_h2 = False

    parser = Collect()
    parser.feed(html)
    assert parser.svgs == 2  # one sparkline per client
    assert parser.headings == [
        "Alliance trend",
        "Open alerts",
        "Rupture and repair",
        "Map coverage",
        "Open hypotheses",
    ]


def test_totals_beyond_the_cut_off_are_marked_in_text_and_on_the_sparkline() -> None:
    html = render_supervision_html(couple_summary())
    assert '<td class="sv-beyond">35*</td>' in html
    assert '<td class="sv-beyond">33*</td>' in html
    assert "<td>38.5</td>" in html
    assert html.count("sv-spark__dot--beyond") == 2
    assert "Beyond the cut-off of 36 in 2 of 4 check-ins." in html


def test_the_sparkline_leaves_a_gap_for_an_unscored_check_in_and_draws_the_cut_off() -> None:
    trend = AllianceTrend("C-7K2Q", "srs", "SRS", 40, 36, points(38, 35, None, 33, 37))
    line = sparkline(trend)
    assert len(line.segments) == 2
    assert len(line.dots) == 4
    assert [dot.beyond_cutoff for dot in line.dots] == [False, True, True, False]
    assert line.cutoff_y is not None
    lowest = min(line.dots, key=lambda dot: dot.y)
    assert lowest.title.startswith("Session 1")  # the highest total is nearest the top
    assert all(0 <= dot.y <= line.height and 0 <= dot.x <= line.width for dot in line.dots)
    single = sparkline(AllianceTrend("C-7K2Q", "srs", "SRS", 40, None, points(30)))
    assert single.segments == ()
    assert len(single.dots) == 1
    assert single.cutoff_y is None
    empty = sparkline(AllianceTrend("C-7K2Q", "srs", "SRS", 40, 36, ()))
    assert empty.dots == ()
    assert empty.segments == ()


def test_trend_reading_and_heading_in_plain_words() -> None:
    trend = AllianceTrend("C-7K2Q", "srs", "SRS", 40, 36, points(38, 35, None, 33, 37))
    assert trend_reading(trend) == (
        "Latest 37 of 40 (session 5, 1 Apr 2025); first 38 (session 1). "
        "Beyond the cut-off of 36 in 2 of 4 check-ins."
    )
    assert trend_reading(AllianceTrend("C-7K2Q", "srs", "SRS", 40, 36, points(None))) == (
        "No scored check-in yet."
    )
    assert case_heading(couple_summary()) == "Couple case · C-7K2Q and C-9M3D"


def test_an_empty_case_renders_calmly() -> None:
    summary = SupervisionSummary(
        case_id=1,
        case_kind="individual",
        therapist="Ada Lovelace",
        opened_on=date(2025, 1, 6),
        prepared_on=date(2025, 1, 6),
        client_codes=("C-AB12",),
        session_count=0,
        alliance=(),
        open_alerts=(),
        rupture_repair=(),
        maps=(),
    )
    text = pdf_text(render_supervision_pdf(summary))
    assert "Individual case · C-AB12" in text
    assert "No alliance check-ins are recorded for this case yet." in text
    assert "No open alerts." in text
    assert "No session of this case has an analysed transcript." in text
    assert "No open hypotheses." in text


def test_a_long_case_still_fits_on_three_pages() -> None:
    totals = [30 + (i * 7) % 11 for i in range(30)]
    base = couple_summary()
    long_case = SupervisionSummary(
        case_id=base.case_id,
        case_kind=base.case_kind,
        therapist=base.therapist,
        opened_on=base.opened_on,
        prepared_on=date(2025, 10, 1),
        client_codes=base.client_codes,
        session_count=30,
        alliance=tuple(
            AllianceTrend(code, "srs", "Session Rating Scale", 40, 36, points(*totals))
            for code in base.client_codes
        ),
        open_alerts=base.open_alerts,
        rupture_repair=tuple(
            SessionRuptureRepair(n, date(2025, 3, 4), n % 3, n % 2, n % 2, n % 3, 2) for n in range(1, 13)
        ),
        maps=base.maps,
    )
    text = pdf_text(render_supervision_pdf(long_case))
    assert pdf_pages(text) <= 3
    assert text.count("Beyond the cut-off of 36 in") == 2
