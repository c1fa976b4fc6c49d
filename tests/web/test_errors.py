"""Errors reach the person as a clear page with the right status, and change nothing."""

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.errors import KeyMismatch
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web import create_app
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


def test_an_unexpected_error_gets_a_clear_500_page_with_the_security_headers(
    demo_practice: Practice, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(actor: Clinician) -> None:
        raise RuntimeError("a bug of ours")

    with TestClient(
        create_app(demo_practice, settings), follow_redirects=False, raise_server_exceptions=False
    ) as client:
        log_in(client, "ada")
        monkeypatch.setattr(demo_practice, "caseload", broken)
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "what was stored before is as it was" in response.text
    assert "a bug of ours" not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    ["/cases/9999999999999999999999999", "/sessions/9223372036854775808", "/clients/1234567890123456789/map"],
)
def test_an_id_too_large_for_the_database_is_a_plain_404(client: TestClient, path: str) -> None:
    log_in(client, "ada")
    assert client.get(path).status_code == 404


def test_an_id_written_in_other_digits_is_no_id_at_all(client: TestClient, ada_case: Case) -> None:
    csrf = log_in(client, "ada")
    response = client.post(
        f"/cases/{ada_case.id}/checkin-links", data={"csrf_token": csrf, "session_id": "²"}
    )
    assert response.status_code == 404  # as for any session that is not there
    assert client.get(f"/cases/{ada_case.id}?added=²").status_code == 200
