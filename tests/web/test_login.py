"""Logging in and out, wrong passwords, the rate limit, and what a broken cookie does."""

import re

from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from tests.web.helpers import csrf_from, log_in


def test_login_page_has_labelled_fields_and_a_form_token(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<label for="username">Username</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert csrf_from(page.text)


def test_clinician_logs_in_and_lands_on_their_caseload(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ada", "password": "demo-password-1", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "safeenough_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    caseload = client.get("/")
    assert caseload.status_code == 200
    assert "Caseload" in caseload.text


def test_wrong_password_shows_a_clear_message_and_keeps_the_username(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ada", "password": "not-her-password", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert 'value="ada"' in response.text
    assert "safeenough_session" not in client.cookies


def test_too_many_wrong_passwords_pause_login_with_a_time_to_retry(client: TestClient) -> None:
    for _ in range(5):
        page = client.get("/login")
        client.post(
            "/login",
            data={"username": "ben", "password": "guess-guess-guess", "csrf_token": csrf_from(page.text)},
        )
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ben", "password": "demo-password-1", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many failed logins" in response.text
    assert "Try again after" in response.text
    assert "safeenough_session" not in client.cookies


def test_login_form_without_its_token_is_refused_and_logs_nobody_in(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "ada", "password": "demo-password-1"})
    assert response.status_code == 403
    assert "This form expired or was not sent from safeenough" in response.text
    assert "safeenough_session" not in client.cookies


def test_login_form_token_from_another_browser_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ada", "password": "demo-password-1", "csrf_token": "x" * 43},
    )
    assert response.status_code == 403


def test_logout_ends_the_login_for_good(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    old_cookie = client.cookies.get("safeenough_session")
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=logged_out"
    assert "You have logged out." in client.get("/login?reason=logged_out").text
    # Even if someone kept the old cookie, it no longer opens anything.
    assert old_cookie
    client.cookies.clear()
    client.cookies.set("safeenough_session", old_cookie)
    after = client.get("/")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


def test_logout_without_csrf_token_is_refused_and_keeps_the_login(client: TestClient) -> None:
    log_in(client, "ada")
    response = client.post("/logout", data={})
    assert response.status_code == 403
    assert client.get("/").status_code == 200


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/cases/1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcases%2F1"


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client: TestClient) -> None:
    page = client.get("/login?next=/cases/1")
    assert 'name="next" value="/cases/1"' in page.text
    evil = client.get("/login?next=//evil.example/")
    assert "evil.example" not in evil.text
    response = client.post(
        "/login",
        data={
            "username": "ada",
            "password": "demo-password-1",
            "csrf_token": csrf_from(evil.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/"


def test_tampered_session_cookie_counts_as_logged_out_and_changes_nothing(client: TestClient) -> None:
    log_in(client, "ada")
    token = client.cookies.get("safeenough_session")
    assert token
    client.cookies.clear()
    client.cookies.set("safeenough_session", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=ended"
    note = client.get(response.headers["location"])
    assert "Your login has ended or could not be read" in note.text


def test_unknown_session_cookie_on_a_form_post_changes_nothing(
    client: TestClient, ada_case: Case, demo_practice: Practice, ada: Clinician
) -> None:
    before = len(demo_practice.case_detail(ada, ada_case.id).sessions)
    client.cookies.set("safeenough_session", "made-up-token")
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": "whatever", "held_on": "2025-01-01", "attendee": str(ada_case.clients[0].id)},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert len(demo_practice.case_detail(ada, ada_case.id).sessions) == before


def test_a_page_that_needs_a_login_says_why_it_sent_you_here(client: TestClient) -> None:
    sent = client.get("/cases/1")
    assert sent.status_code == 303
    page = client.get(sent.headers["location"])
    assert "Log in to see that page." in page.text
    assert "Log in to see that page." not in client.get("/login").text


def test_a_wrong_password_marks_the_fields_and_describes_them_with_the_message(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": "ada", "password": "wrong-password", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 401
    assert 'id="login-error"' in response.text
    assert re.search(
        r'<input id="password"[^>]* aria-invalid="true" aria-describedby="login-error" autofocus',
        response.text,
    )
