"""After a change on the client map the page comes back at the part that changed: the message saying
what was done is shown there, not at the top of the page off screen, and it has the focus, so the
keyboard carries on from there and a screen reader reads it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import ConsoleWatch, log_in

pytestmark = pytest.mark.browser


def test_an_added_entry_is_confirmed_beside_it_with_the_focus_on_the_message(
    page: Page, live_server: str
) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=re.compile("^Theo")).click()
    page.get_by_role("link", name=re.compile("^Client map for Theo")).click()
    page.get_by_label("Domain").select_option(label="Values")
    page.get_by_label("What you learned or wonder").fill("Fairness matters a great deal to him.")
    page.get_by_role("button", name="Add entry").click()

    message = page.locator("#done-status")
    expect(message).to_have_text("Entry added to the map.")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    entry = page.locator(".entry", has=message)
    expect(entry).to_contain_text("Fairness matters a great deal to him.")
    expect(page.locator("#map-status")).to_be_empty()


def test_an_entry_refused_for_want_of_a_domain_focuses_the_domain_field(
    page: Page, live_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)  # the refusal, on purpose
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=re.compile("^Theo")).click()
    page.get_by_role("link", name=re.compile("^Client map for Theo")).click()
    page.get_by_label("What you learned or wonder").fill("Something without a place yet.")
    # The browser would refuse the empty choice itself; without that check the server must say it plainly.
    page.locator("#add-entry-domain").evaluate("select => select.removeAttribute('required')")
    page.get_by_role("button", name="Add entry").click()

    domain = page.get_by_label("Domain")
    expect(domain).to_be_focused()
    expect(domain).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#add-entry-error")).to_have_text(re.compile("Choose where this goes on the map"))
