"""A map entry removed earlier is put back from "Removed from the map" at the end of the map, with the
keyboard: after a reload the Undo is gone, the list is still there, and putting the entry back brings the
page to it with the focus on its message. On a phone-sized screen too."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import add_to_theos_map

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_an_entry_removed_earlier_is_put_back_from_the_list_of_removed_entries(
    page: Page, live_server: str, width: int
) -> None:
    text = f"Plays the cello ({width} px)."
    entry = add_to_theos_map(page, live_server, text, width)
    entry.locator("summary", has_text="Remove").click()
    entry.get_by_label("Why remove it").fill("Not sure yet.")
    entry.get_by_role("button", name="Remove from the map").click()
    expect(page.get_by_role("button", name="Undo the removal")).to_be_visible()

    page.goto(page.url.split("?")[0])  # later: the Undo is gone, the list is not
    expect(page.get_by_role("button", name="Undo the removal")).to_have_count(0)
    expect(page.locator(".entry", has_text=text)).to_have_count(0)
    disclosure = page.locator("#removed-entries")
    summary = disclosure.locator("summary")
    expect(summary).to_have_text(re.compile(r"^Removed from the map \(\d+\)$"))
    summary.focus()
    page.keyboard.press("Enter")
    removed = disclosure.locator(".removed-entry", has_text=text)
    expect(removed).to_be_visible()
    expect(removed).to_contain_text("Strengths and resources")
    expect(removed).to_contain_text("Why: Not sure yet.")
    button = removed.get_by_role("button", name="Put back on the map")
    expect(button).to_have_accessible_description(text)
    box = button.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width  # the button fits the screen
    button.focus()
    page.keyboard.press("Enter")

    back = page.locator(".entry", has_text=text)
    expect(back).to_be_visible()
    message = back.locator("#done-status")
    expect(message).to_contain_text("Entry back on the map")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    expect(page.locator("#removed-entries .removed-entry", has_text=text)).to_have_count(0)
