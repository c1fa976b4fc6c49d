"""The audit log page: the admin narrows it by account, action, kind of record and days, pages back
through it, and downloads what it shows as CSV; the download is itself in the trail."""

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from safeenough.domain.audit import AuditAction, AuditQuery
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.web.routes.admin import AUDIT_PAGE_SIZE
from tests.web.helpers import csrf_from, log_in


def rows_of(page: str) -> list[list[str]]:
    """The audit table's rows, each as its cells' text."""
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def fail_a_login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    client.post(
        "/login", data={"username": username, "password": "not-it", "csrf_token": csrf_from(page.text)}
    )


def test_the_admin_sees_only_one_accounts_reads_when_asking_for_them(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    demo_practice.case_detail(ada, ada_case.id)
    fail_a_login(client, "nobody")
    log_in(client, "admin")
    page = client.get("/admin/audit", params={"who": "ada", "action": "read"})
    assert page.status_code == 200
    rows = rows_of(page.text)
    assert rows
    assert all(row[1] == "ada" and row[2] == "read" for row in rows)
    assert ["ada", "read", f"case #{ada_case.id}"] in [row[1:4] for row in rows]
    assert 'value="ada" selected' in page.text  # the filter stays as chosen


def test_the_admin_narrows_the_log_to_a_kind_of_record_and_to_days(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    demo_practice.case_detail(ada, ada_case.id)
    log_in(client, "admin")
    today = demo_practice.today().isoformat()
    page = client.get("/admin/audit", params={"kind": "case", "from": today, "to": today})
    assert page.status_code == 200
    assert rows_of(page.text)
    assert all(row[3].startswith("case #") for row in rows_of(page.text))
    earlier = client.get("/admin/audit", params={"kind": "case", "to": "2000-01-01"})
    assert rows_of(earlier.text) == []
    assert "No event matches these choices." in earlier.text


def test_a_filter_that_cannot_be_used_is_named_beside_its_field_and_lists_nothing(client: TestClient) -> None:
    log_in(client, "admin")
    unknown = client.get("/admin/audit", params={"who": "eve"})
    assert unknown.status_code == 422
    assert "There is no account with the username “eve”." in unknown.text
    assert 'id="who" name="who" aria-invalid="true"' in unknown.text
    assert rows_of(unknown.text) == []
    not_a_date = client.get("/admin/audit", params={"from": "29/11/2026"})
    assert not_a_date.status_code == 422
    assert "write it as YYYY-MM-DD" in not_a_date.text
    backwards = client.get("/admin/audit", params={"from": "2026-11-29", "to": "2026-11-01"})
    assert "The last day comes before the first day" in backwards.text


def test_older_events_follow_on_the_next_page_without_repeating_any(
    client: TestClient, demo_practice: Practice
) -> None:
    with demo_practice.store.transaction() as work:
        for number in range(AUDIT_PAGE_SIZE + 30):
            work.audit.record(None, AuditAction.LOGIN_FAILED, "clinician", detail=f"try-{number}")
    log_in(client, "admin")
    first = client.get("/admin/audit", params={"action": "login_failed"})
    assert len(rows_of(first.text)) == AUDIT_PAGE_SIZE
    older = re.search(r'href="(/admin/audit\?[^"]*before=\d+)">Older events', first.text)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&"))
    seen = [row[4] for row in rows_of(first.text) + rows_of(second.text)]
    assert len(seen) == len(set(seen)) == AUDIT_PAGE_SIZE + 30
    assert ">Latest events</a>" in second.text
    assert ">Older events</a>" not in second.text


def test_the_download_holds_the_chosen_events_and_is_itself_in_the_trail(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    fail_a_login(client, "ben")
    log_in(client, "admin")
    download = client.get("/admin/audit.csv", params={"action": "login_failed"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows
    assert {row["action"] for row in rows} == {"login_failed"}
    assert {"account": "system", "record_kind": "clinician", "detail": "wrong password"}.items() <= rows[
        0
    ].items()
    (export,) = demo_practice.audit_log(admin, 1, AuditQuery(action=AuditAction.EXPORT))
    assert (export.actor_id, export.target_kind, export.detail) == (
        admin.id,
        "audit_log",
        "csv, action login_failed",
    )


def test_a_password_typed_into_the_username_field_is_kept_nowhere(
    client: TestClient, demo_practice: Practice
) -> None:
    fail_a_login(client, "correct-horse-battery")
    with demo_practice.store.engine.connect() as connection:
        for table in ("audit_events", "login_attempts"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert rows
            assert not any("correct-horse" in str(value) for row in rows for value in row)
    log_in(client, "admin")
    page = client.get("/admin/audit", params={"action": "login_failed"})
    assert rows_of(page.text)[0][4] == "unknown username"


def test_a_clinician_can_neither_read_nor_download_the_audit_log(client: TestClient) -> None:
    log_in(client, "ada")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
