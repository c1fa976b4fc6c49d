"""Without the key, the database does not say what an alert is about (whose PHQ-9 item 9 answer)."""

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from safeenough.domain.alert import AlertKind
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.errors import KeyMissing
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage import database
from safeenough.storage.tables import cases
from tests.builders import login

# Everything an alerts row holds: in the clear where it belongs and its status (the caseload counts open
# alerts), a keyed fingerprint; all else sealed.
ALERT_COLUMNS = {
    "id",
    "case_id",
    "session_id",
    "created_at",
    "status",
    "status_changed_by",
    "status_changed_at",
}
ALERT_COLUMNS |= {"fingerprint", "about_sealed", "rule_sealed", "evidence_sealed", "suggestion_sealed"}
ALERT_COLUMNS |= {"status_note_sealed"}


def assert_nothing_readable_without_the_key(row: dict[str, Any]) -> None:
    assert set(row) == ALERT_COLUMNS  # no kind, severity, client, instrument or item column
    assert re.fullmatch(r"[0-9a-f]{64}", row["fingerprint"])  # a keyed hash, not "low_item|4|17|phq-9|9"
    assert all(row[name].startswith("v1:") for name in ("about_sealed", "rule_sealed", "evidence_sealed"))
    readable = [str(value) for name, value in row.items() if not name.endswith("_sealed")]
    assert not any("phq" in value or "low_item" in value for value in readable)


def endorse_phq9_item_9(practice: Practice, ada: Clinician) -> Case:
    """Mara answers a PHQ-9 with 'several days' throughout, item 9 (thoughts of self-harm) included."""
    case = next(s.case for s in practice.caseload(ada) if s.case.title.startswith("Mara"))
    practice.choose_checkin_instruments(ada, case.id, ("phq-9",))
    attendees = [client.id for client in case.clients]
    session = practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=attendees)
    issued = practice.issue_checkin_link(ada, session.id, case.clients[0].id)
    invitation = practice.open_checkin(issued.token)
    practice.submit_checkin(
        issued.token, {i.id: {item.id: 1 for item in i.items} for i in invitation.instruments}, {}
    )
    return case


def raw_alert_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM alerts"))]


def test_an_item_9_alert_shows_nothing_of_what_it_is_about_to_someone_without_the_key(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = endorse_phq9_item_9(demo_practice, ada)
    alerts = demo_practice.case_monitoring(ada, case.id).alerts
    assert any(r.alert.instrument_id == "phq-9" and r.alert.item_id == "9" for r in alerts)
    assert any(
        r.alert.kind is AlertKind.LOW_ITEM and r.alert.client_ids == (case.clients[0].id,) for r in alerts
    )
    rows = raw_alert_rows(demo_practice.store.engine)
    assert len(rows) >= len(alerts)
    for row in rows:
        assert_nothing_readable_without_the_key(row)


def test_upgrading_from_0009_seals_what_alerts_are_about_and_keeps_every_alert_as_it_was(
    demo_practice: Practice, ada: Clinician, settings: Settings
) -> None:
    case = endorse_phq9_item_9(demo_practice, ada)
    before = demo_practice.case_monitoring(ada, case.id).alerts
    engine = demo_practice.store.engine
    database.downgrade(engine, "0009", cipher=demo_practice.store.cipher)
    as_0009_stored_them = raw_alert_rows(engine)
    assert {"kind": "low_item", "instrument_id": "phq-9", "item_id": "9"}.items() <= next(
        row for row in as_0009_stored_them if row["item_id"] == "9"
    ).items()
    upgraded = Practice.create(settings)  # finds the key and hands it to the migration
    try:
        after = upgraded.case_monitoring(login(upgraded, "ada"), case.id).alerts
        # Evaluated again from the first check-in on, every alert is found under the fingerprint the
        # upgrade gave it: none is stored twice.
        with upgraded.store.engine.begin() as connection:
            connection.execute(update(cases).values(alerts_checked_through=0, alerts_checked_at=None))
        again = upgraded.case_monitoring(login(upgraded, "ada"), case.id).alerts
        rows = raw_alert_rows(upgraded.store.engine)
    finally:
        upgraded.close()
    assert after == before
    assert again == before
    assert len(rows) == len(as_0009_stored_them)
    for row in rows:
        assert_nothing_readable_without_the_key(row)


def test_upgrading_stored_alerts_without_the_key_says_what_to_do_and_changes_nothing(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = endorse_phq9_item_9(demo_practice, ada)
    demo_practice.case_monitoring(ada, case.id)
    engine = demo_practice.store.engine
    database.downgrade(engine, "0009", cipher=demo_practice.store.cipher)
    stored = raw_alert_rows(engine)
    with pytest.raises(KeyMissing, match="SAFEENOUGH_SECRET_KEY_FILE"):
        database.upgrade(engine)
    assert database.current_revision(engine) == "0009"
    assert raw_alert_rows(engine) == stored
