"""Check-ins through the facade: links, submissions, alerts, monitoring."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from safeenough.domain.alert import AlertKind, AlertStatus
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.clinician import Clinician
from safeenough.errors import AnswersInvalid, InvalidInput, LinkUnusable, NotFound, PermissionDenied
from safeenough.practice import IssuedLink, Practice
from safeenough.storage.tables import checkin_links, checkins


def couple(practice: Practice, ada: Clinician) -> Case:
    return next(s.case for s in practice.caseload(ada) if s.case.kind is CaseKind.COUPLE)


def stored_checkins(practice: Practice) -> int:
    with practice.store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(checkins)).scalar_one())


def answer_all(practice: Practice, issued: IssuedLink, value: float, comment: str | None = None) -> None:
    invitation = practice.open_checkin(issued.token)
    practice.submit_checkin(
        issued.token,
        {i.id: {item.id: value for item in i.items} for i in invitation.instruments},
        {i.id: comment for i in invitation.instruments},
    )


def first_session_link(practice: Practice, ada: Clinician, case: Case, client_index: int = 0) -> IssuedLink:
    session = practice.case_detail(ada, case.id).sessions[0]
    return practice.issue_checkin_link(ada, session.id, case.clients[client_index].id)


def test_a_link_opens_the_default_safety_check_in(demo_practice: Practice, ada: Clinician) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    invitation = demo_practice.open_checkin(issued.token)
    assert [instrument.id for instrument in invitation.instruments] == ["safeenough-safety"]
    assert issued.path.startswith("/c/")


def test_a_link_can_be_used_once_only(demo_practice: Practice, ada: Clinician) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    answer_all(demo_practice, issued, 9)
    with pytest.raises(LinkUnusable) as used:
        answer_all(demo_practice, issued, 9)
    assert used.value.reason == "used"
    assert stored_checkins(demo_practice) == 1


def test_an_expired_link_says_so_and_stores_nothing(demo_practice: Practice, ada: Clinician) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    with demo_practice.store.engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(days=5)
        connection.execute(update(checkin_links).values(created_at=past, expires_at=past + timedelta(days=4)))
    with pytest.raises(LinkUnusable) as expired:
        demo_practice.open_checkin(issued.token)
    assert expired.value.reason == "expired"
    assert stored_checkins(demo_practice) == 0


def test_a_tampered_link_is_invalid(demo_practice: Practice, ada: Clinician) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    tampered = issued.token[:-2] + ("AA" if not issued.token.endswith("AA") else "BB")
    with pytest.raises(LinkUnusable) as invalid:
        demo_practice.open_checkin(tampered)
    assert invalid.value.reason == "invalid"


def test_out_of_range_answers_are_refused_per_item_and_nothing_is_stored(
    demo_practice: Practice, ada: Clinician
) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    instrument = demo_practice.open_checkin(issued.token).instruments[0]
    answers = {item.id: 8.0 for item in instrument.items}
    answers[instrument.items[1].id] = 14.0
    with pytest.raises(AnswersInvalid) as invalid:
        demo_practice.submit_checkin(issued.token, {instrument.id: answers}, {})
    assert (instrument.id, instrument.items[1].id) in invalid.value.problems
    assert stored_checkins(demo_practice) == 0
    answers[instrument.items[1].id] = 8.0
    demo_practice.submit_checkin(issued.token, {instrument.id: answers}, {})
    assert stored_checkins(demo_practice) == 1


def test_an_empty_form_is_refused(demo_practice: Practice, ada: Clinician) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    with pytest.raises(AnswersInvalid):
        demo_practice.submit_checkin(issued.token, {}, {})


def test_links_are_only_for_clients_who_attended(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    session = demo_practice.add_session(
        ada, case.id, held_on=case.opened_on, attendee_ids=[case.clients[0].id]
    )
    with pytest.raises(InvalidInput, match="attended"):
        demo_practice.issue_checkin_link(ada, session.id, case.clients[1].id)


def test_a_supervisor_cannot_issue_links_and_another_clinician_cannot_see_the_session(
    demo_practice: Practice, ada: Clinician, ben: Clinician, sol: Clinician
) -> None:
    case = couple(demo_practice, ada)
    session = demo_practice.case_detail(ada, case.id).sessions[0]
    with pytest.raises(PermissionDenied):
        demo_practice.issue_checkin_link(sol, session.id, case.clients[0].id)
    with pytest.raises(NotFound):
        demo_practice.issue_checkin_link(ben, session.id, case.clients[0].id)


def test_a_low_answer_raises_an_alert_with_a_suggested_next_step(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 3)
    monitoring = demo_practice.case_monitoring(ada, case.id)
    kinds = {record.alert.kind for record in monitoring.alerts}
    assert AlertKind.BELOW_CUTOFF in kinds
    assert AlertKind.LOW_ITEM in kinds
    assert all(record.alert.suggested_next_step for record in monitoring.alerts)
    assert all(record.alert.check_in_ids or record.alert.evidence for record in monitoring.alerts)


def test_partners_who_differ_raise_a_split_alliance_alert(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, 0), 10)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, 1), 4)
    monitoring = demo_practice.case_monitoring(ada, case.id)
    split = [r for r in monitoring.alerts if r.alert.kind is AlertKind.SPLIT_ALLIANCE]
    assert len(split) == 1
    assert set(split[0].alert.client_ids) == {client.id for client in case.clients}


def test_recomputing_alerts_does_not_duplicate_them_or_reset_their_status(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 3, comment="It felt rushed")
    first = demo_practice.case_monitoring(ada, case.id).alerts
    demo_practice.set_alert_status(ada, first[0].id, AlertStatus.ACKNOWLEDGED, "Will raise it")
    again = demo_practice.case_monitoring(ada, case.id).alerts
    assert len(again) == len(first)
    acknowledged = next(record for record in again if record.id == first[0].id)
    assert acknowledged.status is AlertStatus.ACKNOWLEDGED
    assert acknowledged.status_note == "Will raise it"


def test_the_clients_comment_is_kept_and_raises_an_alert(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 9, comment="You cut me off")
    monitoring = demo_practice.case_monitoring(ada, case.id)
    assert any(record.alert.kind is AlertKind.CLIENT_COMMENT for record in monitoring.alerts)
    assert any(entry.check_in.free_text == "You cut me off" for t in monitoring.tracks for entry in t.history)


def test_cases_with_open_alerts_come_first_in_the_caseload(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 2)
    caseload = demo_practice.caseload(ada)
    assert caseload[0].case.id == case.id
    assert caseload[0].open_alerts > 0
