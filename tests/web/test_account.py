"""One's own account page: changing one's own password."""

import re

import httpx
from fastapi.testclient import TestClient

from tests.web.helpers import csrf_from, log_in


def change(client: TestClient, csrf: str, current: str, new: str, again: str | None = None) -> httpx.Response:
    """Submit the account page's password form."""
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


def test_a_clinician_changes_their_password_and_logs_in_again_with_it(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    assert "Change your password" in client.get("/account").text
    response = change(client, csrf, "demo-password-1", "river-lantern-oak")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=password_changed"
    assert client.get("/").status_code == 303  # this login ended too
    assert "Log in with the new password." in client.get("/login?reason=password_changed").text
    assert log_in(client, "ada", "river-lantern-oak")


def test_a_wrong_current_password_changes_nothing_and_counts_towards_the_lockout(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    wrong = change(client, csrf, "not-my-password", "river-lantern-oak")
    assert wrong.status_code == 422
    assert "The current password is not right; nothing was changed." in wrong.text
    for _ in range(4):
        change(client, csrf, "not-my-password", "river-lantern-oak")
    response = change(client, csrf, "demo-password-1", "river-lantern-oak")
    assert response.status_code == 422
    assert "changing it, and logging in anywhere, are paused for up to 15 minutes" in response.text
    client.cookies.clear()
    page = client.get("/login")
    locked = client.post(
        "/login", data={"username": "ada", "password": "demo-password-1", "csrf_token": csrf_from(page.text)}
    )
    assert locked.status_code == 429


def test_two_different_new_passwords_are_refused_before_anything_is_checked(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    response = change(client, csrf, "demo-password-1", "river-lantern-oak", "river-lantern-oat")
    assert response.status_code == 422
    assert "The two new passwords differ" in response.text
    assert client.get("/").status_code == 200  # still logged in, nothing changed


def test_no_one_but_an_admin_sets_a_password_without_the_current_one_not_even_their_own(
    client: TestClient,
) -> None:
    csrf = log_in(client, "ada")
    response = client.post(
        "/admin/users/ada/password", data={"csrf_token": csrf, "password": "taken-over-pw-1"}
    )
    assert response.status_code == 403
    client.cookies.clear()
    assert log_in(client, "ada")  # the demo password still works


def test_a_password_of_only_spaces_is_refused(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    assert change(client, csrf, "demo-password-1", " " * 12).status_code == 422
    assert client.get("/").status_code == 200


def test_a_refused_password_change_says_why_beside_the_field_concerned(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    differ = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": "demo-password-1",
            "new_password": "a-long-new-password",
            "new_password_again": "another-long-one",
        },
    )
    assert differ.status_code == 422
    assert re.search(
        r'<label for="new-password-again">New password again</label>\s*<p class="field-error" '
        r'id="password-error">.*The two new passwords differ',
        differ.text,
    )
    assert re.search(
        r'<input id="new-password-again"[^>]* aria-invalid="true" '
        r'aria-describedby="password-error" autofocus',
        differ.text,
    )
    assert '<a href="#new-password-again">New password again</a>' in differ.text
    assert '<meta name="safeenough-form-page" content="/account">' in differ.text


def test_an_empty_form_asks_for_the_current_password_and_counts_nothing_towards_the_lockout(
    client: TestClient,
) -> None:
    csrf = log_in(client, "ada")
    for _ in range(6):
        empty = change(client, csrf, "", "")
        assert empty.status_code == 422
        assert "Enter your current password." in empty.text
        assert "the same as the current one" not in empty.text
    assert "<title>Error: Your account · safeenough</title>" in empty.text
    assert change(client, csrf, "demo-password-1", "river-lantern-oak").status_code == 303


def test_an_empty_new_password_is_asked_for_not_taken_for_the_current_one(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    response = change(client, csrf, "demo-password-1", "")
    assert response.status_code == 422
    assert "Enter a new password of at least 10 characters." in response.text
    assert re.search(r'<input id="new-password"[^>]* aria-invalid="true"', response.text)
    assert client.get("/").status_code == 200  # still logged in, nothing changed
