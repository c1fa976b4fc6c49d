"""Errors reach the person as a clear page with the right status, and change nothing."""

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.clinician import Clinician
from safeenough.errors import KeyMismatch
from safeenough.practice import Practice
from tests.web.helpers import log_in


def test_a_key_that_does_not_fit_gives_a_clear_500_page(
    client: TestClient, demo_practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_in(client, "ada")
    message = "The key file /somewhere/secret.key does not open this database's encrypted notes."

    def wrong_key(actor: Clinician) -> None:
        raise KeyMismatch(message)

    monkeypatch.setattr(demo_practice, "caseload", wrong_key)
    response = client.get("/")
    assert response.status_code == 500
    assert "The encryption key does not fit" in response.text
    assert "does not open this database&#39;s encrypted notes" in response.text


def test_unknown_pages_get_the_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text


def test_a_logged_in_visitor_keeps_the_navigation_on_the_404_page(client: TestClient) -> None:
    log_in(client, "ada")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Log out" in response.text
    assert "Ada Quill" in response.text


def test_a_stale_login_cookie_still_gets_a_plain_404_page(client: TestClient) -> None:
    client.cookies.set("safeenough_session", "not-a-real-login")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text
    assert "Log out" not in response.text


def test_a_get_only_page_refuses_a_post_with_a_clear_page(client: TestClient) -> None:
    response = client.post("/admin/audit")
    assert response.status_code in (303, 405)
