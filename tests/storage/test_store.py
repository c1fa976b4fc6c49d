import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from safeenough.domain.audit import AuditAction
from safeenough.errors import InvalidInput, KeyMismatch, KeyMissing
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.encryption import create_key_file
from safeenough.storage.tables import alerts, cases, checkins, sessions
from safeenough.storage.tables import settings as settings_table
from tests.builders import login


def test_clinical_text_is_never_stored_in_plain_text(demo_practice: Practice) -> None:
    with demo_practice.store.engine.connect() as connection:
        titles = connection.execute(select(cases.c.title_sealed)).scalars().all()
        notes = connection.execute(select(sessions.c.note_sealed)).scalars().all()
    assert titles
    assert all(value.startswith("v1:") and "Mara" not in value for value in titles)
    assert all(value is None or value.startswith("v1:") for value in notes)


def test_check_in_answers_and_alert_rules_and_evidence_are_sealed_at_rest(demo_practice: Practice) -> None:
    with demo_practice.store.engine.connect() as connection:
        answers = connection.execute(select(checkins.c.answers_sealed)).scalars().all()
        stored_alerts = connection.execute(select(alerts.c.rule_sealed, alerts.c.evidence_sealed)).all()
    assert answers
    assert stored_alerts
    sealed = [*answers, *(value for row in stored_alerts for value in row)]
    assert all(value.startswith("v1:") and "total" not in value for value in sealed)
    ada = login(demo_practice, "ada")
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    monitoring = demo_practice.case_monitoring(ada, mara.id)
    assert any(record.alert.rule.startswith("total ") for record in monitoring.alerts)
    assert all(entry.check_in.answers for track in monitoring.tracks for entry in track.history)


def test_a_wrong_key_file_is_refused_with_a_clear_message_and_changes_nothing(
    demo_practice: Practice, settings: Settings, tmp_path: Path
) -> None:
    demo_practice.close()
    other_key = tmp_path / "other.key"
    create_key_file(other_key)
    wrong = settings.model_copy(update={"secret_key_file": other_key})
    with pytest.raises(KeyMismatch, match="different key"):
        Practice.create(wrong)
    reopened = Practice.open(settings)
    assert len(reopened.caseload(login(reopened, "ada"))) == 3
    reopened.close()


def test_a_lost_key_file_is_reported_not_replaced(demo_practice: Practice, settings: Settings) -> None:
    demo_practice.close()
    settings.resolved_key_file.rename(settings.resolved_key_file.with_suffix(".moved"))
    with pytest.raises(KeyMissing, match="does not exist"):
        Practice.create(settings)
    assert not settings.resolved_key_file.exists()


def test_backup_then_restore_brings_back_the_data(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    practice = Practice.create(settings)
    practice.seed_demo()
    ada = login(practice, "ada")
    practice.backup(tmp_path / "backup.sqlite3")
    case_id = practice.caseload(ada)[0].case.id
    client_id = practice.caseload(ada)[0].case.clients[0].id
    practice.add_session(
        ada, case_id, held_on=practice.caseload(ada)[0].case.opened_on, attendee_ids=[client_id]
    )
    before = practice.caseload(ada)[0].session_count
    kept = practice.restore(tmp_path / "backup.sqlite3")
    assert kept.exists()
    assert practice.caseload(ada)[0].session_count == before - 1
    practice.close()


def test_a_backup_and_a_restore_are_both_in_the_audit_trail(tmp_path: Path) -> None:
    practice = Practice.create(Settings(data_dir=tmp_path / "data"))
    practice.seed_demo()
    practice.backup(tmp_path / "backup.sqlite3")
    [backup] = [e for e in practice.audit_log(None) if e.target_kind == "database"]
    assert backup.action is AuditAction.EXPORT
    assert backup.detail == f"backup written to {tmp_path / 'backup.sqlite3'}"
    kept = practice.restore(tmp_path / "backup.sqlite3")
    [restore] = [e for e in practice.audit_log(None) if e.target_kind == "database"]
    assert restore.action is AuditAction.UPDATE
    assert restore.detail.endswith(f"the database it replaced is kept as {kept}")
    practice.close()


def test_a_backup_that_cannot_be_written_says_where_and_writes_nothing(tmp_path: Path) -> None:
    practice = Practice.create(Settings(data_dir=tmp_path / "data"))
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(
        InvalidInput, match=r"cannot be written to .*a-file/backup\.sqlite3 .*Nothing was written"
    ):
        practice.backup(tmp_path / "a-file" / "backup.sqlite3")
    assert all(e.target_kind != "database" for e in practice.audit_log(None))
    practice.close()


def test_restoring_something_that_is_not_a_backup_changes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    practice = Practice.create(settings)
    practice.seed_demo()
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(InvalidInput, match="nothing was changed"):
        practice.restore(tmp_path / "junk.sqlite3")
    assert len(practice.caseload(login(practice, "ada"))) == 3
    practice.close()


def test_restoring_a_backup_made_with_another_key_is_refused(tmp_path: Path) -> None:
    first = Practice.create(Settings(data_dir=tmp_path / "one"))
    first.seed_demo()
    first.backup(tmp_path / "one.sqlite3")
    first.close()
    second = Practice.create(Settings(data_dir=tmp_path / "two"))
    second.seed_demo()
    with pytest.raises(KeyMismatch, match="different key"):
        second.restore(tmp_path / "one.sqlite3")
    second.close()


def test_a_backup_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    practice = Practice.create(Settings(data_dir=tmp_path / "data"))
    (tmp_path / "taken").write_text("keep me")
    with pytest.raises(InvalidInput, match="already exists"):
        practice.backup(tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "keep me"
    practice.close()


def test_backup_on_postgresql_points_to_pg_dump_instead(practice: Practice, tmp_path: Path) -> None:
    target = tmp_path / "backup.sqlite3"
    if practice.store.engine.dialect.name == "postgresql":
        with pytest.raises(InvalidInput, match="pg_dump"):
            practice.backup(target)
        assert not target.exists()
    else:
        assert practice.backup(target).exists()


def test_on_sqlite_concurrent_read_then_write_transactions_take_turns_and_lose_no_update(
    tmp_path: Path,
) -> None:
    """Each thread reads a value and writes it back plus one (PostgreSQL would need row locks for this)."""
    practice = Practice.create(Settings(data_dir=tmp_path))
    store = practice.store
    with store.transaction() as work:
        store.set_setting(work.connection, "counter", "0")

    def add_one() -> None:
        for _ in range(5):
            with store.transaction() as work:
                current = work.connection.execute(
                    select(settings_table.c.value).where(settings_table.c.key == "counter")
                ).scalar_one()
                store.set_setting(work.connection, "counter", str(int(current) + 1))

    threads = [threading.Thread(target=add_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.setting("counter") == "40"
    practice.close()


def test_a_transaction_opened_inside_another_on_the_same_thread_can_still_read(practice: Practice) -> None:
    store = practice.store
    with store.transaction() as outer:
        store.set_setting(outer.connection, "note", "kept")
        with store.transaction() as inner:
            assert inner.clinicians.all() == []
    assert store.setting("note") == "kept"


def test_a_long_read_neither_holds_up_a_writer_nor_sees_what_it_writes(practice: Practice) -> None:
    store = practice.store
    with store.transaction() as work:
        store.set_setting(work.connection, "note", "before")
    reading = threading.Event()
    done_reading = threading.Event()
    seen: list[str] = []

    def long_read() -> None:
        with store.reading() as work:
            seen.append(
                work.connection.execute(
                    select(settings_table.c.value).where(settings_table.c.key == "note")
                ).scalar_one()
            )
            reading.set()
            done_reading.wait(10)
            seen.append(
                work.connection.execute(
                    select(settings_table.c.value).where(settings_table.c.key == "note")
                ).scalar_one()
            )

    reader = threading.Thread(target=long_read)
    reader.start()
    assert reading.wait(10)
    started = time.monotonic()
    with store.transaction() as work:  # the read is still open
        store.set_setting(work.connection, "note", "after")
    waited = time.monotonic() - started
    done_reading.set()
    reader.join()
    assert waited < 1.0
    assert seen == ["before", "before"]  # one snapshot from start to end
    assert store.setting("note") == "after"


def test_writing_through_a_reading_unit_of_work_is_refused_and_changes_nothing(practice: Practice) -> None:
    store = practice.store
    with pytest.raises(DBAPIError), store.reading() as work:
        store.set_setting(work.connection, "note", "sneaked in")
    assert store.setting("note") is None
    with store.transaction() as work:  # the pooled connection can write again afterwards
        store.set_setting(work.connection, "note", "written")
    assert store.setting("note") == "written"
