"""Web tests: Starlette's TestClient over a real, migrated database (SQLite, and PostgreSQL when marked)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web import create_app
from tests.web.helpers import case_titled


@pytest.fixture
def client(demo_practice: Practice, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_practice, settings), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def ada_case(demo_practice: Practice, ada: Clinician) -> Case:
    """Ada's individual case with Mara (four sessions in the demo data)."""
    return case_titled(demo_practice, ada, "Mara")


@pytest.fixture
def theo_case(demo_practice: Practice, ada: Clinician) -> Case:
    """Ada's individual case with Theo: the demo leaves his map empty."""
    return case_titled(demo_practice, ada, "Theo")


@pytest.fixture
def couple_case(demo_practice: Practice, ada: Clinician) -> Case:
    return case_titled(demo_practice, ada, "Jonah & Priya")


@pytest.fixture
def ada_case_id_read(demo_practice: Practice, ada: Clinician, ada_case: Case) -> None:
    """Ada has read her case once, so the audit trail has a clinical read in it."""
    demo_practice.case_detail(ada, ada_case.id)
