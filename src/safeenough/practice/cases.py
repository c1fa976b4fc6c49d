"""Cases and sessions: the caseload, a case, opening cases and recording sessions."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.client import Client
from safeenough.domain.clinician import Clinician
from safeenough.domain.instrument import Instrument, InstrumentKind
from safeenough.domain.session import Session
from safeenough.domain.supervision import AllianceTrend
from safeenough.domain.validation import DomainError, require_text
from safeenough.errors import (
    InvalidInput,
    PermissionDenied,
)
from safeenough.practice.checkins import CheckInsMixin, PracticeTrajectories
from safeenough.storage import fixtures
from safeenough.storage.store import UnitOfWork

#: sessions back that the caseload's alliance sparkline covers
CASELOAD_TREND_SESSIONS = 8


AUDIT_DETAIL_ROOM = 480
"""Of the 500 characters an audit event's detail holds, what a list of case ids may take."""


def _cases_shown(cases: list[Case]) -> str:
    """'3 cases: 1, 2, 5'; for a long caseload, as many ids as fit and '… and 40 more'."""
    detail = f"{len(cases)} cases"
    ids = [str(case.id) for case in cases]
    tail_room = len(f" … and {len(ids)} more")
    listed: list[str] = []
    length = len(detail) + 2
    for case_id in ids:
        if length + len(case_id) + 2 + tail_room > AUDIT_DETAIL_ROOM:
            break
        listed.append(case_id)
        length += len(case_id) + 2
    more = len(ids) - len(listed)
    return detail + (": " + ", ".join(listed) if listed else "") + (f" … and {more} more" if more else "")


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case: Case
    owner: Clinician
    read_only: bool
    session_count: int
    last_session: date | None
    next_session: date | None
    open_alerts: int = 0
    alliance: tuple[tuple[Client, AllianceTrend], ...] = ()
    """Each client's recent alliance check-in totals (the default alliance instrument), for a sparkline."""


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    owner: Clinician
    read_only: bool
    sessions: tuple[Session, ...]


@dataclass(frozen=True, slots=True)
class CaseAccess:
    """Who has read or changed what of a case, latest first, a page at a time."""

    case: Case
    owner: Clinician
    read_only: bool
    events: tuple[AuditEvent, ...]
    people: dict[int, Clinician]
    """The accounts the events name, by id."""
    sessions: dict[int, Session]
    """The case's sessions by id, to name the session an event is about."""
    older: int | None
    """Where the next page starts (`before_id`), None when there are no older events."""


CASE_ACCESS_PAGE = 100


class CasesMixin(CheckInsMixin):
    def caseload(self, actor: Clinician, today: date | None = None) -> list[CaseSummary]:
        """The actor's own cases, those with open alerts first; then a supervisor's supervisees' cases."""
        today = today or self.today()
        with self.store.transaction() as work:
            owners = {owner.id: owner for owner in self._visible_owners(work, actor)}
            cases = work.cases.owned_by(list(owners))
            unchecked = set(work.cases.needing_alert_review([case.id for case in cases], datetime.now(UTC)))
            if unchecked:
                catalogue = self.instruments()
                trajectories = PracticeTrajectories(work)
                for case in cases:
                    if case.id in unchecked:
                        self._refresh_alerts(work, case, catalogue, trajectories)
            dates = work.sessions.summaries([case.id for case in cases], today)
            open_alerts = work.alerts.open_counts([case.id for case in cases])
            alliance = self._recent_alliance(work, cases)
            # The caseload shows each case's title, clients, alerts and scores: the trail names them.
            detail = _cases_shown(cases)
            work.audit.record(actor.id, AuditAction.READ, "caseload", actor.id, detail)
        summaries = [
            CaseSummary(
                case=case,
                owner=owners[case.clinician_id],
                read_only=case.clinician_id != actor.id,
                last_session=dates[case.id][0],
                next_session=dates[case.id][1],
                session_count=dates[case.id][2],
                open_alerts=open_alerts[case.id],
                alliance=alliance.get(case.id, ()),
            )
            for case in cases
        ]
        # Attention first: own cases with open alerts, then own cases, then supervisees' (read-only).
        return sorted(
            summaries,
            key=lambda summary: (summary.read_only, -summary.open_alerts, summary.case.title.lower()),
        )

    def _recent_alliance(
        self, work: UnitOfWork, cases: list[Case]
    ) -> dict[int, tuple[tuple[Client, AllianceTrend], ...]]:
        """Per case, each client's totals over the case's last sessions on the first alliance instrument its
        check-ins ask (one query for the whole caseload)."""
        catalogue = self.instruments()
        charted: dict[int, Instrument] = {}
        for case in cases:
            offered = (catalogue.instruments.get(i) for i in self.checkin_instruments_of(case))
            alliance = next((i for i in offered if i is not None and i.kind is InstrumentKind.ALLIANCE), None)
            if alliance is not None:
                charted[case.id] = alliance
        if not charted:
            return {}
        totals = work.checkins.recent_totals(
            list(charted),
            sorted({instrument.id for instrument in charted.values()}),
            CASELOAD_TREND_SESSIONS,
            today=self.today(),
        )
        found: dict[int, tuple[tuple[Client, AllianceTrend], ...]] = {}
        for case in cases:
            instrument = charted.get(case.id)
            if instrument is None:
                continue
            trends = tuple(
                (client, AllianceTrend.of(client.code, instrument, totals[(client.id, instrument.id)]))
                for client in case.clients
                if (client.id, instrument.id) in totals
            )
            if trends:
                found[case.id] = trends
        return found

    def case_detail(self, actor: Clinician, case_id: int) -> CaseDetail:
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            sessions = work.sessions.for_cases([case.id])[case.id]
            work.audit.record(actor.id, AuditAction.READ, "case", case.id)
            return CaseDetail(
                case=case, owner=owner, read_only=owner.id != actor.id, sessions=tuple(sessions)
            )

    def case_access(self, actor: Clinician, case_id: int, *, before_id: int | None = None) -> CaseAccess:
        """The case's access history from the audit trail, for its therapist and their supervisor: who
        opened, changed or downloaded what, and when (a client's own check-ins included)."""
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            events = work.audit.for_case(case.id, CASE_ACCESS_PAGE + 1, before_id)
            older = events[CASE_ACCESS_PAGE - 1].id if len(events) > CASE_ACCESS_PAGE else None
            shown = tuple(events[:CASE_ACCESS_PAGE])
            named = {event.actor_id for event in shown if event.actor_id is not None}
            people = {clinician_id: work.clinicians.get(clinician_id) for clinician_id in sorted(named)}
            sessions = {session.id: session for session in work.sessions.for_cases([case.id])[case.id]}
            work.audit.record(actor.id, AuditAction.READ, "case_access", case.id)
            return CaseAccess(case, owner, owner.id != actor.id, shown, people, sessions, older)

    def open_case(
        self,
        actor: Clinician,
        *,
        title: str,
        kind: CaseKind,
        client_names: list[str],
        opened_on: date | None = None,
    ) -> Case:
        if not actor.role.holds_caseload:
            raise PermissionDenied("An admin account cannot hold cases.")
        names = [name.strip() for name in client_names if name.strip()]
        try:
            require_text(title, "case title", max_length=120)
        except DomainError as error:
            raise InvalidInput(str(error).capitalize() + ".", field="title") from None
        try:
            kind.check_client_count(len(names))
            for name in names:
                require_text(name, "client name", max_length=120)
        except DomainError as error:
            raise InvalidInput(str(error).capitalize() + ".", field="client_names") from None
        today = self.today()
        if opened_on is not None and opened_on > today:
            raise InvalidInput(future_opening_message(opened_on, today), field="opened_on")
        with self.store.transaction() as work:
            case = work.cases.add(
                practice_id=fixtures.ensure_practice(work),
                clinician_id=actor.id,
                title=title.strip(),
                kind=kind,
                opened_on=opened_on or today,
                client_names=names,
            )
            work.audit.record(actor.id, AuditAction.CREATE, "case", case.id)
            return case

    def add_session(
        self,
        actor: Clinician,
        case_id: int,
        *,
        held_on: date,
        attendee_ids: list[int],
        note: str | None = None,
    ) -> Session:
        note = note.strip() if note and note.strip() else None
        with self.store.transaction() as work:
            case = self._writable_case(work, actor, case_id)
            unknown = set(attendee_ids) - {client.id for client in case.clients}
            if unknown:
                raise InvalidInput("Attendees must be clients of this case.", field="attendee_ids")
            if not attendee_ids:
                raise InvalidInput("Tick at least one client who attended the session.", field="attendee_ids")
            if held_on < case.opened_on:
                raise InvalidInput(
                    f"The session date is before the case opened ({case.opened_on:%d %b %Y}).",
                    field="held_on",
                )
            if note is not None and len(note) > 20_000:
                raise InvalidInput(
                    "The note is longer than 20,000 characters; shorten it or split it.", field="note"
                )
            session = work.sessions.add(
                case_id=case.id, held_on=held_on, attendee_ids=sorted(set(attendee_ids)), note=note
            )
            work.audit.record(actor.id, AuditAction.CREATE, "session", session.id, f"case {case.id}")
            return session


def future_opening_message(opened_on: date, today: date) -> str:
    """Why a case cannot open on `opened_on`: the day has not come yet on the practice's calendar."""
    return (
        f"The opening date, {opened_on.day} {opened_on:%b %Y}, is in the future: a case opens on the day "
        f"of the first contact, today ({today.day} {today:%b %Y}) at the latest."
    )
