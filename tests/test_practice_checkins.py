"""Check-ins through the facade: links, submissions, alerts, monitoring."""

import base64
import csv
import io
import json
import logging
import threading
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, func, select, update

from safeenough.domain.alert import AlertKind, AlertStatus
from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.clinician import Clinician
from safeenough.errors import AnswersInvalid, InvalidInput, LinkUnusable, NotFound, PermissionDenied
from safeenough.instruments import InstrumentFileInvalid, user_instruments_dir
from safeenough.practice import IssuedLink, Practice
from safeenough.settings import Settings
from safeenough.storage import checkin_links as checkin_link_storage
from safeenough.storage import database
from safeenough.storage.fixtures import DEMO_CHECKINS
from safeenough.storage.tables import checkin_links, checkins, sessions
from tests.instruments.test_loader import SRS


def couple(practice: Practice, ada: Clinician) -> Case:
    return next(s.case for s in practice.caseload(ada) if s.case.kind is CaseKind.COUPLE)


def stored_checkins(practice: Practice) -> int:
    """Check-ins stored beyond the demo practice's own."""
    with practice.store.engine.connect() as connection:
        stored = int(connection.execute(select(func.count()).select_from(checkins)).scalar_one())
    return stored - len(DEMO_CHECKINS)


def answer_all(practice: Practice, issued: IssuedLink, value: float, comment: str | None = None) -> None:
    invitation = practice.open_checkin(issued.token)
    practice.submit_checkin(
        issued.token,
        {i.id: {item.id: value for item in i.items} for i in invitation.instruments},
        {i.id: comment for i in invitation.instruments},
    )


def new_session(practice: Practice, ada: Clinician, case: Case) -> int:
    """A session of today (the demo's own sessions already have check-ins)."""
    attendees = [client.id for client in case.clients]
    return practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=attendees).id


def first_session_link(
    practice: Practice, ada: Clinician, case: Case, client_index: int = 0, session_id: int | None = None
) -> IssuedLink:
    session_id = session_id or new_session(practice, ada, case)
    return practice.issue_checkin_link(ada, session_id, case.clients[client_index].id)


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
        connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id == issued.link.id)
            .values(created_at=past, expires_at=past + timedelta(days=4))
        )
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


def link_serializer(practice: Practice) -> URLSafeTimedSerializer:
    """The signer of check-in tokens, to read a token as its holder could and to make an older one."""
    return URLSafeTimedSerializer(
        practice.store.cipher.derive_secret("checkin-links"), salt=checkin_link_storage.SALT
    )


def test_a_link_does_not_tell_its_holder_how_many_links_the_practice_has_sent(
    demo_practice: Practice, ada: Clinician
) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    payload = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))
    assert set(payload) == {"n"}  # a random nonce, no sequential link id
    assert demo_practice.open_checkin(issued.token).instruments


def test_a_link_made_before_tokens_stopped_naming_the_link_still_opens_until_it_expires(
    demo_practice: Practice, ada: Clinician
) -> None:
    issued = first_session_link(demo_practice, ada, couple(demo_practice, ada))
    serializer = link_serializer(demo_practice)
    nonce = serializer.loads(issued.token)["n"]
    older = serializer.dumps({"l": issued.link.id, "n": nonce})
    answer_all(demo_practice, IssuedLink(link=issued.link, token=older), 9)
    assert stored_checkins(demo_practice) == 1


def test_an_older_token_naming_another_link_with_its_own_nonce_is_invalid(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    session_id = new_session(demo_practice, ada, case)
    first = first_session_link(demo_practice, ada, case, 0, session_id)
    second = first_session_link(demo_practice, ada, case, 1, session_id)
    serializer = link_serializer(demo_practice)
    forged = serializer.dumps({"l": second.link.id, "n": serializer.loads(first.token)["n"]})
    with pytest.raises(LinkUnusable) as invalid:
        demo_practice.open_checkin(forged)
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


def test_no_second_link_once_the_client_has_answered(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    session_id = new_session(demo_practice, ada, case)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, 0, session_id), 9)
    with pytest.raises(InvalidInput, match="already returned"):
        first_session_link(demo_practice, ada, case, 0, session_id)


def test_a_new_link_replaces_the_clients_open_link_for_that_session(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    session_id = new_session(demo_practice, ada, case)
    first = first_session_link(demo_practice, ada, case, 0, session_id)
    second = first_session_link(demo_practice, ada, case, 0, session_id)
    with pytest.raises(LinkUnusable) as refused:
        answer_all(demo_practice, first, 3)
    assert refused.value.reason == "expired"
    answer_all(demo_practice, second, 9)
    assert stored_checkins(demo_practice) == 1
    # The other partner's link for the same session is theirs, and is not touched.
    assert demo_practice.open_checkin(first_session_link(demo_practice, ada, case, 1, session_id).token)


def reopen(practice: Practice, issued: IssuedLink) -> None:
    """Make a replaced link open again, as two links open at once could be before links replaced others."""
    with practice.store.engine.begin() as connection:
        connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id == issued.link.id)
            .values(expires_at=datetime.now(UTC) + timedelta(days=1))
        )


def test_of_two_open_links_for_one_session_only_the_first_answer_counts_and_the_other_opens_no_form(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    session_id = new_session(demo_practice, ada, case)
    first = first_session_link(demo_practice, ada, case, 0, session_id)
    second = first_session_link(demo_practice, ada, case, 0, session_id)
    reopen(demo_practice, first)
    answer_all(demo_practice, first, 9)
    with pytest.raises(LinkUnusable) as refused:
        demo_practice.open_checkin(second.token)
    assert refused.value.reason == "used"
    with pytest.raises(LinkUnusable):
        answer_all(demo_practice, second, 3)
    assert stored_checkins(demo_practice) == 1


def test_a_session_whose_two_links_both_lapsed_is_one_missed_check_in_not_two(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = demo_practice.open_case(ada, title="Resent link", kind=CaseKind.INDIVIDUAL, client_names=["R"])
    session_id = new_session(demo_practice, ada, case)
    links = [first_session_link(demo_practice, ada, case, 0, session_id) for _ in range(2)]
    with demo_practice.store.engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(days=5)
        connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id.in_([issued.link.id for issued in links]))
            .values(created_at=past, expires_at=past + timedelta(days=4))
        )
    kinds = [record.alert.kind for record in demo_practice.case_monitoring(ada, case.id).alerts]
    assert AlertKind.MISSING_CHECKINS not in kinds


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
    session_id = new_session(demo_practice, ada, case)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, 0, session_id), 10)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, 1, session_id), 4)
    monitoring = demo_practice.case_monitoring(ada, case.id)
    split = [
        r
        for r in monitoring.alerts
        if r.alert.kind is AlertKind.SPLIT_ALLIANCE and r.alert.session_id == session_id
    ]
    assert len(split) == 1
    assert set(split[0].alert.client_ids) == {client.id for client in case.clients}


def test_recomputing_alerts_does_not_duplicate_them_or_reset_their_status(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Theo"))
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 3, comment="It felt rushed")
    first = demo_practice.case_monitoring(ada, case.id).alerts
    demo_practice.set_alert_status(ada, first[0].id, AlertStatus.ACKNOWLEDGED, "Will raise it")
    again = demo_practice.case_monitoring(ada, case.id).alerts
    assert len(again) == len(first)
    acknowledged = next(record for record in again if record.id == first[0].id)
    assert acknowledged.status is AlertStatus.ACKNOWLEDGED
    assert acknowledged.status_note == "Will raise it"


def test_a_low_check_in_still_raises_its_alert_when_a_better_one_arrives_before_the_therapist_looks(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Theo"))
    low_session = new_session(demo_practice, ada, case)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case, session_id=low_session), 2)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 10)
    alerts = demo_practice.case_monitoring(ada, case.id).alerts
    assert any(
        record.alert.kind is AlertKind.BELOW_CUTOFF and record.alert.session_id == low_session
        for record in alerts
    )


def test_the_clients_comment_is_kept_and_raises_an_alert(demo_practice: Practice, ada: Clinician) -> None:
    case = couple(demo_practice, ada)
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 9, comment="You cut me off")
    monitoring = demo_practice.case_monitoring(ada, case.id)
    assert any(record.alert.kind is AlertKind.CLIENT_COMMENT for record in monitoring.alerts)
    assert any(entry.check_in.free_text == "You cut me off" for t in monitoring.tracks for entry in t.history)


def test_cases_with_open_alerts_come_first_in_the_caseload(demo_practice: Practice, ada: Clinician) -> None:
    caseload = demo_practice.caseload(ada)
    counts = [summary.open_alerts for summary in caseload]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > 0


def test_the_demo_shows_a_split_alliance_and_resolved_alerts(demo_practice: Practice, ada: Clinician) -> None:
    alerts = demo_practice.case_monitoring(ada, couple(demo_practice, ada).id).alerts
    assert any(record.alert.kind is AlertKind.SPLIT_ALLIANCE for record in alerts)
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    assert all(r.status is AlertStatus.RESOLVED for r in demo_practice.case_monitoring(ada, mara.id).alerts)


def test_two_lapsed_links_show_on_the_caseload_without_opening_the_case(
    demo_practice: Practice, ada: Clinician
) -> None:
    """A client who stops answering sends nothing new, so the caseload itself must notice the lapse."""
    case = demo_practice.open_case(ada, title="Quiet client", kind=CaseKind.INDIVIDUAL, client_names=["R"])
    links = [first_session_link(demo_practice, ada, case) for _ in range(2)]
    assert next(s for s in demo_practice.caseload(ada) if s.case.id == case.id).open_alerts == 0
    with demo_practice.store.engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(days=5)
        connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id.in_([issued.link.id for issued in links]))
            .values(created_at=past, expires_at=past + timedelta(days=4))
        )
    summary = next(s for s in demo_practice.caseload(ada) if s.case.id == case.id)
    assert summary.open_alerts == 1
    with demo_practice.store.transaction() as work:
        kinds = [record.alert.kind for record in work.alerts.for_cases([case.id])]
    assert kinds == [AlertKind.MISSING_CHECKINS]


# Installed instruments live in the database, so every app server sharing it sees the same ones. ---------


def srs_file(folder: Path, name: str = "my-srs.json", **changes: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(dict(SRS, **changes)), encoding="utf-8")
    return path


def second_server(settings: Settings, tmp_path: Path) -> Practice:
    """Another app server on the same database, with a data folder of its own."""
    return Practice.open(settings.model_copy(update={"data_dir": tmp_path / "server-2"}))


def instrument_events(practice: Practice) -> list[AuditEvent]:
    with practice.store.transaction() as work:
        return [event for event in work.audit.recent(1000) if event.target_kind == "instrument"]


def test_an_instrument_installed_on_one_server_is_asked_and_answered_through_another(
    demo_practice: Practice, ada: Clinician, settings: Settings, tmp_path: Path
) -> None:
    other = second_server(settings, tmp_path)
    try:
        assert "srs" not in other.instruments()
        installed = demo_practice.install_instrument(srs_file(tmp_path / "files"))
        assert installed.id == "srs"
        assert not user_instruments_dir(settings.data_dir).exists()
        assert other.instruments().get("srs").title == "Session Rating Scale"
        assert not other.instruments().is_builtin("srs")
        session = demo_practice.case_detail(ada, couple(demo_practice, ada).id).sessions[0]
        issued = demo_practice.issue_checkin_link(
            ada, session.id, session.attendee_ids[0], instrument_ids=("srs",)
        )
        invitation = other.open_checkin(issued.token)
        assert [instrument.id for instrument in invitation.instruments] == ["srs"]
        answers = {item.id: 9.0 for item in invitation.instruments[0].items}
        assert len(other.submit_checkin(issued.token, {"srs": answers}, {})) == 1
    finally:
        other.close()
    events = instrument_events(demo_practice)
    assert [(event.action, event.detail) for event in events] == [
        (AuditAction.CREATE, "srs 3.0 from my-srs.json")
    ]


def test_the_parsed_catalogue_is_kept_until_an_installed_definition_changes(
    practice: Practice, tmp_path: Path
) -> None:
    first = practice.instruments()
    assert practice.instruments() is first
    practice.install_instrument(srs_file(tmp_path))
    second = practice.instruments()
    assert "srs" in second
    assert practice.instruments() is second


def test_replacing_an_installed_instrument_reaches_every_server(
    practice: Practice, settings: Settings, tmp_path: Path
) -> None:
    other = second_server(settings, tmp_path)
    try:
        practice.install_instrument(srs_file(tmp_path / "files"))
        assert other.instruments().get("srs").version == "3.0"
        newer = srs_file(tmp_path / "files", "srs-3.1.json", version="3.1", title="Session Rating Scale 3.1")
        assert practice.install_instrument(newer, replace=True).version == "3.1"
        assert other.instruments().get("srs").title == "Session Rating Scale 3.1"
        assert practice.instruments().get("srs").version == "3.1"
    finally:
        other.close()
    assert [(event.action, event.detail) for event in instrument_events(practice)] == [
        (AuditAction.UPDATE, "srs 3.1 from srs-3.1.json"),
        (AuditAction.CREATE, "srs 3.0 from my-srs.json"),
    ]


def test_a_refused_install_changes_nothing_and_says_why(practice: Practice, tmp_path: Path) -> None:
    practice.install_instrument(srs_file(tmp_path))
    with practice.store.reading_instruments() as stored:
        before = stored.all()
    broken = srs_file(tmp_path, "broken.json", items=[dict(SRS["items"][0], max=-1)])
    with pytest.raises(InstrumentFileInvalid, match=r"broken\.json: items\[0\]\.max: must be greater"):
        practice.install_instrument(broken, replace=True)
    with pytest.raises(InvalidInput, match=r"phq\.json: id: 'phq-9' is a built-in instrument"):
        practice.install_instrument(srs_file(tmp_path, "phq.json", id="phq-9"), replace=True)
    with pytest.raises(InvalidInput, match="'srs' is already installed; use --replace to overwrite it"):
        practice.install_instrument(srs_file(tmp_path, "srs-3.1.json", version="3.1"))
    with practice.store.reading_instruments() as stored:
        assert stored.all() == before
    assert practice.instruments().get("srs").version == "3.0"
    assert len(instrument_events(practice)) == 1


def test_instrument_files_installed_before_the_upgrade_are_imported_once_and_left_in_place(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A database as the previous version left it, with instruments installed as files.
    engine = database.create_database_engine(settings.resolved_database_url)
    database.upgrade(engine, "0004")
    engine.dispose()
    folder = user_instruments_dir(settings.data_dir)
    srs_file(folder, "srs.json")
    (folder / "ors.json").write_text("{", encoding="utf-8")
    srs_file(folder, "shadow.json", id="gad-7")
    with caplog.at_level(logging.WARNING, logger="safeenough.practice"):
        upgraded = Practice.create(settings)
    try:
        assert upgraded.instruments().get("srs").version == "3.0"
        assert upgraded.instruments().problems == ()
        assert sorted(path.name for path in folder.iterdir()) == ["ors.json", "shadow.json", "srs.json"]
        warnings = [record.getMessage() for record in caplog.records]
        assert any("ors.json: line 1, column 2: not valid JSON" in message for message in warnings)
        assert any("shadow.json: id: 'gad-7' is a built-in instrument" in message for message in warnings)
        [event] = instrument_events(upgraded)
        assert event.action is AuditAction.CREATE
        assert event.detail.startswith("srs 3.0 imported from ")
        # A newer install wins over the old file, which is never imported again.
        upgraded.install_instrument(srs_file(settings.data_dir / "new", version="3.1"), replace=True)
    finally:
        upgraded.close()
    reopened = Practice.open(settings)
    try:
        assert reopened.import_legacy_instruments() == ()
        assert reopened.instruments().get("srs").version == "3.1"
        assert len(instrument_events(reopened)) == 2
    finally:
        reopened.close()


def test_the_demo_check_ins_are_dated_the_evening_of_their_session(demo_practice: Practice) -> None:
    with demo_practice.store.engine.connect() as connection:
        rows = connection.execute(
            select(sessions.c.held_on, checkins.c.submitted_at, checkin_links.c.created_at)
            .join(checkins, checkins.c.session_id == sessions.c.id)
            .join(checkin_links, checkin_links.c.id == checkins.c.link_id)
        ).all()
    assert len(rows) == len(DEMO_CHECKINS)
    for held_on, submitted_at, sent_at in rows:
        assert submitted_at.date() == held_on
        assert sent_at <= submitted_at


def test_a_session_booked_ahead_gets_no_check_in_link_until_its_day(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    ahead = demo_practice.add_session(
        ada, case.id, held_on=date.today() + timedelta(days=3), attendee_ids=[case.clients[0].id]
    )
    links_before = len(demo_practice.case_monitoring(ada, case.id).links)
    with pytest.raises(InvalidInput, match="on that day or after"):
        demo_practice.issue_checkin_link(ada, ahead.id, case.clients[0].id)
    assert len(demo_practice.case_monitoring(ada, case.id).links) == links_before


# A replacement definition must still score every check-in stored on the instrument. -----------------


def srs_items(**changes: Any) -> list[dict[str, Any]]:
    """The SRS items with `changes` applied to each one."""
    return [dict(item, **changes) for item in SRS["items"]]


def answered_on_srs(practice: Practice, ada: Clinician, *values: float) -> None:
    """Install SRS (3.0) and store one check-in on it per value, every item answered with that value."""
    practice.install_instrument(srs_file(practice.settings.data_dir / "files"))
    case = couple(practice, ada)
    for value in values:
        session = practice.case_detail(ada, case.id).sessions[0]
        issued = practice.issue_checkin_link(
            ada, new_session(practice, ada, case), session.attendee_ids[0], instrument_ids=("srs",)
        )
        practice.submit_checkin(issued.token, {"srs": {item["id"]: value for item in SRS["items"]}}, {})


def refused_replacement(practice: Practice, path: Path) -> str:
    """Try to replace SRS with `path`; it must be refused with nothing changed. Returns the message."""
    with practice.store.reading_instruments() as stored:
        before = stored.all()
    events = len(instrument_events(practice))
    with pytest.raises(InvalidInput) as refused:
        practice.install_instrument(path, replace=True)
    with practice.store.reading_instruments() as stored:
        assert stored.all() == before
    assert practice.instruments().get("srs").version == "3.0"
    assert len(instrument_events(practice)) == events
    return str(refused.value)


def test_a_replacement_with_narrower_scales_is_refused_while_stored_check_ins_would_not_fit(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 9)
    narrower = srs_file(
        demo_practice.settings.data_dir / "files", "srs-5.json", version="4.0",
        items=srs_items(max=5, alert_threshold=None), cutoff={"value": 15, "source": "x"},
    )  # fmt: skip
    assert refused_replacement(demo_practice, narrower) == (
        "srs-5.json: 1 stored check-in on 'srs' would no longer fit this definition (for example, "
        "relationship: must be between 0 and 5); nothing was changed. Install the new definition under "
        "a new id instead (e.g. 'srs-2'), so the answers already given keep the definition they were "
        "answered on."
    )
    case = couple(demo_practice, ada)
    tracks = demo_practice.case_monitoring(ada, case.id).tracks
    assert [entry.total for t in tracks if t.instrument.id == "srs" for entry in t.history] == [36]


def test_a_replacement_that_renames_an_item_is_refused_and_counts_every_check_in_that_would_not_fit(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 9, 8)
    items = srs_items()
    items[0] = dict(items[0], id="heard")
    renamed = srs_file(demo_practice.settings.data_dir / "files", "srs-4.json", version="4.0", items=items)
    message = refused_replacement(demo_practice, renamed)
    assert message.startswith(
        "srs-4.json: 2 stored check-ins on 'srs' would no longer fit this definition (for example, "
        "relationship: Session Rating Scale has no question 'relationship');"
    )


def test_a_replacement_whose_step_old_answers_do_not_fall_on_is_refused(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 7.5)
    stepped = srs_file(demo_practice.settings.data_dir / "files", "srs-4.json", items=srs_items(step=1))
    assert "(for example, relationship: must be a whole step of 1 on the scale 0–10)" in refused_replacement(
        demo_practice, stepped
    )


def test_a_replacement_that_adds_a_required_item_is_refused_as_stored_totals_would_be_lost(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 9)
    extra = {"id": "pace", "text": "PLACEHOLDER pace", "min": 0, "max": 10, "step": None}
    added = srs_file(demo_practice.settings.data_dir / "files", "srs-4.json", items=[*srs_items(), extra])
    assert "(for example, 1 of 5 items unanswered; the total can be prorated with at most 0 missing)" in (
        refused_replacement(demo_practice, added)
    )


def test_a_compatible_replacement_is_installed_and_still_scores_the_stored_check_ins(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 9, 7.5)
    items = [dict(item, text=f"{item['text']} (new wording)") for item in srs_items(min=-10, max=20)]
    wider = srs_file(
        demo_practice.settings.data_dir / "files", "srs-4.json", version="4.0", items=items,
        cutoff={"value": 30, "source": "our own audit"},
    )  # fmt: skip
    assert demo_practice.install_instrument(wider, replace=True).version == "4.0"
    assert demo_practice.instruments().get("srs").cutoff.value == 30  # type: ignore[union-attr]
    case = couple(demo_practice, ada)
    tracks = demo_practice.case_monitoring(ada, case.id).tracks
    assert [entry.total for t in tracks if t.instrument.id == "srs" for entry in t.history] == [36, 30]


def test_any_replacement_is_accepted_while_no_check_in_is_stored_on_the_instrument(
    practice: Practice, tmp_path: Path
) -> None:
    practice.install_instrument(srs_file(tmp_path))
    items = srs_items(max=5, alert_threshold=None)
    narrower = srs_file(
        tmp_path, "srs-5.json", version="4.0", items=items, cutoff={"value": 15, "source": "x"}
    )
    assert practice.install_instrument(narrower, replace=True).version == "4.0"


def test_exports_name_the_version_each_check_in_was_answered_on_after_a_replacement(
    demo_practice: Practice, ada: Clinician
) -> None:
    answered_on_srs(demo_practice, ada, 9)
    wider = srs_file(demo_practice.settings.data_dir / "files", "srs-4.json", version="4.0")
    demo_practice.install_instrument(wider, replace=True)
    case = couple(demo_practice, ada)
    rows = [row for row in csv.DictReader(io.StringIO(demo_practice.export_scores_csv(ada)))]
    assert {row["instrument_version"] for row in rows if row["instrument_id"] == "srs"} == {"3.0"}
    bundle = json.loads(demo_practice.export_case_fhir(ada, case.id))
    responses = [
        entry["resource"]["questionnaire"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert any(reference.endswith("/srs|3.0") for reference in responses)


def test_a_case_can_choose_what_its_check_ins_ask_and_new_links_ask_that(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    sent_before = first_session_link(demo_practice, ada, case)
    chosen = demo_practice.choose_checkin_instruments(ada, case.id, ("phq-9", "safeenough-safety"))
    assert chosen == ("safeenough-safety", "phq-9")  # the catalogue's order: the form's order
    assert demo_practice.case_detail(ada, case.id).case.checkin_instrument_ids == chosen
    issued = first_session_link(demo_practice, ada, case, client_index=1)
    assert [i.id for i in demo_practice.open_checkin(issued.token).instruments] == list(chosen)
    # A link already sent keeps its questions.
    assert [i.id for i in demo_practice.open_checkin(sent_before.token).instruments] == ["safeenough-safety"]
    with demo_practice.store.transaction() as work:
        recorded = [(e.action, e.target_kind, e.target_id, e.detail) for e in work.audit.recent(20)]
    questionnaires = "check-in questionnaires: safeenough-safety, phq-9"
    assert (AuditAction.UPDATE, "case", case.id, questionnaires) in recorded


def test_choosing_no_questionnaire_or_an_unknown_one_is_refused_and_keeps_the_choice(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    with pytest.raises(InvalidInput, match="at least one questionnaire"):
        demo_practice.choose_checkin_instruments(ada, case.id, ())
    with pytest.raises(InvalidInput, match="no questionnaire 'srs'"):
        demo_practice.choose_checkin_instruments(ada, case.id, ("safeenough-safety", "srs"))
    assert demo_practice.case_detail(ada, case.id).case.checkin_instrument_ids == ()
    assert demo_practice.checkin_instruments_of(case) == ("safeenough-safety",)


def test_only_the_cases_own_therapist_chooses_its_questionnaires(
    demo_practice: Practice, ada: Clinician, ben: Clinician, sol: Clinician
) -> None:
    case = couple(demo_practice, ada)
    with pytest.raises(PermissionDenied):
        demo_practice.choose_checkin_instruments(sol, case.id, ("phq-9",))
    with pytest.raises(NotFound):
        demo_practice.choose_checkin_instruments(ben, case.id, ("phq-9",))
    assert demo_practice.case_detail(ada, case.id).case.checkin_instrument_ids == ()


def test_the_caseload_trend_follows_the_alliance_measure_the_case_asks(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = couple(demo_practice, ada)
    assert next(s for s in demo_practice.caseload(ada) if s.case.id == case.id).alliance
    demo_practice.choose_checkin_instruments(ada, case.id, ("phq-9",))
    assert next(s for s in demo_practice.caseload(ada) if s.case.id == case.id).alliance == ()


def test_two_people_opening_a_case_at_the_same_moment_store_its_new_alerts_once(
    demo_practice: Practice, ada: Clinician, sol: Clinician
) -> None:
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Theo"))
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 2)
    # Each request pauses just before it stores new alerts until the other one gets there too (or 3 s
    # pass): without a lock both would have found the same alerts missing and stored them twice.
    both_about_to_store = threading.Barrier(2, timeout=3)

    def wait_for_the_other(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ALERTS"):
            with suppress(threading.BrokenBarrierError):
                both_about_to_store.wait()

    outcomes: dict[str, Any] = {}

    def look(who: str, actor: Clinician) -> None:
        try:
            outcomes[who] = demo_practice.case_monitoring(actor, case.id).alerts
        except Exception as error:  # the outcome is what the test reports
            outcomes[who] = error

    engine = demo_practice.store.engine
    event.listen(engine, "before_cursor_execute", wait_for_the_other)
    try:
        threads = [
            threading.Thread(target=look, args=(who, actor)) for who, actor in (("ada", ada), ("sol", sol))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", wait_for_the_other)
    assert not [outcome for outcome in outcomes.values() if isinstance(outcome, Exception)], outcomes
    assert outcomes["ada"] == outcomes["sol"]
    stored = demo_practice.case_monitoring(ada, case.id).alerts
    assert stored == outcomes["ada"]
    assert any(record.alert.kind is AlertKind.BELOW_CUTOFF for record in stored)
    keys = [record.alert.key for record in stored]
    assert len(keys) == len(set(keys))


def test_the_case_page_reads_check_ins_in_session_order_when_one_came_back_late(
    demo_practice: Practice, ada: Clinician
) -> None:
    today = date.today()
    case = demo_practice.open_case(
        ada,
        title="Late answer",
        kind=CaseKind.INDIVIDUAL,
        client_names=["Lee Late"],
        opened_on=today - timedelta(days=14),
    )
    client_id = case.clients[0].id
    first, second = (
        demo_practice.add_session(
            ada, case.id, held_on=today - timedelta(days=days), attendee_ids=[client_id]
        )
        for days in (7, 1)
    )
    links = {
        session.id: demo_practice.issue_checkin_link(ada, session.id, client_id, instrument_ids=("phq-9",))
        for session in (first, second)
    }
    answer_all(demo_practice, links[second.id], 0)  # the second session's check-in comes back first
    answer_all(demo_practice, links[first.id], 2)
    (track,) = demo_practice.case_monitoring(ada, case.id).tracks
    assert [entry.session_number for entry in track.history] == [1, 2]
    assert track.expected is not None
    assert track.expected.intake == 18


def test_the_practice_curve_reads_each_earlier_clients_check_ins_by_session_date_not_by_entry_order(
    demo_practice: Practice, ada: Clinician
) -> None:
    from safeenough.practice.checkins import PracticeTrajectories

    today = date.today()
    case = demo_practice.open_case(
        ada,
        title="Entered late",
        kind=CaseKind.INDIVIDUAL,
        client_names=["Eli Early"],
        opened_on=today - timedelta(days=30),
    )
    client_id = case.clients[0].id
    later = demo_practice.add_session(
        ada, case.id, held_on=today - timedelta(days=1), attendee_ids=[client_id]
    )
    # The first session is entered after the second: its id is higher, its date earlier.
    earlier = demo_practice.add_session(
        ada, case.id, held_on=today - timedelta(days=8), attendee_ids=[client_id]
    )
    assert earlier.id > later.id
    for session, value in ((later, 0), (earlier, 2)):
        link = demo_practice.issue_checkin_link(ada, session.id, client_id, instrument_ids=("phq-9",))
        answer_all(demo_practice, link, value)
    phq = demo_practice.instruments().get("phq-9")
    with demo_practice.store.transaction() as work:
        reference = PracticeTrajectories(work).reference(phq, exclude=set())
    assert (18.0, 0.0) in reference.trajectories
    assert (0.0, 18.0) not in reference.trajectories


def test_two_missed_check_ins_answered_again_before_the_therapist_looks_raise_one_alert_saying_so(
    demo_practice: Practice, ada: Clinician
) -> None:
    case = demo_practice.open_case(ada, title="Back again", kind=CaseKind.INDIVIDUAL, client_names=["R"])
    lapsed = [first_session_link(demo_practice, ada, case) for _ in range(2)]
    with demo_practice.store.engine.begin() as connection:
        past = datetime.now(UTC) - timedelta(days=5)
        connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id.in_([issued.link.id for issued in lapsed]))
            .values(created_at=past, expires_at=past + timedelta(days=4))
        )
    answer_all(demo_practice, first_session_link(demo_practice, ada, case), 10)
    for _ in range(2):  # looking twice stores it once
        records = demo_practice.case_monitoring(ada, case.id).alerts
        missing = [r for r in records if r.alert.kind is AlertKind.MISSING_CHECKINS]
        assert len(missing) == 1
    assert missing[0].alert.rule.startswith("2 check-ins in a row not returned")
    assert "came back" in missing[0].alert.rule
