"""The therapist's side of check-ins: issuing links (URL, copy, QR, kiosk), the monitoring panel with its
charts and tables, the alert list with acknowledge / resolve, the caseload badge; and who may do what."""

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import HttpUrl

from safeenough.domain.alert import AlertKind, AlertStatus
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.clinician import Clinician
from safeenough.domain.session import Session
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web import create_app
from tests.web.helpers import log_in

SAFETY = "safeenough-safety"
ITEMS = ("heard", "safe_to_speak", "goals", "approach", "overall")
HTMX = {"HX-Request": "true"}


def latest_session(practice: Practice, owner: Clinician, case: Case) -> Session:
    """The case's latest session held by today (the demo also books one for next week)."""
    held = [s for s in practice.case_detail(owner, case.id).sessions if not s.is_upcoming(date.today())]
    return max(held, key=lambda session: session.number)


def answer(
    practice: Practice,
    owner: Clinician,
    case: Case,
    client_index: int,
    value: float,
    comment: str | None = None,
    **items: float,
) -> None:
    """The client at `client_index` answers the latest session's check-in: `value` for every item but
    those named in `items`."""
    session = latest_session(practice, owner, case)
    link = practice.issue_checkin_link(owner, session.id, case.clients[client_index].id)
    given: dict[str, float | None] = {**dict.fromkeys(ITEMS, value), **items}
    practice.submit_checkin(link.token, {SAFETY: given}, {SAFETY: comment})


def link_form(case: Case, session: Session, client_id: int, csrf: str) -> dict[str, str]:
    return {"csrf_token": csrf, "session_id": str(session.id), "client_id": str(client_id)}


def fresh_couple(practice: Practice, owner: Clinician) -> tuple[Case, Session]:
    """A couple case with one session both partners attended, and no check-ins yet."""
    case = practice.open_case(
        owner,
        title="Ana & Bo — test couple",
        kind=CaseKind.COUPLE,
        client_names=["Ana Test", "Bo Test"],
        opened_on=date(2025, 1, 6),
    )
    session = practice.add_session(
        owner, case.id, held_on=date(2025, 1, 6), attendee_ids=[client.id for client in case.clients]
    )
    return case, session


def test_clinician_issues_a_link_with_htmx_and_gets_url_copy_button_and_qr(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    priya = couple_case.clients[1]
    page = client.get(f"/cases/{couple_case.id}")
    assert (
        f'Check-in link<span class="visually-hidden"> for {priya.display_name}, session {session.number}'
        in page.text
    )
    response = client.post(
        f"/cases/{couple_case.id}/checkin-links",
        data=link_form(couple_case, session, priya.id, csrf),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<div class="checkin-slot" id="checkin-{session.id}-{priya.id}"'
    )
    assert "<html" not in response.text
    url = re.search(r'id="link-url-[^"]+" value="([^"]+)"', response.text)
    assert url
    assert url.group(1).startswith("http://testserver/c/")
    assert "readonly" in response.text
    assert "data-select-on-focus" in response.text
    assert 'data-copy-target="link-url-' in response.text
    assert '<img class="qr" src="data:image/svg+xml;base64,' in response.text
    assert "Link made, not yet answered; expires" in response.text
    # The link works for the client, and the case page now says it was sent.
    token_path = url.group(1).removeprefix("http://testserver")
    assert client.get(token_path).status_code == 200
    assert "Link made, not yet answered; expires" in client.get(f"/cases/{couple_case.id}").text


def test_without_javascript_issuing_a_link_shows_the_case_page_with_the_link(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    jonah = couple_case.clients[0]
    response = client.post(
        f"/cases/{couple_case.id}/checkin-links", data=link_form(couple_case, session, jonah.id, csrf)
    )
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert f'id="link-url-{session.id}-{jonah.id}" value="http://testserver/c/' in response.text
    assert response.text.count('class="issued-link"') == 1


def test_a_session_booked_ahead_says_when_check_ins_open_instead_of_offering_a_link(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    log_in(client, "ada")
    ahead = max(demo_practice.case_detail(ada, couple_case.id).sessions, key=lambda s: s.held_on)
    assert ahead.is_upcoming(date.today())
    page = client.get(f"/cases/{couple_case.id}").text
    slot = page[page.index(f'id="checkin-{ahead.id}-') :]
    slot = slot[: slot.index("</div>")]
    assert "Check-ins open on" in slot
    assert "Check-in link" not in slot
    assert "Booked with:" in page


def test_alerts_about_one_session_read_as_one_card_with_the_others_folded_beneath(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}").text
    panel = page[page.index('id="alerts"') :]
    panel = panel.split('class="resolved-alerts"')[0]
    open_alerts = [a for a in demo_practice.case_monitoring(ada, couple_case.id).alerts if a.is_open]
    assert len(open_alerts) > 1
    assert panel.count('class="alert-group-more"') == 1
    folded = panel[panel.index('class="alert-group-more"') :]
    assert f"{len(open_alerts) - 1} more alerts about session 2:" in folded
    assert folded.count('class="alert-card ') == len(open_alerts) - 1


def test_each_partner_gets_their_own_link(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    urls = set()
    for person in couple_case.clients:
        response = client.post(
            f"/cases/{couple_case.id}/checkin-links",
            data=link_form(couple_case, session, person.id, csrf),
            headers=HTMX,
        )
        urls.add(re.findall(r'value="(http://testserver/c/[^"]+)"', response.text)[0])
    assert len(urls) == 2
    links = [
        link
        for link in demo_practice.case_monitoring(ada, couple_case.id).links
        if link.session_id == session.id
    ]
    assert sorted(link.client_id for link in links) == sorted(person.id for person in couple_case.clients)


def test_links_are_only_for_clients_who_attended(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    jonah, priya = couple_case.clients
    session = demo_practice.add_session(ada, couple_case.id, held_on=date.today(), attendee_ids=[jonah.id])
    page = client.get(f"/cases/{couple_case.id}")
    assert f'id="checkin-{session.id}-{jonah.id}"' in page.text
    assert f'id="checkin-{session.id}-{priya.id}"' not in page.text
    response = client.post(
        f"/cases/{couple_case.id}/checkin-links",
        data=link_form(couple_case, session, priya.id, csrf),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Check-in links are for clients who attended this session." in response.text
    assert all(
        link.session_id != session.id for link in demo_practice.case_monitoring(ada, couple_case.id).links
    )


def test_a_client_of_another_case_or_an_unknown_session_is_not_found(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    other = ada_case.clients[0]
    assert (
        client.post(
            f"/cases/{couple_case.id}/checkin-links", data=link_form(couple_case, session, other.id, csrf)
        ).status_code
        == 404
    )
    mara_session = latest_session(demo_practice, ada, ada_case)
    assert (
        client.post(
            f"/cases/{couple_case.id}/checkin-links",
            data=link_form(couple_case, mara_session, couple_case.clients[0].id, csrf),
        ).status_code
        == 404
    )


def test_issuing_a_link_needs_the_csrf_token(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    before = len(demo_practice.case_monitoring(ada, couple_case.id).links)
    data = link_form(couple_case, session, couple_case.clients[0].id, "wrong")
    assert client.post(f"/cases/{couple_case.id}/checkin-links", data=data).status_code == 403
    assert len(demo_practice.case_monitoring(ada, couple_case.id).links) == before


def test_supervisor_reads_check_ins_and_alerts_but_cannot_issue_links_or_change_alerts(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    answer(demo_practice, ada, couple_case, 1, 2, "I could not get a word in.")
    alert = next(
        record for record in demo_practice.case_monitoring(ada, couple_case.id).alerts if record.is_open
    )
    csrf = log_in(client, "sol")
    page = client.get(f"/cases/{couple_case.id}")
    assert page.status_code == 200
    assert "Suggested next step" in page.text
    assert "Split alliance" in page.text
    assert "I could not get a word in." in page.text
    assert "Check-in link<span" not in page.text
    assert "Kiosk…<span" not in page.text
    assert "Acknowledge<span" not in page.text
    assert 'name="note"' not in page.text
    session = latest_session(demo_practice, ada, couple_case)
    data = link_form(couple_case, session, couple_case.clients[0].id, csrf)
    assert client.post(f"/cases/{couple_case.id}/checkin-links", data=data).status_code == 403
    assert client.post(f"/cases/{couple_case.id}/kiosk", data=data).status_code == 403
    response = client.post(
        f"/cases/{couple_case.id}/alerts/{alert.id}", data={"csrf_token": csrf, "status": "acknowledged"}
    )
    assert response.status_code == 403
    assert next(
        r for r in demo_practice.case_monitoring(ada, couple_case.id).alerts if r.id == alert.id
    ).is_open
    assert client.get(f"/cases/{couple_case.id}/monitoring").status_code == 200


def test_another_clinician_gets_404_for_links_monitoring_and_alerts(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    answer(demo_practice, ada, couple_case, 0, 3)
    alert = demo_practice.case_monitoring(ada, couple_case.id).alerts[0]
    csrf = log_in(client, "ben")
    session = latest_session(demo_practice, ada, couple_case)
    data = link_form(couple_case, session, couple_case.clients[0].id, csrf)
    assert client.post(f"/cases/{couple_case.id}/checkin-links", data=data).status_code == 404
    assert client.post(f"/cases/{couple_case.id}/kiosk", data=data).status_code == 404
    assert client.get(f"/cases/{couple_case.id}/monitoring").status_code == 404
    response = client.post(
        f"/cases/{couple_case.id}/alerts/{alert.id}", data={"csrf_token": csrf, "status": "resolved"}
    )
    assert response.status_code == 404
    assert "Ada" not in response.text
    assert couple_case.clients[0].display_name not in response.text


def test_a_low_answer_shows_on_the_case_page_with_an_alert_and_its_next_step(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    log_in(client, "ada")
    empty = client.get(f"/cases/{case.id}")
    assert (
        'No check-ins yet. After a session, give each client a link to answer: <a href="#sessions">'
        "Check-in link</a>, under the session." in empty.text
    )
    assert "No open alerts." in empty.text
    answer(demo_practice, ada, case, 0, 10)
    answer(demo_practice, ada, case, 1, 2, "He talked over me & I gave up <quietly>.", safe_to_speak=0)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    # The chart spec, with both partners on one chart and the cut-off as a rule.
    spec_text = re.search(
        r'<script type="application/json" id="chart-safeenough-safety-spec">(.*?)</script>', page.text, re.S
    )
    assert spec_text
    assert "<" not in spec_text.group(1)
    spec = json.loads(spec_text.group(1))
    scores = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")["data"]["values"]
    assert sorted((point["client"], point["total"]) for point in scores) == [("Ana Test", 50), ("Bo Test", 8)]
    assert any(layer["mark"]["type"] == "rule" for layer in spec["layer"])
    assert 'data-chart-spec="chart-safeenough-safety-spec"' in page.text
    assert 'role="img"' in page.text
    # The same numbers as a table, item detail and the comment.
    assert "safeenough Safety Check-in: totals by session" in page.text
    assert re.search(r'id="checkin-\d+">\s*50', page.text)
    assert re.search(r'id="checkin-\d+">\s*8 ', page.text)
    assert "at or below item threshold 7" in page.text
    assert "He talked over me &amp; I gave up &lt;quietly&gt;." in page.text
    # Alerts with their rule, evidence, next step, and the split alliance between partners.
    assert "Split alliance: Ana Test and Bo Test" in page.text
    assert "Below cut-off: Bo Test" in page.text
    assert "Suggested next step" in page.text
    # Bo's answers are private to the therapist, so the next step is to raise them with Bo alone.
    assert "Invite them to talk about what made it harder to speak" not in page.text
    assert escape("what made it harder") in page.text
    assert escape("one-to-one before or after the joint session") in page.text
    assert escape("in front of their partner or family") in page.text
    assert escape("“I felt safe enough to say what really mattered to me” scored 0") in page.text
    assert "safe_to_speak scored" not in page.text
    assert 'href="#checkin-' in page.text
    # The date beside a check-in is the day it came back, and says so.
    assert re.search(
        r'>check-in<span class="visually-hidden"> in the table of totals</span></a> '
        r"returned \d{1,2} \w{3} \d{4}</li>",
        page.text,
    )
    assert "Returned" in page.text
    # No inline script runs in the page: the only <script> in main holds JSON data.
    assert not re.search(r'<script(?! type="application/json")', page.text.split("<main", 1)[1])


def test_the_monitoring_panel_loads_on_its_own_for_htmx(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    answer(demo_practice, ada, case, 0, 4)
    log_in(client, "ada")
    response = client.get(f"/cases/{case.id}/monitoring", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="panel monitoring" id="monitoring"')
    assert "<html" not in response.text
    assert "Below cut-off: Ana Test" in response.text


def test_clinician_acknowledges_then_resolves_an_alert_with_a_note(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    answer(demo_practice, ada, case, 0, 3)
    alert = next(
        r
        for r in demo_practice.case_monitoring(ada, case.id).alerts
        if r.alert.kind is AlertKind.BELOW_CUTOFF
    )
    csrf = log_in(client, "ada")
    response = client.post(
        f"/cases/{case.id}/alerts/{alert.id}",
        data={"csrf_token": csrf, "status": "acknowledged", "note": "Will open with it on Monday."},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="alerts" id="alerts">')
    assert "Alert acknowledged." in response.text
    assert "Will open with it on Monday." in response.text
    assert "Acknowledged" in response.text
    assert "by you" in response.text
    stored = next(r for r in demo_practice.case_monitoring(ada, case.id).alerts if r.id == alert.id)
    assert stored.status is AlertStatus.ACKNOWLEDGED
    assert stored.status_note == "Will open with it on Monday."

    response = client.post(
        f"/cases/{case.id}/alerts/{alert.id}",
        data={"csrf_token": csrf, "status": "resolved", "note": "Talked it through."},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case.id}#alerts"
    stored = next(r for r in demo_practice.case_monitoring(ada, case.id).alerts if r.id == alert.id)
    assert stored.status is AlertStatus.RESOLVED
    assert stored.status_note == "Talked it through."
    page = client.get(f"/cases/{case.id}")
    resolved = page.text.split('class="resolved-alerts"', 1)[1]
    assert f'id="alert-{alert.id}"' in resolved
    assert "Talked it through." in resolved


def test_a_bad_alert_change_is_refused_and_nothing_changes(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    answer(demo_practice, ada, case, 0, 3)
    alert = demo_practice.case_monitoring(ada, case.id).alerts[0]
    csrf = log_in(client, "ada")
    url = f"/cases/{case.id}/alerts/{alert.id}"
    assert client.post(url, data={"csrf_token": csrf, "status": "deleted"}, headers=HTMX).status_code == 422
    assert client.post(url, data={"csrf_token": csrf, "status": "open"}, headers=HTMX).status_code in (
        200,
        422,
    )
    assert client.post(url, data={"status": "resolved"}).status_code == 403
    too_long = client.post(
        url, data={"csrf_token": csrf, "status": "resolved", "note": "x" * 2001}, headers=HTMX
    )
    assert too_long.status_code == 422
    assert "too long" in too_long.text
    stored = next(r for r in demo_practice.case_monitoring(ada, case.id).alerts if r.id == alert.id)
    assert stored.status is AlertStatus.OPEN
    # An alert id of another case is not found through this case's URL.
    other_case, _ = fresh_couple(demo_practice, ada)
    assert (
        client.post(
            f"/cases/{other_case.id}/alerts/{alert.id}", data={"csrf_token": csrf, "status": "resolved"}
        ).status_code
        == 404
    )


def test_caseload_shows_open_alerts_and_puts_those_cases_first(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    log_in(client, "ada")
    answer(demo_practice, ada, case, 1, 2)
    open_alerts = sum(1 for r in demo_practice.case_monitoring(ada, case.id).alerts if r.is_open)
    assert open_alerts >= 2
    page = client.get("/")
    row = next(r for r in page.text.split("<tr>") if escape(case.title) in r)
    assert f'<span class="badge badge--alert">{open_alerts} open alerts</span>' in row
    own = page.text.split("Cases you supervise", 1)[0]
    titles = re.findall(r'<a href="/cases/\d+">([^<]+)</a>', own)
    summaries = [s for s in demo_practice.caseload(ada) if not s.read_only]
    assert titles == [escape(s.case.title) for s in summaries]
    assert summaries[0].open_alerts >= summaries[-1].open_alerts


def test_an_instrument_with_subscales_shows_each_subscale_beside_the_latest_total(
    client: TestClient, demo_practice: Practice, ada: Clinician, theo_case: Case, tmp_path: Path
) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "instrument-format.md").read_text(encoding="utf-8")
    start = doc.index("```json") + len("```json")
    (tmp_path / "alliance.json").write_text(doc[start : doc.index("```", start)], encoding="utf-8")
    alliance = demo_practice.install_instrument(tmp_path / "alliance.json")
    session = latest_session(demo_practice, ada, theo_case)
    link = demo_practice.issue_checkin_link(
        ada, session.id, theo_case.clients[0].id, instrument_ids=(alliance.id,)
    )
    demo_practice.submit_checkin(link.token, {alliance.id: {"1": 4, "2": 4, "3": 5, "4": 2}}, {})
    log_in(client, "ada")
    page = client.get(f"/cases/{theo_case.id}").text
    assert 'Goal <strong>4</strong> <span class="muted">of 5</span>' in page
    assert 'Bond <strong>5</strong> <span class="muted">of 5</span>' in page
    # Item 4 is reverse scored: the client's answer is shown first, then what it scores.
    assert "2, scored 4 (reversed)" in page


def test_the_case_page_says_what_check_ins_ask_and_the_therapist_changes_it_with_htmx(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}").text
    assert "Each client's check-in link for this case asks" in page
    assert "the practice's default" in page
    response = client.post(
        f"/cases/{couple_case.id}/checkin-questionnaires",
        data={"csrf_token": csrf, "instrument": ["safeenough-safety", "phq-9"]},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="panel" aria-labelledby="questionnaires-title"')
    assert "Saved: new links and kiosk check-ins ask these." in response.text
    assert "the practice's default" not in response.text
    session = latest_session(demo_practice, ada, couple_case)
    issued = demo_practice.issue_checkin_link(ada, session.id, couple_case.clients[0].id)
    assert [i.id for i in demo_practice.open_checkin(issued.token).instruments] == [
        "safeenough-safety",
        "phq-9",
    ]


def test_without_javascript_a_choice_redirects_and_an_empty_one_shows_why(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    saved = client.post(
        f"/cases/{couple_case.id}/checkin-questionnaires", data={"csrf_token": csrf, "instrument": "phq-9"}
    )
    assert saved.status_code == 303
    assert client.get(saved.headers["location"]).text.count("Saved: new links") == 1
    refused = client.post(f"/cases/{couple_case.id}/checkin-questionnaires", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "Choose at least one questionnaire" in refused.text
    assert refused.text.startswith("<!doctype html>")
    assert 'name="instrument" value="phq-9" checked' not in refused.text  # the boxes show what was sent
    assert demo_practice.case_detail(ada, couple_case.id).case.checkin_instrument_ids == ("phq-9",)


def test_a_supervisor_sees_what_check_ins_ask_but_cannot_change_it(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "sol")
    page = client.get(f"/cases/{couple_case.id}").text
    assert "check-in link for this case asks" in page
    assert "Change what this case" not in page
    data = {"csrf_token": csrf, "instrument": "phq-9"}
    assert client.post(f"/cases/{couple_case.id}/checkin-questionnaires", data=data).status_code == 403
    assert demo_practice.case_detail(ada, couple_case.id).case.checkin_instrument_ids == ()


def issued_url(response_text: str) -> str:
    url = re.search(r'id="link-url-[^"]+" value="([^"]+)"', response_text)
    assert url
    return url.group(1)


def test_a_link_made_on_this_computer_warns_that_it_opens_only_here(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    local = TestClient(client.app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    csrf = log_in(local, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    response = local.post(
        f"/cases/{couple_case.id}/checkin-links",
        data=link_form(couple_case, session, couple_case.clients[0].id, csrf),
        headers=HTMX,
    )
    assert issued_url(response.text).startswith("http://127.0.0.1:8000/c/")
    assert "opens only here, not on a client&#39;s phone" in response.text
    assert "SAFEENOUGH_PUBLIC_URL" in response.text
    assert "safeenough does not send it" in response.text
    assert 'class="qr"' not in response.text  # a phone could not open it
    assert 'aria-describedby="link-warning-' in response.text


def test_with_a_public_address_links_start_with_it_whatever_host_the_request_names(
    demo_practice: Practice, settings: Settings, ada: Clinician, couple_case: Case
) -> None:
    public = settings.model_copy(update={"public_url": HttpUrl("https://checkin.example-practice.org/")})
    app = create_app(demo_practice, public)
    with TestClient(app, base_url="http://evil.example", follow_redirects=False) as client:
        csrf = log_in(client, "ada")
        session = latest_session(demo_practice, ada, couple_case)
        response = client.post(
            f"/cases/{couple_case.id}/checkin-links",
            data=link_form(couple_case, session, couple_case.clients[0].id, csrf),
            headers=HTMX,
        )
    assert issued_url(response.text).startswith("https://checkin.example-practice.org/c/")
    assert 'role="note">This link' not in response.text


def test_a_plain_http_link_to_another_machine_warns_it_is_not_encrypted(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    csrf = log_in(client, "ada")
    session = latest_session(demo_practice, ada, couple_case)
    response = client.post(
        f"/cases/{couple_case.id}/checkin-links",
        data=link_form(couple_case, session, couple_case.clients[0].id, csrf),
        headers=HTMX,
    )
    assert issued_url(response.text).startswith("http://testserver/c/")
    assert "This link is not encrypted (http)" in response.text


def test_an_older_comment_under_the_latest_check_in_says_it_is_the_latest_comment_and_from_when(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    log_in(client, "ada")
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/cases/{mara.id}").text))
    assert "latest check-in, session 4" in text
    assert "What Mara Ellison wrote" not in text
    assert "Comment from Mara Ellison " in text
    assert "The check-in of session 4 has no comment; the latest comment is from session 3." in text
    assert "Session 3 (latest comment):" in text


def test_a_single_comment_on_the_latest_check_in_is_not_called_the_latest(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, session = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    demo_practice.submit_checkin(
        link.token, {SAFETY: dict.fromkeys(ITEMS, 9.0)}, {SAFETY: "The end felt rushed."}
    )
    log_in(client, "ada")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/cases/{case.id}").text))
    assert "Comment from Ana Test Session 1: The end felt rushed." in text
    assert "latest" not in text.split("Comment from Ana Test", 1)[1].split("What check-ins ask", 1)[0]


def test_the_chart_note_names_the_cut_off_once_and_session_links_say_session(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    log_in(client, "ada")
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    html = client.get(f"/cases/{mara.id}").text
    assert "Dashed red line: Cut-off" not in html
    assert "The dashed red line marks it." in html
    assert '<a href="#session-1"><span class="visually-hidden">Go to session </span>1</a>' in html
    assert re.search(
        r'href="#checkin-\d+">check-in<span class="visually-hidden"> in the table of totals', html
    )


def test_a_case_without_check_ins_offers_nothing_to_refresh(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, _ = fresh_couple(demo_practice, ada)
    log_in(client, "ada")
    assert "Refresh<span" not in client.get(f"/cases/{case.id}").text
    answer(demo_practice, ada, case, 0, 10)
    assert "Refresh<span" in client.get(f"/cases/{case.id}").text


def test_an_alert_on_a_scale_where_higher_is_worse_is_named_in_its_direction(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    session = latest_session(demo_practice, ada, couple_case)
    link = demo_practice.issue_checkin_link(
        ada, session.id, couple_case.clients[0].id, instrument_ids=("phq-9",)
    )
    phq = {str(n): 0.0 for n in range(1, 10)} | {"9": 2.0}
    demo_practice.submit_checkin(link.token, {"phq-9": phq}, {"phq-9": None})
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}").text
    assert "Item of concern: Jonah" in page  # PHQ-9 item 9 answered 2: not a "low" item


def test_kiosk_mode_asks_first_since_it_logs_the_therapist_out(
    client: TestClient, demo_practice: Practice, ada: Clinician, couple_case: Case
) -> None:
    log_in(client, "ada")
    page = client.get(f"/cases/{couple_case.id}").text
    confirm = re.search(r'<details class="confirm">\s*<summary[^>]*>Kiosk…(.*?)</details>', page, re.S)
    assert confirm
    assert "You are logged out on this device" in confirm.group(1)
    assert "Log me out and hand the device over" in confirm.group(1)


def chart_spec(html: str, instrument_id: str) -> dict[str, Any]:
    found = re.search(
        rf'<script type="application/json" id="chart-{re.escape(instrument_id)}-spec">(.*?)</script>',
        html,
        re.S,
    )
    assert found
    spec: dict[str, Any] = json.loads(found.group(1))
    return spec


def test_each_chart_says_on_its_axis_which_way_is_better(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    log_in(client, "ada")
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    html = client.get(f"/cases/{mara.id}").text
    for instrument_id, title in (
        ("safeenough-safety", "Total (higher is better)"),
        ("phq-9", "Total (lower is better)"),
    ):
        titles = {
            layer["encoding"]["y"].get("title")
            for layer in chart_spec(html, instrument_id)["layer"]
            if "title" in layer["encoding"]["y"]
        }
        assert titles == {title}


def test_a_prorated_total_is_marked_as_made_up_for_the_unanswered_question(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, session = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    given: dict[str, float | None] = {**dict.fromkeys(ITEMS, 9.0), "overall": None}
    demo_practice.submit_checkin(link.token, {SAFETY: given}, {SAFETY: None})
    log_in(client, "ada")
    html = client.get(f"/cases/{case.id}").text
    assert re.search(
        r'id="checkin-\d+">\s*45\s*<span class="flag">≤ cut-off</span> <span class="muted">\(prorated\)', html
    )
    assert 'Total <strong>45</strong> <span class="muted">(prorated: 1 question not answered)</span>' in html
    assert '<td class="number"><span class="muted">not answered</span>' in html


def test_the_chart_axis_ends_half_a_session_after_the_last_session_held_not_at_one_booked_ahead(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    sessions = demo_practice.case_detail(ada, mara.id).sessions
    assert any(s.is_upcoming(demo_practice.today()) for s in sessions)  # the demo books one ahead
    log_in(client, "ada")
    html = client.get(f"/cases/{mara.id}").text
    domains = {
        tuple(layer["encoding"]["x"]["scale"]["domain"])
        for layer in chart_spec(html, SAFETY)["layer"]
        if "x" in layer["encoding"]
    }
    assert domains == {(0.5, latest_session(demo_practice, ada, mara).number + 0.5)}


def test_a_first_check_in_is_charted_clear_of_the_axis_on_an_axis_that_ends_at_its_session(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, session = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    demo_practice.submit_checkin(link.token, {SAFETY: dict.fromkeys(ITEMS, 6.0)}, {SAFETY: None})
    log_in(client, "ada")
    html = client.get(f"/cases/{case.id}").text
    domains = {
        tuple(layer["encoding"]["x"]["scale"]["domain"])
        for layer in chart_spec(html, SAFETY)["layer"]
        if "x" in layer["encoding"]
    }
    # Session 1 sits half a session in from each end, not on the axis line; there is no session 2 yet.
    assert domains == {(0.5, 1.5)}


def test_a_prorated_total_reads_the_same_whole_point_in_the_table_the_detail_and_the_chart_tooltip(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, session = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    given: dict[str, float | None] = {**dict.fromkeys(ITEMS, 8.0), "goals": 7.0, "overall": None}
    demo_practice.submit_checkin(link.token, {SAFETY: given}, {SAFETY: None})  # 31 over 4: 38.75
    log_in(client, "ada")
    html = client.get(f"/cases/{case.id}").text
    assert re.search(r'id="checkin-\d+">\s*39\s*<span class="flag">', html)
    assert "Total <strong>39</strong>" in html
    assert "38.8" not in html
    assert "38.75" not in html
    points = next(layer for layer in chart_spec(html, SAFETY)["layer"] if "tooltip" in layer["encoding"])
    assert [(p["total"], p["shown"]) for p in points["data"]["values"]] == [(39, "39 (prorated)")]
    assert {t["field"] for t in points["encoding"]["tooltip"]} == {"client", "session", "shown"}


def test_an_alert_on_an_older_check_in_links_to_the_answers_that_raised_it(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    from safeenough.domain.audit import AuditAction

    case, first = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, first.id, case.clients[0].id)
    low = {**dict.fromkeys(ITEMS, 9.0), "safe_to_speak": 3.0}
    demo_practice.submit_checkin(link.token, {SAFETY: low}, {SAFETY: None})
    second = demo_practice.add_session(
        ada, case.id, held_on=date(2025, 1, 13), attendee_ids=[c.id for c in case.clients]
    )
    link = demo_practice.issue_checkin_link(ada, second.id, case.clients[0].id)
    demo_practice.submit_checkin(link.token, {SAFETY: dict.fromkeys(ITEMS, 10.0)}, {SAFETY: None})
    older = next(
        r for r in demo_practice.case_monitoring(ada, case.id).alerts if r.alert.session_id == first.id
    )
    (check_in_id,) = older.alert.check_in_ids
    log_in(client, "ada")
    page = client.get(f"/cases/{case.id}").text
    assert f'href="/cases/{case.id}/checkins/{check_in_id}"' in page
    fragment = client.get(f"/cases/{case.id}/checkins/{check_in_id}", headers=HTMX).text
    assert "answers, session 1" in fragment
    assert re.search(
        r'<tr class="item--flagged">\s*<td>[^<]*safe[^<]*</td>\s*<td class="number">3 ', fragment
    )
    full = client.get(f"/cases/{case.id}/checkins/{check_in_id}")
    assert full.status_code == 200
    assert "Back to the case" in full.text
    with demo_practice.store.transaction() as work:
        reads = [
            e for e in work.audit.recent(50) if e.action is AuditAction.READ and e.target_kind == "checkin"
        ]
    assert any(e.target_id == check_in_id for e in reads)


def test_another_clinician_cannot_open_a_check_ins_answers(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    case, session = fresh_couple(demo_practice, ada)
    link = demo_practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    demo_practice.submit_checkin(link.token, {SAFETY: dict.fromkeys(ITEMS, 9.0)}, {SAFETY: None})
    (check_in_id,) = link_check_ins(demo_practice, case)
    log_in(client, "ben")
    assert client.get(f"/cases/{case.id}/checkins/{check_in_id}").status_code == 404


def link_check_ins(practice: Practice, case: Case) -> list[int]:
    with practice.store.transaction() as work:
        return [c.id for c in work.checkins.for_clients([client.id for client in case.clients])]
