"""The real flows in a real browser: log in, caseload, a case, add a session, log out, and privacy."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import CSP_WATCH, ConsoleWatch, log_in

pytestmark = pytest.mark.browser


def test_clinician_logs_in_and_sees_the_demo_caseload(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    log_in(page, live_server, "ada")
    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    expect(page.get_by_role("link", name="Mara — work stress and sleep")).to_be_visible()
    expect(page.get_by_role("link", name="Jonah & Priya — rebuilding after a move")).to_be_visible()
    expect(page.get_by_text("Priya Reyes")).to_be_visible()
    expect(page.get_by_text("Rosa")).to_have_count(0)


def test_wrong_password_shows_a_clear_message(page: Page, live_server: str, console: ConsoleWatch) -> None:
    console.allow_status(401)
    log_in(page, live_server, "sol", "not-the-password")
    expect(page.get_by_label("Username")).to_have_value("sol")
    # The message describes the field focused, the password to type again, so it is read out with it.
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_accessible_description("Error: Wrong username or password.")


def test_clinician_opens_a_case_and_adds_a_session(page: Page, live_server: str) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name="Jonah & Priya — rebuilding after a move").click()
    expect(page.get_by_role("heading", name="Jonah & Priya — rebuilding after a move")).to_be_visible()
    expect(page.locator(".client__code code")).to_have_count(2)
    expect(page.locator(".client__code code").first).to_have_text(re.compile(r"^[A-Z]{1,4}-[0-9A-Z]{3,8}$"))
    count_before = page.locator(".timeline__item").count()

    page.get_by_label("Date").fill("2031-05-06")
    page.get_by_role("checkbox", name=re.compile("Priya Reyes")).uncheck()
    page.get_by_label(re.compile("^Note")).fill("Jonah came alone; Priya was travelling (fictional).")
    page.get_by_role("button", name="Add session").click()

    expect(page.get_by_role("status").filter(has_text="added")).to_have_text(
        f"Session {count_before + 1} added."
    )
    # The form that had focus was replaced: focus moves to the line that says what happened.
    expect(page.locator("#sessions-status")).to_be_focused()
    expect(page.locator(".timeline__item")).to_have_count(count_before + 1)
    newest = page.locator(".timeline__item").first
    expect(newest).to_contain_text("6 May 2031")
    expect(newest).to_contain_text("Booked with: Jonah Reyes")  # a session ahead: nobody attended yet
    expect(newest).to_contain_text("Check-ins open on 6 May 2031")
    expect(newest).to_contain_text("Jonah came alone; Priya was travelling (fictional).")

    page.reload()
    expect(page.locator(".timeline__item")).to_have_count(count_before + 1)


def test_logout_ends_the_login(page: Page, live_server: str) -> None:
    log_in(page, live_server, "ben")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You have logged out.")
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_clinician_b_gets_404_for_clinician_a_case_url(
    browser: Browser, page: Page, live_server: str, console: ConsoleWatch
) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name="Mara — work stress and sleep").click()
    expect(page.get_by_role("heading", name="Mara — work stress and sleep")).to_be_visible()
    case_url = page.url

    console.allow_status(404)
    other = browser.new_context()
    other.add_init_script(CSP_WATCH)
    ben = other.new_page()
    ben.on("console", console.on_console)
    log_in(ben, live_server, "ben")
    expect(ben.get_by_role("heading", name="Caseload")).to_be_visible()
    response = ben.goto(case_url)
    assert response is not None
    assert response.status == 404
    expect(ben.get_by_role("heading", name="Not found")).to_be_visible()
    expect(ben.get_by_text("Mara")).to_have_count(0)
    other.close()


def test_skip_link_is_the_first_stop_for_the_keyboard(page: Page, live_server: str) -> None:
    log_in(page, live_server, "ada")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_caseload_fits_a_phone_screen(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "ada")
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_a_session_without_attendees_is_refused_and_the_note_is_kept(
    page: Page, live_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)  # the browser logs the refused request; that is the point of the test
    log_in(page, live_server, "ada")
    page.get_by_role("link", name="Theo — grief after his brother's death").click()
    count_before = page.locator(".timeline__item").count()
    page.get_by_role("checkbox", name=re.compile("Theo Lindqvist")).uncheck()
    page.get_by_label(re.compile("^Note")).fill("Draft note that must not be lost.")
    page.get_by_role("button", name="Add session").click()
    # Said beside the clients to tick, the first of which is focused and described by it.
    theo = page.get_by_role("checkbox", name=re.compile("Theo Lindqvist"))
    expect(theo).to_be_focused()
    expect(theo).to_have_accessible_description("Error: Tick at least one client who attended the session.")
    expect(page.get_by_label(re.compile("^Note"))).to_have_value("Draft note that must not be lost.")
    page.reload()
    expect(page.locator(".timeline__item")).to_have_count(count_before)
