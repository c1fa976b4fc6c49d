"""Removing a map entry added by mistake, with the keyboard: the page asks first, says what was removed
beside its domain with the focus on that message, and Undo puts the entry back with both steps in its
history. On a phone-sized screen too."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import add_to_theos_map

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_an_entry_added_by_mistake_is_removed_after_asking_and_put_back_with_undo(
    page: Page, live_server: str, width: int
) -> None:
    text = f"Loves sailing ({width} px)."
    entry = add_to_theos_map(page, live_server, text, width)
    expect(entry).to_be_visible()

    ask = entry.locator("summary", has_text="Remove")
    ask.focus()
    page.keyboard.press("Enter")  # opens the question; nothing is removed yet
    expect(entry.get_by_text("Remove this entry from the map?")).to_be_visible()
    entry.get_by_label("Why remove it").fill("Meant for another client.")
    entry.get_by_role("button", name="Remove from the map").focus()
    page.keyboard.press("Enter")

    message = page.locator("#done-status")
    expect(message).to_contain_text(f"Removed from the map (Strengths and resources): “{text}”")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    expect(page.locator(".entry", has_text=text)).to_have_count(0)

    page.keyboard.press("Tab")  # from the message, the next stop is its Undo
    undo = page.get_by_role("button", name="Undo the removal")
    expect(undo).to_be_focused()
    # Undo stands clear of what follows it in the domain (e.g. "Not explored yet."), not jammed against it.
    gap = undo.evaluate(
        "button => { const next = button.closest('form').nextElementSibling;"
        " return next ? next.getBoundingClientRect().top - button.getBoundingClientRect().bottom : 99; }"
    )
    assert gap >= 8
    page.keyboard.press("Enter")

    back = page.locator(".entry", has_text=text)
    expect(back).to_be_visible()
    expect(page.locator("#done-status")).to_contain_text("Entry back on the map")
    history = back.locator(".entry__history")
    expect(history).to_contain_text("removed it from the map")
    expect(history).to_contain_text("Meant for another client.")
    expect(history).to_contain_text("put it back on the map")
