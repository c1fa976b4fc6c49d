"""Issue 6's acceptance test in a real browser: the therapist adds a hypothesis, sees it prompted as
untested three sessions later, marks it disconfirmed with a note; accepts a suggestion from an uploaded
transcript and sees its quoted turn on the map; links an anticipated-judgement moment to a pattern.

The analysis and the domain classifier are the real, trained components: nothing here is faked.

One thing is done outside the browser. A hypothesis counts as untested after three sessions held *after
the day* it was recorded and on or before today; sessions cannot be dated in the future for this, and a
hypothesis recorded through the page is recorded today. So, after adding it through the form, the test
moves its recorded date back one day in the database (entry, and the creation step of its history) and
then adds three sessions dated today through the case page. This needs the database, so this module
starts its own app server over its own demo database instead of sharing the session-wide one.

The transcript is fictional and written for this test.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.tables import formulation_changes, formulation_entries
from tests.browser.conftest import demo_server
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

CASE = "Mara — work stress and sleep"
CLIENT = "Mara Ellison"
HYPOTHESIS = "Independence matters more to her than closeness."
NOTE = "Checked it: she said closeness is what she misses most."
FATHER = "My father never once said he was proud of me, not even at my graduation."
PATTERN = ("To be accepted as she is", "Expects disappointment from people in charge", "Braces, apologises")
JUDGED = "I know you probably think I'm lazy for not filling it in."
TRANSCRIPT = f"""\
Ada: Welcome back, Mara. Where would you like to start today?
Mara: I keep thinking about something from the weekend. {FATHER}
Ada: That sounds like it still stings. What was it like to remember that?
Mara: Sad, mostly. I spent years trying to get him to notice me.
Ada: You mentioned last time that work has been hard too. Could we look at the sleep diary?
Mara: {JUDGED} I just didn't have the energy this week.
Ada: I don't think that at all. It sounds like you were bracing for me to be disappointed. What was that like?
Mara: A bit of a relief to hear, honestly. I expected you to be annoyed.
Ada: Thank you for telling me. We can make the diary lighter, or drop it. What would suit you?
Mara: Maybe just two lines in the evening. That feels doable.
"""


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real uvicorn over a fresh demo practice on SQLite whose database this test may also open."""
    data_dir = tmp_path_factory.mktemp("map-data")
    with demo_server(data_dir) as url:
        yield Server(url, Settings(data_dir=data_dir, database_url=None, secret_key_file=None))


def record_a_day_earlier(settings: Settings, entry_id: int) -> None:
    """Move the entry's recorded date (and its creation step) back one day, as if added yesterday."""
    practice = Practice.open(settings)
    try:
        with practice.store.engine.begin() as connection:
            row = connection.execute(
                select(formulation_entries.c.created_at, formulation_entries.c.updated_at).where(
                    formulation_entries.c.id == entry_id
                )
            ).one()
            connection.execute(
                update(formulation_entries)
                .where(formulation_entries.c.id == entry_id)
                .values(
                    created_at=row.created_at - timedelta(days=1),
                    updated_at=row.updated_at - timedelta(days=1),
                )
            )
            steps = connection.execute(
                select(formulation_changes.c.id, formulation_changes.c.changed_at).where(
                    formulation_changes.c.entry_id == entry_id
                )
            ).all()
            for step in steps:
                connection.execute(
                    update(formulation_changes)
                    .where(formulation_changes.c.id == step.id)
                    .values(changed_at=step.changed_at - timedelta(days=1))
                )
    finally:
        practice.close()


def open_map(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.get_by_role("link", name=CASE).click()
    page.get_by_role("link", name=f"Client map for {CLIENT}").click()
    expect(page.get_by_role("heading", name=f"Client map: {CLIENT}", level=1)).to_be_visible()


def test_the_therapist_keeps_hypotheses_apart_checks_them_and_links_a_moment_to_a_pattern(
    page: Page, map_server: Server
) -> None:
    url = map_server.url
    log_in(page, url, "ada")
    open_map(page, url)

    # 1. A hypothesis, marked as one.
    form = page.locator("#add-entry")
    form.get_by_label("Domain").select_option(label="Values")
    form.get_by_label("What you learned or wonder").fill(HYPOTHESIS)
    form.get_by_label("My hypothesis (to check with the client)").check()
    form.get_by_role("button", name="Add entry").click()
    expect(page.get_by_role("status")).to_have_text("Entry added to the map.")
    entry = page.locator("li.entry").filter(has_text=HYPOTHESIS)
    expect(entry).to_have_class("entry entry--therapist_hypothesis")
    expect(entry.locator(".entry__status")).to_have_text("? Therapist's hypothesis")
    prompts = page.locator("#prompts")
    expect(prompts.get_by_text("Untested hypothesis")).to_have_count(0)
    entry_id = int((entry.get_attribute("id") or "").removeprefix("entry-"))

    # 2. Three sessions later (recorded yesterday; three sessions today), it is prompted as untested.
    record_a_day_earlier(map_server.settings, entry_id)
    page.get_by_role("link", name=CASE).click()
    for _ in range(3):
        before = page.locator("li.timeline__item").count()
        page.get_by_role("button", name="Add session").click()
        expect(page.locator("li.timeline__item")).to_have_count(before + 1)
        expect(page.locator("#sessions-status")).to_contain_text("added.")
    page.get_by_role("link", name=f"Client map for {CLIENT}").click()
    prompt = prompts.locator("li.prompt").filter(has_text="Untested hypothesis")
    expect(prompt).to_have_count(1)
    expect(prompt).to_contain_text("Values")
    expect(prompt).to_contain_text("3 sessions since, and not yet checked with the client")
    expect(prompt).to_contain_text("Try asking:")
    prompt.get_by_role("link", name="the entry on the map").click()
    assert page.url.endswith(f"#entry-{entry_id}")

    # 3. Checked with the client: disconfirmed, with a note; the history says who changed what.
    entry = page.locator(f"#entry-{entry_id}")
    entry.get_by_text("Edit or change status").click()
    entry.get_by_label("Checked: disconfirmed").check()
    entry.get_by_label("Note").fill(NOTE)
    entry.get_by_role("button", name="Save change").click()
    expect(page.get_by_role("status")).to_have_text("Entry updated; the change is in its history.")
    entry = page.locator(f"#entry-{entry_id}")
    expect(entry).to_have_class("entry entry--checked_disconfirmed")
    expect(entry.locator(".entry__status")).to_have_text("✗ Checked: disconfirmed")
    expect(entry.locator(".entry__note")).to_have_text(f"Note: {NOTE}")
    history = entry.locator(".history")
    expect(history).to_contain_text("Ada Quill (demo therapist) recorded it as Therapist's hypothesis")
    expect(history).to_contain_text("changed the status from Therapist's hypothesis to Checked: disconfirmed")
    expect(history).to_contain_text(NOTE)
    expect(prompts.locator("li.prompt").filter(has_text="Untested hypothesis")).to_have_count(0)

    # 4. A transcript, uploaded on today's session, naming the therapist.
    page.get_by_role("link", name=CASE).click()
    # The newest session is next week's (from the demo data); the one before it was added today.
    today_session = page.locator("li.timeline__item").nth(1).locator(".timeline__title a")
    number = today_session.inner_text().removeprefix("Session ").strip()
    today_session.click()
    page.get_by_label("Transcript file").set_input_files(
        {"name": "today.txt", "mimeType": "text/plain", "buffer": TRANSCRIPT.encode("utf-8")}
    )
    page.get_by_label("I am the speaker named").fill("Ada")
    page.get_by_role("button", name="Upload transcript").click()
    expect(page.get_by_role("status").filter(has_text="analysed")).to_be_visible()
    page.get_by_role("link", name=f"{CLIENT}'s map").click()

    # 5. Its suggestion is accepted, and the quoted turn is on the map as something the client said.
    suggestions = page.locator("#suggestions")
    suggestion = suggestions.locator("li.map-suggestion").filter(has_text="proud of me")
    expect(suggestion.first).to_be_visible()  # the trained classifier offered the turn
    domain = suggestion.first.locator(".map-suggestion__domain strong").inner_text()
    suggestion.first.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text(
        "Suggestion added to the map as something the client said."
    )
    said = page.locator("li.entry.entry--client_said").filter(has_text="proud of me")
    expect(said).to_have_count(1)
    expect(said.locator(".entry__status")).to_have_text("❝ Client said")
    expect(said.locator("blockquote")).to_contain_text(FATHER)
    expect(said.get_by_role("link", name=f"session {number}, turn 1")).to_be_visible()
    expect(page.locator("section.map-domain").filter(has=said)).to_contain_text(domain)

    # 6. A pattern, and the anticipated-judgement moment linked to it as an enactment.
    patterns = page.locator("#patterns")
    patterns.get_by_label("Wish").fill(PATTERN[0])
    patterns.get_by_label("Response of others").fill(PATTERN[1])
    patterns.get_by_label("Response of self").fill(PATTERN[2])
    patterns.get_by_role("button", name="Record pattern").click()
    expect(page.get_by_role("status")).to_have_text("Pattern recorded.")
    candidate = page.locator("#enactment-candidates li.candidate").filter(
        has_text="I know you probably think"
    )
    expect(candidate).to_have_count(1)  # the trained model flagged the anticipated judgement
    expect(candidate.locator(".candidate__kind")).to_contain_text(re.compile("anticipated judgement", re.I))
    candidate.get_by_label("Pattern").select_option(label=" → ".join(PATTERN))
    candidate.get_by_label("Note").fill("Same bracing as with her manager.")
    candidate.get_by_role("button", name="Link to pattern").click()
    expect(page.get_by_role("status")).to_have_text("Moment linked to the pattern as an enactment.")
    card = page.locator("li.pattern-card").filter(has_text="To be accepted as she is")
    expect(card).to_contain_text("1 enactment")
    card.get_by_role("link", name="Pattern: To be accepted as she is").click()
    enactments = page.locator("#enactments")
    expect(enactments.locator("li.enactment")).to_have_count(1)
    expect(enactments.locator(".enactment__marker")).to_contain_text(
        re.compile("withdrawal|confrontation|anticipated judgement", re.I)
    )
    expect(enactments).to_contain_text(JUDGED)
    expect(enactments.locator(".repaired")).to_have_text(re.compile(r"(Repaired|Not repaired)$"))
    expect(enactments).to_contain_text("Same bracing as with her manager.")
