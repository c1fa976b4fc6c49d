"""Security headers on every response, static files served locally, no inline script."""

import re

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web.app import NO_TELEMETRY, create_app
from safeenough.web.rendering import TEMPLATES_DIR
from tests.web.helpers import log_in

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def assert_security_headers(headers: dict[str, str] | object) -> None:
    assert isinstance(headers, dict) or hasattr(headers, "get")
    get = headers.get  # type: ignore[union-attr]
    assert get("content-security-policy") == EXPECTED_CSP
    assert get("referrer-policy") == "no-referrer"
    assert get("x-content-type-options") == "nosniff"
    assert get("x-frame-options") == "DENY"


@pytest.mark.parametrize("path", ["/login", "/static/safeenough.css", "/no-such-page"])
def test_security_headers_are_on_every_response(client: TestClient, path: str) -> None:
    assert_security_headers(client.get(path).headers)


def test_pages_with_clinical_content_are_never_cached(client: TestClient, ada_case: Case) -> None:
    log_in(client, "ada")
    for path in ("/", f"/cases/{ada_case.id}"):
        response = client.get(path)
        assert_security_headers(response.headers)
        assert response.headers["cache-control"] == "no-store"


def test_error_pages_carry_the_headers_too(client: TestClient) -> None:
    log_in(client, "ben")
    response = client.get("/cases/1")
    assert_security_headers(response.headers)
    assert response.headers["cache-control"] == "no-store"


def test_htmx_is_vendored_and_served_locally(client: TestClient) -> None:
    page = client.get("/login")
    assert '<script src="/static/htmx.min.js" defer></script>' in page.text
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text[:200]


def test_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES_DIR.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        # JSON data islands (chart specs) are data, not code: CSP does not run them.
        assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))', text), template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


def test_every_page_has_a_skip_link_and_a_main_landmark(client: TestClient) -> None:
    page = client.get("/login")
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in page.text
    assert '<main id="main"' in page.text
    assert '<html lang="en">' in page.text


def test_fastapi_telemetry_stays_off_even_when_the_environment_asks_for_it(
    monkeypatch: pytest.MonkeyPatch, demo_practice: Practice, settings: Settings
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    app = create_app(demo_practice, settings)
    # FastAPI keeps its resolved telemetry settings here; there is no public reader
    config = app._telemetry
    assert not any(config[switch] for switch in NO_TELEMETRY)


def test_a_refused_look_at_another_clinicians_case_is_in_the_audit_trail(
    client: TestClient, demo_practice: Practice, ada_case: Case, admin: Clinician, ben: Clinician
) -> None:
    log_in(client, "ben")
    assert client.get(f"/cases/{ada_case.id}").status_code == 404
    refused = [e for e in demo_practice.audit_log(admin) if e.action is AuditAction.REFUSED]
    assert [(e.actor_id, e.detail) for e in refused] == [(ben.id, f"GET /cases/{ada_case.id}")]


def test_a_logged_out_visitor_leaves_no_refusal_in_the_audit_trail(
    client: TestClient, demo_practice: Practice, admin: Clinician
) -> None:
    assert client.get("/no/such/page").status_code == 404
    assert not any(e.action is AuditAction.REFUSED for e in demo_practice.audit_log(admin))
