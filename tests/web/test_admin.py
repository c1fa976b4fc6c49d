"""Account administration: only admins, and never clinical content."""

import re

from fastapi.testclient import TestClient

from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from tests.web.helpers import csrf_from, log_in


def test_admin_sees_every_account(client: TestClient) -> None:
    log_in(client, "admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    for username in ("ada", "ben", "sol", "admin"):
        assert f"<code>{username}</code>" in page.text
    assert "Mara" not in page.text


def test_admin_adds_a_clinician_with_a_supervisor(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    csrf = log_in(client, "admin")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "cleo",
            "display_name": "Cleo Test (fictional)",
            "role": "clinician",
            "supervisor_username": "sol",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 303
    assert "The account was added." in client.get(response.headers["location"]).text
    cleo = next(c for c in demo_practice.list_clinicians(admin) if c.username == "cleo")
    sol = next(c for c in demo_practice.list_clinicians(admin) if c.username == "sol")
    assert cleo.supervisor_id == sol.id


def test_adding_an_account_with_a_short_password_keeps_the_input_and_stores_nothing(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    csrf = log_in(client, "admin")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "dora",
            "display_name": "Dora Test",
            "role": "clinician",
            "password": "short",
        },
    )
    assert response.status_code == 422
    assert "at least 10 characters" in response.text
    assert 'value="dora"' in response.text
    assert "short" not in response.text.split("Add an account")[1].split("</form>")[0].replace("shorten", "")
    assert all(c.username != "dora" for c in demo_practice.list_clinicians(admin))


def test_admin_deactivates_an_account_and_its_login_ends(client: TestClient) -> None:
    ben_client_csrf = log_in(client, "ben")
    assert ben_client_csrf
    ben_cookie = client.cookies.get("safeenough_session")
    client.cookies.clear()
    csrf = log_in(client, "admin")
    response = client.post("/admin/users/ben/active", data={"csrf_token": csrf, "active": "false"})
    assert response.status_code == 303
    assert "deactivated" in client.get("/admin/users").text
    assert ben_cookie
    client.cookies.clear()
    client.cookies.set("safeenough_session", ben_cookie)
    assert client.get("/").status_code == 303
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={"username": "ben", "password": "demo-password-1", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 401


def test_clinician_cannot_open_the_accounts_page(client: TestClient) -> None:
    csrf = log_in(client, "ada")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "eve",
            "display_name": "Eve",
            "role": "admin",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 403


def test_admin_reads_the_audit_log_of_who_read_what(client: TestClient, ada_case_id_read: None) -> None:
    log_in(client, "admin")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "Audit log" in page.text
    assert "read" in page.text


def failed_logins(client: TestClient, username: str, times: int) -> int:
    status = 0
    for _ in range(times):
        page = client.get("/login")
        status = client.post(
            "/login",
            data={"username": username, "password": "wrong-password!", "csrf_token": csrf_from(page.text)},
        ).status_code
    return status


def test_a_password_set_by_the_admin_lifts_a_lockout_and_ends_the_accounts_logins(client: TestClient) -> None:
    assert failed_logins(client, "ben", 6) == 429
    csrf = log_in(client, "admin")
    page = client.get("/admin/users")
    assert "Set a password…" in page.text
    response = client.post(
        "/admin/users/ben/password", data={"csrf_token": csrf, "password": "a-brand-new-pass"}
    )
    assert response.status_code == 303
    assert "any lockout is lifted" in client.get(response.headers["location"]).text
    client.cookies.clear()
    assert log_in(client, "ben", "a-brand-new-pass")


def test_a_too_short_password_from_the_admin_is_refused_with_the_reason(client: TestClient) -> None:
    csrf = log_in(client, "admin")
    response = client.post("/admin/users/ben/password", data={"csrf_token": csrf, "password": "short"})
    assert response.status_code == 422
    assert "Choose a password of at least 10 characters." in response.text
    client.cookies.clear()
    assert log_in(client, "ben")


def test_a_refused_row_action_is_said_beside_its_field_in_that_row_not_at_the_top(
    client: TestClient, ben: Clinician
) -> None:
    csrf = log_in(client, "admin")
    response = client.post("/admin/users/ben/password", data={"csrf_token": csrf, "password": "short"})
    assert response.status_code == 422
    form_id = f"row-{ben.id}-password"
    # The row's "Set a password…" is folded open, the message stands between the label and the field.
    assert re.search(
        rf'<details class="confirm" open>\s*<summary [^>]*>Set a password….*?'
        rf'<label for="password-{ben.id}">New password for ben</label>\s*'
        rf'<p class="field-error" id="{form_id}-error"><span class="visually-hidden">Error: </span>'
        r"Choose a password of at least 10 characters\.</p>\s*"
        rf'<input id="password-{ben.id}"[^>]* aria-invalid="true" '
        rf'aria-describedby="{form_id}-error password-hint-{ben.id}" autofocus>',
        response.text,
        re.DOTALL,
    )
    # One summary line above the table links to it; nothing is said in a banner.
    assert re.search(
        rf'<p class="form-summary" id="row-problem-summary">.*<a href="#password-{ben.id}">New password for '
        r"ben</a>",
        response.text,
    )
    assert 'class="alert"' not in response.text
    assert '<meta name="safeenough-form-page" content="/admin/users">' in response.text


def test_a_username_typed_with_capitals_is_named_as_typed_and_stored_in_lower_case(
    client: TestClient, demo_practice: Practice
) -> None:
    csrf = log_in(client, "admin")
    taken = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "Ada",
            "display_name": "Ada Again",
            "role": "clinician",
            "password": "long-enough-pass",
        },
    )
    assert taken.status_code == 422
    assert "The username “Ada” is taken; choose another." in taken.text
    assert 'value="Ada"' in taken.text
    odd = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "Kim Lee",
            "display_name": "Kim",
            "role": "clinician",
            "password": "long-enough-pass",
        },
    )
    assert "The username “Kim Lee” has a space in it" in odd.text
    added = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "KimLee",
            "display_name": "Kim",
            "role": "clinician",
            "password": "long-enough-pass",
        },
    )
    assert added.status_code == 303
    assert "kimlee" in {person.username for person in demo_practice.list_clinicians(None)}
    # The form lets capitals through to the server, which lowers them.
    assert 'pattern="[A-Za-z0-9._\\-]+"' in client.get("/admin/users").text


def test_deactivating_asks_for_confirmation_first(client: TestClient) -> None:
    log_in(client, "admin")
    page = client.get("/admin/users").text
    assert '<summary class="button button--quiet">Deactivate…' in page
    assert "Deactivate ben</button>" in page


def test_an_account_change_that_is_neither_activate_nor_deactivate_changes_nothing(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    csrf = log_in(client, "admin")
    response = client.post("/admin/users/ben/active", data={"csrf_token": csrf, "active": "maybe"})
    assert response.status_code == 422
    assert "Choose whether to activate or deactivate the account." in response.text
    assert next(c for c in demo_practice.list_clinicians(admin) if c.username == "ben").active


def test_an_administrator_account_cannot_have_a_supervisor(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    csrf = log_in(client, "admin")
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "root2",
            "display_name": "Second admin",
            "role": "admin",
            "supervisor_username": "sol",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 422
    assert "has no supervisor" in response.text
    assert all(c.username != "root2" for c in demo_practice.list_clinicians(admin))


def test_a_short_first_password_is_refused_beside_the_password_field(client: TestClient) -> None:
    csrf = log_in(client, "admin")
    form = client.get("/admin/users").text
    assert 'minlength="10"' in form.split('id="new-password"', 1)[1].split(">", 1)[0]
    assert "At least 10 characters." in form
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "cleo",
            "display_name": "Cleo Test (fictional)",
            "role": "clinician",
            "password": "short",
        },
    )
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="add-user-error">.*at least 10 characters', response.text)
    assert re.search(
        r'<input id="new-password"[^>]* aria-invalid="true" aria-describedby="add-user-error password-hint" '
        r"autofocus",
        response.text,
    )
    assert 'value="cleo"' in response.text


def test_admin_changes_an_accounts_supervisor_and_a_wrong_one_is_refused(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    csrf = log_in(client, "admin")
    page = client.get("/admin/users").text
    assert 'action="/admin/users/ben/supervisor"' in page
    assert 'action="/admin/users/admin/supervisor"' not in page  # an admin holds no cases
    response = client.post("/admin/users/ben/supervisor", data={"csrf_token": csrf, "supervisor": "sol"})
    assert response.status_code == 303
    assert "The supervisor was changed." in client.get(response.headers["location"]).text
    by_name = {c.username: c for c in demo_practice.list_clinicians(admin)}
    assert by_name["ben"].supervisor_id == by_name["sol"].id
    refused = client.post("/admin/users/ben/supervisor", data={"csrf_token": csrf, "supervisor": "ada"})
    assert refused.status_code == 422
    assert "not an active supervisor" in refused.text
    cleared = client.post("/admin/users/ben/supervisor", data={"csrf_token": csrf, "supervisor": ""})
    assert cleared.status_code == 303
    assert next(c for c in demo_practice.list_clinicians(admin) if c.username == "ben").supervisor_id is None


def test_after_a_row_action_the_message_saying_what_was_done_takes_the_focus(client: TestClient) -> None:
    csrf = log_in(client, "admin")
    response = client.post("/admin/users/ben/active", data={"csrf_token": csrf, "active": "false"})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert re.search(
        r'<p class="notice" role="status" tabindex="-1" autofocus>ben: The account was deactivated', page
    )


def test_a_confirmation_names_the_account_only_when_such_an_account_exists(client: TestClient) -> None:
    log_in(client, "admin")
    assert "ben: The password was set" in client.get("/admin/users?done=password&who=ben").text
    made_up = client.get("/admin/users?done=password&who=Call%20us%20on%20555").text
    assert "Call us" not in made_up
    assert "The password was set" in made_up
