"""Downloads: FHIR bundle, scores CSV, supervision summary (HTML, PDF) and the session report PDF.

Each is an attachment, never cached, audited, refused to an admin and invisible (404) to another
clinician. The supervision PDF is read back with `pdftotext`: it must name clients by code only.
"""

import csv
import io
import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.domain.session import Session
from safeenough.practice import Practice
from safeenough.reports import pdf as pdf_module
from tests.web.helpers import log_in

# Fictional talk; Dana is the therapist, Sam the client.
TRANSCRIPT = (
    b"Dana: How have you been sleeping since we last met?\n"
    b"Sam: Badly. I keep waking at three and going over work.\n"
    b"Dana: What goes through your mind when you wake like that?\n"
    b"Sam: That I'm letting everyone down, mostly.\n"
)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed to read the PDF back"
    source = tmp_path / "download.pdf"
    source.write_bytes(data)
    return subprocess.run(
        [pdftotext, "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout


def first_session(practice: Practice, owner: Clinician, case: Case) -> Session:
    return min(practice.case_detail(owner, case.id).sessions, key=lambda session: session.number)


def assert_attachment(headers: Mapping[str, str], media_type: str, filename: str) -> None:
    assert headers.get("content-type", "").startswith(media_type)
    assert headers.get("content-disposition") == f'attachment; filename="{filename}"'
    assert headers.get("cache-control") == "no-store"


def test_the_case_fhir_bundle_downloads_and_parses(
    client: TestClient, demo_practice: Practice, admin: Clinician, ada: Clinician, ada_case: Case
) -> None:
    log_in(client, "ada")
    response = client.get(f"/cases/{ada_case.id}/export/fhir.json")
    assert response.status_code == 200
    assert_attachment(response.headers, "application/fhir+json", f"case-{ada_case.id}-checkins.fhir.json")
    bundle = json.loads(response.text)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["entry"]
    assert "Mara" not in response.text
    events = demo_practice.audit_log(admin, limit=10_000)
    assert any(
        e.action is AuditAction.EXPORT and e.target_id == ada_case.id and e.actor_id == ada.id for e in events
    )


def test_the_scores_csv_holds_the_clinicians_visible_cases(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    log_in(client, "ada")
    response = client.get("/export/scores.csv")
    assert response.status_code == 200
    assert_attachment(response.headers, "text/csv", "scores.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows
    header = response.text.splitlines()[0]
    assert "client_code" in header
    assert "Mara" not in response.text
    codes = {row["client_code"] for row in rows}
    assert ada_case.clients[0].code in codes


def test_the_supervision_summary_downloads_as_html_naming_clients_by_code(
    client: TestClient, couple_case: Case
) -> None:
    log_in(client, "ada")
    response = client.get(f"/cases/{couple_case.id}/supervision.html")
    assert response.status_code == 200
    assert_attachment(response.headers, "text/html", f"case-{couple_case.id}-supervision.html")
    for partner in couple_case.clients:
        assert partner.code in response.text
    assert "Jonah" not in response.text
    assert "Priya" not in response.text


def test_the_supervision_pdf_contains_codes_and_no_client_names(
    client: TestClient,
    demo_practice: Practice,
    ada: Clinician,
    admin: Clinician,
    couple_case: Case,
    tmp_path: Path,
) -> None:
    jonah, priya = couple_case.clients
    demo_practice.add_entry(
        ada,
        jonah.id,
        domain="values",
        text="Jonah values being the one who provides.",
        status="therapist_hypothesis",
    )
    log_in(client, "sol")  # the supervisor reads it too
    response = client.get(f"/cases/{couple_case.id}/supervision.pdf")
    assert response.status_code == 200, response.text
    assert_attachment(response.headers, "application/pdf", f"case-{couple_case.id}-supervision.pdf")
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert jonah.code in text
    assert priya.code in text
    assert "Jonah" not in text
    assert "Priya" not in text
    assert "Reyes" not in text
    events = demo_practice.audit_log(admin, limit=10_000)
    assert any(
        e.action is AuditAction.EXPORT
        and e.target_kind == "supervision_summary"
        and e.target_id == couple_case.id
        for e in events
    )


def test_a_pdf_that_cannot_be_made_here_gets_a_clear_503(
    client: TestClient, couple_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> object:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(pdf_module, "import_module", missing)
    log_in(client, "ada")
    response = client.get(f"/cases/{couple_case.id}/supervision.pdf")
    assert response.status_code == 503
    assert "PDF export is not available on this machine" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_the_session_report_pdf_downloads_once_there_is_a_report(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case, tmp_path: Path
) -> None:
    session = first_session(demo_practice, ada, ada_case)
    log_in(client, "ada")
    assert client.get(f"/sessions/{session.id}/report.pdf").status_code == 404
    demo_practice.import_transcript(
        ada, session.id, filename="session.txt", data=TRANSCRIPT, therapist="Dana"
    )
    page = client.get(f"/sessions/{session.id}")
    assert f'href="/sessions/{session.id}/report.pdf"' in page.text
    response = client.get(f"/sessions/{session.id}/report.pdf")
    assert response.status_code == 200
    assert_attachment(response.headers, "application/pdf", f"session-{session.number}-report.pdf")
    text = pdf_text(response.content, tmp_path)
    assert f"Session {session.number}" in text
    assert "letting everyone down" in text


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{case}/export/fhir.json",
        "/cases/{case}/supervision.html",
        "/cases/{case}/supervision.pdf",
        "/sessions/{session}/report.pdf",
    ],
)
def test_another_clinician_gets_404_and_an_admin_is_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case, path: str
) -> None:
    session = first_session(demo_practice, ada, ada_case)
    target = path.format(case=ada_case.id, session=session.id)
    log_in(client, "ben")
    assert client.get(target).status_code == 404
    client.cookies.clear()
    log_in(client, "admin")
    assert client.get(target).status_code in (403, 404)


def test_an_admin_cannot_download_the_scores(client: TestClient) -> None:
    log_in(client, "admin")
    response = client.get("/export/scores.csv")
    assert response.status_code == 403
    assert "text/csv" not in response.headers["content-type"]


def test_downloads_need_a_login(client: TestClient, ada_case: Case) -> None:
    response = client.get(f"/cases/{ada_case.id}/export/fhir.json")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
