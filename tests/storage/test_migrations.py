import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, insert, inspect, select, table, text, update

from safeenough.domain.clinician import Clinician
from safeenough.errors import DatabaseNotReady, KeyMissing
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage import database
from safeenough.storage.tables import alerts, metadata, sessions
from tests.builders import login

# The alerts table as schema 0005 had it, before its rule and evidence were sealed.
ALERTS_AT_0005 = table(
    "alerts",
    *(column(name) for name in ("id", "case_id", "client_ids", "session_id", "kind", "severity")),
    *(
        column(name)
        for name in ("fingerprint", "rule", "evidence", "suggestion_sealed", "status", "created_at")
    ),
)


def test_migrating_an_empty_database_to_head_gives_exactly_the_table_definitions(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    database.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_downgrading_to_base_removes_every_table(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    database.upgrade(engine)
    database.downgrade(engine, "base")
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()


def test_an_unmigrated_database_is_reported_with_what_to_do(db_url: str) -> None:
    engine = database.create_database_engine(db_url)
    with pytest.raises(DatabaseNotReady, match="safeenough migrate"):
        database.require_current_schema(engine)
    engine.dispose()


def test_upgrading_numbers_each_cases_sessions_by_date_and_names_missed_sessions_by_date(
    demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    dates = {s.id: s.held_on for s in demo_practice.case_detail(ada, mara.id).sessions}
    engine = demo_practice.store.engine
    database.downgrade(engine, "0005", cipher=demo_practice.store.cipher)
    # As the previous version left a case whose second session was entered last.
    first, second, *rest = sorted(dates, key=lambda session_id: dates[session_id])
    with engine.begin() as connection:
        connection.execute(update(sessions).where(sessions.c.id == second).values(number=99))
        for number, session_id in enumerate(rest, start=2):
            connection.execute(update(sessions).where(sessions.c.id == session_id).values(number=number))
        connection.execute(update(sessions).where(sessions.c.id == second).values(number=len(dates)))
        alert_id = connection.execute(
            insert(ALERTS_AT_0005)
            .values(
                case_id=mara.id,
                client_ids=str(mara.clients[0].id),
                session_id=rest[0],
                kind="missing_checkins",
                severity="low",
                fingerprint="old-missing",
                rule="2 check-ins in a row not returned (sessions 7 and 2)",
                evidence=json.dumps(
                    [
                        {"label": "check-in not returned", "session_id": s, "held_on": dates[s].isoformat()}
                        for s in (second, rest[0])
                    ]
                ),
                suggestion_sealed="unused",
                status="open",
                created_at=datetime.now(UTC),
            )
            .returning(ALERTS_AT_0005.c.id)
        ).scalar_one()
    database.upgrade(engine, "0006")
    with engine.connect() as connection:
        numbers = dict(connection.execute(select(sessions.c.id, sessions.c.number)).all())
        rule = connection.execute(
            select(text("rule")).select_from(alerts).where(alerts.c.id == alert_id)
        ).scalar_one()
    assert [numbers[s] for s in (first, second, *rest)] == list(range(1, len(dates) + 1))
    day = dates[second]
    assert rule.endswith(
        f"(sessions of {day.day} {day:%b %Y} and {dates[rest[0]].day} {dates[rest[0]]:%b %Y})"
    )


def test_upgrading_seals_the_answers_and_alert_texts_an_earlier_version_stored_in_the_clear(
    demo_practice: Practice, ada: Clinician, settings: Settings
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    before = demo_practice.case_monitoring(ada, mara.id)
    engine = demo_practice.store.engine
    database.downgrade(engine, "0006", cipher=demo_practice.store.cipher)
    with engine.connect() as connection:
        answers = connection.execute(text("SELECT answers FROM checkins")).scalars().all()
    assert answers
    assert all(value.startswith("{") for value in answers)
    upgraded = Practice.create(settings)  # finds the key and hands it to the migration
    try:
        after = upgraded.case_monitoring(login(upgraded, "ada"), mara.id)
    finally:
        upgraded.close()
    assert after.alerts == before.alerts
    assert after.tracks == before.tracks


def test_upgrading_stored_check_ins_without_the_key_says_what_to_do_and_changes_nothing(
    demo_practice: Practice,
) -> None:
    engine = demo_practice.store.engine
    database.downgrade(engine, "0006", cipher=demo_practice.store.cipher)
    with pytest.raises(KeyMissing, match="SAFEENOUGH_SECRET_KEY_FILE"):
        database.upgrade(engine)
    assert database.current_revision(engine) == "0006"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT answers FROM checkins")).scalars().first()
