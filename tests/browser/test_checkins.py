"""Check-ins in a real browser: the clinician issues and copies a link, a phone fills the form, the case
page shows the new score with its chart, and a low answer raises an alert with its suggested next step;
in a couple where one partner scores low, a split-alliance alert. No console errors or CSP violations."""

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.helpers import CSP_WATCH, ConsoleWatch, log_in

pytestmark = pytest.mark.browser

COUPLE = "Jonah & Priya — rebuilding after a move"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}


@pytest.fixture
def phone(browser: Browser, console: ConsoleWatch) -> Iterator[BrowserContext]:
    """A phone-sized browser with no login of its own, watched like the clinician's page."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.add_init_script(CSP_WATCH)
    context.on("console", console.on_console)
    context.on("weberror", lambda error: console.problems.append(f"page error: {error.error}"))
    yield context
    context.close()


def add_session(page: Page, held_on: str) -> int:
    """Adds a session everyone attended; returns its number, which follows its date (a session booked
    ahead keeps coming after it). Check-ins open on the session's day."""
    count_before = page.locator(".timeline__item").count()
    page.get_by_label("Date").fill(held_on)
    page.get_by_role("button", name="Add session").click()
    expect(page.locator(".timeline__item")).to_have_count(count_before + 1)
    added = re.match(r"Session (\d+) added\.", page.locator("#sessions-status").inner_text())
    assert added is not None
    return int(added.group(1))


def issue_and_copy(page: Page, name: str, session: int) -> str:
    """Issues a check-in link for one partner and copies it; returns the copied URL."""
    page.get_by_role("button", name=f"Check-in link for {name}, session {session}").click()
    url_field = page.get_by_label(f"Check-in link for {name}, session {session}")
    expect(url_field).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/c/"))
    slot = page.locator(".checkin-slot").filter(has=url_field)
    # Served on this computer only: the link says so, and offers no QR code a phone could not open.
    expect(slot.get_by_text("opens only here, not on a client's phone")).to_be_visible()
    expect(slot.locator("img.qr")).to_have_count(0)
    slot.get_by_role("button", name=re.compile("^Copy")).click()
    expect(slot.get_by_role("status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == url_field.input_value()
    return str(copied)


def button(group: Locator, value: int) -> Locator:
    """The large button for a value on a 0–10 row: the radio's label ("10", read as "10 – Completely")."""
    return group.locator("label.scale__label", has_text=re.compile(rf"^{value}\b"))


def answer_on_phone(phone: BrowserContext, url: str, scores: dict[str, int], comment: str = "") -> None:
    form = phone.new_page()
    form.goto(url)
    expect(form.get_by_role("heading", level=1)).to_contain_text("How was your session")
    expect(form.get_by_text("comes from your therapist's practice")).to_be_visible()
    expect(form.get_by_text("Priya")).to_have_count(0)
    expect(form.get_by_text("Jonah")).to_have_count(0)
    for question, value in scores.items():
        group = form.get_by_role("group", name=re.compile(re.escape(question)))
        button(group, value).click()
        expect(group.get_by_role("radio", name=re.compile(rf"^{value}\b"))).to_be_checked()
    if comment:
        form.get_by_label(re.compile("didn't sit right")).fill(comment)
    # Big tap targets: each answer button is at least 44 by 44 CSS pixels on a phone (WCAG 2.5.5).
    box = form.locator(".scale__label").first.bounding_box()
    assert box is not None
    assert box["width"] >= 44
    assert box["height"] >= 44
    assert form.evaluate("document.documentElement.scrollWidth") <= 390
    # The 0-10 row wraps onto two rows on a phone, so its anchors are said above it, number by number,
    # instead of under ends that are no longer the ends of the scale.
    expect(form.locator(".scale__key").first).to_have_text("0 = Not at all · 5 = Partly · 10 = Completely")
    expect(form.locator(".scale__anchors").first).to_be_hidden()
    form.get_by_role("button", name="Send my answers").click()
    expect(
        form.get_by_role("heading", name="Thank you — your answers went to your therapist.")
    ).to_be_visible()
    form.close()


QUESTIONS = (
    "In this session I felt listened to and understood.",
    "I felt safe enough to say what really mattered to me.",
    "We spent our time on what I wanted to work on.",
    "The way we worked together in this session suited me.",
    "Overall, this session was right for me.",
)


def test_a_couple_checks_in_on_their_phones_and_the_dashboard_shows_scores_and_alerts(
    page: Page, phone: BrowserContext, live_server: str, console: ConsoleWatch
) -> None:
    console.allow_status(410)  # the reused link, below
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=COUPLE).click()
    expect(page.get_by_role("heading", name=COUPLE)).to_be_visible()
    session = add_session(page, date.today().isoformat())

    jonah_url = issue_and_copy(page, "Jonah Reyes", session)
    priya_url = issue_and_copy(page, "Priya Reyes", session)
    assert jonah_url != priya_url

    answer_on_phone(phone, jonah_url, dict.fromkeys(QUESTIONS, 10))
    low = dict.fromkeys(QUESTIONS, 4)
    low[QUESTIONS[1]] = 1
    answer_on_phone(phone, priya_url, low, "I felt I couldn't disagree with Jonah.")

    # The used link now says so, kindly, and stores nothing more.
    again = phone.new_page()
    response = again.goto(priya_url)
    assert response is not None
    assert response.status == 410
    expect(again.get_by_role("heading", name="This check-in was already sent")).to_be_visible()
    again.close()

    page.reload()
    monitoring = page.locator("#monitoring")
    expect(monitoring.get_by_role("heading", name="safeenough Safety Check-in", level=3)).to_be_visible()
    chart = monitoring.locator("#chart-safeenough-safety")
    expect(chart.locator("svg")).to_be_visible()
    expect(chart.locator("svg path").first).to_be_attached()
    table = monitoring.get_by_role("table", name="safeenough Safety Check-in: totals by session")
    row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=f"Go to session {session}", exact=True)
    )
    expect(row).to_contain_text("50")
    expect(row).to_contain_text("17")
    expect(monitoring).to_contain_text("I felt I couldn't disagree with Jonah.")

    alerts = page.locator("#alerts")
    split = alerts.locator(".alert-card").filter(has_text="Split alliance: Jonah Reyes and Priya Reyes")
    expect(split.first).to_be_visible()
    # The other alerts about the same session are folded under the most pressing one, a click away.
    more = alerts.locator(".alert-group-more summary").filter(has_text=f"about session {session}")
    expect(more).to_contain_text("low item")
    more.click()
    low_item = alerts.locator(".alert-card").filter(has_text=re.compile(r"Low item: Priya Reyes")).first
    expect(low_item).to_contain_text("Suggested next step")
    # A couple: the next step keeps Priya's answers from Jonah, and asks her on her own.
    expect(low_item.locator(".suggestion__text")).to_contain_text("Talk with them on their own")
    expect(low_item.locator(".suggestion__text")).to_contain_text("hard to say what really mattered")

    # Acknowledge with a note: the alert list updates in place.
    low_item.get_by_label(re.compile("Your note on this alert")).fill(
        "Open next session with Priya's answer about speaking up."
    )
    low_item.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(page.locator("#alerts-status")).to_have_text("Alert acknowledged.")
    expect(page.locator("#alerts-status")).to_be_focused()  # the keyboard's place is kept
    expect(page.locator("#alerts")).to_contain_text(
        "Open next session with Priya's answer about speaking up."
    )

    # The caseload puts the case first, with its open alerts.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    first_row = page.locator("table.cases tbody tr").first
    expect(first_row).to_contain_text(COUPLE)
    expect(first_row.locator(".badge--alert")).to_contain_text("open alert")


def test_the_client_form_works_without_javascript_and_keeps_answers_after_a_problem(
    browser: Browser, page: Page, live_server: str, console: ConsoleWatch
) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name="Mara — work stress and sleep").click()
    session = add_session(page, date.today().isoformat())
    page.get_by_role("button", name=f"Check-in link for Mara Ellison, session {session}").click()
    url = page.get_by_label(f"Check-in link for Mara Ellison, session {session}").input_value()

    console.allow_status(422)
    context = browser.new_context(java_script_enabled=False, **PHONE)  # type: ignore[arg-type]
    form = context.new_page()
    form.goto(url)
    button(form.get_by_role("group", name=re.compile("listened to")), 8).click()
    form.get_by_label(re.compile("didn't sit right")).fill("Only half done.")
    form.get_by_role("button", name="Send my answers").click()
    expect(form.get_by_role("alert")).to_contain_text("Some answers need another look")
    expect(form.locator("#error-summary")).to_be_focused()
    expect(
        form.get_by_role("group", name=re.compile("listened to")).get_by_role("radio", name=re.compile("^8"))
    ).to_be_checked()
    expect(form.get_by_label(re.compile("didn't sit right"))).to_have_value("Only half done.")
    for question in QUESTIONS[1:]:
        button(form.get_by_role("group", name=re.compile(re.escape(question))), 9).click()
    form.get_by_role("button", name="Send my answers").click()
    expect(
        form.get_by_role("heading", name="Thank you — your answers went to your therapist.")
    ).to_be_visible()
    context.close()


def test_a_resolved_alert_on_an_older_check_in_opens_the_answers_that_raised_it_under_it(
    page: Page, live_server: str, console: ConsoleWatch
) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=re.compile("^Mara")).first.click()
    resolved = page.locator("details.resolved-alerts")
    resolved.locator("summary").click()
    card = resolved.locator(".alert-card").filter(has=page.locator("a.evidence__answers")).first
    card.locator("a.evidence__answers").first.click()
    answers = card.locator(".checkin-answers")
    expect(answers).to_be_visible()
    expect(answers.get_by_role("heading")).to_contain_text(re.compile(r"answers, session \d+"))
    expect(answers.locator("table.items tbody tr").first).to_be_visible()


def test_from_a_session_page_the_therapist_reaches_that_sessions_check_in_link(
    page: Page, live_server: str
) -> None:
    log_in(page, live_server, "ada")
    page.get_by_role("link", name=re.compile("^Theo")).click()
    page.get_by_role("link", name="Session 1", exact=True).click()
    page.get_by_role("link", name="Links and answers on the case page").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+#session-1$"))
    # "New check-in link…" where another test on the same server made one already.
    button = page.locator("#session-1").get_by_role(
        "button", name=re.compile("^(New check-in|Check-in) link for Theo")
    )
    expect(button).to_be_in_viewport()
