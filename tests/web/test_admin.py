"""Account administration: only admins, and never clinical content."""

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
