"""Every page a therapist, a supervisor, an administrator or a client sees passes axe-core's automated
accessibility rules (WCAG 2.x A/AA and best practice) in Chromium, with the demo practice's own data.

Automated rules find a part of what a person with a screen reader or keyboard meets; they are the floor,
not the ceiling.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.helpers import ConsoleWatch, log_in

AXE = Axe()


def violations(page: Page) -> list[str]:
    """One line per rule broken on the page as it is now: rule, impact, where, and how often."""
    found = AXE.run(page).response["violations"]
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {rule['nodes'][0]['target']} "
        f"and {len(rule['nodes']) - 1} more"
        for rule in found
    ]


def check(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], url


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/cases/new",
        "/cases/1",  # Mara: check-ins with a dip, resolved alerts, five sessions
        "/cases/2",  # Jonah & Priya: a split alliance, alerts folded by session
        "/sessions/3",  # Mara's session 3: the session report of the demo transcript
        "/sessions/5",  # a session booked ahead: no upload form until it is held
        "/clients/1/map",  # Mara's map: her words, a hypothesis, a relational pattern
        "/cases/2/shared-map",
        "/cases/1/access",  # who has opened Mara's case
        "/account",
        "/no/such/page",
    ],
)
def test_the_therapists_pages_pass_the_automated_accessibility_rules(
    page: Page, live_server: str, console: ConsoleWatch, path: str
) -> None:
    console.allow_status(404)  # the last page is the "not found" page, on purpose
    log_in(page, live_server, "ada")
    check(page, live_server + path)


def test_the_login_page_and_the_administrators_pages_pass_them_too(
    page: Page, live_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)  # the audit log asked for an account that does not exist, on purpose
    check(page, live_server + "/login")
    log_in(page, live_server, "admin")
    check(page, live_server + "/admin/users")
    check(page, live_server + "/admin/audit")
    check(page, live_server + "/admin/audit?action=read&kind=case")
    check(page, live_server + "/admin/audit?who=nobody")


def test_a_supervisors_read_only_views_pass_them(page: Page, live_server: str) -> None:
    log_in(page, live_server, "sol")
    check(page, live_server + "/")
    check(page, live_server + "/cases/2")  # a supervisee's couple case, without forms
    check(page, live_server + "/clients/1/map")


def test_the_clients_check_in_form_passes_them_empty_and_with_its_problems_shown(
    page: Page, live_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)  # the form sent with nothing answered, on purpose
    log_in(page, live_server, "ada")
    page.goto(live_server + "/cases/3")  # Theo: his first session has no check-in yet
    page.get_by_role("button", name=re.compile(r"heck-in link for Theo Lindqvist, session 1$")).click()
    url = page.get_by_label("Check-in link for Theo Lindqvist, session 1").input_value()
    assert violations(page) == []
    check(page, url)
    page.get_by_role("button", name="Send my answers").click()  # nothing answered: problems listed
    page.wait_for_load_state("networkidle")
    assert "nothing was sent yet" in page.content()
    assert violations(page) == []
