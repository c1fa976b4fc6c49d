"""Forms in a real browser: a refused form says why beside the field and takes focus there, and the
browser's Back and reload never ask to resubmit it; "who is who" never offers the therapist as "not a
client"; an edited suggestion is kept with the session, or says plainly that it is not saved where
it cannot be.

These tests run against a demo practice of their own, since they open cases and upload transcripts.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import demo_server
from tests.browser.helpers import ConsoleWatch, log_in

pytestmark = pytest.mark.browser

CASE = "Mara — work stress and sleep"

INTERPRETED = """\
Dana: What brings you here today?
Lena: She asks what brings you here today.
Sam: I can't sleep, and work is too much.
Lena: He says he cannot sleep and work is too much.
Dana: That sounds exhausting. What have you tried so far?
Sam: Nothing really.
"""


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("forms-data")) as url:
        yield url


def test_back_after_a_refused_new_case_shows_the_form_page_not_a_resubmission_question(
    page: Page, own_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)
    log_in(page, own_server, "ben")
    page.goto(own_server + "/cases/new")
    page.get_by_label("Case title").fill("Kim — a fictional client")
    page.get_by_role("button", name="Open case").click()

    # The problem is beside the names, which are marked, described by it, and focused.
    names = page.get_by_label("Clients' names, one per line")
    expect(names).to_be_focused()
    expect(names).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new-case-error")).to_contain_text("An individual case has one client")
    expect(page.locator(".form-summary")).to_contain_text("Nothing was saved.")
    expect(page.get_by_label("Case title")).to_have_value("Kim — a fictional client")

    names.fill("Kim Fictional")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", name="Kim — a fictional client", level=1)).to_be_visible()

    page.go_back()
    expect(page.get_by_role("heading", name="Open a new case", level=1)).to_be_visible()
    expect(page.locator("#new-case-error")).to_have_count(0)
    assert page.url == own_server + "/cases/new"  # the form's own page, not the POST's answer
    page.go_forward()
    expect(page.get_by_role("heading", name="Kim — a fictional client", level=1)).to_be_visible()


def test_reloading_a_refused_form_shows_the_page_afresh_without_resubmitting(
    page: Page, own_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)
    log_in(page, own_server, "ben")
    page.goto(own_server + "/account")
    page.get_by_label("Current password").fill("demo-password-1")
    page.get_by_label("New password", exact=True).fill("a-long-new-password")
    page.get_by_label("New password again").fill("a-different-password")
    page.get_by_role("button", name="Change password").click()
    again = page.get_by_label("New password again")
    expect(again).to_be_focused()
    expect(page.locator("#password-error")).to_contain_text("The two new passwords differ")
    page.reload()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    expect(page.locator("#password-error")).to_have_count(0)


def test_a_future_opening_date_is_refused_beside_the_date(
    page: Page, own_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(422)
    log_in(page, own_server, "ben")
    page.goto(own_server + "/cases/new")
    page.get_by_label("Case title").fill("Too early")
    page.get_by_label("Clients' names, one per line").fill("Kim Fictional")
    page.get_by_label("Opened on").fill("2099-01-01")
    page.get_by_role("button", name="Open case").click()
    date = page.get_by_label("Opened on")
    expect(date).to_be_focused()
    expect(page.locator("#new-case-error")).to_contain_text("1 Jan 2099, is in the future")


def test_the_not_a_client_choices_never_offer_the_speaker_chosen_as_therapist(
    page: Page, own_server: str
) -> None:
    log_in(page, own_server, "ada")
    page.get_by_role("link", name=CASE).click()
    page.get_by_role("link", name="Session 1", exact=True).click()
    page.get_by_label("Transcript file").set_input_files(
        {"name": "interpreted.txt", "mimeType": "text/plain", "buffer": INTERPRETED.encode("utf-8")}
    )
    page.get_by_role("button", name="Upload transcript").click()
    not_client = page.get_by_role("group", name=re.compile("^Not a client"))
    chosen = page.locator('input[name="therapist_speaker"]:checked').get_attribute("value")
    assert chosen == "Dana"
    expect(not_client.get_by_role("checkbox", name="Dana")).to_have_count(0)
    expect(not_client.get_by_role("checkbox", name="Lena")).to_be_visible()
    expect(not_client.get_by_role("checkbox", name="Sam")).to_be_visible()

    not_client.get_by_role("checkbox", name="Lena").check()
    page.get_by_role("radio", name=re.compile(r"^Lena")).check()
    # Lena is now the therapist: no longer offered (nor left ticked) as not a client; Dana is.
    expect(not_client.get_by_role("checkbox", name="Lena")).to_have_count(0)
    expect(not_client.get_by_role("checkbox", name="Dana")).to_be_visible()
    expect(page.locator('input[name="not_client"][value="Lena"]')).not_to_be_checked()


def test_a_suggestion_put_in_the_therapists_own_words_is_kept_with_the_session(
    page: Page, own_server: str
) -> None:
    log_in(page, own_server, "ada")
    page.goto(own_server + "/sessions/3")  # Mara's session 3: the demo's analysed transcript
    card = page.locator(".sr-suggestion").first
    text = card.locator(".sr-suggestion__text")
    original = text.inner_text().strip()
    card.get_by_role("button", name="Edit").click()
    card.get_by_role("textbox", name="Edit the suggested check-in").fill("How did last week sit with you?")
    card.get_by_role("button", name="Done").click()
    expect(card.get_by_role("status")).to_have_text(re.compile("^Kept with this session"))
    expect(card.locator(".sr-suggestion__own")).to_have_text("in your words")
    expect(card.locator(".sr-suggestion__suggested")).to_have_text(f"As suggested: {original}")

    page.reload()  # nothing to lose: no question asked
    card = page.locator(".sr-suggestion").first
    expect(card.locator(".sr-suggestion__text")).to_have_text("How did last week sit with you?")
    expect(card.locator(".sr-suggestion__suggested")).to_have_text(f"As suggested: {original}")
    card.get_by_role("button", name="Back to the suggested words for the suggested opening").click()
    expect(card.locator(".sr-suggestion__text")).to_have_text(original)
    expect(card.locator(".sr-suggestion__own")).to_have_count(0)
    page.reload()
    expect(page.locator(".sr-suggestion").first.locator(".sr-suggestion__text")).to_have_text(original)


def test_where_nothing_can_be_kept_an_edit_says_it_is_not_saved_and_reload_asks_first(
    page: Page, own_server: str
) -> None:
    log_in(page, own_server, "sol")  # Ada's supervisor reads her reports, read-only: nothing is kept
    page.goto(own_server + "/sessions/3")
    card = page.locator(".sr-suggestion").first
    text = card.locator(".sr-suggestion__text")
    original = text.inner_text().strip()
    card.get_by_role("button", name="Edit").click()
    editor = card.get_by_role("textbox", name="Edit the suggested check-in")
    expect(editor).to_have_accessible_description(re.compile("^Not saved: your edit is lost when you leave"))
    editor.fill("How did last week sit with you?")
    card.get_by_role("button", name="Done").click()
    expect(card.locator(".suggestion-unsaved")).to_have_text(
        re.compile("^Edited on this page only, not saved: reloading brings back the suggestion as written")
    )

    dialogs: list[str] = []

    def stay_then_leave(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", stay_then_leave)
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(page.locator(".sr-suggestion").first.locator(".sr-suggestion__text")).to_have_text(original)


def test_on_a_phone_every_button_of_a_suggestion_in_ones_own_words_stays_inside_its_card(
    page: Page, own_server: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, own_server, "ada")
    page.goto(own_server + "/sessions/3")
    card = page.locator(".sr-suggestion").first
    card.get_by_role("button", name="Edit").click()
    card.get_by_role("textbox", name="Edit the suggested check-in").fill("What stayed with you?")
    card.get_by_role("button", name="Done").click()
    expect(card.get_by_role("status")).to_have_text(re.compile("^Kept with this session"))
    card_box = card.bounding_box()
    assert card_box is not None
    buttons = card.locator(".sr-suggestion__actions button")
    expect(buttons).to_have_count(4)  # Copy, Edit, Back to the suggested words, Dismiss
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= card_box["x"] + card_box["width"], buttons.nth(index).inner_text()
    card.get_by_role("button", name="Back to the suggested words for the suggested opening").click()
    expect(card.locator(".sr-suggestion__own")).to_have_count(0)
