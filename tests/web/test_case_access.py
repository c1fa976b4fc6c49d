"""The case's 'Who has opened this case' page: in words, for the therapist and their supervisor."""

import re

from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from tests.web.helpers import log_in


def lines_of(page: str) -> list[str]:
    """Each row of the history as 'who | what'."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows
    ]
    return [f"{who} | {what}" for _, who, what in cells]


def test_the_case_page_links_to_who_has_opened_it(client: TestClient, ada_case: Case) -> None:
    log_in(client, "ada")
    page = client.get(f"/cases/{ada_case.id}")
    assert f'href="/cases/{ada_case.id}/access">Who has opened this case</a>' in page.text


def test_the_therapist_reads_in_words_that_the_supervisor_opened_the_case_and_the_client_sent_check_ins(
    client: TestClient, demo_practice: Practice, sol: Clinician, ada_case: Case
) -> None:
    demo_practice.client_map(sol, ada_case.clients[0].id)
    log_in(client, "ada")
    client.get(f"/cases/{ada_case.id}")
    page = client.get(f"/cases/{ada_case.id}/access")
    assert page.status_code == 200
    lines = lines_of(page.text)
    sols_look = (
        f"{sol.display_name} · supervisor | opened the client map of {ada_case.clients[0].display_name}"
    )
    assert sols_look in lines
    assert "The client | sent a check-in through their link" in lines
    assert any(line.endswith("· you | opened the case") for line in lines)
    assert page.headers["cache-control"].startswith("no-store")


def test_the_supervisor_reads_it_and_another_clinician_or_the_admin_gets_not_found(
    client: TestClient, ada_case: Case
) -> None:
    log_in(client, "sol")
    page = client.get(f"/cases/{ada_case.id}/access")
    assert page.status_code == 200
    assert "and you, as their supervisor, can open the case" in page.text
    for outsider in ("ben", "admin"):
        client.cookies.clear()
        log_in(client, outsider)
        assert client.get(f"/cases/{ada_case.id}/access").status_code == 404


def test_the_page_says_who_can_open_the_case_as_it_is(
    client: TestClient, demo_practice: Practice, admin: Clinician, ada_case: Case
) -> None:
    log_in(client, "ada")
    assert "Only you and your supervisor can open the case" in client.get(f"/cases/{ada_case.id}/access").text
    demo_practice.set_supervisor(admin, "ada", None)
    assert "Only you can open the case" in client.get(f"/cases/{ada_case.id}/access").text
