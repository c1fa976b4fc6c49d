"""Times are shown in the practice's time zone (SAFEENOUGH_TIME_ZONE), labelled with its abbreviation."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.web import create_app
from safeenough.web.rendering import format_datetime
from tests.web.helpers import log_in

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_moment_is_shown_in_the_given_zone_with_its_abbreviation() -> None:
    assert format_datetime(datetime(2026, 11, 29, 13, 5, tzinfo=UTC), BERLIN) == "29 Nov 2026 14:05 CET"


def test_summer_time_is_shown_with_the_summer_abbreviation() -> None:
    assert format_datetime(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), BERLIN) == "1 Jul 2026 10:00 CEST"


def test_a_naive_moment_is_taken_to_be_utc_as_stored() -> None:
    assert format_datetime(datetime(2026, 11, 29, 23, 30), BERLIN) == "30 Nov 2026 00:30 CET"


def test_utc_is_labelled_utc() -> None:
    assert format_datetime(datetime(2026, 11, 29, 13, 5, tzinfo=UTC), UTC) == "29 Nov 2026 13:05 UTC"


def test_no_moment_is_a_dash() -> None:
    assert format_datetime(None, BERLIN) == "—"


@pytest.fixture
def berlin_client(demo_practice: Practice, settings: Settings) -> Iterator[TestClient]:
    berlin = settings.model_copy(update={"time_zone": "Europe/Berlin"})
    with TestClient(create_app(demo_practice, berlin), follow_redirects=False) as test_client:
        yield test_client


def test_pages_show_times_in_the_practice_time_zone(berlin_client: TestClient) -> None:
    log_in(berlin_client, "admin")
    page = berlin_client.get("/admin/audit")
    assert page.status_code == 200
    assert re.search(r"\d{1,2} \w{3} \d{4} \d{2}:\d{2} CES?T", page.text)
