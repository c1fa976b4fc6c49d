"""The facade: every use case goes through `Practice`. The CLI and the web app are thin callers of it.

Access rules live here, in one place:
- a clinician sees and changes only their own cases;
- a supervisor also reads (never changes) the cases of the clinicians they supervise;
- an admin manages accounts and reads the audit trail, but never clinical content.
A case the actor may not see is reported as not found, so its existence is not revealed.
Every read or write of clinical content is written to the audit trail in the same transaction.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from safeenough.analysis.defaults import default_pipeline
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.domain.alert import AlertStatus
from safeenough.domain.alert_record import AlertRecord
from safeenough.domain.annotation import AnnotationSet
from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.checkin import Answer, ScoredCheckIn, SessionReturn
from safeenough.domain.checkin_link import CheckInLink
from safeenough.domain.client import Client
from safeenough.domain.clinician import Clinician, Role
from safeenough.domain.conversation import Conversation, SpeakerRole
from safeenough.domain.instrument import Instrument, InstrumentKind
from safeenough.domain.login_session import LoginSession
from safeenough.domain.session import Session
from safeenough.domain.validation import DomainError, require_text
from safeenough.errors import (
    AnswersInvalid,
    AuthenticationFailed,
    InvalidInput,
    LinkUnusable,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from safeenough.instruments.catalogue import Catalogue, install_instrument, load_catalogue
from safeenough.interop.csv_export import score_rows, scores_csv
from safeenough.interop.fhir import fhir_bundle
from safeenough.reports.session_report import CheckInItem, CheckInSummary, SessionReport, build_session_report
from safeenough.settings import Settings
from safeenough.stats.alerts import case_alerts
from safeenough.stats.expected_response import ExpectedResponse, PracticeReference, expected_response
from safeenough.stats.scoring import answer_problems, score_answers, score_checkin
from safeenough.storage import fixtures
from safeenough.storage.checkin_links import LinkProblem
from safeenough.storage.store import Store, UnitOfWork
from safeenough.storage.transcripts import StoredTranscript
from safeenough.transcripts import RoleAssignment, read_transcript_with_roles

__all__ = [
    "CaseDetail",
    "CaseMonitoring",
    "CaseSummary",
    "CheckInInvitation",
    "ClientTrack",
    "DemoCredentials",
    "IssuedLink",
    "LoginSession",
    "Practice",
    "SessionAnalysis",
    "TranscriptPreview",
]

MIN_PASSWORD_LENGTH = 10
DemoCredentials = fixtures.DemoCredentials


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case: Case
    owner: Clinician
    read_only: bool
    session_count: int
    last_session: date | None
    next_session: date | None
    open_alerts: int = 0


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    owner: Clinician
    read_only: bool
    sessions: tuple[Session, ...]


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


@dataclass(frozen=True, slots=True)
class ClientTrack:
    """One client's scored check-ins on one instrument, with the expected response for the chart."""

    client: Client
    instrument: Instrument
    history: tuple[ScoredCheckIn, ...]
    expected: ExpectedResponse | None


@dataclass(frozen=True, slots=True)
class TranscriptPreview:
    """A transcript as read, before analysis when the speaker roles still need the therapist's word."""

    session: Session
    conversation: Conversation
    roles: RoleAssignment
    analysed: bool


@dataclass(frozen=True, slots=True)
class SessionAnalysis:
    case: Case
    session: Session
    read_only: bool
    transcript: StoredTranscript | None
    result: AnalysisResult | None
    report: SessionReport | None


@dataclass(frozen=True, slots=True)
class CaseMonitoring:
    case: Case
    read_only: bool
    sessions: tuple[Session, ...]
    tracks: tuple[ClientTrack, ...]
    alerts: tuple[AlertRecord, ...]
    links: tuple[CheckInLink, ...]
    instruments: tuple[Instrument, ...]


class Practice:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._hasher = PasswordHasher()

    # Opening -----------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Practice":
        """Connect to the configured database; it must already be migrated (see `migrate`)."""
        settings = settings or Settings()
        practice = cls(Store(settings.resolved_database_url, settings.resolved_key_file), settings)
        try:
            practice.store.require_current_schema()
        except BaseException:
            practice.close()
            raise
        return practice

    @classmethod
    def create(cls, settings: Settings | None = None) -> "Practice":
        """Connect, bring the schema up to date and check the encryption key."""
        settings = settings or Settings()
        practice = cls(Store(settings.resolved_database_url, settings.resolved_key_file), settings)
        try:
            practice.migrate()
        except BaseException:
            practice.close()
            raise
        return practice

    def migrate(self) -> None:
        self.store.migrate()
        _ = self.store.cipher  # prove the key opens this database now, not at the first clinical read

    def close(self) -> None:
        self.store.dispose()

    def seed_demo(self, today: date | None = None) -> DemoCredentials | None:
        """Create the fictional demo practice if the database has no accounts yet."""
        with self.store.transaction() as work:
            if work.clinicians.count() > 0:
                return None
            credentials = fixtures.seed_demo_practice(work, self.hash_password, today or date.today())
        self._seed_demo_check_ins()
        return credentials

    def _seed_demo_check_ins(self) -> None:
        """The demo's check-ins go through the same links and scoring as real ones."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            owners = {clinician.id: clinician for clinician in work.clinicians.all()}
            cases = {case.title: case for case in work.cases.many(work.cases.all_ids())}
            sessions = work.sessions.for_cases([case.id for case in cases.values()])
        for demo in fixtures.DEMO_CHECKINS:
            case = cases[demo.case_title]
            session = sessions[case.id][demo.session_number - 1]
            instrument = catalogue.get(demo.instrument_id)
            issued = self.issue_checkin_link(
                owners[case.clinician_id],
                session.id,
                case.clients[demo.client_index].id,
                instrument_ids=(instrument.id,),
            )
            answers: dict[str, Answer] = {
                item.id: value for item, value in zip(instrument.items, demo.answers, strict=True)
            }
            self.submit_checkin(issued.token, {instrument.id: answers}, {instrument.id: demo.free_text})
        # Mara's dip was talked through in session 4: the demo shows resolved alerts beside open ones.
        mara = cases[fixtures.DEMO_CASES[0].title]
        owner = owners[mara.clinician_id]
        for record in self.case_monitoring(owner, mara.id).alerts:
            self.set_alert_status(owner, record.id, AlertStatus.RESOLVED, fixtures.DEMO_RESOLUTION_NOTE)

    def signing_key(self, purpose: str) -> bytes:
        """A secret shared by every worker on this database, derived from the encryption key (HKDF)."""
        return self.store.cipher.derive_secret(f"web:{purpose}")

    def backup(self, target: Path) -> Path:
        return self.store.backup(target)

    def restore(self, backup_file: Path) -> Path:
        return self.store.restore(backup_file)

    # Accounts ----------------------------------------------------------------------------------

    def hash_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
        return self._hasher.hash(password)

    def authenticate(self, username: str, password: str, *, client_address: str) -> Clinician:
        username = username.strip().lower()
        window = timedelta(seconds=self.settings.login_lockout_seconds)
        with self.store.transaction() as work:
            failures, oldest = work.logins.recent_failures(username, window)
            if failures >= self.settings.login_attempts_allowed and oldest is not None:
                retry = max(1, int((oldest + window - datetime.now(oldest.tzinfo)).total_seconds()))
                raise TooManyAttempts(
                    "Too many failed attempts for this account. For your clients' safety, login is paused; "
                    f"try again in {max(1, retry // 60)} minute(s), or ask your admin to reset your "
                    "password.",
                    retry_after_seconds=retry,
                )
        with self.store.transaction() as work:
            clinician = work.clinicians.find(username)
            verified = clinician is not None and clinician.active and self._verify(work, clinician, password)
            work.logins.record_attempt(username, client_address, succeeded=verified)
            if verified and clinician is not None:
                work.audit.record(clinician.id, AuditAction.LOGIN, "clinician", clinician.id)
                return clinician
            work.audit.record(None, AuditAction.LOGIN_FAILED, "clinician", detail=username)
        # Raised after the transaction commits, so the failed attempt counts towards the lockout.
        raise AuthenticationFailed("That username and password do not match an active account.")

    def _verify(self, work: UnitOfWork, clinician: Clinician, password: str) -> bool:
        stored = work.clinicians.password_hash(clinician.id)
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        if self._hasher.check_needs_rehash(stored):
            work.clinicians.set_password_hash(clinician.id, self._hasher.hash(password))
        return True

    def start_login(self, clinician: Clinician) -> LoginSession:
        with self.store.transaction() as work:
            return work.logins.start(clinician.id, self._login_lifetime)

    def resume_login(self, token: str) -> tuple[Clinician, LoginSession]:
        with self.store.transaction() as work:
            session = work.logins.resume(token, self._login_lifetime)
            if session is None:
                raise AuthenticationFailed("Your login has expired. Please log in again.")
            clinician = work.clinicians.get(session.clinician_id)
            if not clinician.active:
                work.logins.end(token)
                raise AuthenticationFailed("This account has been deactivated.")
            return clinician, session

    def end_login(self, token: str) -> None:
        with self.store.transaction() as work:
            clinician_id = work.logins.end(token)
            if clinician_id is not None:
                work.audit.record(clinician_id, AuditAction.LOGOUT, "clinician", clinician_id)

    @property
    def _login_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.session_max_age_seconds)

    def list_clinicians(self, actor: Clinician | None) -> list[Clinician]:
        self._require_admin(actor)
        with self.store.transaction() as work:
            return work.clinicians.all()

    def add_clinician(
        self,
        actor: Clinician | None,
        *,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        supervisor_username: str | None = None,
    ) -> Clinician:
        """Create an account. `actor` None means the command line, run by whoever holds the machine."""
        self._require_admin(actor)
        username = username.strip().lower()
        password_hash = self.hash_password(password)
        try:
            Clinician(id=0, username=username, display_name=display_name, role=role)
        except DomainError as error:
            raise InvalidInput(str(error).capitalize() + ".") from None
        with self.store.transaction() as work:
            if work.clinicians.find(username) is not None:
                raise InvalidInput(f"The username {username!r} is taken; choose another.")
            supervisor_id = None
            if supervisor_username:
                supervisor = work.clinicians.find(supervisor_username.strip().lower())
                if supervisor is None or supervisor.role is not Role.SUPERVISOR:
                    raise InvalidInput(f"{supervisor_username!r} is not a supervisor's username.")
                supervisor_id = supervisor.id
            clinician = work.clinicians.add(
                practice_id=fixtures.ensure_practice(work),
                username=username,
                display_name=display_name.strip(),
                role=role,
                password_hash=password_hash,
                supervisor_id=supervisor_id,
            )
            work.audit.record(_actor_id(actor), AuditAction.CREATE, "clinician", clinician.id, username)
            return clinician

    def set_password(self, actor: Clinician | None, username: str, password: str) -> None:
        if actor is not None and actor.username != username:
            self._require_admin(actor)
        password_hash = self.hash_password(password)
        with self.store.transaction() as work:
            clinician = self._find_account(work, username)
            work.clinicians.set_password_hash(clinician.id, password_hash)
            work.logins.end_all_for(clinician.id)
            work.audit.record(_actor_id(actor), AuditAction.UPDATE, "clinician", clinician.id, "password")

    def set_active(self, actor: Clinician | None, username: str, active: bool) -> None:
        self._require_admin(actor)
        with self.store.transaction() as work:
            clinician = self._find_account(work, username)
            if actor is not None and clinician.id == actor.id and not active:
                raise InvalidInput("You cannot deactivate your own account.")
            work.clinicians.set_active(clinician.id, active)
            if not active:
                work.logins.end_all_for(clinician.id)
            detail = "activated" if active else "deactivated"
            work.audit.record(_actor_id(actor), AuditAction.UPDATE, "clinician", clinician.id, detail)

    def audit_log(self, actor: Clinician | None, limit: int = 200) -> list[AuditEvent]:
        self._require_admin(actor)
        with self.store.transaction() as work:
            return work.audit.recent(limit)

    @staticmethod
    def _find_account(work: UnitOfWork, username: str) -> Clinician:
        clinician = work.clinicians.find(username.strip().lower())
        if clinician is None:
            raise NotFound(f"There is no account with the username {username!r}.")
        return clinician

    @staticmethod
    def _require_admin(actor: Clinician | None) -> None:
        if actor is not None and actor.role is not Role.ADMIN:
            raise PermissionDenied("Only an admin can manage accounts.")

    # Clinical content --------------------------------------------------------------------------

    def caseload(self, actor: Clinician, today: date | None = None) -> list[CaseSummary]:
        """The actor's own cases, those with open alerts first; then a supervisor's supervisees' cases."""
        today = today or date.today()
        with self.store.transaction() as work:
            owners = {owner.id: owner for owner in self._visible_owners(work, actor)}
            cases = work.cases.owned_by(list(owners))
            unchecked = set(work.cases.with_unchecked_check_ins([case.id for case in cases]))
            if unchecked:
                catalogue = self.instruments()
                for case in cases:
                    if case.id in unchecked:
                        self._refresh_alerts(work, case, catalogue)
            dates = work.sessions.summaries([case.id for case in cases], today)
            open_alerts = work.alerts.open_counts([case.id for case in cases])
            work.audit.record(actor.id, AuditAction.READ, "caseload", actor.id, f"{len(cases)} cases")
        summaries = [
            CaseSummary(
                case=case,
                owner=owners[case.clinician_id],
                read_only=case.clinician_id != actor.id,
                last_session=dates[case.id][0],
                next_session=dates[case.id][1],
                session_count=dates[case.id][2],
                open_alerts=open_alerts[case.id],
            )
            for case in cases
        ]
        # Attention first: own cases with open alerts, then own cases, then supervisees' (read-only).
        return sorted(
            summaries,
            key=lambda summary: (summary.read_only, -summary.open_alerts, summary.case.title.lower()),
        )

    def case_detail(self, actor: Clinician, case_id: int) -> CaseDetail:
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            sessions = work.sessions.for_cases([case.id])[case.id]
            work.audit.record(actor.id, AuditAction.READ, "case", case.id)
            return CaseDetail(
                case=case, owner=owner, read_only=owner.id != actor.id, sessions=tuple(sessions)
            )

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
            kind.check_client_count(len(names))
            for name in names:
                require_text(name, "client name", max_length=120)
        except DomainError as error:
            raise InvalidInput(str(error).capitalize() + ".") from None
        with self.store.transaction() as work:
            case = work.cases.add(
                practice_id=fixtures.ensure_practice(work),
                clinician_id=actor.id,
                title=title.strip(),
                kind=kind,
                opened_on=opened_on or date.today(),
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
                raise InvalidInput("Attendees must be clients of this case.")
            if not attendee_ids:
                raise InvalidInput("Tick at least one client who attended the session.")
            if held_on < case.opened_on:
                raise InvalidInput(f"The session date is before the case opened ({case.opened_on:%d %b %Y}).")
            if note is not None and len(note) > 20_000:
                raise InvalidInput("The note is longer than 20,000 characters; shorten it or split it.")
            session = work.sessions.add(
                case_id=case.id, held_on=held_on, attendee_ids=sorted(set(attendee_ids)), note=note
            )
            work.audit.record(actor.id, AuditAction.CREATE, "session", session.id, f"case {case.id}")
            return session

    @staticmethod
    def _visible_owners(work: UnitOfWork, actor: Clinician) -> list[Clinician]:
        if not actor.role.holds_caseload:
            return []
        owners = [actor]
        if actor.role is Role.SUPERVISOR:
            owners += work.clinicians.supervisees(actor.id)
        return owners

    def _visible_case(self, work: UnitOfWork, actor: Clinician, case_id: int) -> tuple[Case, Clinician]:
        owners = {owner.id: owner for owner in self._visible_owners(work, actor)}
        owner_id = work.cases.owner_id(case_id)
        if owner_id is None or owner_id not in owners:
            raise NotFound("There is no such case in your caseload.")
        return work.cases.get(case_id), owners[owner_id]

    def _writable_case(self, work: UnitOfWork, actor: Clinician, case_id: int) -> Case:
        case, owner = self._visible_case(work, actor, case_id)
        if owner.id != actor.id:
            raise PermissionDenied("Supervisors can read their supervisees' cases but not change them.")
        return case

    # Transcripts and analysis ------------------------------------------------------------------

    def import_transcript(
        self,
        actor: Clinician,
        session_id: int,
        *,
        filename: str,
        data: bytes,
        therapist: str | None = None,
    ) -> TranscriptPreview:
        """Read a transcript into a session. Analysed at once when the roles are known; otherwise the
        therapist confirms who is who first (`confirm_transcript_roles`). Unreadable files raise a
        TranscriptError naming the file, the line and what was expected; nothing is stored then."""
        read = read_transcript_with_roles(data, filename, therapist=therapist)
        if len(read) != 1:
            raise InvalidInput(
                f"{filename} holds {len(read)} conversations; upload one session at a time "
                "(`safeenough analyze` reads many at once)."
            )
        conversation = read[0].roles.apply(read[0].conversation)
        roles = read[0].roles
        confirmed = not roles.needs_confirmation
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            work.transcripts.save(
                session.id,
                StoredTranscript(conversation, filename, read[0].format.value, confirmed, roles.confidence),
            )
            if confirmed:
                work.transcripts.replace_annotations(
                    session.id, list(default_pipeline().annotate(conversation))
                )
            work.audit.record(actor.id, AuditAction.CREATE, "transcript", session.id, filename[:200])
            return TranscriptPreview(
                session=session, conversation=conversation, roles=roles, analysed=confirmed
            )

    def confirm_transcript_roles(self, actor: Clinician, session_id: int, therapist_speaker: str) -> None:
        """The therapist says which speaker they are; everyone else is a client. Then analyse."""
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            stored = work.transcripts.load(session.id)
            if stored is None:
                raise NotFound("This session has no transcript yet.")
            speakers = stored.conversation.speakers
            if therapist_speaker not in speakers:
                raise InvalidInput(f"Choose one of the speakers: {', '.join(speakers)}.")
            roles = {
                speaker: SpeakerRole.THERAPIST if speaker == therapist_speaker else SpeakerRole.CLIENT
                for speaker in speakers
            }
            conversation = stored.conversation.with_roles(roles)
            work.transcripts.save(
                session.id,
                StoredTranscript(conversation, stored.filename, stored.source_format, True, 1.0),
            )
            work.transcripts.replace_annotations(session.id, list(default_pipeline().annotate(conversation)))
            work.audit.record(actor.id, AuditAction.UPDATE, "transcript", session.id, "roles confirmed")

    def session_analysis(self, actor: Clinician, session_id: int) -> SessionAnalysis:
        catalogue = self.instruments()
        with self.store.transaction() as work:
            session = work.sessions.find(session_id)
            if session is None:
                raise NotFound("There is no such session in your caseload.")
            case, owner = self._visible_case(work, actor, session.case_id)
            stored = work.transcripts.load(session.id)
            result = report = None
            if stored is not None and stored.roles_confirmed:
                annotations = AnnotationSet(tuple(work.transcripts.annotations(session.id)))
                names = tuple(sorted({annotation.produced_by for annotation in annotations}))
                result = AnalysisResult(stored.conversation, annotations, names)
                check_in = self._session_check_in(work, session, catalogue)
                report = build_session_report(result, check_in, title=f"Session {session.number}")
            work.audit.record(actor.id, AuditAction.READ, "transcript", session.id)
            return SessionAnalysis(case, session, owner.id != actor.id, stored, result, report)

    @staticmethod
    def _session_check_in(work: UnitOfWork, session: Session, catalogue: Catalogue) -> CheckInSummary | None:
        """The first alliance check-in returned for this session, to set beside the transcript."""
        for check_in in work.checkins.for_clients(list(session.attendee_ids)):
            if check_in.session_id != session.id or check_in.instrument_id not in catalogue:
                continue
            instrument = catalogue.get(check_in.instrument_id)
            if instrument.kind is not InstrumentKind.ALLIANCE:
                continue
            score = score_checkin(check_in, instrument)
            return CheckInSummary(
                instrument_title=instrument.title,
                total=score.total,
                cutoff=instrument.cutoff.value if instrument.cutoff else None,
                date=check_in.submitted_at.date(),
                items=tuple(
                    CheckInItem(label=item.text, score=score.item_scores.get(item.id), maximum=item.maximum)
                    for item in instrument.items
                ),
                free_text=check_in.free_text,
                maximum=sum(item.maximum for item in instrument.items),
            )
        return None

    # Exports -----------------------------------------------------------------------------------

    def export_case_fhir(self, actor: Clinician, case_id: int, *, include_free_text: bool = False) -> str:
        """The case's check-ins as a FHIR R4B Bundle (pseudonymous codes only, never names)."""
        monitoring = self.case_monitoring(actor, case_id)
        bundle = fhir_bundle(
            monitoring.case,
            monitoring.sessions,
            [(track.client, track.instrument, track.history) for track in monitoring.tracks],
            include_free_text=include_free_text,
        )
        self._audit_export(actor.id, "case", case_id, "fhir")
        return bundle

    def export_scores_csv(self, actor: Clinician | None) -> str:
        """Tidy CSV of every score the actor may read (None: the whole practice, for the command line)."""
        if actor is not None and not actor.role.holds_caseload:
            raise PermissionDenied("An admin account cannot export clinical data.")
        catalogue = self.instruments()
        rows = []
        with self.store.transaction() as work:
            owners = None if actor is None else [owner.id for owner in self._visible_owners(work, actor)]
            cases = work.cases.many(work.cases.all_ids()) if owners is None else work.cases.owned_by(owners)
            for case in cases:
                monitoring = self._monitoring(work, case, read_only=True, catalogue=catalogue)
                rows.extend(
                    score_rows(
                        case,
                        monitoring.sessions,
                        [(track.client, track.instrument, track.history) for track in monitoring.tracks],
                    )
                )
            detail = f"scores csv, {len(cases)} cases"
            work.audit.record(
                None if actor is None else actor.id, AuditAction.EXPORT, "practice", None, detail
            )
        return scores_csv(rows)

    def export_case_fhir_as_owner(self, case_id: int, *, include_free_text: bool = False) -> str:
        """For the command line: export as the clinician who owns the case."""
        with self.store.transaction() as work:
            owner_id = work.cases.owner_id(case_id)
            if owner_id is None:
                raise NotFound(f"There is no case {case_id}.")
            owner = work.clinicians.get(owner_id)
        return self.export_case_fhir(owner, case_id, include_free_text=include_free_text)

    def _audit_export(self, actor_id: int | None, kind: str, target_id: int | None, detail: str) -> None:
        with self.store.transaction() as work:
            work.audit.record(actor_id, AuditAction.EXPORT, kind, target_id, detail)

    # Check-ins ---------------------------------------------------------------------------------

    def instruments(self) -> Catalogue:
        """Built-in instruments and those the practice installed (files under data_dir/instruments)."""
        return load_catalogue(self.settings.data_dir)

    def install_instrument(self, source: Path, *, replace: bool = False) -> Instrument:
        """Add a practice-licensed instrument (SRS, ORS, WAI-SR, CORE-10…) from its definition file."""
        return install_instrument(source, self.settings.data_dir, replace=replace)

    def default_checkin_instruments(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.settings.checkin_instruments.split(",") if part.strip())

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
        return self.issue_checkin_link(owner, session_id, client_id, instrument_ids=instrument_ids)

    def issue_checkin_link(
        self,
        actor: Clinician,
        session_id: int,
        client_id: int,
        *,
        instrument_ids: tuple[str, ...] | None = None,
        kiosk: bool = False,
    ) -> IssuedLink:
        """A single-use link for one client's check-in about one session (each partner gets their own)."""
        instrument_ids = instrument_ids or self.default_checkin_instruments()
        catalogue = self.instruments()
        for instrument_id in instrument_ids:
            catalogue.get(instrument_id)
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            if client_id not in session.attendee_ids:
                raise InvalidInput("Check-in links are for clients who attended this session.")
            if any(work.checkins.exists(session.id, client_id, i) for i in instrument_ids):
                raise InvalidInput("This client has already returned a check-in for this session.")
            link, token = work.checkin_links.create(
                session_id=session.id,
                client_id=client_id,
                instrument_ids=instrument_ids,
                created_by=actor.id,
                lifetime=timedelta(days=self.settings.checkin_link_days),
                kiosk=kiosk,
            )
            work.audit.record(actor.id, AuditAction.CREATE, "checkin_link", link.id, f"session {session.id}")
            return IssuedLink(link=link, token=token)

    def open_checkin(self, token: str) -> CheckInInvitation:
        """For the client's form (no account): what to ask. Raises LinkUnusable saying why not."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            link = self._usable_link(work, token)
            session = work.sessions.find(link.session_id)
            assert session is not None
            instruments = tuple(catalogue.get(instrument_id) for instrument_id in link.instrument_ids)
            return CheckInInvitation(link=link, instruments=instruments, held_on=session.held_on)

    def submit_checkin(
        self,
        token: str,
        answers: dict[str, dict[str, Answer]],
        free_text: dict[str, str | None],
    ) -> tuple[int, ...]:
        """Store a client's answers (all instruments of the link at once), use up the link, update alerts.

        Raises AnswersInvalid (nothing stored) with a message per item, or LinkUnusable.
        Returns the ids of the stored check-ins.
        """
        catalogue = self.instruments()
        with self.store.transaction() as work:
            link = self._usable_link(work, token)
            instruments = [catalogue.get(instrument_id) for instrument_id in link.instrument_ids]
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
            return tuple(stored)

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
            if found:
                continue
            if all(given.get(item.id) is None for item in instrument.items):
                first = instrument.items[0].id
                problems.setdefault((instrument.id, first), "Please answer at least this question.")
            elif not score_answers(instrument, given).scorable:
                for item in instrument.items:
                    if given.get(item.id) is None:
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
            self._refresh_alerts(work, case, catalogue)
            work.audit.record(actor.id, AuditAction.READ, "checkins", case.id)
            return self._monitoring(work, case, read_only=owner.id != actor.id, catalogue=catalogue)

    def _monitoring(
        self, work: UnitOfWork, case: Case, *, read_only: bool, catalogue: Catalogue
    ) -> CaseMonitoring:
        sessions = work.sessions.for_cases([case.id])[case.id]
        numbers = {session.id: session.number for session in sessions}
        check_ins = work.checkins.for_clients([client.id for client in case.clients])
        tracks = []
        used = [i for i in catalogue if any(c.instrument_id == i.id for c in check_ins)]
        for instrument in used:
            reference = self._reference(work, instrument, exclude={client.id for client in case.clients})
            for client in case.clients:
                history = tuple(
                    ScoredCheckIn(c, score_checkin(c, instrument), numbers[c.session_id])
                    for c in check_ins
                    if c.client_id == client.id and c.instrument_id == instrument.id
                )
                intake = next((entry.total for entry in history if entry.total is not None), None)
                expected = None
                if intake is not None and instrument.kind is not InstrumentKind.ALLIANCE:
                    expected = expected_response(instrument, intake, reference)
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

    def _writable_session(self, work: UnitOfWork, actor: Clinician, session_id: int) -> Session:
        session = work.sessions.find(session_id)
        if session is None:
            raise NotFound("There is no such session in your caseload.")
        self._writable_case(work, actor, session.case_id)
        return session

    @staticmethod
    def _reference(work: UnitOfWork, instrument: Instrument, exclude: set[int]) -> PracticeReference:
        """Earlier clients' trajectories on this instrument, for the expected treatment response."""
        if instrument.kind is InstrumentKind.ALLIANCE:
            return PracticeReference()  # the expected response is drawn for outcome measures only
        by_client: dict[int, list[tuple[int, float]]] = {}
        for client_id, session_id, total in work.checkins.totals_by_instrument(instrument.id):
            if client_id not in exclude:
                by_client.setdefault(client_id, []).append((session_id, total))
        return PracticeReference(
            trajectories=tuple(tuple(total for _, total in sorted(points)) for points in by_client.values())
        )

    def _refresh_alerts(self, work: UnitOfWork, case: Case, catalogue: Catalogue) -> None:
        """Evaluate every alert rule for the case's latest check-ins and store the ones not seen before."""
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
            closed: dict[int, list[SessionReturn]] = {}
            for link in links:
                # One missing-check-in alert per link, not one per instrument it asked.
                if instrument.id != link.instrument_ids[0] or link.state(now).value == "open":
                    continue
                session = numbers[link.session_id]
                closed.setdefault(link.client_id, []).append(
                    SessionReturn(
                        session.id, session.number, session.held_on, (session.id, link.client_id) in returned
                    )
                )
            reference = self._reference(work, instrument, exclude={client.id for client in case.clients})
            found = case_alerts(
                {client_id: history for client_id, history in histories.items() if history},
                instrument,
                sessions=closed,
                reference=reference,
            )
            work.alerts.add_new(case.id, list(found))
        if check_ins:
            work.cases.mark_alerts_checked(case.id, max(check_in.id for check_in in check_ins))


def _actor_id(actor: Clinician | None) -> int | None:
    return None if actor is None else actor.id
