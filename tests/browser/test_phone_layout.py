"""On a phone (390 px wide) no page is wider than the screen: wide tables scroll inside their own box, or
turn into one card a row (accounts, the caseload), and a client's code stays on one line."""

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def page_overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize(
    "path",
    [
        "/cases/1",
        "/cases/2",  # a couple: two partners' answers, item by item
        "/sessions/3",  # the session report with its indicator table
        "/clients/1/map",
        "/cases/2/shared-map",
    ],
)
def test_the_therapists_pages_fit_a_phone_screen(page: Page, live_server: str, path: str) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ada")
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    assert page_overflow(page) <= 0, path


def test_the_accounts_page_fits_a_phone_screen(page: Page, live_server: str) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "admin")
    page.goto(live_server + "/admin/users")
    assert page_overflow(page) <= 0


def test_a_clients_code_is_never_broken_over_two_lines(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 320, "height": 700})
    log_in(page, live_server, "ada")
    for path in ("/cases/2", "/clients/1/map", "/cases/2/shared-map"):
        page.goto(live_server + path)
        codes = page.locator(".client__code code, .client-code")
        assert codes.count() > 0, path
        for index in range(codes.count()):
            box = codes.nth(index).evaluate(
                "element => { const r = element.getClientRects(); return r.length; }"
            )
            assert box == 1, f"{path}: {codes.nth(index).inner_text()!r} wraps"


def test_on_a_phone_the_caseload_shows_each_cases_open_alerts_without_scrolling_sideways(
    page: Page, live_server: str
) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "ada")
    assert page_overflow(page) <= 0
    badge = page.locator("table.cases .badge--alert").first
    box = badge.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    # Each cell says which column it stands for, as the column headings are out of sight.
    assert page.locator('table.cases td[data-label="Open alerts"]').first.is_visible()
    scrolls = page.evaluate(
        "() => [...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"
    )
    assert not scrolls
