import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from safeenough.domain.audit import AuditAction
from safeenough.domain.case import CaseKind
from safeenough.domain.clinician import Clinician, Role
from safeenough.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from safeenough.practice import Practice
from safeenough.practice.cases import AUDIT_DETAIL_ROOM, CASELOAD_TREND_SESSIONS, _cases_shown
from safeenough.storage.logins import LONGEST_LOGIN
from safeenough.storage.tables import audit_events, login_sessions, sessions
from tests.builders import login


def session_rows(practice: Practice) -> int:
    with practice.store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(sessions)).scalar_one())


def test_a_clinician_sees_only_their_own_cases(
    demo_practice: Practice, ada: Clinician, ben: Clinician
) -> None:
    ada_cases = demo_practice.caseload(ada)
    ben_cases = demo_practice.caseload(ben)
    assert len(ada_cases) == 3
    assert len(ben_cases) == 1
    assert {summary.case.clinician_id for summary in ada_cases} == {ada.id}
    assert all(not summary.read_only for summary in ada_cases)


def test_another_clinicians_case_is_not_found_rather_than_forbidden(
    demo_practice: Practice, ada: Clinician, ben: Clinician
) -> None:
    ada_case = demo_practice.caseload(ada)[0].case
    with pytest.raises(NotFound):
        demo_practice.case_detail(ben, ada_case.id)


def test_an_unknown_case_id_is_not_found_and_changes_nothing(demo_practice: Practice, ada: Clinician) -> None:
    before = session_rows(demo_practice)
    with pytest.raises(NotFound):
        demo_practice.add_session(ada, 999_999, held_on=date.today(), attendee_ids=[1])
    assert session_rows(demo_practice) == before


def test_a_supervisor_reads_their_supervisees_cases_read_only(
    demo_practice: Practice, ada: Clinician, sol: Clinician
) -> None:
    caseload = demo_practice.caseload(sol)
    supervised = [summary for summary in caseload if summary.owner.id == ada.id]
    assert len(supervised) == 3
    assert all(summary.read_only for summary in supervised)
    detail = demo_practice.case_detail(sol, supervised[0].case.id)
    assert detail.read_only
    client_ids = [client.id for client in detail.case.clients]
    with pytest.raises(PermissionDenied, match="read"):
        demo_practice.add_session(sol, detail.case.id, held_on=date.today(), attendee_ids=client_ids)


def test_a_supervisor_does_not_see_clinicians_they_do_not_supervise(
    demo_practice: Practice, ben: Clinician, sol: Clinician
) -> None:
    ben_case = demo_practice.caseload(ben)[0].case
    with pytest.raises(NotFound):
        demo_practice.case_detail(sol, ben_case.id)


def test_an_admin_cannot_read_clinical_content(
    demo_practice: Practice, admin: Clinician, ada: Clinician
) -> None:
    assert demo_practice.caseload(admin) == []
    with pytest.raises(NotFound):
        demo_practice.case_detail(admin, demo_practice.caseload(ada)[0].case.id)
    with pytest.raises(PermissionDenied):
        demo_practice.open_case(admin, title="x", kind=CaseKind.INDIVIDUAL, client_names=["y"])


def test_only_an_admin_manages_accounts(demo_practice: Practice, ada: Clinician, admin: Clinician) -> None:
    with pytest.raises(PermissionDenied):
        demo_practice.list_clinicians(ada)
    assert {clinician.username for clinician in demo_practice.list_clinicians(admin)} >= {"ada", "ben", "sol"}


def test_adding_a_session_numbers_it_and_keeps_the_note(demo_practice: Practice, ada: Clinician) -> None:
    case = demo_practice.caseload(ada)[0].case
    before = demo_practice.case_detail(ada, case.id).sessions
    session = demo_practice.add_session(
        ada,
        case.id,
        held_on=max(s.held_on for s in before) + timedelta(days=7),
        attendee_ids=[client.id for client in case.clients],
        note="  Calm.  ",
    )
    assert session.number == max(s.number for s in before) + 1
    assert session.note == "Calm."


def test_a_session_entered_late_for_an_earlier_date_takes_its_place_and_the_later_ones_move_up(
    demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    first, second, *_ = demo_practice.case_detail(ada, mara.id).sessions
    assert (first.number, second.number) == (1, 2)
    late = demo_practice.add_session(
        ada, mara.id, held_on=first.held_on + timedelta(days=1), attendee_ids=[mara.clients[0].id]
    )
    assert late.number == 2
    after = demo_practice.case_detail(ada, mara.id).sessions
    assert [s.number for s in sorted(after, key=lambda s: (s.held_on, s.id))] == list(
        range(1, len(after) + 1)
    )
    assert next(s for s in after if s.id == second.id).number == 3


def test_alert_evidence_shows_the_session_numbers_as_they_are_now(
    demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    first = demo_practice.case_detail(ada, mara.id).sessions[0]
    demo_practice.add_session(ada, mara.id, held_on=first.held_on, attendee_ids=[mara.clients[0].id])
    monitoring = demo_practice.case_monitoring(ada, mara.id)
    numbers = {session.id: session.number for session in monitoring.sessions}
    evidence = [item for record in monitoring.alerts for item in record.alert.evidence if item.session_id]
    assert evidence
    assert all(item.session_number == numbers[item.session_id] for item in evidence)


def test_a_couple_session_can_be_attended_by_one_partner(demo_practice: Practice, ada: Clinician) -> None:
    couple = next(s.case for s in demo_practice.caseload(ada) if s.case.kind is CaseKind.COUPLE)
    session = demo_practice.add_session(
        ada, couple.id, held_on=date.today(), attendee_ids=[couple.clients[1].id]
    )
    assert session.attendee_ids == (couple.clients[1].id,)


@pytest.mark.parametrize(
    ("attendees", "message"),
    [([], "at least one client"), ([999_999], "clients of this case")],
)
def test_a_session_with_wrong_attendees_is_refused_and_nothing_is_stored(
    demo_practice: Practice, ada: Clinician, attendees: list[int], message: str
) -> None:
    case = demo_practice.caseload(ada)[0].case
    before = session_rows(demo_practice)
    with pytest.raises(InvalidInput, match=message):
        demo_practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=attendees)
    assert session_rows(demo_practice) == before


def test_a_session_before_the_case_opened_is_refused(demo_practice: Practice, ada: Clinician) -> None:
    case = demo_practice.caseload(ada)[0].case
    with pytest.raises(InvalidInput, match="before the case opened"):
        demo_practice.add_session(
            ada, case.id, held_on=case.opened_on - timedelta(days=1), attendee_ids=[case.clients[0].id]
        )


def test_opening_a_couple_case_creates_two_clients_with_distinct_codes(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = demo_practice.open_case(ada, title="Kim & Lee", kind=CaseKind.COUPLE, client_names=["Kim", "Lee"])
    assert [client.display_name for client in case.clients] == ["Kim", "Lee"]
    assert len({client.code for client in case.clients}) == 2


def test_opening_a_couple_case_with_one_name_is_refused(demo_practice: Practice, ada: Clinician) -> None:
    with pytest.raises(InvalidInput, match="couple case has 2 clients"):
        demo_practice.open_case(ada, title="Kim", kind=CaseKind.COUPLE, client_names=["Kim", " "])


def test_every_read_and_write_of_clinical_content_is_audited(demo_practice: Practice, ada: Clinician) -> None:
    case = demo_practice.caseload(ada)[0].case
    demo_practice.case_detail(ada, case.id)
    demo_practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=[case.clients[0].id])
    with demo_practice.store.engine.connect() as connection:
        rows = connection.execute(
            select(audit_events.c.action, audit_events.c.target_kind, audit_events.c.target_id).where(
                audit_events.c.actor_id == ada.id
            )
        ).all()
    assert (AuditAction.READ.value, "caseload", ada.id) in rows
    assert (AuditAction.READ.value, "case", case.id) in rows
    assert any(action == "create" and kind == "session" for action, kind, _ in rows)


def test_a_wrong_password_fails_without_saying_which_part_was_wrong(demo_practice: Practice) -> None:
    with pytest.raises(AuthenticationFailed, match="username and password do not match"):
        login(demo_practice, "ada", "not-the-password")
    with pytest.raises(AuthenticationFailed, match="username and password do not match"):
        login(demo_practice, "nobody", "not-the-password")


def test_repeated_failures_pause_logins_for_that_account(demo_practice: Practice) -> None:
    for _ in range(demo_practice.settings.login_attempts_allowed):
        with pytest.raises(AuthenticationFailed):
            login(demo_practice, "ben", "wrong-password")
    with pytest.raises(TooManyAttempts) as paused:
        login(demo_practice, "ben")
    assert paused.value.retry_after_seconds > 0
    assert login(demo_practice, "ada").username == "ada"


def test_a_login_session_resumes_and_ends(demo_practice: Practice, ada: Clinician) -> None:
    session = demo_practice.start_login(ada)
    clinician, resumed = demo_practice.resume_login(session.token)
    assert clinician.id == ada.id
    assert resumed.csrf_token == session.csrf_token
    demo_practice.end_login(session.token)
    with pytest.raises(AuthenticationFailed):
        demo_practice.resume_login(session.token)


def test_a_forged_login_token_is_refused(demo_practice: Practice) -> None:
    with pytest.raises(AuthenticationFailed):
        demo_practice.resume_login("forged-token")


def test_changing_a_password_ends_open_logins(demo_practice: Practice, ada: Clinician) -> None:
    session = demo_practice.start_login(ada)
    demo_practice.set_password(None, "ada", "a-new-long-password")
    with pytest.raises(AuthenticationFailed):
        demo_practice.resume_login(session.token)
    assert login(demo_practice, "ada", "a-new-long-password").id == ada.id


def test_a_deactivated_account_cannot_log_in(demo_practice: Practice, admin: Clinician) -> None:
    demo_practice.set_active(admin, "ben", active=False)
    with pytest.raises(AuthenticationFailed):
        login(demo_practice, "ben")


def test_a_short_password_is_refused(demo_practice: Practice) -> None:
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        demo_practice.add_clinician(
            None, username="cy", display_name="Cy", role=Role.CLINICIAN, password="short"
        )


def test_a_supervisor_must_be_a_supervisor(demo_practice: Practice) -> None:
    with pytest.raises(InvalidInput, match="not a supervisor"):
        demo_practice.add_clinician(
            None,
            username="cy",
            display_name="Cy",
            role=Role.CLINICIAN,
            password="long-enough-pw",
            supervisor_username="ben",
        )


def test_seeding_the_demo_twice_does_nothing_the_second_time(demo_practice: Practice) -> None:
    assert demo_practice.seed_demo() is None


def test_the_caseload_carries_each_clients_recent_alliance_totals_for_a_sparkline(
    demo_practice: Practice, ada: Clinician
) -> None:
    by_title = {summary.case.title.split(" — ")[0]: summary for summary in demo_practice.caseload(ada)}
    (mara,) = by_title["Mara"].alliance
    client, trend = mara
    assert client.display_name == "Mara Ellison"
    assert [point.total for point in trend.points] == [46, 48, 33, 49]  # her dip at session 3
    assert [point.beyond_cutoff for point in trend.points] == [False, False, True, False]
    assert [c.display_name for c, _ in by_title["Jonah & Priya"].alliance] == ["Jonah Reyes", "Priya Reyes"]
    assert by_title["Theo"].alliance == ()  # no check-in yet


def test_the_caseload_sparkline_covers_the_last_sessions_only(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Theo"))
    client_id = case.clients[0].id
    start = case.opened_on
    for week in range(CASELOAD_TREND_SESSIONS + 3):
        session = demo_practice.add_session(
            ada, case.id, held_on=start + timedelta(days=week), attendee_ids=[client_id]
        )
        if session.is_upcoming(date.today()):
            break
        link = demo_practice.issue_checkin_link(ada, session.id, client_id)
        instrument = demo_practice.open_checkin(link.token).instruments[0]
        demo_practice.submit_checkin(
            link.token, {instrument.id: dict.fromkeys((item.id for item in instrument.items), 8)}, {}
        )
    (pair,) = next(s for s in demo_practice.caseload(ada) if s.case.id == case.id).alliance
    numbers = [point.session_number for point in pair[1].points]
    assert numbers == list(range(session.number - CASELOAD_TREND_SESSIONS + 1, session.number + 1))


def test_the_demos_alert_evidence_carries_the_evening_each_check_in_came_back(
    demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    monitoring = demo_practice.case_monitoring(ada, mara.id)
    held = {session.id: session.held_on for session in monitoring.sessions}
    dated = [e for r in monitoring.alerts for e in r.alert.evidence if e.submitted_at and e.session_id]
    assert dated
    assert all(e.submitted_at is not None and e.submitted_at.date() == held[e.session_id] for e in dated)


def test_failed_logins_sent_at_the_same_moment_cannot_all_slip_in_under_the_lockout(
    demo_practice: Practice,
) -> None:
    allowed = demo_practice.settings.login_attempts_allowed
    start = threading.Barrier(12)

    def attempt(_: int) -> str:
        start.wait()
        try:
            login(demo_practice, "ben", "wrong-password")
        except TooManyAttempts:
            return "paused"
        except AuthenticationFailed:
            return "checked"
        return "let in"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("checked") == allowed
    assert outcomes.count("paused") == 12 - allowed


def test_activity_keeps_a_login_going_but_never_beyond_a_working_day(
    demo_practice: Practice, ada: Clinician
) -> None:
    session = demo_practice.start_login(ada)
    began_long_ago = datetime.now(UTC) - LONGEST_LOGIN - timedelta(minutes=1)
    with demo_practice.store.engine.begin() as connection:
        connection.execute(update(login_sessions).values(created_at=began_long_ago))
    with pytest.raises(AuthenticationFailed):
        demo_practice.resume_login(session.token)


def test_the_caseload_read_names_the_cases_it_showed(demo_practice: Practice, ada: Clinician) -> None:
    shown = [summary.case.id for summary in demo_practice.caseload(ada)]
    with demo_practice.store.engine.connect() as connection:
        detail = connection.execute(
            select(audit_events.c.detail)
            .where(audit_events.c.target_kind == "caseload", audit_events.c.actor_id == ada.id)
            .order_by(audit_events.c.id.desc())
        ).first()
    assert detail is not None
    assert detail[0] == f"{len(shown)} cases: " + ", ".join(str(i) for i in sorted(shown))


def test_an_admin_changes_who_supervises_a_clinician_and_the_supervisor_reads_their_cases(
    demo_practice: Practice, admin: Clinician, sol: Clinician, ben: Clinician
) -> None:
    bens_case = demo_practice.caseload(ben)[0].case
    with pytest.raises(NotFound):
        demo_practice.case_detail(sol, bens_case.id)
    demo_practice.set_supervisor(admin, "ben", "sol")
    assert demo_practice.case_detail(sol, bens_case.id).read_only
    demo_practice.set_supervisor(admin, "ben", None)
    with pytest.raises(NotFound):
        demo_practice.case_detail(sol, bens_case.id)


def test_only_an_active_supervisor_can_supervise_and_only_an_admin_links_them(
    demo_practice: Practice, admin: Clinician, ada: Clinician
) -> None:
    with pytest.raises(InvalidInput, match="not an active supervisor"):
        demo_practice.set_supervisor(admin, "ben", "ada")
    with pytest.raises(InvalidInput, match="holds no cases"):
        demo_practice.set_supervisor(admin, "admin", "sol")
    with pytest.raises(PermissionDenied):
        demo_practice.set_supervisor(ada, "ben", "sol")


def test_a_long_caseload_read_lists_the_cases_that_fit_and_says_how_many_more() -> None:
    cases = [SimpleNamespace(id=1000 + n) for n in range(300)]
    detail = _cases_shown(cases)  # type: ignore[arg-type]
    assert detail.startswith("300 cases: 1000, 1001")
    assert len(detail) <= AUDIT_DETAIL_ROOM
    shown = detail.split(": ", 1)[1].split(" … ")[0].split(", ")
    assert detail.endswith(f" … and {300 - len(shown)} more")


def test_a_case_cannot_open_after_today_on_the_practices_calendar(
    demo_practice: Practice, ada: Clinician
) -> None:
    today = demo_practice.today()
    with pytest.raises(InvalidInput, match=r"is in the future: a case opens on the day of the first contact"):
        demo_practice.open_case(
            ada, title="Early", kind=CaseKind.INDIVIDUAL, client_names=["Kim"], opened_on=today + timedelta(1)
        )
    case = demo_practice.open_case(
        ada, title="Today", kind=CaseKind.INDIVIDUAL, client_names=["Kim"], opened_on=today
    )
    assert case.opened_on == today


def test_account_messages_name_the_username_as_it_was_typed(demo_practice: Practice) -> None:
    with pytest.raises(InvalidInput, match="The username “ADA” is taken"):
        demo_practice.add_clinician(
            None, username="ADA", display_name="Ada", role=Role.CLINICIAN, password="long-enough-pass"
        )
    with pytest.raises(NotFound, match="no account with the username “Ghost”"):
        demo_practice.set_password(None, "Ghost", "long-enough-pass")
    added = demo_practice.add_clinician(
        None, username=" Kim.Lee ", display_name="Kim", role=Role.CLINICIAN, password="long-enough-pass"
    )
    assert added.username == "kim.lee"
