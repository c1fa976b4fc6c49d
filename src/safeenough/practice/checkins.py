"""Check-ins: single-use links, the client's answers, monitoring, alerts with a suggested next step."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from safeenough.domain.alert import AlertStatus
from safeenough.domain.alert_record import AlertRecord
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.checkin import Answer, ScoredCheckIn, SessionReturn
from safeenough.domain.checkin_link import CheckInLink
from safeenough.domain.client import Client
from safeenough.domain.clinician import Clinician
from safeenough.domain.instrument import Instrument, InstrumentKind
from safeenough.domain.session import Session
from safeenough.errors import (
    AnswersInvalid,
    InvalidInput,
    LinkUnusable,
    NotFound,
    SafeEnoughError,
)
from safeenough.instruments.catalogue import (
    Catalogue,
    check_installable,
    legacy_instrument_files,
    read_instrument_file,
)
from safeenough.practice.base import PracticeBase
from safeenough.stats.alerts import case_alerts
from safeenough.stats.baseline import chronological
from safeenough.stats.expected_response import ExpectedResponse, PracticeReference, client_expected_response
from safeenough.stats.scoring import answer_problems, score_answers, score_checkin
from safeenough.storage.checkin_links import LinkProblem
from safeenough.storage.store import UnitOfWork

log = logging.getLogger("safeenough.practice")

MAX_CHOSEN_INSTRUMENTS_LENGTH = 500
"""The room `cases.checkin_instruments` has for a case's chosen ids, comma-separated."""

KIOSK_LINK_LIFETIME = timedelta(hours=1)
"""A kiosk form is answered in the room, on the therapist's device: one left open stops working soon."""

AnswerReader = Callable[[tuple[Instrument, ...]], tuple[dict[str, dict[str, Answer]], dict[str, str | None]]]
"""Reads a client's answers for the given instruments: (answers by instrument and item, free text)."""


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A check-in link as the therapist hands it over: `path` is appended to the app's address."""

    link: CheckInLink
    token: str

    @property
    def path(self) -> str:
        return f"/c/{self.token}"


@dataclass(frozen=True, slots=True)
class CheckInInvitation:
    """What the client's form needs: which instruments to ask, and for which session."""

    link: CheckInLink
    instruments: tuple[Instrument, ...]
    held_on: date
    for_name: str | None = None
    """On a kiosk form only: the first name of the client it is for, so partners sharing the therapist's
    device do not answer each other's form. A sent link says no name: it may be forwarded or seen."""
    supervised: bool = False
    """Whether the therapist has a clinical supervisor, who can read the case and so the answers: the
    form tells the client who reads them, and must not say "only your therapist" when that is untrue."""


@dataclass(frozen=True, slots=True)
class ClientTrack:
    """One client's scored check-ins on one instrument, with the expected response for the chart."""

    client: Client
    instrument: Instrument
    history: tuple[ScoredCheckIn, ...]
    expected: ExpectedResponse | None


@dataclass(frozen=True, slots=True)
class CaseMonitoring:
    case: Case
    read_only: bool
    sessions: tuple[Session, ...]
    tracks: tuple[ClientTrack, ...]
    alerts: tuple[AlertRecord, ...]
    links: tuple[CheckInLink, ...]
    instruments: tuple[Instrument, ...]
    today: date | None = None
    """The practice's calendar day when this was read: sessions after it are booked, not held."""

    @property
    def last_held_session(self) -> int | None:
        """The number of the last session held by `today` (every session when `today` is not known);
        None before the first one."""
        held = [s.number for s in self.sessions if self.today is None or not s.is_upcoming(self.today)]
        return max(held, default=None)


class PracticeTrajectories:
    """Every client's totals per instrument, read once per unit of work.

    A case's expected treatment response is drawn from all the practice's other clients; the caseload may
    evaluate hundreds of cases' alerts at once (after a bulk import), and reading every trajectory again
    for each case made that quadratic."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work
        self._by_instrument: dict[str, dict[int, tuple[float, ...]]] = {}

    def reference(self, instrument: Instrument, exclude: set[int]) -> PracticeReference:
        """Earlier clients' trajectories on this instrument, leaving out `exclude` (the case's own)."""
        if instrument.kind is InstrumentKind.ALLIANCE:
            return PracticeReference()  # the expected response is drawn for outcome measures only
        by_client = self._by_instrument.get(instrument.id)
        if by_client is None:
            # In session order (date, then number) as the repository gives them: a session id says only
            # when the session was entered, and one entered late would put its check-in out of place.
            points: dict[int, list[float]] = {}
            for client_id, _session_id, total in self._work.checkins.totals_by_instrument(instrument.id):
                points.setdefault(client_id, []).append(total)
            by_client = {client_id: tuple(totals) for client_id, totals in points.items()}
            self._by_instrument[instrument.id] = by_client
        return PracticeReference(
            trajectories=tuple(
                trajectory for client_id, trajectory in by_client.items() if client_id not in exclude
            )
        )


@dataclass(frozen=True, slots=True)
class CheckInAnswers:
    """One check-in's answers, item by item, as the answers behind an alert on it."""

    case: Case
    client: Client
    instrument: Instrument
    entry: ScoredCheckIn
    held_on: date


@dataclass(frozen=True, slots=True)
class SubmittedCheckIn:
    link: CheckInLink
    """The link as it was opened (it is used up now)."""
    check_in_ids: tuple[int, ...]
    case_id: int
    """For a kiosk check-in, where the therapist goes back to once they log in again."""


class CheckInsMixin(PracticeBase):
    def install_instrument(self, source: Path, *, replace: bool = False) -> Instrument:
        """Add a practice-licensed instrument (SRS, ORS, WAI-SR, CORE-10…) from its definition file.

        The file is checked first (`InstrumentFileInvalid` explains each problem); an id that is a
        built-in one, or installed already unless `replace`, is refused (`InvalidInput`). A replacement
        is refused too (`InvalidInput`) when a check-in stored on the instrument could no longer be
        scored under it: stored answers are scored against the current definition whenever a page or an
        export is built. The file's bytes are stored in the database with an audit event, or nothing is
        stored.
        """
        instrument, data = read_instrument_file(source)
        with self.store.transaction() as work:
            installed = work.instruments.ids()
            check_installable(instrument, source_name=source.name, installed_ids=installed, replace=replace)
            if instrument.id in installed:
                self._check_stored_checkins_fit(work, instrument, source.name)
                work.instruments.replace(instrument.id, instrument.version, data, source.name)
                action = AuditAction.UPDATE
            else:
                if not work.instruments.add(instrument.id, instrument.version, data, source.name):
                    # Another server installed the same id a moment ago: refused as above.
                    check_installable(instrument, source_name=source.name, installed_ids={instrument.id})
                action = AuditAction.CREATE
            detail = f"{instrument.id} {instrument.version} from {source.name}"
            work.audit.record(None, action, "instrument", None, detail)
        return instrument

    @staticmethod
    def _check_stored_checkins_fit(work: UnitOfWork, instrument: Instrument, source_name: str) -> None:
        """Raise `InvalidInput` when a stored check-in on `instrument.id` cannot be scored under this
        definition: an answer to an item it no longer has, off its scale or step, or a total that could be
        scored before and now cannot (e.g. a new item with no missing items allowed)."""
        unfit = 0
        example = ""
        for answers, stored_total in work.checkins.answers_by_instrument(instrument.id):
            problems = answer_problems(instrument, answers)
            if problems:
                item_id, message = next(iter(problems.items()))
                reason = f"{item_id}: {message}"
            else:
                score = score_answers(instrument, answers)
                if score.total is not None or stored_total is None:
                    continue
                reason = score.unscorable_reason or "its total cannot be scored"
            unfit += 1
            example = example or reason
        if unfit:
            stored = "1 stored check-in" if unfit == 1 else f"{unfit} stored check-ins"
            suggestion = f"{instrument.id[:62]}-2"
            raise InvalidInput(
                f"{source_name}: {stored} on {instrument.id!r} would no longer fit this definition "
                f"(for example, {example}); nothing was changed. Install the new definition under a new "
                f"id instead (e.g. {suggestion!r}), so the answers already given keep the definition they "
                "were answered on."
            )

    def import_legacy_instruments(self) -> tuple[str, ...]:
        """Store the instrument files installed under `<data dir>/instruments` before installed
        definitions moved into the database, unless one with that id is stored already.

        Runs when a practice opens, so nobody loses an installed instrument on upgrade; the files are
        left in place. A file that cannot be imported is logged and skipped, never fatal.
        Returns the ids imported.
        """
        files = legacy_instrument_files(self.settings.data_dir)
        if not files:
            return ()
        with self.store.reading_instruments() as stored:
            known = stored.ids()
        # Installs were written as `<id>.json`: those already stored need not even be parsed.
        pending = [path for path in files if path.stem not in known]
        if not pending:
            return ()
        imported: list[str] = []
        try:
            with self.store.transaction() as work:
                known = work.instruments.ids()
                for path in pending:
                    try:
                        instrument, data = read_instrument_file(path)
                        if instrument.id in known:
                            continue
                        check_installable(instrument, source_name=path.name, installed_ids=known)
                    except InvalidInput as error:
                        log.warning("instrument file not imported: %s", error)
                        continue
                    if work.instruments.add(instrument.id, instrument.version, data, path.name):
                        detail = f"{instrument.id} {instrument.version} imported from {path}"
                        work.audit.record(None, AuditAction.CREATE, "instrument", None, detail)
                        imported.append(instrument.id)
                    known.add(instrument.id)
        except SafeEnoughError as error:  # e.g. the key file is missing: open anyway, try next time
            log.warning("instrument files under %s not imported: %s", files[0].parent, error)
            return ()
        return tuple(imported)

    def default_checkin_instruments(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.settings.checkin_instruments.split(",") if part.strip())

    def checkin_instruments_of(self, case: Case) -> tuple[str, ...]:
        """What the case's check-in links ask: the therapist's choice, else the practice's default."""
        return case.checkin_instrument_ids or self.default_checkin_instruments()

    def choose_checkin_instruments(
        self, actor: Clinician, case_id: int, instrument_ids: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Set what the case's check-in links ask from now on (links already sent keep their questions).

        Returns the chosen ids in the catalogue's order (the order the client's form shows them)."""
        catalogue = self.instruments()
        wanted = {instrument_id.strip() for instrument_id in instrument_ids if instrument_id.strip()}
        unknown = sorted(wanted - set(catalogue.instruments))
        if unknown:
            raise InvalidInput(
                f"There is no questionnaire {unknown[0]!r} in this practice: choose among those listed "
                "(an admin installs others with `safeenough instrument add FILE`)."
            )
        if not wanted:
            raise InvalidInput("Choose at least one questionnaire for this case's check-ins.")
        chosen = tuple(instrument_id for instrument_id in catalogue.instruments if instrument_id in wanted)
        if len(",".join(chosen)) > MAX_CHOSEN_INSTRUMENTS_LENGTH:
            raise InvalidInput("That is more questionnaires than one check-in can ask; choose fewer.")
        with self.store.transaction() as work:
            case = self._writable_case(work, actor, case_id)
            if not case.is_open:
                raise InvalidInput("This case is closed: its check-ins can no longer change.")
            work.cases.set_checkin_instruments(case.id, chosen)
            detail = "check-in questionnaires: " + ", ".join(chosen)
            work.audit.record(actor.id, AuditAction.UPDATE, "case", case.id, detail)
        return chosen

    def issue_checkin_link_as_owner(
        self, session_id: int, client_id: int, *, instrument_ids: tuple[str, ...] | None = None
    ) -> IssuedLink:
        """For the command line: issue the link as the clinician who owns the session's case."""
        with self.store.transaction() as work:
            session = work.sessions.find(session_id)
            owner_id = None if session is None else work.cases.owner_id(session.case_id)
            if owner_id is None:
                raise NotFound(f"There is no session {session_id}.")
            owner = work.clinicians.get(owner_id)
        return self.issue_checkin_link(
            owner, session_id, client_id, instrument_ids=instrument_ids, from_command_line=True
        )

    def issue_checkin_link(
        self,
        actor: Clinician,
        session_id: int,
        client_id: int,
        *,
        instrument_ids: tuple[str, ...] | None = None,
        kiosk: bool = False,
        from_command_line: bool = False,
    ) -> IssuedLink:
        """A single-use link for one client's check-in about one session (each partner gets their own)."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            if instrument_ids:
                for instrument_id in instrument_ids:
                    catalogue.get(instrument_id)
            else:
                instrument_ids = self.checkin_instruments_of(work.cases.get(session.case_id))
                missing = [i for i in instrument_ids if i not in catalogue]
                if missing:
                    # e.g. an installed definition that no longer loads: say what to do, not "not found".
                    raise InvalidInput(
                        f"This case's check-ins ask {missing[0]!r}, which this practice no longer has: "
                        "choose the case's check-in questionnaires again."
                    )
            if session.is_upcoming(self.today()):
                raise InvalidInput(
                    f"Session {session.number} is booked for {session.held_on:%d %b %Y}; its check-in link "
                    "can be made on that day or after."
                )
            if client_id not in session.attendee_ids:
                raise InvalidInput("Check-in links are for clients who attended this session.")
            if any(work.checkins.exists(session.id, client_id, i) for i in instrument_ids):
                raise InvalidInput("This client has already returned a check-in for this session.")
            # A new link replaces the client's open ones for this session: one sent to the wrong person,
            # or a kiosk form left open on the device, stops working.
            work.checkin_links.revoke_open(session.id, client_id)
            link, token = work.checkin_links.create(
                session_id=session.id,
                client_id=client_id,
                instrument_ids=instrument_ids,
                created_by=actor.id,
                lifetime=KIOSK_LINK_LIFETIME if kiosk else timedelta(days=self.settings.checkin_link_days),
                kiosk=kiosk,
            )
            # The command line acts in the owner's name; the trail says it was not them in the app.
            detail = f"session {session.id}" + (", kiosk on the therapist's device" if kiosk else "")
            detail += ", from the command line" if from_command_line else ""
            work.audit.record(actor.id, AuditAction.CREATE, "checkin_link", link.id, detail)
            return IssuedLink(link=link, token=token)

    def open_checkin(self, token: str) -> CheckInInvitation:
        """For the client's form (no account): what to ask. Raises LinkUnusable saying why not."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            link = self._usable_link(work, token)
            if any(work.checkins.exists(link.session_id, link.client_id, i) for i in link.instrument_ids):
                # Another link for the same session was answered: a blank form would only be thrown away.
                raise LinkUnusable("used")
            session = work.sessions.find(link.session_id)
            assert session is not None
            instruments = tuple(catalogue.get(instrument_id) for instrument_id in link.instrument_ids)
            for_name = None
            if link.kiosk:
                case = work.cases.get(session.case_id)
                client = next(c for c in case.clients if c.id == link.client_id)
                for_name = client.display_name.split()[0]
            owner_id = work.cases.owner_id(session.case_id)
            owner = None if owner_id is None else work.clinicians.get(owner_id)
            supervisor_id = None if owner is None else owner.supervisor_id
            supervised = supervisor_id is not None and work.clinicians.get(supervisor_id).active
            return CheckInInvitation(
                link=link,
                instruments=instruments,
                held_on=session.held_on,
                for_name=for_name,
                supervised=supervised,
            )

    def submit_checkin(
        self,
        token: str,
        answers: dict[str, dict[str, Answer]],
        free_text: dict[str, str | None],
    ) -> tuple[int, ...]:
        """Store a client's answers (all instruments of the link at once) and use up the link.

        Raises AnswersInvalid (nothing stored) with a message per item, or LinkUnusable.
        Returns the ids of the stored check-ins.
        """
        return self.submit_checkin_as_read(token, lambda _instruments: (answers, free_text)).check_in_ids

    def submit_checkin_as_read(self, token: str, read: AnswerReader) -> SubmittedCheckIn:
        """Like `submit_checkin`, for a form whose answers can only be read once the link's instruments
        are known: `read` gets them and returns (answers, free_text), all within one transaction."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            link = self._usable_link(work, token)
            instruments = [catalogue.get(instrument_id) for instrument_id in link.instrument_ids]
            answers, free_text = read(tuple(instruments))
            problems = self._answer_problems(instruments, answers, free_text)
            if problems:
                raise AnswersInvalid(problems)
            try:
                work.checkin_links.use(link.id)
            except LinkProblem as problem:
                raise LinkUnusable(problem.reason) from None
            if any(work.checkins.exists(link.session_id, link.client_id, i.id) for i in instruments):
                # Two links were issued and the other one was answered first.
                raise LinkUnusable("used")
            stored = []
            for instrument in instruments:
                given = answers.get(instrument.id, {})
                score = score_answers(instrument, given)
                text = (free_text.get(instrument.id) or "").strip() or None
                check_in = work.checkins.add(
                    link_id=link.id,
                    session_id=link.session_id,
                    client_id=link.client_id,
                    instrument_id=instrument.id,
                    instrument_version=instrument.version,
                    answers=dict(given),
                    free_text=text if instrument.free_text is not None else None,
                    total=score.total,
                )
                stored.append(check_in.id)
                work.audit.record(None, AuditAction.CREATE, "checkin", check_in.id, f"link {link.id}")
            # Alerts are evaluated when the therapist next looks (caseload or case page), keeping this
            # path short for clients submitting at the same moment.
            case_id = work.sessions.case_of(link.session_id)
            assert case_id is not None
            return SubmittedCheckIn(link=link, check_in_ids=tuple(stored), case_id=case_id)

    @staticmethod
    def _answer_problems(
        instruments: list[Instrument],
        answers: dict[str, dict[str, Answer]],
        free_text: dict[str, str | None],
    ) -> dict[tuple[str, str], str]:
        problems: dict[tuple[str, str], str] = {}
        for instrument in instruments:
            given = answers.get(instrument.id, {})
            found = answer_problems(instrument, given)
            for item_id, message in found.items():
                problems[(instrument.id, item_id)] = message
            # Answers that are off the scale count as blank here, so every problem shows in one round.
            usable = {item_id: value for item_id, value in given.items() if item_id not in found}
            if all(usable.get(item.id) is None for item in instrument.items):
                # Nothing answered: ask for every question at once, not one now and the rest next time.
                for item in instrument.items:
                    problems.setdefault((instrument.id, item.id), "Please answer this question.")
            elif not score_answers(instrument, usable).scorable:
                for item in instrument.items:
                    if usable.get(item.id) is None:
                        problems.setdefault((instrument.id, item.id), "Please answer this question too.")
            text = free_text.get(instrument.id)
            if instrument.free_text is not None and text and len(text) > instrument.free_text.max_length:
                problems[(instrument.id, instrument.free_text.id)] = (
                    f"Please keep this under {instrument.free_text.max_length} characters."
                )
        return problems

    def case_monitoring(self, actor: Clinician, case_id: int) -> CaseMonitoring:
        """Everything the case page shows about check-ins: trajectories, expected response, alerts, links."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            trajectories = PracticeTrajectories(work)
            self._refresh_alerts(work, case, catalogue, trajectories)
            work.audit.record(actor.id, AuditAction.READ, "checkins", case.id)
            return self._monitoring(
                work, case, read_only=owner.id != actor.id, catalogue=catalogue, trajectories=trajectories
            )

    def checkin_answers(self, actor: Clinician, case_id: int, check_in_id: int) -> CheckInAnswers:
        """One check-in of the case, answers and all: what an alert on it links to. The sealed answers
        of this one check-in are opened, and the read is audited like the case's check-ins."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            case, _owner = self._visible_case(work, actor, case_id)
            check_in = work.checkins.get(check_in_id)
            client = next(
                (c for c in case.clients if check_in is not None and c.id == check_in.client_id), None
            )
            session = None if check_in is None else work.sessions.find(check_in.session_id)
            if check_in is None or client is None or session is None or session.case_id != case.id:
                raise NotFound("There is no such check-in in this case.")
            if check_in.instrument_id not in catalogue:
                raise NotFound("This check-in's questionnaire is no longer installed.")
            instrument = catalogue.get(check_in.instrument_id)
            work.audit.record(actor.id, AuditAction.READ, "checkin", check_in.id, f"case {case.id}")
            entry = ScoredCheckIn(check_in, score_checkin(check_in, instrument), session.number)
            return CheckInAnswers(case, client, instrument, entry, session.held_on)

    def _monitoring(
        self,
        work: UnitOfWork,
        case: Case,
        *,
        read_only: bool,
        catalogue: Catalogue,
        trajectories: PracticeTrajectories | None = None,
    ) -> CaseMonitoring:
        sessions = work.sessions.for_cases([case.id])[case.id]
        numbers = {session.id: session.number for session in sessions}
        check_ins = work.checkins.for_clients([client.id for client in case.clients])
        tracks = []
        used = [i for i in catalogue if any(c.instrument_id == i.id for c in check_ins)]
        trajectories = trajectories or PracticeTrajectories(work)
        for instrument in used:
            reference = trajectories.reference(instrument, exclude={client.id for client in case.clients})
            for client in case.clients:
                # In session order, as the alert rules read it: a check-in can come back after the one
                # of a later session, and the intake and "latest" are the sessions', not the arrivals'.
                history = tuple(
                    chronological(
                        [
                            ScoredCheckIn(c, score_checkin(c, instrument), numbers[c.session_id])
                            for c in check_ins
                            if c.client_id == client.id and c.instrument_id == instrument.id
                        ]
                    )
                )
                expected = client_expected_response(history, instrument, reference)
                tracks.append(ClientTrack(client, instrument, history, expected))
        links = work.checkin_links.for_sessions([session.id for session in sessions])
        return CaseMonitoring(
            case=case,
            read_only=read_only,
            sessions=tuple(sessions),
            tracks=tuple(tracks),
            alerts=tuple(work.alerts.for_cases([case.id])),
            links=tuple(links),
            instruments=tuple(catalogue),
            today=self.today(),
        )

    def set_alert_status(
        self, actor: Clinician, alert_id: int, status: AlertStatus, note: str | None = None
    ) -> AlertRecord:
        note = note.strip() if note and note.strip() else None
        with self.store.transaction() as work:
            record = work.alerts.get(alert_id)
            if record is None:
                raise NotFound("There is no such alert in your caseload.")
            self._writable_case(work, actor, record.case_id)
            if status is not record.status and not record.status.can_become(status):
                raise InvalidInput(f"An alert that is {record.status.value} cannot become {status.value}.")
            work.alerts.set_status(alert_id, status, note, actor.id)
            work.audit.record(actor.id, AuditAction.UPDATE, "alert", alert_id, status.value)
            updated = work.alerts.get(alert_id)
            assert updated is not None
            return updated

    def _usable_link(self, work: UnitOfWork, token: str) -> CheckInLink:
        try:
            return work.checkin_links.resolve(token, timedelta(days=self.settings.checkin_link_days))
        except LinkProblem as problem:
            raise LinkUnusable(problem.reason) from None

    def _refresh_alerts(
        self,
        work: UnitOfWork,
        case: Case,
        catalogue: Catalogue,
        trajectories: PracticeTrajectories | None = None,
    ) -> None:
        """Evaluate every alert rule for each check-in that arrived since the case was last evaluated,
        and store the alerts not seen before. Every such check-in is evaluated, not only the newest: a
        low check-in followed by a better one before the therapist looks must still raise its alert.

        Pass one `PracticeTrajectories` when evaluating many cases in one unit of work.

        The case is locked first: two requests evaluating it at once (the therapist's case page and their
        supervisor's, or two tabs) take turns, and the second reads everything, alerts included, after
        the first has stored its alerts, so it neither fails nor stores them again."""
        checked_through = work.cases.begin_alert_review(case.id)
        trajectories = trajectories or PracticeTrajectories(work)
        sessions = work.sessions.for_cases([case.id])[case.id]
        numbers = {session.id: session for session in sessions}
        check_ins = work.checkins.for_clients([client.id for client in case.clients])
        links = work.checkin_links.for_sessions([session.id for session in sessions])
        now = datetime.now(UTC)
        for instrument_id in {c.instrument_id for c in check_ins} | {
            i for link in links for i in link.instrument_ids
        }:
            if instrument_id not in catalogue:
                continue
            instrument = catalogue.get(instrument_id)
            histories = {
                client.id: [
                    ScoredCheckIn(c, score_checkin(c, instrument), numbers[c.session_id].number)
                    for c in check_ins
                    if c.client_id == client.id and c.instrument_id == instrument.id
                ]
                for client in case.clients
            }
            returned = {(c.session_id, c.client_id) for c in check_ins if c.instrument_id == instrument.id}
            # One entry per client and session, however many links were made for it (a link replaced by
            # a new one, a kiosk form left unanswered), and none while one of its links is still open.
            # Only the instrument a link asks first counts, so one missed link is one missed check-in.
            asked = [link for link in links if instrument.id == link.instrument_ids[0]]
            still_open = {
                (link.client_id, link.session_id) for link in asked if link.state(now).value == "open"
            }
            closed: dict[int, list[SessionReturn]] = {}
            for client_id, session_id in dict.fromkeys((link.client_id, link.session_id) for link in asked):
                if (client_id, session_id) in still_open:
                    continue
                session = numbers[session_id]
                closed.setdefault(client_id, []).append(
                    SessionReturn(
                        session.id, session.number, session.held_on, (session.id, client_id) in returned
                    )
                )
            reference = trajectories.reference(instrument, exclude={client.id for client in case.clients})
            found = case_alerts(
                {client_id: history for client_id, history in histories.items() if history},
                instrument,
                sessions=closed,
                reference=reference,
                new_after=checked_through,
                shared_case=len(case.clients) > 1,
                session_dates={session.id: session.held_on for session in sessions},
            )
            work.alerts.add_new(case.id, list(found))
        through = max((check_in.id for check_in in check_ins), default=0)
        work.cases.mark_alerts_checked(case.id, through, now)
