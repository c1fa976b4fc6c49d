"""A case's access history through the facade: for its therapist and their supervisor only."""

from datetime import date

import pytest

from safeenough.domain.audit import AuditAction, AuditQuery
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.errors import NotFound
from safeenough.practice import Practice
from safeenough.practice.cases import CASE_ACCESS_PAGE
from tests.web.helpers import case_titled


@pytest.fixture
def mara(demo_practice: Practice, ada: Clinician) -> Case:
    return case_titled(demo_practice, ada, "Mara")


def test_the_history_lists_the_supervisors_look_and_the_clients_check_ins_and_nothing_of_other_cases(
    demo_practice: Practice, ada: Clinician, sol: Clinician, mara: Case
) -> None:
    theo = case_titled(demo_practice, ada, "Theo")
    demo_practice.case_detail(sol, mara.id)
    demo_practice.case_detail(ada, theo.id)
    access = demo_practice.case_access(ada, mara.id)
    assert (access.events[0].actor_id, access.events[0].target_kind) == (sol.id, "case")
    assert access.people[sol.id].username == "sol"
    assert any(e.actor_id is None and e.target_kind == "checkin" for e in access.events)
    assert all(e.target_id != theo.id or e.target_kind not in {"case", "checkins"} for e in access.events)


def test_the_supervisor_reads_it_another_clinician_and_an_admin_find_no_such_case(
    demo_practice: Practice, ada: Clinician, ben: Clinician, sol: Clinician, admin: Clinician, mara: Case
) -> None:
    assert demo_practice.case_access(sol, mara.id).read_only
    for outsider in (ben, admin):
        with pytest.raises(NotFound):
            demo_practice.case_access(outsider, mara.id)


def test_reading_the_history_is_itself_in_the_audit_trail(
    demo_practice: Practice, ada: Clinician, admin: Clinician, mara: Case
) -> None:
    demo_practice.case_access(ada, mara.id)
    (latest,) = demo_practice.audit_log(admin, 1, AuditQuery(actor_id=ada.id, action=AuditAction.READ))
    assert (latest.target_kind, latest.target_id) == ("case_access", mara.id)


def test_a_long_history_comes_a_page_at_a_time_without_repeating_an_event(
    demo_practice: Practice, ada: Clinician, mara: Case
) -> None:
    session = demo_practice.add_session(ada, mara.id, held_on=date.today(), attendee_ids=[mara.clients[0].id])
    for _ in range(CASE_ACCESS_PAGE):
        demo_practice.case_detail(ada, mara.id)
    first = demo_practice.case_access(ada, mara.id)
    assert len(first.events) == CASE_ACCESS_PAGE
    assert first.older is not None
    second = demo_practice.case_access(ada, mara.id, before_id=first.older)
    ids = [event.id for event in first.events + second.events]
    assert len(ids) == len(set(ids))
    assert any(e.target_kind == "session" and e.target_id == session.id for e in second.events)
