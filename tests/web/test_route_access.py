"""Who may use which route, checked on every route the app has, enumerated from the app itself.

Each test walks the app's routes and sends real requests (TestClient, a real database holding the demo
practice), so a route added later is checked the day it is added: its path parameters must be known
(`PARAMETERS`), a state-changing route needs a form Ada could send (`FORMS`), and a route open to
visitors without a login must be on `PUBLIC_ROUTES` with the reason why. A route the tables cannot
classify fails `test_every_route_is_classified`, naming it.

What is checked, route by route:
- a logged-out visitor is sent to the login page (htmx: 401 with HX-Redirect), except on PUBLIC_ROUTES;
- Ada's requests, with the ids and forms below, work: so a refusal of someone else is about who asks;
- another clinician (Ben) gets the answer a missing id gets (404) for every route carrying an id of
  Ada's, also with his own ids in the address and Ada's in the form, and nothing of Ada's changes;
- her supervisor (Sol) reads each of her pages, and every state-changing route refuses him (403);
- the admin account reads no clinical content anywhere and changes nothing clinical;
- every state-changing route refuses a form without the CSRF token, or with another login's token.
"""

import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from starlette.routing import Mount, Route

from safeenough.domain.case import CaseKind
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.formulation import FormulationDomain
from safeenough.practice import Practice
from safeenough.storage.fixtures import DEMO_PASSWORD
from safeenough.storage.tables import metadata
from safeenough.storage.transcripts import StoredTranscript
from tests.web.helpers import Reply, case_titled, csrf_from, log_in
from tests.web.test_formulation_pages import store_analysed_transcript

RouteKey = tuple[str, str]
"""(method, path template as the app declares it, e.g. "/cases/{case_id:id}")."""

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTMX = {"HX-Request": "true"}
ENDS_LOGIN = frozenset(
    {("POST", "/logout"), ("POST", "/account/password"), ("POST", "/cases/{case_id:id}/kiosk")}
)
"""Routes that end the login they are sent with, by design (the kiosk hands the device to a client)."""

PUBLIC_ROUTES: dict[RouteKey, str] = {
    ("GET", "/login"): "the login form itself",
    ("POST", "/login"): "logging in; guarded by its own signed double-submit token, not a login's",
    ("GET", "/c/thanks"): "the client's thank-you page after a check-in: no data, nothing to log in to",
    ("GET", "/c/{token}"): "the client's check-in form: the signed, single-use token is the credential",
    ("POST", "/c/{token}"): "the client's answers: the token is the credential, and no login exists",
    ("GET", "/static/session_report.css"): "the session report's stylesheet: no data",
}
PUBLIC_MOUNTS: dict[str, str] = {"/static": "vendored scripts and stylesheets: no data"}

CSRF_EXEMPT: dict[RouteKey, str] = {
    ("POST", "/login"): "no login yet: a signed double-submit cookie stands in (test_login.py)",
    ("POST", "/c/{token}"): "the unguessable token in the address is the credential; a foreign Origin "
    "is refused (test_checkin_form.py)",
}

PARAMETERS: dict[str, str] = {
    "case_id": "a case",
    "client_id": "a client",
    "session_id": "a session",
    "check_in_id": "a client's check-in",
    "alert_id": "an alert",
    "entry_id": "a map entry",
    "pattern_id": "a relational pattern",
    "enactment_id": "an enactment linked to a pattern",
    "suggestion_id": "a suggested check-in of a session report (not a record id: 'turn-11')",
    "action": "what to do with a report's suggestion ('dismiss' or 'restore')",
    "username": "an account, on the admin's pages",
    "token": "a client's check-in link: public, see PUBLIC_ROUTES",
}
RECORD_IDS = frozenset(
    {
        "case_id",
        "client_id",
        "session_id",
        "check_in_id",
        "alert_id",
        "entry_id",
        "pattern_id",
        "enactment_id",
    }
)
"""Parameters that name a record of a case: another clinician's id must read as a missing one."""
MISSING_ID = "987654321"
MISSING_USERNAME = "nobody-here"

CLINICAL_WORDS = ("Mara", "Ellison", "Theo", "Jonah", "Priya", "Rosa", "Ines", "manager", "father")
"""Client names and words of the demo's notes, maps and transcripts: none may reach the admin."""


# --- the routes ----------------------------------------------------------------------------------------


def routes_of(app: object) -> list[RouteKey]:
    """Every (method, path) the app answers, HEAD aside (Starlette adds it to GET routes)."""
    assert isinstance(app, FastAPI)
    found: list[RouteKey] = []
    # FastAPI keeps included routers as branches; iter_route_contexts walks them down to each route.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            assert route.path in PUBLIC_MOUNTS, f"unclassified mount {route.path}: add it to PUBLIC_MOUNTS"
            continue
        assert isinstance(route, (APIRoute, Route)), f"unclassified kind of route: {route!r}"
        path = context.path
        assert isinstance(path, str)
        found += [(method, path) for method in sorted(context.methods or ()) if method != "HEAD"]
    return found


def parameters_of(path: str) -> list[str]:
    return re.findall(r"\{(\w+)(?::\w+)?\}", path)


def fill(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"{path}: no value for {{{name}}}; classify it in PARAMETERS and the world fixture")
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def is_public(key: RouteKey) -> bool:
    return key in PUBLIC_ROUTES


def carries_id(key: RouteKey) -> bool:
    return bool(set(parameters_of(key[1])) & (RECORD_IDS | {"username"}))


def is_admin_route(key: RouteKey) -> bool:
    return key[1].startswith("/admin/")


# --- one of every kind of object, for Ada ---------------------------------------------------------------


@dataclass(slots=True)
class World:
    """Ada's objects (and a few of Ben's), by the name of the path parameter that carries them."""

    ids: dict[str, str]
    per_route: dict[RouteKey, dict[str, str]]
    """Where a route needs an object in a particular state (a session without a transcript, say)."""
    ben_ids: dict[str, str]
    """Ben's own objects of the same kinds, where he has them."""
    values: dict[str, str] = field(default_factory=dict)
    """What the forms below refer to."""

    def path_values(self, key: RouteKey, ids: dict[str, str] | None = None) -> dict[str, str]:
        return {**(ids if ids is not None else self.ids), **self.per_route.get(key, {})}

    def path(self, key: RouteKey) -> str:
        return fill(key[1], self.path_values(key))


Form = dict[str, str]
TRANSCRIPT = b"Ada: How has the week been?\nMara: Long. I kept going over the meeting.\n" * 3

FORMS: dict[RouteKey, Callable[[World], Form]] = {
    ("POST", "/login"): lambda w: {"username": "ada", "password": DEMO_PASSWORD},
    ("POST", "/logout"): lambda w: {},
    ("POST", "/account/password"): lambda w: {
        "current_password": DEMO_PASSWORD,
        "new_password": "another-password-2",
        "new_password_again": "another-password-2",
    },
    ("POST", "/cases"): lambda w: {"title": "New case", "kind": "individual", "client_names": "Noor"},
    ("POST", "/cases/{case_id:id}/sessions"): lambda w: {
        "held_on": w.values["today"],
        "attendee": w.values["mara_client"],
    },
    ("POST", "/admin/users"): lambda w: {
        "username": "newbie",
        "display_name": "New Person",
        "role": "clinician",
        "password": "a-long-password-1",
    },
    ("POST", "/admin/users/{username}/active"): lambda w: {"active": "false"},
    ("POST", "/admin/users/{username}/supervisor"): lambda w: {"supervisor": ""},
    ("POST", "/admin/users/{username}/password"): lambda w: {"password": "a-long-password-1"},
    ("POST", "/cases/{case_id:id}/checkin-questionnaires"): lambda w: {"instrument": "phq-9"},
    ("POST", "/cases/{case_id:id}/checkin-links"): lambda w: {
        "session_id": w.values["theo_session"],
        "client_id": w.values["theo_client"],
    },
    ("POST", "/cases/{case_id:id}/kiosk"): lambda w: {
        "session_id": w.values["theo_session"],
        "client_id": w.values["theo_client"],
    },
    ("POST", "/cases/{case_id:id}/alerts/{alert_id:id}"): lambda w: {"status": "open", "note": "Again."},
    ("POST", "/c/{token}"): lambda w: {},
    ("POST", "/clients/{client_id:id}/entries"): lambda w: {
        "domain": "goals",
        "text": "Wants to sleep through.",
        "status": "therapist_hypothesis",
    },
    ("POST", "/entries/{entry_id:id}"): lambda w: {"text": "Wants her evenings and weekends back."},
    ("POST", "/entries/{entry_id:id}/remove"): lambda w: {"note": "Added by mistake."},
    ("POST", "/entries/{entry_id:id}/restore"): lambda w: {},
    ("POST", "/entries/{entry_id:id}/quote"): lambda w: {"choice": "none", "note": "Not her words."},
    ("POST", "/clients/{client_id:id}/suggestions/accept"): lambda w: {
        "session_id": w.values["theo_session"],
        "turn_index": w.values["theo_suggestion_turn"],
        "domain": w.values["theo_suggestion_domain"],
        "text": "",
        "original": "",
    },
    ("POST", "/clients/{client_id:id}/suggestions/dismiss"): lambda w: {
        "session_id": w.values["theo_session"],
        "turn_index": "5",
        "domain": "",
    },
    ("POST", "/clients/{client_id:id}/suggestions/restore"): lambda w: {
        "session_id": w.values["theo_session"],
        "turn_index": "5",
        "domain": "",
    },
    ("POST", "/clients/{client_id:id}/patterns"): lambda w: {
        "wish": "To be listened to",
        "response_of_other": "Others talk over him",
        "response_of_self": "Goes quiet",
        "examples": "At the funeral",
    },
    ("POST", "/patterns/{pattern_id:id}"): lambda w: {
        "wish": "To be listened to, really",
        "response_of_other": "Others talk over him",
        "response_of_self": "Goes quiet",
        "examples": "",
    },
    ("POST", "/clients/{client_id:id}/enactments/link"): lambda w: {
        "pattern_id": w.values["theo_pattern"],
        "session_id": w.values["theo_session"],
        "turn_index": w.values["theo_candidate_turn"],
    },
    ("POST", "/clients/{client_id:id}/enactments/dismiss"): lambda w: {
        "session_id": w.values["theo_session"],
        "turn_index": "5",
    },
    ("POST", "/clients/{client_id:id}/enactments/restore"): lambda w: {
        "session_id": w.values["theo_session"],
        "turn_index": "5",
    },
    ("POST", "/enactments/{enactment_id:id}/unlink"): lambda w: {"note": "Not an enactment after all."},
    ("POST", "/cases/{case_id:id}/shared-map/entries"): lambda w: {
        "domain": "goals",
        "text": "Argue less about money.",
        "status": "client_said",
    },
    ("POST", "/sessions/{session_id:id}/transcript"): lambda w: {"therapist": "Ada"},
    ("POST", "/sessions/{session_id:id}/transcript/roles"): lambda w: {"therapist_speaker": "Ada"},
    ("POST", "/sessions/{session_id:id}/suggestions/{suggestion_id}/words"): lambda w: {
        "text": "How did that land with you?"
    },
    ("POST", "/sessions/{session_id:id}/suggestions/{suggestion_id}/suggested-words"): lambda w: {},
    ("POST", "/sessions/{session_id:id}/suggestions/{suggestion_id}/{action}"): lambda w: {},
    ("POST", "/sessions/{session_id:id}/suggestions/restore"): lambda w: {},
}
"""A form Ada could send to each state-changing route, with the ids of her objects it names."""

UPLOADS: dict[RouteKey, str] = {("POST", "/sessions/{session_id:id}/transcript"): "transcript"}
"""Routes that take a file, and the field it goes in."""

FORM_IDS = frozenset({"session_id", "client_id", "pattern_id", "attendee", "case_id"})
"""Form fields that name a record: with them, Ben's own address still must not reach Ada's record."""


@pytest.fixture
def world(demo_practice: Practice, ada: Clinician, ben: Clinician) -> World:
    mara = case_titled(demo_practice, ada, "Mara")
    theo = case_titled(demo_practice, ada, "Theo")
    couple = case_titled(demo_practice, ada, "Jonah & Priya")
    practice = demo_practice
    mara_sessions = sorted(practice.case_detail(ada, mara.id).sessions, key=lambda s: s.number)
    analysed = next(s for s in mara_sessions if s.has_transcript)
    monitoring = practice.case_monitoring(ada, mara.id)
    check_in = next(entry.id for track in monitoring.tracks for entry in track.history)
    alert = monitoring.alerts[0].id
    mara_map = practice.client_map(ada, mara.clients[0].id)
    entries = sorted(mara_map.entries, key=lambda e: e.id)
    quoted = [e for e in entries if e.provenance.turn_index is not None]
    plain = [e for e in entries if e.provenance.turn_index is None]
    removed = practice.remove_entry(ada, plain[1].id, note="for the restore route")
    enactment = practice.pattern_timeline(ada, mara_map.patterns[0].pattern.id).enactments[0]
    report = practice.session_analysis(ada, analysed.id).report
    assert report is not None
    assert len(report.suggestions) >= 2
    # Theo's first session gets a transcript with a suggestion and a possible enactment to act on.
    theo_client = theo.clients[0].id
    theo_session = min(practice.case_detail(ada, theo.id).sessions, key=lambda s: s.number)
    store_analysed_transcript(practice, theo_session.id)
    suggestion = practice.transcript_suggestions(ada, theo_session.id)[0]
    candidate = practice.enactment_candidates(ada, theo_client)[0]
    pattern = practice.add_pattern(ada, theo_client, "To be seen", "Others look away", "Hides", [])
    practice.add_shared_entry(ada, couple.id, domain="goals", text="Fewer rows.", status="client_said")
    issued = practice.issue_checkin_link(ada, theo_session.id, theo_client)
    # Ada has opened her case once: the alerts are evaluated, as they would be in use.
    practice.case_detail(ada, mara.id)
    practice.case_monitoring(ada, mara.id)

    rosa = case_titled(practice, ben, "Rosa")
    rosa_client = rosa.clients[0].id
    rosa_session = min(practice.case_detail(ben, rosa.id).sessions, key=lambda s: s.number)
    rosa_entry = practice.add_entry(
        ben, rosa_client, domain="goals", text="To finish the degree.", status="client_said"
    )
    rosa_pattern = practice.add_pattern(ben, rosa_client, "To be respected", "Tutors judge", "Apologises", [])
    ids = {
        "case_id": str(mara.id),
        "client_id": str(theo_client),
        "session_id": str(analysed.id),
        "check_in_id": str(check_in),
        "alert_id": str(alert),
        "entry_id": str(plain[0].id),
        "pattern_id": str(pattern.id),
        "enactment_id": str(enactment.id),
        "suggestion_id": report.suggestions[0].id,
        "action": "dismiss",
        "username": "ada",
        "token": issued.token,
    }
    per_route: dict[RouteKey, dict[str, str]] = {
        ("POST", "/sessions/{session_id:id}/transcript"): {"session_id": str(mara_sessions[0].id)},
        ("POST", "/sessions/{session_id:id}/suggestions/{suggestion_id}/{action}"): {
            "suggestion_id": report.suggestions[1].id
        },
        ("POST", "/entries/{entry_id:id}/remove"): {"entry_id": str(quoted[-1].id)},
        # Mara answered every check-in of her sessions so far; Theo has one to answer.
        ("POST", "/cases/{case_id:id}/checkin-links"): {"case_id": str(theo.id)},
        ("POST", "/cases/{case_id:id}/kiosk"): {"case_id": str(theo.id)},
        ("POST", "/entries/{entry_id:id}/restore"): {"entry_id": str(removed.id)},
        ("POST", "/entries/{entry_id:id}/quote"): {"entry_id": str(quoted[0].id)},
    }
    for method in ("GET", "POST"):
        per_route[(method, "/cases/{case_id:id}/shared-map")] = {"case_id": str(couple.id)}
    per_route[("POST", "/cases/{case_id:id}/shared-map/entries")] = {"case_id": str(couple.id)}
    return World(
        ids=ids,
        per_route=per_route,
        ben_ids={
            "case_id": str(rosa.id),
            "client_id": str(rosa_client),
            "session_id": str(rosa_session.id),
            "entry_id": str(rosa_entry.id),
            "pattern_id": str(rosa_pattern.id),
        },
        values={
            "today": practice.today().isoformat(),
            "mara_client": str(mara.clients[0].id),
            "theo_client": str(theo_client),
            "theo_session": str(theo_session.id),
            "theo_suggestion_turn": str(suggestion.turn_index),
            "theo_suggestion_domain": FormulationDomain(suggestion.domain).value,
            "theo_candidate_turn": str(candidate.turn_index),
            "theo_pattern": str(pattern.id),
        },
    )


# --- requests and what they may change ------------------------------------------------------------------


def send(
    client: TestClient,
    world: World,
    key: RouteKey,
    *,
    path: str | None = None,
    csrf: str | None = None,
    form: Form | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request to the route: a GET, or its form (with `csrf` as the token, if any)."""
    method, _ = key
    url = path if path is not None else world.path(key)
    if method == "GET":
        return client.get(url, headers=headers)
    data = dict(FORMS[key](world) if form is None else form)
    if csrf is not None:
        data["csrf_token"] = csrf
    files = None
    if key in UPLOADS:
        files = {UPLOADS[key]: ("session.txt", TRANSCRIPT, "text/plain")}
    return client.request(method, url, data=data, files=files, headers=headers)


VOLATILE_TABLES = frozenset({"audit_events", "login_sessions", "login_attempts"})
"""Written by every request that logs in or is refused; all else must stay as it was."""
VOLATILE_COLUMNS = frozenset({"alerts_checked_through", "alerts_checked_at"})
"""When a case's alerts were last evaluated: alerts are evaluated when someone who may read the case
looks at it (a supervisor too), so a read moves these on; they hold no clinical content."""


def snapshot(practice: Practice) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table a refused request must leave alone."""
    with practice.store.engine.connect() as connection:
        return {
            table.name: sorted(
                (
                    tuple(row)
                    for row in connection.execute(
                        select(*(column for column in table.c if column.name not in VOLATILE_COLUMNS))
                    )
                ),
                key=repr,
            )
            for table in metadata.sorted_tables
            if table.name not in VOLATILE_TABLES
        }


def changed_tables(before: dict[str, list[tuple[object, ...]]], practice: Practice) -> list[str]:
    after = snapshot(practice)
    return [name for name in before if before[name] != after[name]]


def title_of(response: Reply) -> str:
    found = re.search(r"<title>(.*?)</title>", response.text, re.S)
    return found.group(1).strip() if found else response.text[:80]


def is_login_redirect(response: Reply) -> bool:
    location = response.headers.get("location") or response.headers.get("hx-redirect") or ""
    return response.status_code in (303, 401) and location.startswith("/login")


@pytest.fixture
def other_client(client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app, for a second login at the same time."""
    with TestClient(client.app, follow_redirects=False) as second:
        yield second


# --- the tests ------------------------------------------------------------------------------------------


def test_every_route_is_classified(client: TestClient) -> None:
    found = routes_of(client.app)
    # The walk reaches the routes of every router (a walk that found none would check nothing).
    assert ("GET", "/cases/{case_id:id}") in found
    assert ("POST", "/entries/{entry_id:id}/quote") in found
    assert len(found) >= 55
    problems = [
        f"{method} {path}: the parameter {{{name}}} is new: add it to PARAMETERS and the world fixture"
        for method, path in found
        for name in parameters_of(path)
        if name not in PARAMETERS
    ]
    problems += [
        f"{method} {path} changes state: add a form Ada could send to FORMS"
        for method, path in found
        if method in STATE_CHANGING and (method, path) not in FORMS
    ]
    problems += [
        f"{key} is listed but the app has no such route" for key in PUBLIC_ROUTES if key not in found
    ]
    problems += [f"{key} is in FORMS but the app has no such route" for key in FORMS if key not in found]
    problems += [f"{key} is exempt from CSRF but no such route" for key in CSRF_EXEMPT if key not in found]
    assert not problems, "\n".join(problems)
    assert {method for method, _ in found} <= {"GET", *STATE_CHANGING}, "a route with a new method"


def test_a_logged_out_visitor_is_sent_to_log_in_on_every_route_but_the_public_ones(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    before = snapshot(demo_practice)
    wrong: list[str] = []
    for key in routes_of(client.app):
        if is_public(key):
            continue
        for headers in (None, HTMX):
            response = send(client, world, key, headers=headers)
            if not is_login_redirect(response):
                wrong.append(f"{key} {'(htmx)' if headers else ''}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert changed_tables(before, demo_practice) == []


def test_their_owners_can_use_every_route_with_these_ids_and_forms(client: TestClient, world: World) -> None:
    """The requests the other tests send are real ones (Ada's on her routes, the admin's on his), so that
    a refusal of anyone else is about who asks, not about the form."""
    keys = [key for key in routes_of(client.app) if not is_public(key)]
    # Those that end the login go last, changing the password the very last.
    keys.sort(key=lambda key: (key in ENDS_LOGIN, key == ("POST", "/account/password")))
    failed: list[str] = []
    for username, theirs in (("ada", False), ("admin", True)):
        csrf = log_in(client, username)
        for key in (key for key in keys if is_admin_route(key) == theirs):
            response = send(client, world, key, csrf=csrf)
            pdf_unavailable = response.status_code == 503 and key[1].endswith(".pdf")
            if response.status_code >= 400 and not pdf_unavailable:
                failed.append(f"{username}: {key}: {response.status_code} {title_of(response)}")
            if key in ENDS_LOGIN and key != ("POST", "/account/password"):
                csrf = log_in(client, username)
    assert not failed, "\n".join(failed)


def test_another_clinician_gets_what_a_missing_id_gets_and_changes_nothing_of_adas(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    before = snapshot(demo_practice)
    csrf = log_in(client, "ben")
    missing = {name: MISSING_ID for name in RECORD_IDS} | {"username": MISSING_USERNAME}
    wrong: list[str] = []
    checked = [key for key in routes_of(client.app) if not is_public(key) and carries_id(key)]
    for key in checked:
        expected = 403 if is_admin_route(key) else 404
        # htmx asks for parts of pages, answered by their own branches of the same routes.
        for headers in (None, HTMX):
            answer = send(client, world, key, csrf=csrf, headers=headers)
            absent_path = fill(key[1], world.path_values(key) | missing)
            absent = send(client, world, key, csrf=csrf, path=absent_path, headers=headers)
            if (answer.status_code, title_of(answer)) != (absent.status_code, title_of(absent)):
                wrong.append(f"{key}: {answer.status_code} for Ada's, {absent.status_code} for a missing id")
            elif answer.status_code != expected:
                wrong.append(f"{key}: {answer.status_code}, not {expected}")
            if is_login_redirect(answer):
                wrong.append(f"{key}: Ben's login ended")
                csrf = log_in(client, "ben")
    assert not wrong, "\n".join(wrong)
    assert len(checked) >= 41, checked
    assert changed_tables(before, demo_practice) == []


def test_another_clinicians_own_pages_and_downloads_hold_nothing_of_adas(
    client: TestClient, world: World, demo_practice: Practice, ada: Clinician
) -> None:
    """The routes without an id (his caseload, his scores as CSV, his account) are about him alone."""
    adas = [client_.code for summary in demo_practice.caseload(ada) for client_ in summary.case.clients]
    adas += [
        client_.display_name for summary in demo_practice.caseload(ada) for client_ in summary.case.clients
    ]
    log_in(client, "ben")
    keys = [key for key in routes_of(client.app) if key[0] == "GET" and not parameters_of(key[1])]
    shown = {
        key: [text for text in adas if text in send(client, world, key).text]
        for key in keys
        if not is_public(key)
    }
    assert ("GET", "/export/scores.csv") in shown
    assert {key: found for key, found in shown.items() if found} == {}


def test_another_clinician_cannot_reach_adas_records_through_his_own_address(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    """Ben's own case, client, session, entry or pattern in the address, Ada's ids in the form (or in the
    address beside his): refused as a missing id would be, and nothing changes."""
    before = snapshot(demo_practice)
    csrf = log_in(client, "ben")
    wrong: list[str] = []
    mixed: list[RouteKey] = []
    for key in routes_of(client.app):
        names = set(parameters_of(key[1]))
        if is_public(key) or not names & RECORD_IDS:
            continue
        form = FORMS[key](world) if key[0] in STATE_CHANGING else {}
        foreign_form = set(form) & FORM_IDS
        own = {name: value for name, value in world.ben_ids.items() if name in names}
        # Only a mix of his and hers: a form naming nothing, in an address all his, is his own business.
        if not own or (not foreign_form and names & RECORD_IDS <= set(own)):
            continue
        path = fill(key[1], world.path_values(key) | own)
        answer = send(client, world, key, csrf=csrf, path=path)
        missing_form = {name: (MISSING_ID if name in FORM_IDS else value) for name, value in form.items()}
        missing_path = fill(key[1], world.path_values(key) | own | {n: MISSING_ID for n in names - set(own)})
        absent = send(client, world, key, csrf=csrf, path=missing_path, form=missing_form)
        if answer.status_code < 400 or answer.status_code != absent.status_code:
            wrong.append(f"{key} at {path}: {answer.status_code}; with missing ids {absent.status_code}")
        mixed.append(key)
    assert not wrong, "\n".join(wrong)
    assert len(mixed) >= 11, mixed
    assert changed_tables(before, demo_practice) == []


def test_the_supervisor_reads_adas_case_and_every_change_to_it_is_refused(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    csrf = log_in(client, "sol")
    keys = [key for key in routes_of(client.app) if not is_public(key) and carries_id(key)]
    unread: list[str] = []
    for key in keys:
        if key[0] == "GET":
            response = send(client, world, key)
            pdf_unavailable = response.status_code == 503 and key[1].endswith(".pdf")
            if response.status_code != 200 and not pdf_unavailable:
                unread.append(f"{key}: {response.status_code} {title_of(response)}")
    assert not unread, "\n".join(unread)
    before = snapshot(demo_practice)
    changed: list[str] = []
    for key in keys:
        if key[0] in STATE_CHANGING:
            for headers in (None, HTMX):
                response = send(client, world, key, csrf=csrf, headers=headers)
                if response.status_code != 403:
                    changed.append(f"{key}: {response.status_code} {title_of(response)}")
    assert not changed, "\n".join(changed)
    assert sum(key[0] in STATE_CHANGING for key in keys) >= 29
    assert changed_tables(before, demo_practice) == []


def test_the_admin_reads_no_clinical_content_on_any_route_and_changes_nothing_clinical(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    csrf = log_in(client, "admin")
    before = snapshot(demo_practice)
    shown: list[str] = []
    for key in routes_of(client.app):
        if (
            is_public(key)
            or is_admin_route(key)
            or key in {("POST", "/logout"), ("POST", "/account/password")}
        ):
            continue
        response = send(client, world, key, csrf=csrf)
        words = [word for word in CLINICAL_WORDS if word in response.text]
        if words or (response.status_code < 300 and key[0] in STATE_CHANGING):
            shown.append(f"{key}: {response.status_code}, shows {words}")
    for key in (("GET", "/admin/users"), ("GET", "/admin/audit")):
        response = send(client, world, key)
        assert response.status_code == 200
        words = [word for word in CLINICAL_WORDS if word in response.text]
        if words:
            shown.append(f"{key}: shows {words}")
    assert not shown, "\n".join(shown)
    assert changed_tables(before, demo_practice) == []


def test_every_state_changing_route_refuses_a_missing_or_anothers_csrf_token(
    client: TestClient, other_client: TestClient, world: World, demo_practice: Practice
) -> None:
    ben_token = log_in(other_client, "ben")
    ada_token = log_in(client, "ada")
    # Ada's token from another login of hers is not this login's token either.
    third = TestClient(client.app, follow_redirects=False)
    with third:
        old_token = log_in(third, "ada")
    before = snapshot(demo_practice)
    accepted: list[str] = []
    for key in routes_of(client.app):
        if key[0] not in STATE_CHANGING or key in CSRF_EXEMPT:
            continue
        for label, token in (("no token", None), ("Ben's token", ben_token), ("another login's", old_token)):
            response = send(client, world, key, csrf=token)
            if response.status_code != 403 or "This form expired" not in response.text:
                accepted.append(f"{key} with {label}: {response.status_code} {title_of(response)}")
    assert not accepted, "\n".join(accepted)
    assert changed_tables(before, demo_practice) == []
    # Still logged in: no refused form ended the login (the kiosk and logout routes would).
    assert client.get("/").status_code == 200
    assert ada_token


# --- the client's public check-in route ---------------------------------------------------------------


def _signed_token(practice: Practice, payload: dict[str, object]) -> str:
    """A token signed with the practice's own key (as only the server can make one), for a link id or
    nonce of our choosing."""
    with practice.store.transaction() as work:
        return str(work.checkin_links.serializer.dumps(payload))


def test_a_signed_link_to_a_missing_id_reads_as_a_wrong_nonce_to_an_existing_one(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    """Whether a link id exists is not told: both are "does not work", with the same page."""
    with demo_practice.store.engine.connect() as connection:
        link_id = connection.execute(text("SELECT max(id) FROM checkin_links")).scalar_one()
    existing = _signed_token(demo_practice, {"l": link_id, "n": "not-its-nonce"})
    missing = _signed_token(demo_practice, {"l": link_id + 1000, "n": "not-its-nonce"})
    before = snapshot(demo_practice)
    for method in ("GET", "POST"):
        answers = [client.request(method, f"/c/{token}") for token in (existing, missing, "garbage")]
        assert {answer.status_code for answer in answers} == {404}
        assert len({answer.text for answer in answers}) == 1
        assert "This link does not work" in answers[0].text
    assert changed_tables(before, demo_practice) == []


def test_a_used_or_expired_link_gets_a_clear_page_and_stores_nothing(
    client: TestClient, world: World, demo_practice: Practice
) -> None:
    token = world.ids["token"]
    with demo_practice.store.engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(days=1)
        connection.execute(
            text("UPDATE checkin_links SET created_at = :made, expires_at = :past"),
            {"made": past - timedelta(days=1), "past": past},
        )
    before = snapshot(demo_practice)
    expired = client.post(f"/c/{token}", data={})
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert changed_tables(before, demo_practice) == []
    with demo_practice.store.engine.begin() as connection:
        future = datetime.now(UTC) + timedelta(days=1)
        connection.execute(
            text("UPDATE checkin_links SET expires_at = :f, used_at = :u"), {"f": future, "u": past}
        )
    before = snapshot(demo_practice)
    used = client.post(f"/c/{token}", data={})
    assert used.status_code == 410
    assert "This check-in was already sent" in used.text
    assert changed_tables(before, demo_practice) == []


def test_tokens_are_compared_in_constant_time(
    client: TestClient, world: World, demo_practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Link nonces and CSRF tokens go through hmac.compare_digest (secrets.compare_digest is the same),
    whose time does not depend on where the strings first differ."""
    compared: list[tuple[object, object]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(secrets, "compare_digest", spy)
    monkeypatch.setattr(hmac, "compare_digest", spy)
    with demo_practice.store.engine.connect() as connection:
        link_id = connection.execute(text("SELECT max(id) FROM checkin_links")).scalar_one()
    client.get(f"/c/{_signed_token(demo_practice, {'l': link_id, 'n': 'not-its-nonce'})}")
    assert compared, "the link's nonce was not compared with compare_digest"
    compared.clear()
    csrf = log_in(client, "ada")
    compared.clear()
    client.post("/logout", data={"csrf_token": csrf[::-1]})
    assert any(csrf.encode() in pair for pair in compared), (
        "the CSRF token was not compared with compare_digest"
    )


# --- where a redirect may lead ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "\\\\evil.example",
        "http:evil.example",
        " //evil.example",
    ],
)
def test_after_logging_in_the_next_address_never_leaves_the_site(
    client: TestClient, world: World, target: str
) -> None:
    page = client.get("/login", params={"next": target})
    response = client.post(
        "/login",
        data={
            "username": "ada",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": target,
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location.split("?")[0].lstrip("/").split("/")[0], location


# --- client text in pages --------------------------------------------------------------------------------

MARKUP = '</script><script src="/static/x.js"></script><img src=x onerror=alert(1)>"\'&'
"""Text a client or a transcript could hold that would run as script if a page let it through."""
JSON_ISLAND = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.S)


def test_client_text_in_pages_and_their_chart_data_stays_text(
    client: TestClient, demo_practice: Practice, ada: Clinician
) -> None:
    """Names, answers, map entries and transcript speakers go through Jinja's escaping, and into the
    charts' JSON (Vega-Lite specs read by charts.js) escaped so that no '</script>' can end it early."""
    practice = demo_practice
    case = practice.open_case(ada, title=f"Case {MARKUP}", kind=CaseKind.COUPLE, client_names=[MARKUP, "Sam"])
    named = case.clients[0].id
    session = practice.add_session(ada, case.id, held_on=practice.today(), attendee_ids=[named], note=MARKUP)
    issued = practice.issue_checkin_link(ada, session.id, named)
    asked = practice.open_checkin(issued.token).instruments
    answers: dict[str, dict[str, float | None]] = {
        instrument.id: {item.id: item.minimum for item in instrument.items} for instrument in asked
    }
    practice.submit_checkin(issued.token, answers, {instrument.id: MARKUP for instrument in asked})
    practice.add_entry(ada, named, domain="goals", text=MARKUP, status="therapist_hypothesis")
    practice.add_shared_entry(ada, case.id, domain="goals", text=MARKUP, status="client_said")
    practice.add_pattern(ada, named, MARKUP, MARKUP, MARKUP, [MARKUP])
    turns = ((MARKUP, SpeakerRole.THERAPIST, "How was the week?"), ("Sam", SpeakerRole.CLIENT, "Long."))
    conversation = Conversation(
        "s", tuple(Turn(i, who, role, said) for i, (who, role, said) in enumerate(turns))
    )
    with practice.store.transaction() as work:
        work.transcripts.save(session.id, StoredTranscript(conversation, "s.txt", "txt", True, 1.0))
    check_in = next(
        entry.id for track in practice.case_monitoring(ada, case.id).tracks for entry in track.history
    )
    log_in(client, "ada")
    pages = (
        "/",
        f"/cases/{case.id}",
        f"/cases/{case.id}/monitoring",
        f"/cases/{case.id}/checkins/{check_in}",
        f"/clients/{named}/map",
        f"/cases/{case.id}/shared-map",
        f"/sessions/{session.id}",
    )
    islands = 0
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<img src=x" not in page.text, path
        assert '<script src="/static/x.js">' not in page.text, path
        for island in JSON_ISLAND.findall(page.text):
            islands += 1
            json.loads(island)  # the whole spec, not a piece cut off by a '</script>' inside it
    assert islands >= 1, "no chart data on the pages: the check of the JSON islands checked nothing"
