"""The client map, pattern and shared-map pages: what a clinician reads and changes, what a supervisor
reads (read only, audited) and what another clinician cannot see.

Transcripts here are stored with hand-coded annotations, so the pages do not depend on what the trained
models find. The talk is fictional.
"""

import re
from datetime import date
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.annotation import Annotation
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.formulation import EpistemicStatus, FormulationDomain, Provenance
from safeenough.domain.session import Session
from safeenough.practice import Practice
from safeenough.storage.transcripts import StoredTranscript
from tests.web.helpers import Reply, log_in

DOMAIN_LABELS = [domain.label for domain in FormulationDomain]

TURNS = (
    ("Ada", SpeakerRole.THERAPIST, "What would you like to focus on today?"),
    ("Mara", SpeakerRole.CLIENT, "My father never once said he was proud of me, not even at graduation."),
    ("Ada", SpeakerRole.THERAPIST, "Your father was clearly very critical of you."),
    ("Mara", SpeakerRole.CLIENT, "I know you probably think I'm making a fuss about nothing."),
    ("Ada", SpeakerRole.THERAPIST, "I don't think that at all. What was it like to say that just now?"),
    ("Mara", SpeakerRole.CLIENT, "Strange. Nobody usually asks."),
)
ANNOTATIONS = (
    Annotation(2, "stance", "assuming", None, (), "hand_coded.v1"),
    Annotation(3, "marker", "none", None, (), "hand_coded.v1"),
    Annotation(3, "anticipates_judgement", True, None, (), "hand_coded.v1"),
    Annotation(4, "repair", "validation", None, (), "hand_coded.v1"),
)


def only_client_id(case: Case) -> int:
    """The client of an individual case."""
    return case.clients[0].id


def first_session(practice: Practice, owner: Clinician, case: Case) -> Session:
    return min(practice.case_detail(owner, case.id).sessions, key=lambda session: session.number)


def store_analysed_transcript(practice: Practice, session_id: int) -> None:
    conversation = Conversation(
        "s", tuple(Turn(i, speaker, role, text) for i, (speaker, role, text) in enumerate(TURNS))
    )
    with practice.store.transaction() as work:
        work.transcripts.save(session_id, StoredTranscript(conversation, "s.txt", "txt", True, 1.0))
        work.transcripts.replace_annotations(session_id, list(ANNOTATIONS))


def map_page(client: TestClient, client_id: int) -> Reply:
    response = client.get(f"/clients/{client_id}/map")
    assert response.status_code == 200, response.text
    return response


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_map_shows_all_nine_domains_with_an_invitation_where_nothing_is_known(
    client: TestClient, theo_case: Case
) -> None:
    log_in(client, "ada")
    html = map_page(client, only_client_id(theo_case)).text
    for label in DOMAIN_LABELS:
        assert f">{label} " in html or f">{label}<" in html, label
    assert html.count("Not explored yet.") == len(DOMAIN_LABELS)
    assert "Curiosity prompts" in html
    assert f'action="/clients/{only_client_id(theo_case)}/entries"' in html
    assert "Relational patterns" in html
    assert "Suggestions from transcripts" in html


def test_an_empty_maps_prompts_do_not_say_there_is_nothing_to_look_at_above_the_unexplored_domains(
    client: TestClient, theo_case: Case
) -> None:
    log_in(client, "ada")
    text = visible_text(map_page(client, only_client_id(theo_case)).text)
    assert "Nothing to look at" not in text
    assert "No hypothesis or assumption has gone 3 sessions without being checked with Theo" in text
    assert "Not explored yet" in text


def test_the_case_page_links_each_clients_map_the_shared_map_and_the_downloads(
    client: TestClient, couple_case: Case
) -> None:
    log_in(client, "ada")
    html = client.get(f"/cases/{couple_case.id}").text
    for partner in couple_case.clients:
        assert f'href="/clients/{partner.id}/map"' in html
    assert f'href="/cases/{couple_case.id}/shared-map"' in html
    assert f'href="/cases/{couple_case.id}/supervision.pdf"' in html
    assert f'href="/cases/{couple_case.id}/export/fhir.json"' in html
    assert 'href="/export/scores.csv"' in html


def test_adding_a_hypothesis_shows_it_marked_as_one(client: TestClient, theo_case: Case) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    response = client.post(
        f"/clients/{client_id}/entries",
        data={
            "csrf_token": csrf,
            "domain": "values",
            "text": "Independence matters more to her than closeness.",
            "status": "therapist_hypothesis",
        },
    )
    assert response.status_code == 303
    assert re.match(
        rf"/clients/{client_id}/map\?done=added&at=entry-\d+#entry-\d+$", response.headers["location"]
    )
    # The page comes back at the new entry and says what was done there, not at its top off screen.
    back = client.get(response.headers["location"]).text
    here = re.search(
        r'<li class="entry[^"]*" id="entry-\d+">\s*<p class="status-line status-line--here"', back
    )
    assert here is not None
    assert re.search(r'id="map-status">\s*</div>', back)
    html = map_page(client, client_id).text
    entry = re.search(
        r'<li class="entry entry--therapist_hypothesis" id="entry-(\d+)">(.*?)</li>', html, re.S
    )
    assert entry, "the hypothesis is not on the map"
    assert "Therapist&#39;s hypothesis" in entry.group(2) or "Therapist's hypothesis" in entry.group(2)
    assert "Independence matters more to her than closeness." in entry.group(2)
    assert html.count("Not explored yet.") == len(DOMAIN_LABELS) - 1


def test_an_entry_without_text_is_refused_with_what_was_typed_kept(
    client: TestClient, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    response = client.post(
        f"/clients/{only_client_id(theo_case)}/entries",
        data={"csrf_token": csrf, "domain": "goals", "text": "   ", "status": "client_said"},
    )
    assert response.status_code == 422
    assert re.search(
        r'<textarea id="add-entry-text"[^>]* aria-invalid="true" '
        r'aria-describedby="add-entry-error" autofocus',
        response.text,
    )
    assert '<option value="goals" selected>' in response.text


def test_an_entry_without_a_domain_asks_where_it_goes_beside_the_domain_field(
    client: TestClient, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    response = client.post(
        f"/clients/{only_client_id(theo_case)}/entries",
        data={"csrf_token": csrf, "domain": "", "text": "Sleeps badly.", "status": "client_said"},
    )
    assert response.status_code == 422
    assert "There is no map domain" not in response.text
    error = re.search(r'<p class="field-error" id="add-entry-error">(.*?)</p>', response.text, re.S)
    assert error is not None
    assert "Choose where this goes on the map (a domain)." in error.group(1)
    assert re.search(
        r'<select id="add-entry-domain"[^>]* aria-invalid="true" '
        r'aria-describedby="add-entry-error" autofocus',
        response.text,
    )
    assert "Whose words are these?" in response.text
    assert "Sleeps badly." in response.text


def test_marking_a_hypothesis_disconfirmed_with_a_note_shows_in_its_history(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="values", text="Independence matters most.", status="therapist_hypothesis"
    )
    response = client.post(
        f"/entries/{entry.id}",
        data={
            "csrf_token": csrf,
            "client_id": str(client_id),
            "text": "Independence matters most.",
            "status": "checked_disconfirmed",
            "note": "She said closeness is what she misses.",
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/clients/{client_id}/map?")
    assert f"history={entry.id}" in location
    html = client.get(location.split("#")[0]).text
    card = re.search(
        rf'<li class="entry entry--checked_disconfirmed" id="entry-{entry.id}">(.*?)</li>\s*</ul>', html, re.S
    )
    assert card, "the entry is not shown as disconfirmed"
    text = visible_text(card.group(1))
    assert "Checked: disconfirmed" in text
    assert "Note: She said closeness is what she misses." in text
    history = re.search(rf'id="history-{entry.id}">(.*?)</div>', html, re.S)
    assert history
    steps = visible_text(history.group(1))
    assert "Ada" in steps
    assert "recorded it as Therapist's hypothesis" in steps.replace("&#39;", "'")
    assert "changed the status from Therapist's hypothesis to Checked: disconfirmed" in steps.replace(
        "&#39;", "'"
    )
    assert "note: She said closeness is what she misses." in steps


def test_an_entry_change_that_changes_nothing_is_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="goals", text="Evenings back.", status="client_said"
    )
    response = client.post(
        f"/entries/{entry.id}",
        data={
            "csrf_token": csrf,
            "client_id": str(client_id),
            "text": "Evenings back.",
            "status": "client_said",
        },
    )
    assert response.status_code == 422
    assert "Nothing to change" in response.text


def test_posts_without_the_form_token_change_nothing(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    log_in(client, "ada")
    client_id = only_client_id(theo_case)
    response = client.post(
        f"/clients/{client_id}/entries", data={"domain": "goals", "text": "x", "status": "client_said"}
    )
    assert response.status_code == 403
    assert demo_practice.client_map(ada, client_id).entries == ()


def test_a_transcript_suggestion_is_accepted_with_its_quoted_turn_or_dismissed(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    html = map_page(client, client_id).text
    assert f'id="suggestions-session-{session.id}"' in html
    assert "My father never once said he was proud of me" in html
    # Nothing is on the map until accepted.
    assert demo_practice.client_map(ada, client_id).entries == ()
    response = client.post(
        f"/clients/{client_id}/suggestions/accept",
        data={
            "csrf_token": csrf,
            "session_id": str(session.id),
            "turn_index": "1",
            "domain": "family_history",
            "original": TURNS[1][2],
            "text": TURNS[1][2],
        },
    )
    assert response.status_code == 303, response.text
    entries = demo_practice.client_map(ada, client_id).entries
    assert [(e.domain, e.status, e.provenance.turn_index) for e in entries] == [
        (FormulationDomain.FAMILY_HISTORY, EpistemicStatus.CLIENT_SAID, 1)
    ]
    html = map_page(client, client_id).text
    card = re.search(rf'id="entry-{entries[0].id}">(.*?)</li>', html, re.S)
    assert card
    assert "<blockquote" in card.group(1)
    assert "proud of me" in card.group(1)
    assert f'href="/sessions/{session.id}#turn-1"' in card.group(1)

    response = client.post(
        f"/clients/{client_id}/suggestions/dismiss",
        data={"csrf_token": csrf, "session_id": str(session.id), "turn_index": "3", "domain": ""},
    )
    assert response.status_code == 303
    suggestions = demo_practice.transcript_suggestions(ada, session.id)
    assert all(s.turn_index != 3 for s in suggestions)


def test_a_pattern_is_recorded_and_an_anticipated_judgement_linked_to_it(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    response = client.post(
        f"/clients/{client_id}/patterns",
        data={
            "csrf_token": csrf,
            "wish": "To be accepted",
            "response_of_other": "Expects criticism from people in authority",
            "response_of_self": "Withdraws or defends",
            "examples": "Her manager\nHer father",
        },
    )
    assert response.status_code == 303
    html = map_page(client, client_id).text
    assert "Possible enactment" in html
    assert "I know you probably think" in html
    pattern = demo_practice.client_map(ada, client_id).patterns[0].pattern
    assert pattern.examples == ("Her manager", "Her father")
    response = client.post(
        f"/clients/{client_id}/enactments/link",
        data={
            "csrf_token": csrf,
            "pattern_id": str(pattern.id),
            "session_id": str(session.id),
            "turn_index": "3",
        },
    )
    assert response.status_code == 303
    page = client.get(f"/patterns/{pattern.id}")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Enactments over time (1, 1 repaired)" in text
    assert "Anticipated judgement" in text
    assert "Repaired" in text
    assert "I know you probably think" in text
    assert demo_practice.enactment_candidates(ada, client_id) == ()


def test_a_supervisor_reads_the_map_without_forms_cannot_post_and_the_read_is_audited(
    client: TestClient,
    demo_practice: Practice,
    ada: Clinician,
    sol: Clinician,
    admin: Clinician,
    theo_case: Case,
) -> None:
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="values", text="Independence matters most.", status="therapist_hypothesis"
    )
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    pattern = demo_practice.add_pattern(ada, client_id, "To be accepted", "Criticism", "Withdraws")
    csrf = log_in(client, "sol")
    html = map_page(client, client_id).text
    assert "It is read only." in html
    assert "Independence matters most." in html
    assert "<form" not in html.split('<main id="main"', 1)[1]
    events = demo_practice.audit_log(admin, limit=10_000)
    assert any(
        e.action is AuditAction.READ
        and e.target_kind == "client_map"
        and e.target_id == client_id
        and e.actor_id == sol.id
        for e in events
    )

    pattern_page = client.get(f"/patterns/{pattern.id}")
    assert pattern_page.status_code == 200
    assert "<form" not in pattern_page.text.split('<main id="main"', 1)[1]

    for path, data in (
        (f"/clients/{client_id}/entries", {"domain": "goals", "text": "x", "status": "client_said"}),
        (f"/entries/{entry.id}", {"client_id": str(client_id), "status": "checked_confirmed"}),
        (f"/clients/{client_id}/patterns", {"wish": "a", "response_of_other": "b", "response_of_self": "c"}),
        (
            f"/clients/{client_id}/suggestions/accept",
            {"session_id": str(session.id), "turn_index": "1", "domain": "family_history"},
        ),
        (
            f"/clients/{client_id}/enactments/link",
            {"pattern_id": str(pattern.id), "session_id": str(session.id), "turn_index": "3"},
        ),
    ):
        response = client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 403, path
    assert len(demo_practice.client_map(ada, client_id).entries) == 1


def test_another_clinician_and_an_admin_get_404(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case, couple_case: Case
) -> None:
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="goals", text="Evenings back.", status="client_said"
    )
    pattern = demo_practice.add_pattern(ada, client_id, "To be accepted", "Criticism", "Withdraws")
    for username in ("ben", "admin"):
        client.cookies.clear()
        csrf = log_in(client, username)
        assert client.get(f"/clients/{client_id}/map").status_code == 404
        assert client.get(f"/patterns/{pattern.id}").status_code == 404
        assert client.get(f"/cases/{couple_case.id}/shared-map").status_code == 404
        response = client.post(
            f"/entries/{entry.id}",
            data={"csrf_token": csrf, "client_id": str(client_id), "status": "checked_confirmed"},
        )
        assert response.status_code == 404
    assert demo_practice.client_map(ada, client_id).entries[0].status is EpistemicStatus.CLIENT_SAID


def test_the_shared_map_sets_the_partners_side_by_side_with_their_shared_goals(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    jonah, priya = couple_case.clients
    demo_practice.add_entry(
        ada, jonah.id, domain="goals", text="Stop arguing about money.", status="client_said"
    )
    demo_practice.add_entry(
        ada, priya.id, domain="goals", text="Fewer arguments about money.", status="client_said"
    )
    demo_practice.add_entry(ada, priya.id, domain="goals", text="Feel heard at home.", status="client_said")
    csrf = log_in(client, "ada")
    response = client.get(f"/cases/{couple_case.id}/shared-map")
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Where they agree" in text
    assert "Stop arguing about money." in text
    assert "Fewer arguments about money." in text
    assert f"Only {priya.display_name}" in text
    assert "Feel heard at home." in text
    assert jonah.display_name in text
    assert priya.display_name in text
    assert "Check-in trend, side by side" in text
    # Each partner's name is a heading, so the domains under it are one level down.
    assert f'<h3 id="partner-{jonah.id}-title">' in response.text
    assert re.search(rf'<h4 class="map-domain__title" id="domain-goals-{jonah.id}-title">', response.text)
    assert '<h3 class="map-domain__title"' not in response.text
    response = client.post(
        f"/cases/{couple_case.id}/shared-map/entries",
        data={
            "csrf_token": csrf,
            "domain": "relationships",
            "text": "They met at university.",
            "status": "client_said",
        },
    )
    assert response.status_code == 303
    assert "They met at university." in client.get(f"/cases/{couple_case.id}/shared-map").text


def test_the_shared_map_marks_a_partners_total_beyond_the_cut_off_and_points_to_the_open_alerts(
    client: TestClient, couple_case: Case
) -> None:
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}/shared-map").text
    # The demo couple: Jonah answered 29 of 50 in session 2, Priya 49; a split alliance is open.
    assert '<td class="number number--concern">29 <span aria-hidden="true">▼</span>' in page
    assert "marks a total ≤ 45 (possible alliance concern)" in page
    text = visible_text(page)
    assert "open alerts on this case" in text
    assert "one a split alliance" in text
    assert f'href="/cases/{couple_case.id}#alerts"' in page


def test_the_shared_trend_tells_a_partner_who_was_not_there_from_one_who_did_not_answer(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    jonah = couple_case.clients[0]
    session = demo_practice.add_session(ada, couple_case.id, held_on=date.today(), attendee_ids=[jonah.id])
    issued = demo_practice.issue_checkin_link(ada, session.id, jonah.id)
    instrument = demo_practice.open_checkin(issued.token).instruments[0]
    demo_practice.submit_checkin(issued.token, {instrument.id: dict.fromkeys(instrument.item_ids, 10.0)}, {})
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}/shared-map").text
    row = re.search(rf'<tr><th scope="row">{session.number}</th>(.*?)</tr>', page)
    assert row is not None
    assert '<td class="number">50</td><td class="number">not there</td>' in row.group(1)


def test_an_individual_case_has_no_shared_map(client: TestClient, theo_case: Case) -> None:
    log_in(client, "ada")
    response = client.get(f"/cases/{theo_case.id}/shared-map")
    assert response.status_code == 404
    assert "A shared map is for a couple or a family" in response.text


@pytest.mark.parametrize("path", ["/clients/{id}/map", "/cases/{id}/shared-map"])
def test_the_pages_need_a_login(client: TestClient, couple_case: Case, path: str) -> None:
    target = path.replace("{id}", str(couple_case.clients[0].id if "clients" in path else couple_case.id))
    response = client.get(target)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def accept(client: TestClient, csrf: str, client_id: int, session_id: int, turn: int, **fields: str) -> Reply:
    data = {"csrf_token": csrf, "session_id": str(session_id), "turn_index": str(turn), **fields}
    return client.post(f"/clients/{client_id}/suggestions/accept", data=data)


def test_a_reworded_suggestion_is_saved_as_the_therapists_hypothesis_and_the_page_says_so(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    reworded = "Her controlling father is why she resists any structure"
    response = accept(
        client, csrf, client_id, session.id, 5, domain="family_history", original=TURNS[5][2], text=reworded
    )
    assert response.status_code == 303, response.text
    assert parse_qs(urlsplit(response.headers["location"]).query)["done"] == ["accepted-hypothesis"]
    [entry] = demo_practice.client_map(ada, client_id).entries
    assert (entry.status, entry.provenance.turn_index) == (EpistemicStatus.THERAPIST_HYPOTHESIS, 5)
    html = client.get(response.headers["location"].split("#")[0]).text
    # Said beside the new entry, where the page comes back to.
    status = re.search(r'<p class="status-line status-line--here" role="status"[^>]*>(.*?)</p>', html, re.S)
    assert status
    assert visible_text(status.group(1)).replace("&#39;", "'").strip() == (
        "Suggestion added to the map. Saved as your hypothesis, since the words are yours; "
        "the client's turn is kept as its source."
    )
    card = re.search(
        rf'<li class="entry entry--therapist_hypothesis" id="entry-{entry.id}">(.*?)</li>', html, re.S
    )
    assert card
    assert reworded in card.group(1)
    assert "Nobody usually asks." in card.group(1)


def test_a_suggestion_shortened_to_part_of_the_turn_is_saved_as_what_the_client_said(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    response = accept(
        client, csrf, client_id, session.id, 1,
        domain="family_history", original=TURNS[1][2], text="my father never once said he was proud of me",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    assert parse_qs(urlsplit(response.headers["location"]).query)["done"] == ["accepted"]
    [entry] = demo_practice.client_map(ada, client_id).entries
    assert entry.status is EpistemicStatus.CLIENT_SAID


COUPLE_TURNS = (
    ("Ada", SpeakerRole.THERAPIST, "What would you each like from today?"),
    ("Jonah", SpeakerRole.CLIENT, "I want us to stop arguing about money every single weekend."),
    (
        "Priya",
        SpeakerRole.CLIENT,
        "You'll think I'm the one who started it, but I never feel safe saying so.",
    ),
    ("Ada", SpeakerRole.THERAPIST, "I don't think that. What is it like to say it here?"),
)
COUPLE_ANNOTATIONS = (
    Annotation(2, "marker", "none", None, (), "hand_coded.v1"),
    Annotation(2, "anticipates_judgement", True, None, (), "hand_coded.v1"),
    Annotation(3, "repair", "validation", None, (), "hand_coded.v1"),
)


def store_couple_transcript(practice: Practice, session_id: int) -> None:
    conversation = Conversation(
        "s", tuple(Turn(i, speaker, role, text) for i, (speaker, role, text) in enumerate(COUPLE_TURNS))
    )
    with practice.store.transaction() as work:
        work.transcripts.save(session_id, StoredTranscript(conversation, "s.txt", "txt", True, 1.0))
        work.transcripts.replace_annotations(session_id, list(COUPLE_ANNOTATIONS))


def test_a_partners_words_are_refused_on_the_other_partners_map_and_pattern(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    jonah, priya = couple_case.clients
    session = first_session(demo_practice, ada, couple_case)
    store_couple_transcript(demo_practice, session.id)
    pattern = demo_practice.add_pattern(ada, jonah.id, "To be taken seriously", "Dismissed", "Goes quiet")
    before = demo_practice.client_map(ada, jonah.id).entries
    csrf = log_in(client, "ada")
    response = accept(client, csrf, jonah.id, session.id, 2, domain="safety_meaning")
    assert response.status_code == 422
    assert "The suggestion was not added: Turn 2 was spoken by Priya (Priya Reyes)" in visible_text(
        response.text
    ).replace("&#39;", "'")
    assert demo_practice.client_map(ada, jonah.id).entries == before
    response = client.post(
        f"/clients/{jonah.id}/enactments/link",
        data={
            "csrf_token": csrf,
            "pattern_id": str(pattern.id),
            "session_id": str(session.id),
            "turn_index": "2",
        },
    )
    assert response.status_code == 422
    assert "The moment was not linked" in response.text
    assert demo_practice.pattern_timeline(ada, pattern.id).enactments == ()
    assert accept(client, csrf, priya.id, session.id, 2, domain="safety_meaning").status_code == 303


def test_a_goal_stated_together_is_shown_among_the_shared_goals(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    demo_practice.add_shared_entry(
        ada, couple_case.id, domain="goals", text="Weekends back, for the kids.", status="client_said"
    )
    log_in(client, "ada")
    html = client.get(f"/cases/{couple_case.id}/shared-map").text
    panel = html.split('id="shared-goals"', 1)[1].split('id="trends"', 1)[0]
    text = visible_text(panel)
    assert "Stated together" in text
    assert "Weekends back, for the kids." in text
    assert "Neither partner has a stated goal" not in text


def test_with_no_goal_stated_at_all_the_shared_goals_panel_says_so(
    client: TestClient, couple_case: Case
) -> None:
    log_in(client, "ada")
    text = visible_text(client.get(f"/cases/{couple_case.id}/shared-map").text)
    assert "No goal is stated yet, by either partner or by them together" in text
    assert "Stated together" not in text


@pytest.mark.parametrize(
    ("length", "message"),
    [
        (6_000, "The entry is too long: at most 2,000 characters (this one has 6,000)."),
        (2_001, "The entry is too long: at most 2,000 characters (this one has 2,001)."),
    ],
)
def test_a_too_long_entry_is_refused_with_its_real_limit_and_its_length(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case, length: int, message: str
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    response = client.post(
        f"/clients/{client_id}/entries",
        data={"csrf_token": csrf, "domain": "goals", "text": "x" * length, "status": "client_said"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert demo_practice.client_map(ada, client_id).entries == ()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("wish", "w" * 600, "The wish is too long: at most 500 characters (this one has 600)."),
        (
            "examples",
            "ok\n" + "e" * 1_200,
            "Example 2 is too long: at most 1,000 characters (this one has 1,200).",
        ),
    ],
)
def test_a_too_long_pattern_field_is_refused_with_its_real_limit_and_its_length(
    client: TestClient,
    demo_practice: Practice,
    ada: Clinician,
    theo_case: Case,
    field: str,
    value: str,
    message: str,
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    fields = {"wish": "To be accepted", "response_of_other": "Criticism", "response_of_self": "Withdraws"}
    response = client.post(
        f"/clients/{client_id}/patterns", data={"csrf_token": csrf, **fields, field: value}
    )
    assert response.status_code == 422
    assert message in response.text
    assert demo_practice.client_map(ada, client_id).patterns == ()


def test_line_breaks_in_an_entry_are_kept_and_shown(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    client_id = only_client_id(theo_case)
    demo_practice.add_entry(ada, client_id, domain="values", text="line1\nline2", status="client_said")
    log_in(client, "ada")
    assert '<p class="entry__text">line1\nline2</p>' in map_page(client, client_id).text
    css = re.sub(r"/\*.*?\*/", "", client.get("/static/formulation.css").text, flags=re.S)
    kept = [
        selectors
        for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
        if "white-space: pre-line" in body
    ]
    shown_with_breaks = {s.strip() for selectors in kept for s in selectors.split(",")}
    assert {".entry__text", ".entry__note", ".ccrt dd"} <= shown_with_breaks


def test_a_suggestion_shows_a_rough_chance_out_of_ten_and_its_matched_words_not_a_percentage(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    log_in(client, "ada")
    html = map_page(client, only_client_id(theo_case)).text
    domains = re.findall(r'<p class="map-suggestion__domain">(.*?)</p>', html, re.S)
    assert domains
    father = next(visible_text(d) for d in domains if "Family and history" in d)
    assert re.search(
        r"\(a rough guess: about [1-9] in 10; matched words: “My father”, “never once”\)", father
    )
    assert not any("%" in d or "confidence" in d for d in domains)


def test_a_dismissed_suggestion_can_be_undone_from_the_message_beside_it(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    offered = {s.turn_index for s in demo_practice.transcript_suggestions(ada, session.id)}
    turn = min(offered)
    dismissed = client.post(
        f"/clients/{client_id}/suggestions/dismiss",
        data={"csrf_token": csrf, "session_id": str(session.id), "turn_index": str(turn), "domain": ""},
    )
    assert turn not in {s.turn_index for s in demo_practice.transcript_suggestions(ada, session.id)}
    page = client.get(dismissed.headers["location"]).text
    assert "unless you undo it" in page
    undo = re.search(
        r'<form method="post" action="(/clients/\d+/suggestions/restore)"(.*?)</form>', page, re.S
    )
    assert undo
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', undo.group(2)))
    restored = client.post(undo.group(1), data=fields)
    assert restored.status_code == 303
    assert "Suggestion offered again." in client.get(restored.headers["location"]).text
    assert {s.turn_index for s in demo_practice.transcript_suggestions(ada, session.id)} == offered


def test_a_dismissed_moment_can_be_undone_for_that_client(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    candidates = demo_practice.enactment_candidates(ada, client_id)
    assert candidates
    first = candidates[0]
    data = {"csrf_token": csrf, "session_id": str(first.session_id), "turn_index": str(first.turn_index)}
    dismissed = client.post(f"/clients/{client_id}/enactments/dismiss", data=data)
    assert len(demo_practice.enactment_candidates(ada, client_id)) == len(candidates) - 1
    page = client.get(dismissed.headers["location"]).text
    assert f'action="/clients/{client_id}/enactments/restore"' in page
    restored = client.post(f"/clients/{client_id}/enactments/restore", data=data)
    assert restored.status_code == 303
    assert demo_practice.enactment_candidates(ada, client_id) == candidates


def test_a_removed_entry_is_named_beside_its_domain_with_an_undo_that_puts_it_back(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="values", text="Fairness above all.", status="therapist_hypothesis"
    )
    html = map_page(client, client_id).text
    assert f'action="/entries/{entry.id}/remove"' in html
    assert "Remove this entry from the map?" in html  # asked before anything goes

    removed = client.post(
        f"/entries/{entry.id}/remove",
        data={"csrf_token": csrf, "client_id": str(client_id), "note": "Typed on the wrong map."},
    )
    assert removed.status_code == 303
    assert "at=domain-values" in removed.headers["location"]
    page = client.get(removed.headers["location"]).text
    assert "Removed from the map (Values): “Fairness above all.”" in visible_text(page)
    assert html.count("Not explored yet.") + 1 == page.count("Not explored yet.")
    undo = re.search(r'<form method="post" action="(/entries/\d+/restore)"(.*?)</form>', page, re.S)
    assert undo
    assert "Undo" in undo.group(2)
    assert "the removal" in undo.group(2)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', undo.group(2)))

    restored = client.post(undo.group(1), data=fields)
    assert restored.status_code == 303
    back = client.get(restored.headers["location"]).text
    assert "Entry back on the map" in back
    assert "removed it from the map" in back
    assert "put it back on the map" in back
    assert "Typed on the wrong map." in back


def test_a_map_with_nothing_removed_shows_no_list_of_removed_entries(
    client: TestClient, theo_case: Case
) -> None:
    log_in(client, "ada")
    assert "Removed from the map" not in map_page(client, only_client_id(theo_case)).text


def test_an_entry_removed_earlier_is_listed_at_the_end_of_the_map_and_put_back_from_there(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="values", text="Fairness above all.", status="therapist_hypothesis"
    )
    demo_practice.remove_entry(ada, entry.id, note="Typed on the wrong map.")

    html = map_page(client, client_id).text
    listed = re.search(r'<details class="removed-entries".*?</details>', html, re.S)
    assert listed
    words = visible_text(listed.group(0))
    assert "Removed from the map (1)" in words
    assert "Fairness above all." in words
    assert "Values" in words
    assert EpistemicStatus.THERAPIST_HYPOTHESIS.label in unescape(words)
    assert f"by {ada.display_name}" in words
    assert "Why: Typed on the wrong map." in words
    put_back = re.search(
        r'<form method="post" action="(/entries/\d+/restore)"(.*?)</form>', listed.group(0), re.S
    )
    assert put_back
    assert put_back.group(1) == f"/entries/{entry.id}/restore"
    assert "Put back on the map" in put_back.group(2)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', put_back.group(2)))
    assert fields["csrf_token"] == csrf

    forged = client.post(put_back.group(1), data={**fields, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert demo_practice.entry(ada, entry.id).is_removed

    restored = client.post(put_back.group(1), data=fields)
    assert restored.status_code == 303
    assert f"at=entry-{entry.id}" in restored.headers["location"]
    back = client.get(restored.headers["location"]).text
    assert "Entry back on the map" in back
    assert 'id="done-status"' in back
    assert f'id="entry-{entry.id}"' in back
    assert "Removed from the map (" not in back
    assert not demo_practice.entry(ada, entry.id).is_removed


def test_a_supervisor_sees_the_removed_entries_without_a_way_to_put_them_back(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    client_id = only_client_id(theo_case)
    entry = demo_practice.add_entry(
        ada, client_id, domain="goals", text="Evenings back.", status="client_said"
    )
    demo_practice.remove_entry(ada, entry.id)
    log_in(client, "sol")
    html = map_page(client, client_id).text
    assert "Removed from the map (1)" in html
    assert "Evenings back." in html
    assert "Put back on the map" not in html
    assert f"/entries/{entry.id}/restore" not in html


def test_an_entry_removed_from_a_couples_shared_map_is_listed_there_and_put_back(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    together = demo_practice.add_shared_entry(
        ada, couple_case.id, domain="strengths_resources", text="They laugh together.", status="client_said"
    )
    demo_practice.remove_entry(ada, together.id)
    html = client.get(f"/cases/{couple_case.id}/shared-map").text
    assert "Removed from the map (1)" in html
    assert f'action="/entries/{together.id}/restore"' in html
    restored = client.post(
        f"/entries/{together.id}/restore", data={"csrf_token": csrf, "case_id": str(couple_case.id)}
    )
    assert restored.status_code == 303
    assert restored.headers["location"].startswith(f"/cases/{couple_case.id}/shared-map?")
    back = client.get(restored.headers["location"]).text
    assert "Entry back on the map" in back
    assert "Removed from the map (" not in back


def test_the_quote_of_a_client_said_entry_is_replaced_by_another_turn_or_taken_away(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case
) -> None:
    session = first_session(demo_practice, ada, theo_case)
    store_analysed_transcript(demo_practice, session.id)
    csrf = log_in(client, "ada")
    client_id = only_client_id(theo_case)
    entry = demo_practice.accept_suggestion(ada, session.id, 3, "relationships")
    choices = client.get(f"/clients/{client_id}/map?quote={entry.id}").text
    options = re.findall(r'<option value="(\d+:\d+)"', choices)
    assert options == [f"{session.id}:{turn}" for turn in (1, 3, 5)]
    assert "(quoted now)" in choices

    changed = client.post(
        f"/entries/{entry.id}/quote",
        data={"csrf_token": csrf, "client_id": str(client_id), "turn": f"{session.id}:1", "choice": "turn"},
    )
    assert changed.status_code == 303
    page = visible_text(client.get(changed.headers["location"]).text)
    assert "The entry now quotes the turn you chose" in page
    assert f"changed what it quotes from session {session.number}, turn 3" in page

    taken = client.post(
        f"/entries/{entry.id}/quote",
        data={"csrf_token": csrf, "client_id": str(client_id), "turn": f"{session.id}:1", "choice": "none"},
    )
    page = visible_text(client.get(taken.headers["location"]).text)
    assert "it is now your hypothesis" in page
    assert demo_practice.entry(ada, entry.id).status is EpistemicStatus.THERAPIST_HYPOTHESIS

    refused = client.post(
        f"/entries/{entry.id}/quote",
        data={"csrf_token": csrf, "client_id": str(client_id), "turn": f"{session.id}:1", "choice": "turn"},
    )
    assert refused.status_code == 422
    assert "The entry was not changed: Only an entry marked as something the client said" in refused.text


def test_an_entry_from_a_check_in_answer_links_to_that_answer(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    client_id = only_client_id(ada_case)
    with demo_practice.store.transaction() as work:
        answered = next(c for c in work.checkins.for_clients([client_id]) if c.free_text)
    demo_practice.add_entry(
        ada,
        client_id,
        domain="safety_meaning",
        text="Being asked, not told.",
        status="client_said",
        provenance=Provenance.checkin_answer(answered.id),
    )
    log_in(client, "ada")
    html = map_page(client, client_id).text
    link = f'href="/cases/{ada_case.id}/checkins/{answered.id}"'
    assert link in html
    assert client.get(f"/cases/{ada_case.id}/checkins/{answered.id}").status_code == 200
