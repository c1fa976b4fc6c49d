"""Upgrading a database of schema 0006 keeps every row and every reference between rows.

Migrations 0007, 0008, 0010 and 0011 rebuild tables on SQLite (copy, drop, rename). With foreign keys on,
dropping the old copy of a table runs its ON DELETE actions on the rows that point at it: a map entry that
quotes a check-in answer lost its check-in (SET NULL), and a cascade would delete child rows outright.
"""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, MetaData, Table, func, insert, inspect, select

from safeenough.storage import database
from safeenough.storage.encryption import FieldCipher

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CIPHER = FieldCipher(b"k" * 32)


@pytest.fixture
def engine_at_0006(db_url: str) -> Iterator[Engine]:
    engine = database.create_database_engine(db_url)
    database.upgrade(engine, "0006")
    yield engine
    engine.dispose()


def seal(value: str, field: str) -> str:
    return CIPHER.seal(value, field=field)


def fill_as_0006_left_it(engine: Engine) -> None:
    """A small practice as schema 0006 held it: every table that a later migration rebuilds, and every
    table that points at one, has rows."""
    reflected = MetaData()
    reflected.reflect(engine)
    t: dict[str, Table] = dict(reflected.tables)
    with engine.begin() as connection:

        def add(table: str, **values: object) -> int:
            key = connection.execute(insert(t[table]).values(**values)).inserted_primary_key
            return int(key[0]) if key and isinstance(key[0], int) else 0

        practice = add("practices", name="Test practice")
        ada = add(
            "clinicians",
            practice_id=practice,
            username="ada",
            display_name="Ada",
            role="clinician",
            password_hash="x",
            active=True,
            created_at=NOW,
        )
        case = add(
            "cases",
            practice_id=practice,
            clinician_id=ada,
            title_sealed=seal("Mara", "cases.title"),
            kind="individual",
            opened_on=date(2026, 10, 1),
        )
        mara = add(
            "clients",
            case_id=case,
            code="C-0001",
            display_name_sealed=seal("Mara", "clients.display_name"),
            position=0,
        )
        session = add("sessions", case_id=case, number=1, held_on=date(2026, 11, 1), created_at=NOW)
        connection.execute(insert(t["session_attendees"]).values(session_id=session, client_id=mara))
        link = add(
            "checkin_links",
            session_id=session,
            client_id=mara,
            instrument_ids="safety",
            nonce_hash="n" * 64,
            kiosk=False,
            created_by=ada,
            created_at=NOW,
            expires_at=NOW,
            used_at=NOW,
        )
        check_in = add(
            "checkins",
            link_id=link,
            session_id=session,
            client_id=mara,
            instrument_id="safety",
            instrument_version="1",
            submitted_at=NOW,
            answers=json.dumps([3, 4, None]),
            free_text_sealed=seal("I felt nobody listened.", "checkins.free_text"),
            total=7.0,
        )
        add(
            "alerts",
            case_id=case,
            client_ids=str(mara),
            session_id=session,
            kind="low_item",
            severity="high",
            fingerprint=f"low_item|{mara}|{session}|safety|1",
            rule="item 1 scored 3",
            evidence=json.dumps([{"label": "item 1", "session_id": session}]),
            suggestion_sealed=seal("Ask about safety.", "alerts.suggestion"),
            status="acknowledged",
            status_changed_by=ada,
            status_changed_at=NOW,
            created_at=NOW,
        )
        add(
            "annotations",
            session_id=session,
            turn_index=0,
            key="talk_type",
            value_sealed=seal("change", "annotations.value"),
            evidence="",
            produced_by="talk_type.v1",
            created_at=NOW,
        )
        pattern = add(
            "relational_patterns",
            case_id=case,
            client_id=mara,
            wish_sealed=seal("to be heard", "relational_patterns.wish"),
            response_of_other_sealed=seal("others turn away", "relational_patterns.response_of_other"),
            response_of_self_sealed=seal("she withdraws", "relational_patterns.response_of_self"),
            examples_sealed=seal("[]", "relational_patterns.examples"),
            created_at=NOW,
            created_by=ada,
            updated_at=NOW,
            updated_by=ada,
        )
        add(
            "enactments",
            pattern_id=pattern,
            session_id=session,
            turn_index=1,
            quote_sealed=seal("you never listen", "enactments.quote"),
            marker="withdrawal",
            status="linked",
            linked_at=NOW,
            linked_by=ada,
        )
        add(
            "dismissed_suggestions",
            case_id=case,
            kind="formulation",
            client_id=mara,
            session_id=session,
            turn_index=1,
            domain="relationships",
            dismissed_at=NOW,
            dismissed_by=ada,
        )
        for provenance in ("checkin_answer", "session_turn"):
            entry = add(
                "formulation_entries",
                case_id=case,
                client_id=mara,
                domain="relationships",
                text_sealed=seal("Feels unheard at home.", "formulation_entries.text"),
                status="client_said",
                provenance_kind=provenance,
                source_session_id=session if provenance == "session_turn" else None,
                source_turn_index=1 if provenance == "session_turn" else None,
                source_check_in_id=check_in if provenance == "checkin_answer" else None,
                quote_sealed=seal("nobody listened", "formulation_entries.quote"),
                created_at=NOW,
                created_by=ada,
                updated_at=NOW,
                updated_by=ada,
            )
            add(
                "formulation_changes",
                entry_id=entry,
                changed_at=NOW,
                changed_by=ada,
                new_status="client_said",
                new_text_sealed=seal("Feels unheard at home.", "formulation_changes.new_text"),
            )


def references(engine: Engine) -> dict[str, object]:
    """For every table: how many rows, and each row's value of each column that points at another row."""
    found: dict[str, object] = {}
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.connect() as connection:
        for name, table in reflected.tables.items():
            if name == "alembic_version":
                continue
            found[name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
            for key in table.foreign_keys:
                column = key.parent
                primary = list(table.primary_key.columns)
                rows = connection.execute(select(*primary, column).order_by(*primary)).all()
                found[f"{name}.{column.name}"] = [tuple(row) for row in rows]
    return found


def test_upgrading_from_0006_keeps_every_row_and_every_reference_between_rows(
    engine_at_0006: Engine,
) -> None:
    fill_as_0006_left_it(engine_at_0006)
    before = references(engine_at_0006)
    unrelated = {"settings", "audit_events", "login_sessions", "login_attempts", "instruments"}
    assert all(count for name, count in before.items() if "." not in name and name not in unrelated)

    database.upgrade(engine_at_0006, cipher=CIPHER)

    after = references(engine_at_0006)
    assert {name: value for name, value in after.items() if name in before} == before


def test_an_entry_quoting_a_check_in_still_points_at_it_after_the_upgrade(engine_at_0006: Engine) -> None:
    fill_as_0006_left_it(engine_at_0006)

    database.upgrade(engine_at_0006, cipher=CIPHER)

    reflected = MetaData()
    reflected.reflect(engine_at_0006)
    entries, checkins = reflected.tables["formulation_entries"], reflected.tables["checkins"]
    with engine_at_0006.connect() as connection:
        quoted = connection.execute(
            select(entries.c.source_check_in_id).where(entries.c.provenance_kind == "checkin_answer")
        ).scalar_one()
        check_in = connection.execute(select(checkins.c.id)).scalar_one()
    assert quoted == check_in
    assert "answers" not in {column["name"] for column in inspect(engine_at_0006).get_columns("checkins")}


def test_downgrading_back_to_0006_keeps_every_row_and_every_reference_between_rows(
    engine_at_0006: Engine,
) -> None:
    fill_as_0006_left_it(engine_at_0006)
    before = references(engine_at_0006)
    database.upgrade(engine_at_0006, cipher=CIPHER)

    database.downgrade(engine_at_0006, "0006", cipher=CIPHER)

    assert references(engine_at_0006) == before
