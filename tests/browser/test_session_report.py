"""A session's transcript in a real browser: upload it, confirm who is who, read the report, and copy,
edit or dismiss a suggested check-in. The acceptance test for a defensive moment needs the trained
rupture components, so it skips (saying why) only while the default pipeline has none registered.

The transcripts are fictional and written for these tests.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from safeenough.analysis.defaults import DEFAULT_COMPONENTS
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

CASE = "Mara — work stress and sleep"

# Roles left for safeenough to guess (Ada asks the questions); no rupture in it.
CALM_TRANSCRIPT = """\
Ada: Welcome back, Mara. How has the week been for you?
Mara: Better than last week, I think. I got to bed before midnight three times.
Ada: What helped on those nights?
Mara: I left my laptop at the office. It was strange, but it worked.
Ada: It sounds like leaving the laptop behind gave you your evenings back.
Mara: Yes, a bit. I read a book for the first time in months.
Ada: What would you like to keep from this week?
Mara: The laptop rule, definitely.
"""

# Ada gives advice; Mara defends herself, braced for judgement ("I know you think I'm just making
# excuses, but …"); Ada presses on without checking in or repairing, and Mara goes along.
DEFENSIVE_CLIENT_WORDS = (
    "I know you think I'm just making excuses, but you don't know what my manager is like"
)
DEFENSIVE_TRANSCRIPT = f"""\
Ada: Welcome back, Mara. How has the week been?
Mara: Honestly, not great. I still can't sleep, and work has been worse since the reorganisation.
Ada: What happens at night when you can't sleep?
Mara: I lie there going over emails in my head. Then I check my phone and it's two in the morning.
Ada: So the work follows you into bed.
Mara: Pretty much. I feel like I'm never off.
Ada: I think you should stop checking your phone after nine and go to bed at the same time every night. \
That's what works for most people.
Mara: {DEFENSIVE_CLIENT_WORDS}. If I don't answer, I get it in the morning.
Ada: Lots of people have demanding managers. You really need to set a boundary, and the phone has to go.
Mara: Fine. Whatever you say.
Ada: Good. Let's write the plan down for this week: phone off at nine, bed at eleven.
Mara: Okay.
Ada: And we'll look at how it went next time.
Mara: Sure.
"""


def open_session(page: Page, live_server: str, number: int) -> None:
    """From the caseload to one of Mara's sessions, through the links a clinician would follow."""
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=CASE).click()
    expect(page.get_by_role("heading", name=CASE, level=1)).to_be_visible()
    page.get_by_role("link", name=f"Session {number}", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(rf"^Session {number}\b"), level=1)).to_be_visible()


def upload(page: Page, filename: str, text: str, therapist: str | None = None) -> None:
    page.get_by_label("Transcript file").set_input_files(
        {"name": filename, "mimeType": "text/plain", "buffer": text.encode("utf-8")}
    )
    if therapist is not None:
        page.get_by_label("I am the speaker named").fill(therapist)
    page.get_by_role("button", name="Upload transcript").click()


def copy_and_read_back(page: Page, card: Locator) -> str:
    """Clicks the card's Copy button, waits for "Copied", and returns what the clipboard holds."""
    card.get_by_role("button", name="Copy").click()
    expect(card.get_by_role("status")).to_have_text("Copied")
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_clinician_confirms_roles_then_copies_edits_and_dismisses_a_suggestion(
    page: Page, live_server: str
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    open_session(page, live_server, 1)
    expect(page.get_by_text("No transcript yet.")).to_be_visible()

    upload(page, "week-4.txt", CALM_TRANSCRIPT)
    expect(page.get_by_role("status").filter(has_text="confirm which speaker")).to_be_visible()
    # Focus goes to what happened, so the keyboard and screen readers carry on from there.
    expect(page.get_by_role("status").filter(has_text="confirm which speaker")).to_be_focused()
    expect(page.get_by_text("safeenough guessed that you are Ada")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(r"^Ada"))).to_be_checked()
    page.get_by_role("button", name="Confirm and analyse").click()

    expect(page.get_by_role("status").filter(has_text="transcript is analysed")).to_be_visible()
    report = page.locator("article.sr")
    expect(report.get_by_role("heading", name="Summary")).to_be_visible()
    expect(report.get_by_text("I left my laptop at the office.")).to_be_visible()

    card = page.locator(".sr-suggestion").first
    suggestion = card.locator(".sr-suggestion__text")
    original = suggestion.inner_text().strip()
    assert original
    assert copy_and_read_back(page, card) == original

    card.get_by_role("button", name="Edit").click()
    editor = card.get_by_role("textbox", name="Edit the suggested check-in")
    expect(editor).to_be_focused()
    editor.fill("How did last week's session sit with you, Mara?")
    assert copy_and_read_back(page, card) == "How did last week's session sit with you, Mara?"
    card.get_by_role("button", name="Done").click()
    expect(suggestion).to_have_text("How did last week's session sit with you, Mara?")

    card.get_by_role("button", name="Dismiss").click()
    expect(card).to_be_hidden()
    expect(page.get_by_text("it stays out of this report and its downloads")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(card).to_be_visible()
    suggestions = page.locator(".sr-suggestion").count()

    # A dismissal is kept: after a reload the suggestion is gone, until the therapist asks for it again.
    page.locator(".sr-suggestion").first.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("it stays out of this report and its downloads")).to_be_visible()
    page.reload()
    expect(page.locator(".sr-suggestion")).to_have_count(suggestions - 1)
    page.get_by_role("button", name="Show it again").click()
    expect(page.get_by_role("status").filter(has_text="shown again")).to_be_visible()
    expect(page.locator(".sr-suggestion")).to_have_count(suggestions)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the report (HTML)").click()
    assert download_info.value.suggested_filename == "session-1-report.html"


@pytest.mark.skipif(
    not DEFAULT_COMPONENTS,
    reason="needs the trained rupture components: safeenough.analysis.defaults.DEFAULT_COMPONENTS is "
    "still empty (this test runs as soon as they are registered there)",
)
def test_report_highlights_an_unrepaired_defensive_moment_and_the_therapist_copies_a_check_in(
    page: Page, live_server: str
) -> None:
    """Issue 5's acceptance test: a defensive moment is highlighted, shown as unrepaired, and met by a
    suggested check-in quoting the client, which the therapist copies."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    open_session(page, live_server, 2)
    upload(page, "week-5.txt", DEFENSIVE_TRANSCRIPT, therapist="Ada")
    expect(page.get_by_role("status").filter(has_text="analysed")).to_be_visible()

    # The report highlights the moment, and shows it as not repaired.
    # Found by its own turn: a neighbouring moment (say, the deferential "Fine. Whatever you say.") shows
    # the same words among its context turns.
    moment_turn = page.locator(".sr-turn--moment").filter(has_text="making excuses")
    moment = page.locator("article.sr-moment").filter(has=moment_turn)
    expect(moment).to_have_count(1)
    expect(moment).to_have_class(re.compile(r"\bsr-moment--unrepaired\b"))
    expect(moment.locator(".sr-status")).to_have_text("Not repaired")
    expect(moment.locator(".sr-turn--moment")).to_contain_text("making excuses")
    flagged = page.locator(".sr-transcript .sr-turn--rupture-unrepaired").filter(has_text="making excuses")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("moment, not repaired")

    # It offers a suggested check-in that quotes the client's own words from that moment.
    card = moment.locator(".sr-suggestion")
    expect(card).to_have_count(1)
    text = card.locator(".sr-suggestion__text")
    expect(text).to_contain_text("making excuses")

    # The therapist copies it.
    copied = copy_and_read_back(page, card)
    assert copied == text.inner_text().strip()
    assert "making excuses" in copied


def test_a_supervisor_can_copy_a_suggestion_but_not_dismiss_it(page: Page, live_server: str) -> None:
    log_in(page, live_server, "sol")
    page.goto(live_server + "/sessions/3")
    card = page.locator(".sr-suggestion").first
    expect(card.get_by_role("button", name=re.compile("^Copy"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Dismiss"))).to_have_count(0)
