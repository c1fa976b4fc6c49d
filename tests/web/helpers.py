"""Small helpers the web tests share: read a form's CSRF token, log in through the real form."""

import re
from collections.abc import Mapping
from typing import Protocol

from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.storage.fixtures import DEMO_PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Reply(Protocol):
    """What the tests read of a TestClient response (its class depends on the httpx package in use)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Logs in through the real form; returns the CSRF token of the page the login lands on."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    landing = client.get(response.headers["location"], follow_redirects=True)
    assert landing.status_code == 200
    return csrf_from(landing.text)


def case_titled(practice: Practice, owner: Clinician, prefix: str) -> Case:
    for summary in practice.caseload(owner):
        if summary.case.title.startswith(prefix):
            return summary.case
    raise AssertionError(f"no demo case starting {prefix!r}")
