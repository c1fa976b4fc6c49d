"""The caseload: each clinician sees their own cases; a supervisor also sees supervisees' cases, read only."""

from fastapi.testclient import TestClient

from tests.web.helpers import log_in


def test_caseload_shows_the_demo_cases_with_clients_kind_and_dates(client: TestClient) -> None:
    log_in(client, "ada")
    page = client.get("/")
    assert page.status_code == 200
    assert "Mara — work stress and sleep" in page.text
    assert "Jonah &amp; Priya — rebuilding after a move" in page.text
    assert "Jonah Reyes" in page.text
    assert "Priya Reyes" in page.text
    assert 'class="badge badge--couple"' in page.text
    assert "<time datetime=" in page.text


def test_clinician_never_sees_another_clinicians_cases_in_the_caseload(client: TestClient) -> None:
    log_in(client, "ben")
    page = client.get("/")
    assert "Rosa" in page.text
    assert "Mara" not in page.text
    assert "Jonah" not in page.text


def test_supervisor_sees_supervisees_cases_marked_read_only(client: TestClient) -> None:
    log_in(client, "sol")
    page = client.get("/")
    assert "Ines — anxiety at work" in page.text
    assert "Cases you supervise" in page.text
    assert "Your supervisees' cases, read only" not in page.text  # the heading says it once
    assert "Mara — work stress and sleep" in page.text
    assert "Rosa" not in page.text


def test_admin_is_sent_to_accounts_and_never_sees_clinical_content(client: TestClient) -> None:
    log_in(client, "admin")
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users"
    assert "Mara" not in response.text


def test_the_caseload_draws_each_clients_recent_alliance_as_a_labelled_sparkline(client: TestClient) -> None:
    log_in(client, "ada")
    page = client.get("/").text
    mara_row = page[page.index("Mara — work stress and sleep") :].split("</tr>")[0]
    assert mara_row.count('<svg class="sv-spark"') == 1
    assert 'role="img"' in mara_row
    assert "totals for Mara Ellison" in mara_row  # the label a screen reader reads, with every total
    assert "46, 48, 33, 49" in mara_row
    couple_row = page[page.index("Jonah &amp; Priya") :].split("</tr>")[0]
    assert couple_row.count('<svg class="sv-spark"') == 2
    assert '<span class="trend__who">Jonah</span>' in couple_row
    theo_row = page[page.index("Theo — grief") :].split("</tr>")[0]
    assert "no check-ins yet" in theo_row
