"""Each audit event notes the case its record belongs to: as it is written, and (migration 0017) for
events written before."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

import safeenough
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import CaseKind
from safeenough.domain.clinician import Clinician
from safeenough.practice import Practice
from safeenough.storage import database
from safeenough.storage.audit import AUDITED_KINDS
from safeenough.storage.tables import audit_events


def look_around_the_demo(practice: Practice, ada: Clinician) -> None:
    """Reads of most kinds of record a case holds: its page, check-ins, maps, a session report."""
    for summary in practice.caseload(ada):
        case = summary.case
        practice.case_detail(ada, case.id)
        practice.case_monitoring(ada, case.id)
        for client in case.clients:
            practice.client_map(ada, client.id)
            practice.enactment_candidates(ada, client.id)
        if case.kind is not CaseKind.INDIVIDUAL:
            practice.shared_map(ada, case.id)
        for session in practice.case_detail(ada, case.id).sessions:
            practice.session_analysis(ada, session.id)
        practice.supervision_summary(ada, case.id)


def case_of_each_event(practice: Practice) -> dict[int, tuple[str, int | None]]:
    with practice.store.engine.connect() as connection:
        rows = connection.execute(
            select(audit_events.c.id, audit_events.c.target_kind, audit_events.c.case_id)
        )
        return {row.id: (row.target_kind, row.case_id) for row in rows}


def test_upgrading_gives_earlier_events_the_case_that_new_events_get_as_they_are_written(
    demo_practice: Practice, ada: Clinician
) -> None:
    look_around_the_demo(demo_practice, ada)
    as_written = case_of_each_event(demo_practice)
    kinds_with_a_case = {kind for kind, case_id in as_written.values() if case_id is not None}
    assert len(kinds_with_a_case) >= 12
    engine = demo_practice.store.engine
    database.downgrade(engine, "0016", cipher=demo_practice.store.cipher)
    database.upgrade(engine, cipher=demo_practice.store.cipher)
    assert case_of_each_event(demo_practice) == as_written


def test_events_about_logins_accounts_and_the_practice_belong_to_no_case(
    demo_practice: Practice, ada: Clinician
) -> None:
    demo_practice.caseload(ada)
    with demo_practice.store.engine.connect() as connection:
        rows = connection.execute(
            select(audit_events.c.target_kind, audit_events.c.case_id).where(
                audit_events.c.target_kind.in_(("clinician", "caseload"))
            )
        ).all()
    assert rows
    assert {case_id for _, case_id in rows} == {None}


def test_an_event_about_a_kind_of_record_the_trail_does_not_know_is_refused(demo_practice: Practice) -> None:
    with demo_practice.store.transaction() as work, pytest.raises(ValueError, match="'invoice'"):
        work.audit.record(None, AuditAction.READ, "invoice", 1)


def kinds_written_by_the_code() -> set[str]:
    """The kinds of record named, as text, by every `audit.record(...)` and `_audit_export(...)` call."""
    kinds: set[str] = set()
    for path in Path(safeenough.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            position = {"record": 2, "_audit_export": 1}.get(node.func.attr)
            if position is not None and len(node.args) > position:
                named = node.args[position]
                if isinstance(named, ast.Constant) and isinstance(named.value, str):
                    kinds.add(named.value)
    return kinds


def test_every_kind_of_record_the_code_writes_to_the_trail_is_one_the_trail_knows() -> None:
    written = kinds_written_by_the_code()
    assert len(written) > 20
    assert written == set(AUDITED_KINDS)
