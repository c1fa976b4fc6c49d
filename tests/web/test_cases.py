"""The case page: clients with their codes, the sessions timeline, adding a session; and who may do what."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from tests.web.helpers import log_in


def session_count(practice: Practice, owner: Clinician, case: Case) -> int:
    return len(practice.case_detail(owner, case.id).sessions)


def test_case_page_shows_clients_with_codes_and_the_sessions_timeline(
    client: TestClient, couple_case: Case
) -> None:
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}")
    assert page.status_code == 200
    for person in couple_case.clients:
        assert person.display_name in page.text
        assert person.code in page.text
    assert "Session 3" in page.text
    assert "Opened with Jonah&#39;s comment from last week" in page.text
    assert "Add a session" in page.text


def test_clinician_adds_a_session_and_sees_it_on_the_case_page(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    before = session_count(demo_practice, ada, couple_case)
    jonah = couple_case.clients[0]
    response = client.post(
        f"/cases/{couple_case.id}/sessions",
        data={
            "csrf_token": csrf,
            "held_on": "2030-01-15",
            "attendee": [str(jonah.id)],
            "note": "Jonah alone.",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{couple_case.id}?added={before + 1}"
    page = client.get(response.headers["location"])
    assert f"Session {before + 1} added." in page.text
    assert "Jonah alone." in page.text
    detail = demo_practice.case_detail(ada, couple_case.id)
    added = max(detail.sessions, key=lambda session: session.number)
    assert added.attendee_ids == (jonah.id,)
    assert added.note == "Jonah alone."
    assert str(added.held_on) == "2030-01-15"


def test_adding_a_session_with_htmx_returns_just_the_sessions_area(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    before = session_count(demo_practice, ada, ada_case)
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "2030-02-01", "attendee": [str(ada_case.clients[0].id)]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="sessions-area"')
    assert f"Session {before + 1} added." in response.text
    assert "<html" not in response.text


def test_a_session_added_for_an_earlier_date_says_the_later_sessions_were_renumbered(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    first = min(demo_practice.case_detail(ada, ada_case.id).sessions, key=lambda session: session.held_on)
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={
            "csrf_token": csrf,
            "held_on": first.held_on.isoformat(),
            "attendee": [str(ada_case.clients[0].id)],
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Session 2 added. It comes before sessions entered earlier, so those are now numbered from 3." in (
        response.text
    )


def test_bad_session_input_is_shown_with_the_input_kept_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    before = session_count(demo_practice, ada, couple_case)
    response = client.post(
        f"/cases/{couple_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "2030-01-15", "note": "Nobody ticked <b>anyone</b>."},
    )
    assert response.status_code == 422
    assert "Tick at least one client who attended the session." in response.text
    assert 'value="2030-01-15"' in response.text
    assert "Nobody ticked &lt;b&gt;anyone&lt;/b&gt;." in response.text
    assert session_count(demo_practice, ada, couple_case) == before


def test_a_date_that_is_not_a_date_is_refused_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    before = session_count(demo_practice, ada, ada_case)
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "next tuesday", "attendee": [str(ada_case.clients[0].id)]},
    )
    assert response.status_code == 422
    assert "Enter the date of the session as a date" in response.text
    assert 'value="next tuesday"' in response.text
    assert session_count(demo_practice, ada, ada_case) == before


def test_adding_a_session_without_csrf_token_is_refused_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    log_in(client, "ada")
    before = session_count(demo_practice, ada, ada_case)
    for data in (
        {"held_on": "2030-01-15", "attendee": [str(ada_case.clients[0].id)]},
        {"csrf_token": "forged", "held_on": "2030-01-15", "attendee": [str(ada_case.clients[0].id)]},
    ):
        response = client.post(f"/cases/{ada_case.id}/sessions", data=data)
        assert response.status_code == 403
        assert (
            "This form expired or was not sent from safeenough; reload the page and try again"
            in response.text
        )
    assert session_count(demo_practice, ada, ada_case) == before


def test_clinician_gets_404_for_another_clinicians_case(client: TestClient, ada_case: Case) -> None:
    csrf = log_in(client, "ben")
    page = client.get(f"/cases/{ada_case.id}")
    assert page.status_code == 404
    assert "Mara" not in page.text
    post = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "2030-01-15", "attendee": [str(ada_case.clients[0].id)]},
    )
    assert post.status_code == 404


def test_unknown_case_id_gets_404(client: TestClient) -> None:
    log_in(client, "ada")
    assert client.get("/cases/999999").status_code == 404
    assert client.get("/cases/not-a-number").status_code == 404


def test_supervisor_reads_a_supervisees_case_without_the_add_session_form(
    client: TestClient, ada_case: Case
) -> None:
    log_in(client, "sol")
    page = client.get(f"/cases/{ada_case.id}")
    assert page.status_code == 200
    assert "Mara Ellison" in page.text
    assert "It is read only." in page.text
    assert "as supervisor of Ada Quill" in page.text
    assert "&#39;s supervisor" not in page.text
    assert "Add a session" not in page.text


def test_supervisor_cannot_add_a_session_to_a_supervisees_case(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    csrf = log_in(client, "sol")
    before = session_count(demo_practice, ada, ada_case)
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "2030-01-15", "attendee": [str(ada_case.clients[0].id)]},
    )
    assert response.status_code == 403
    assert session_count(demo_practice, ada, ada_case) == before


def test_admin_cannot_open_a_case_page(client: TestClient, ada_case: Case) -> None:
    log_in(client, "admin")
    page = client.get(f"/cases/{ada_case.id}")
    assert page.status_code in (403, 404)
    assert "Mara" not in page.text


def test_clinician_opens_a_couple_case(client: TestClient) -> None:
    csrf = log_in(client, "ben")
    response = client.post(
        "/cases",
        data={
            "csrf_token": csrf,
            "title": "Kim & Lee — a fictional couple",
            "kind": "couple",
            "client_names": "Kim Fictional\nLee Fictional\n",
            "opened_on": "2024-01-01",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Kim Fictional" in page.text
    assert "Lee Fictional" in page.text


def test_a_couple_case_with_one_client_is_refused_with_the_input_kept(client: TestClient) -> None:
    csrf = log_in(client, "ben")
    response = client.post(
        "/cases",
        data={"csrf_token": csrf, "title": "Half a couple", "kind": "couple", "client_names": "Kim"},
    )
    assert response.status_code == 422
    assert "couple case has 2 clients" in response.text
    assert 'value="Half a couple"' in response.text
    # The problem is said beside the names, which are marked and focused.
    assert re.search(r'<p class="field-error" id="new-case-error">.*couple case has 2 clients', response.text)
    assert re.search(
        r'<textarea id="client_names"[^>]* aria-invalid="true" '
        r'aria-describedby="new-case-error client-names-hint" autofocus',
        response.text,
    )
    assert "Half a couple" not in client.get("/").text


def test_a_case_opening_tomorrow_is_refused_beside_the_date_with_the_input_kept(
    client: TestClient, demo_practice: Practice, ben: Clinician
) -> None:
    csrf = log_in(client, "ben")
    tomorrow = demo_practice.today() + timedelta(days=1)
    before = len(demo_practice.caseload(ben))
    response = client.post(
        "/cases",
        data={
            "csrf_token": csrf,
            "title": "Too early",
            "kind": "individual",
            "client_names": "Kim Fictional",
            "opened_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="new-case-error">.*is in the future', response.text)
    assert f"today ({demo_practice.today().day} " in response.text
    assert re.search(
        r'<input id="opened_on"[^>]* aria-invalid="true" aria-describedby="new-case-error opened-on-hint" '
        r"autofocus",
        response.text,
    )
    assert 'value="Too early"' in response.text
    assert len(demo_practice.caseload(ben)) == before


def test_a_case_opening_today_on_the_practices_calendar_is_accepted(
    client: TestClient, demo_practice: Practice
) -> None:
    csrf = log_in(client, "ben")
    today = demo_practice.today().isoformat()
    response = client.post(
        "/cases",
        data={
            "csrf_token": csrf,
            "title": "Opened today",
            "kind": "individual",
            "client_names": "Kim Fictional",
            "opened_on": today,
        },
    )
    assert response.status_code == 303


def test_the_new_case_form_offers_no_date_after_today(client: TestClient, demo_practice: Practice) -> None:
    log_in(client, "ben")
    page = client.get("/cases/new")
    assert f'max="{demo_practice.today().isoformat()}"' in page.text


def test_a_refused_form_names_its_own_page_so_back_and_reload_never_resubmit_it(
    client: TestClient, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    refused = client.post("/cases", data={"csrf_token": csrf, "title": "", "kind": "individual"})
    assert '<meta name="safeenough-form-page" content="/cases/new">' in refused.text
    session = client.post(f"/cases/{ada_case.id}/sessions", data={"csrf_token": csrf, "held_on": "soon"})
    assert f'<meta name="safeenough-form-page" content="/cases/{ada_case.id}">' in session.text
    # A page that answers no form (and an htmx swap) names none.
    assert "safeenough-form-page" not in client.get(f"/cases/{ada_case.id}").text
    swapped = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "soon"},
        headers={"HX-Request": "true"},
    )
    assert "safeenough-form-page" not in swapped.text


def test_a_session_problem_is_said_beside_its_field_with_one_summary_line(
    client: TestClient, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    response = client.post(
        f"/cases/{couple_case.id}/sessions", data={"csrf_token": csrf, "held_on": "2025-03-04"}
    )
    assert response.status_code == 422
    first = couple_case.clients[0].id
    assert re.search(r'<p class="form-summary" id="add-session-summary">.*Who attended', response.text)
    assert re.search(
        r'<legend>Who attended</legend>\s*<p class="field-error" id="add-session-error">'
        r"<span class=\"visually-hidden\">Error: </span>Tick at least one client",
        response.text,
    )
    assert re.search(
        rf'<input type="checkbox" id="attendee-{first}"[^>]* aria-invalid="true" '
        r'aria-describedby="add-session-error" autofocus',
        response.text,
    )
    assert 'class="alert"' not in response.text.split('id="add-session-title"')[1]


def test_the_title_of_every_page_that_answers_a_refused_form_begins_with_error(
    client: TestClient, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    refused_case = client.post("/cases", data={"csrf_token": csrf, "title": "", "kind": "individual"})
    assert "<title>Error: Open a new case · safeenough</title>" in refused_case.text
    refused_session = client.post(
        f"/cases/{ada_case.id}/sessions", data={"csrf_token": csrf, "held_on": "soon"}
    )
    assert f"<title>Error: {ada_case.title} · safeenough</title>" in refused_session.text
    # The same pages, not answering a refused form, say no error.
    assert "<title>Open a new case · safeenough</title>" in client.get("/cases/new").text
    assert f"<title>{ada_case.title} · safeenough</title>" in client.get(f"/cases/{ada_case.id}").text
