"""Request size limits: a body over its address's bound is refused as it arrives, before any of it is
parsed or spooled, and nothing changes."""

from collections.abc import Iterator

from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.web.limits import FORM_LIMIT_BYTES
from tests.web.helpers import csrf_from, log_in


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent without saying its length up front (chunked), as a script could send it."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b"a" * piece
        sent += piece


def test_a_login_form_larger_than_any_form_is_refused_with_413_before_it_is_read(client: TestClient) -> None:
    body = b"username=ada&password=" + b"x" * (FORM_LIMIT_BYTES + 1)
    response = client.post(
        "/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert "Too much was sent" in response.text
    assert "Nothing was read or changed." in response.text


def test_a_body_that_does_not_say_its_size_is_stopped_at_the_limit(client: TestClient) -> None:
    response = client.post(
        "/login",
        content=chunks(FORM_LIMIT_BYTES * 3),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_check_in_link_refuses_a_huge_body_with_a_page_for_the_client(client: TestClient) -> None:
    response = client.post(
        "/c/not-a-real-token",
        content=chunks(FORM_LIMIT_BYTES * 2),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert "Your answers could not be read" in response.text


def test_a_file_sent_to_a_form_that_takes_none_is_refused_and_nothing_changes(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    csrf = log_in(client, "ada")
    before = demo_practice.case_detail(ada, ada_case.id).sessions
    response = client.post(
        f"/cases/{ada_case.id}/sessions",
        data={"csrf_token": csrf, "held_on": "2026-01-05", "attendee": str(ada_case.clients[0].id)},
        files={"note": ("note.txt", b"a file where a note goes")},
    )
    assert response.status_code == 400
    assert "takes no files" in response.text
    assert demo_practice.case_detail(ada, ada_case.id).sessions == before


def test_an_ordinary_form_still_goes_through(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ada", "password": "demo-password-1", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303


def test_a_form_with_thousands_of_fields_gets_plain_words_and_the_client_page_on_a_link(
    client: TestClient,
) -> None:
    fields = "&".join(f"f{n}=x" for n in range(1500)).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    staff = client.post("/login", content=fields, headers=headers)
    assert staff.status_code == 400
    assert "far more fields than any of ours" in staff.text
    assert "Maximum number of fields" not in staff.text
    on_link = client.post("/c/not-a-real-token", content=fields, headers=headers)
    assert on_link.status_code == 400
    assert "Your answers could not be read" in on_link.text
