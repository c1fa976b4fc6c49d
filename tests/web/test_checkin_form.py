"""The client's check-in form at /c/{token}: no account, works without JavaScript, keeps answers after a
problem, refuses reused, expired and tampered links kindly, and stores nothing when it refuses."""

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.domain.session import Session
from safeenough.practice import IssuedLink, Practice
from safeenough.settings import Settings
from safeenough.web import create_app
from tests.instruments.test_loader import SRS
from tests.web.helpers import csrf_from, log_in

SAFETY = "safeenough-safety"
ITEMS = ("heard", "safe_to_speak", "goals", "approach", "overall")


def todays_session(practice: Practice, owner: Clinician, case: Case) -> Session:
    """A session of today that everyone attended (the demo's own sessions are answered or still ahead)."""
    attendees = [client.id for client in case.clients]
    return practice.add_session(owner, case.id, held_on=date.today(), attendee_ids=attendees)


def issue(
    practice: Practice, owner: Clinician, case: Case, client_index: int = 0, **kwargs: object
) -> IssuedLink:
    session = todays_session(practice, owner, case)
    client_id = case.clients[client_index].id
    assert client_id in session.attendee_ids
    return practice.issue_checkin_link(owner, session.id, client_id, **kwargs)  # type: ignore[arg-type]


def answers(values: Mapping[str, int | str], comment: str | None = None) -> dict[str, str]:
    data = {f"{SAFETY}.{item}": str(value) for item, value in values.items()}
    if comment is not None:
        data[f"{SAFETY}.free_text"] = comment
    return data


ALL_NINES = {item: 9 for item in ITEMS}


def totals_for(practice: Practice, owner: Clinician, case: Case, link: IssuedLink) -> list[float | None]:
    """The totals stored for the link's session and client."""
    monitoring = practice.case_monitoring(owner, case.id)
    return [
        entry.total
        for track in monitoring.tracks
        for entry in track.history
        if entry.session_id == link.link.session_id and entry.client_id == link.link.client_id
    ]


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def checked(html: str, item: str, value: str) -> bool:
    pattern = rf'name="{re.escape(SAFETY)}\.{item}"[^>]*value="{value}" checked'
    return re.search(pattern, html) is not None


def test_the_form_needs_no_account_and_shows_no_names(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    page = client.get(link.path)
    assert page.status_code == 200
    assert "comes from your therapist's practice" in page.text
    for person in couple_case.clients:
        assert person.display_name not in page.text
        assert person.code not in page.text
    assert couple_case.title.split(" ")[0] not in page.text
    assert ada.display_name not in page.text
    for item in ITEMS:
        assert f'name="{SAFETY}.{item}"' in page.text
    assert f'name="{SAFETY}.free_text"' in page.text
    assert "Was there anything in this session that didn&#39;t sit right with you?" in page.text
    assert page.text.count("<fieldset") == len(ITEMS)
    assert "<legend" in page.text
    # No scripts, no navigation into the app, nothing cached, no referrer.
    assert "<script" not in page.text
    assert 'href="/"' not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "csrf_token" not in page.text


def test_the_form_tells_the_client_who_reads_their_answers_the_supervisor_included_where_there_is_one(
    client: TestClient, demo_practice: Practice, ada: Clinician, admin: Clinician, couple_case: Case
) -> None:
    supervised = main_of(client.get(issue(demo_practice, ada, couple_case).path).text)
    assert "read by your therapist and by their clinical supervisor, and by no one else" in supervised
    assert "Only your therapist and their supervisor read this." in supervised
    assert "Only your therapist sees" not in supervised
    demo_practice.set_supervisor(admin, "ada", None)
    unsupervised = main_of(client.get(issue(demo_practice, ada, couple_case, 1).path).text)
    assert "Only your therapist sees your answers." in unsupervised
    assert "Only your therapist reads this." in unsupervised
    assert "supervisor" not in unsupervised


def test_client_sends_answers_and_sees_a_thank_you_without_scores(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data=answers(ALL_NINES, "All good."), headers={"Origin": "null"})
    assert response.status_code == 303
    assert response.headers["location"] == "/c/thanks"
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert "Thank you — your answers went to your therapist." in thanks.text
    assert "45" not in main_of(thanks.text)
    assert "alert" not in main_of(thanks.text).lower()
    monitoring = demo_practice.case_monitoring(ada, couple_case.id)
    history = [
        entry
        for track in monitoring.tracks
        for entry in track.history
        if entry.session_id == link.link.session_id and entry.client_id == link.link.client_id
    ]
    assert len(history) == 1
    assert history[0].total == 45
    assert history[0].check_in.free_text == "All good."
    assert history[0].client_id == couple_case.clients[0].id


def test_a_post_from_our_own_origin_is_accepted(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data=answers(ALL_NINES), headers={"Origin": "http://testserver"})
    assert response.status_code == 303
    assert totals_for(demo_practice, ada, couple_case, link) == [45]


def test_a_post_from_another_origin_is_refused_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data=answers(ALL_NINES), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "nothing was stored" in response.text
    assert totals_for(demo_practice, ada, couple_case, link) == []
    assert client.get(link.path).status_code == 200  # the link is still usable


def test_out_of_range_answer_is_refused_with_every_answer_kept_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    given = {"heard": 11, "safe_to_speak": 3, "goals": 7, "approach": 10, "overall": 0}
    response = client.post(link.path, data=answers(given, "Something <b>bothered</b> me."))
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    assert "autofocus" in response.text
    assert "Some answers need another look; nothing was sent yet." in response.text
    assert 'href="#q-safeenough-safety-heard-0"' in response.text
    assert 'aria-describedby="q-safeenough-safety-heard-error"' in response.text
    assert 'id="q-safeenough-safety-heard-error"' in response.text
    for item, value in given.items():
        if item != "heard":
            assert checked(response.text, item, str(value)), item
    assert "Something &lt;b&gt;bothered&lt;/b&gt; me.</textarea>" in response.text
    assert response.text.startswith("<!doctype html>")
    assert totals_for(demo_practice, ada, couple_case, link) == []
    assert client.get(link.path).status_code == 200


def test_missing_answers_are_asked_for_with_the_given_ones_kept(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data=answers({"heard": 8, "goals": 6}, "half"))
    assert response.status_code == 422
    assert response.text.count("Please answer this question too.") >= 3 * 2  # summary and next to each
    assert checked(response.text, "heard", "8")
    assert checked(response.text, "goals", "6")
    assert ">half</textarea>" in response.text
    assert totals_for(demo_practice, ada, couple_case, link) == []


def test_an_empty_form_is_refused_asking_for_every_question_at_once_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data={})
    assert response.status_code == 422
    assert response.text.count("Please answer this question.") >= 5 * 2  # summary and next to each
    assert totals_for(demo_practice, ada, couple_case, link) == []


def test_an_answer_that_is_not_a_number_is_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(link.path, data=answers({**ALL_NINES, "overall": "lots"}))
    assert response.status_code == 422
    assert "Please choose one of the answers." in response.text
    assert checked(response.text, "heard", "9")
    assert totals_for(demo_practice, ada, couple_case, link) == []


def test_a_reused_link_gets_410_and_nothing_more_is_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    assert client.post(link.path, data=answers(ALL_NINES)).status_code == 303
    again = client.post(link.path, data=answers({item: 1 for item in ITEMS}, "second go"))
    assert again.status_code == 410
    assert "This check-in has already been sent" in again.text
    assert client.get(link.path).status_code == 410
    assert totals_for(demo_practice, ada, couple_case, link) == [45]


def test_an_expired_link_gets_410_with_a_kind_message_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    past = datetime.now(UTC) - timedelta(days=10)
    with demo_practice.store.engine.begin() as connection:
        connection.execute(
            text("UPDATE checkin_links SET created_at = :created, expires_at = :expires WHERE id = :id"),
            {"created": past, "expires": past + timedelta(days=4), "id": link.link.id},
        )
    page = client.get(link.path)
    assert page.status_code == 410
    assert "This check-in link has expired. Your therapist can send you a new one." in page.text
    response = client.post(link.path, data=answers(ALL_NINES))
    assert response.status_code == 410
    assert "Nothing was sent or stored." in response.text
    assert totals_for(demo_practice, ada, couple_case, link) == []


def test_a_tampered_link_gets_404_and_nothing_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    # Change one character in the middle of the signature (the last one may only carry padding bits).
    middle = len(link.token) - 8
    tampered = link.token[:middle] + ("A" if link.token[middle] != "A" else "B") + link.token[middle + 1 :]
    for path in (f"/c/{tampered}", "/c/not-a-token", f"/c/{link.token[:20]}"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "This check-in link is not valid" in page.text
        response = client.post(path, data=answers(ALL_NINES))
        assert response.status_code == 404
    assert totals_for(demo_practice, ada, couple_case, link) == []
    assert client.get(link.path).status_code == 200


def test_kiosk_mode_opens_the_form_here_and_then_asks_to_hand_the_device_back(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = todays_session(demo_practice, ada, couple_case)
    priya = couple_case.clients[1]
    start = client.post(
        f"/cases/{couple_case.id}/kiosk",
        data={"csrf_token": csrf, "session_id": str(session.id), "client_id": str(priya.id)},
    )
    assert start.status_code == 303
    form_path = start.headers["location"]
    assert form_path.startswith("/c/")
    form = client.get(form_path)
    assert form.status_code == 200
    assert "You are answering on your therapist's device" in form.text
    assert "This check-in is for <strong>Priya</strong>." in form.text
    # The therapist's login on this device ended: the client can reach nothing of the app from here.
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get(f"/cases/{couple_case.id}", follow_redirects=False).status_code == 303
    assert ada.display_name not in form.text
    assert "Log out" not in form.text
    done = client.post(form_path, data=answers(ALL_NINES))
    assert done.status_code == 303
    thanks = client.get(done.headers["location"])
    assert "Thank you — please hand the device back" in thanks.text
    assert "Log out" not in thanks.text
    assert "<nav" not in thanks.text
    assert "<header" not in main_of(thanks.text)
    # The one link: for the therapist, to log in again and go back to the case.
    assert re.findall(r'<a href="([^"]*)"', main_of(thanks.text)) == [f"/login?next=/cases/{couple_case.id}"]
    assert 'class="brand" href' not in thanks.text
    assert priya.display_name not in thanks.text
    assert "45" not in main_of(thanks.text)
    links = demo_practice.case_monitoring(ada, couple_case.id).links
    assert [link.client_id for link in links if link.kiosk] == [priya.id]
    kiosk_link = next(link for link in links if link.kiosk)
    assert kiosk_link.expires_at - kiosk_link.created_at == timedelta(hours=1)
    trail = [(event.action.value, event.detail) for event in demo_practice.audit_log(None, limit=50)]
    assert ("logout", "a kiosk check-in was started on this device") in trail
    assert any(
        action == "create" and detail.endswith("kiosk on the therapist's device") for action, detail in trail
    )


def test_kiosk_needs_a_login_and_the_csrf_token(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    session = todays_session(demo_practice, ada, couple_case)
    data = {"session_id": str(session.id), "client_id": str(couple_case.clients[0].id)}
    assert client.post(f"/cases/{couple_case.id}/kiosk", data=data).status_code == 303  # to the login page
    page_csrf = log_in(client, "ada")
    assert page_csrf
    before = len(demo_practice.case_monitoring(ada, couple_case.id).links)
    assert client.post(f"/cases/{couple_case.id}/kiosk", data=data).status_code == 403
    assert len(demo_practice.case_monitoring(ada, couple_case.id).links) == before


def test_the_form_page_of_a_case_page_csrf_is_not_needed_for_clients(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    """A client posting from their phone has no login and no CSRF token: the link alone suffices."""
    link = issue(demo_practice, ada, ada_case)
    page = client.get(link.path)
    assert "csrf_token" not in page.text
    response = client.post(link.path, data=answers(ALL_NINES))
    assert response.status_code == 303
    log_in(client, "ada")
    case_page = client.get(f"/cases/{ada_case.id}")
    assert csrf_from(case_page.text)
    assert "Returned" in case_page.text


def test_a_form_field_over_a_megabyte_gets_the_client_a_plain_page_and_stores_nothing(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    response = client.post(
        link.path, files={f"{SAFETY}.free_text": (None, "x" * (1024 * 1024 + 1))}, data=answers(ALL_NINES)
    )
    assert response.status_code == 400
    assert "Your answers could not be read" in response.text
    assert "shorten what you wrote" in response.text
    assert "Log in" not in response.text
    assert totals_for(demo_practice, ada, couple_case, link) == []


def test_a_check_in_that_asks_about_self_harm_says_where_to_get_help_now_before_and_after(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case, instrument_ids=("phq-9",))
    form = client.get(link.path).text
    assert "please do not wait for your next session" in form
    assert "call your local emergency number or a crisis line" in form
    assert re.search(r'aria-describedby="[^"]*-help"', form)
    assert "It takes a few minutes" in form
    data = {f"phq-9.{n}": "0" for n in range(1, 10)}
    sent = client.post(link.path, data=data, headers={"Origin": "null"})
    assert sent.status_code == 303
    thanks = client.get(sent.headers["location"]).text
    assert "please do not wait for your next session" in thanks


def test_the_practice_names_its_own_crisis_contact(
    demo_practice: Practice, settings: Settings, ada: Clinician, couple_case: Case
) -> None:
    own = settings.model_copy(
        update={"crisis_contact": "the practice on 0123 456 789, or Samaritans on 116 123"}
    )
    link = issue(demo_practice, ada, couple_case, instrument_ids=("phq-9",))
    with TestClient(create_app(demo_practice, own)) as client:
        form = client.get(link.path).text
    assert "Please contact the practice on 0123 456 789, or Samaritans on 116 123 now." in form


def test_a_check_in_without_such_a_question_says_nothing_of_it(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    link = issue(demo_practice, ada, couple_case)
    form = client.get(link.path).text
    assert "It takes about a minute" in form
    assert "please do not wait" not in form
    sent = client.post(link.path, data=answers(ALL_NINES), headers={"Origin": "null"})
    assert "please do not wait" not in client.get(sent.headers["location"]).text


def test_a_number_written_with_a_decimal_comma_is_read_as_that_number(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case, tmp_path: Path
) -> None:
    (tmp_path / "srs.json").write_text(json.dumps(SRS), encoding="utf-8")
    demo_practice.install_instrument(tmp_path / "srs.json")
    link = issue(demo_practice, ada, couple_case, instrument_ids=("srs",))
    typed = {"srs.relationship": "7,5", "srs.goals": "9.5", "srs.approach": "10", "srs.overall": " 8,0 "}
    response = client.post(link.path, data=typed, follow_redirects=False)
    assert response.status_code == 303
    monitoring = demo_practice.case_monitoring(ada, couple_case.id)
    (entry,) = [
        entry
        for track in monitoring.tracks
        for entry in track.history
        if entry.session_id == link.link.session_id and track.instrument.id == "srs"
    ]
    assert entry.check_in.answers == {"relationship": 7.5, "goals": 9.5, "approach": 10, "overall": 8}
    assert entry.total == 35


def test_a_number_with_two_commas_is_refused_and_kept_as_typed(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case, tmp_path: Path
) -> None:
    (tmp_path / "srs.json").write_text(json.dumps(SRS), encoding="utf-8")
    demo_practice.install_instrument(tmp_path / "srs.json")
    link = issue(demo_practice, ada, couple_case, instrument_ids=("srs",))
    typed = {"srs.relationship": "7,5,1", "srs.goals": "9", "srs.approach": "10", "srs.overall": "8"}
    response = client.post(link.path, data=typed)
    assert response.status_code == 422
    assert "Please give a number from 0 to 10." in response.text
    assert 'value="7,5,1"' in response.text
