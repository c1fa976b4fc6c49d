"""The facade: every use case goes through `Practice`. The CLI and the web app are thin callers of it.

Access rules live here, in one place:
- a clinician sees and changes only their own cases;
- a supervisor also reads (never changes) the cases of the clinicians they supervise;
- an admin manages accounts and reads the audit trail, but never clinical content.
A case the actor may not see is reported as not found, so its existence is not revealed.
Every read or write of clinical content is written to the audit trail in the same transaction.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.clinician import Clinician, Role
from safeenough.domain.login_session import LoginSession
from safeenough.domain.session import Session
from safeenough.domain.validation import DomainError, require_text
from safeenough.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from safeenough.settings import Settings
from safeenough.storage import fixtures
from safeenough.storage.store import Store, UnitOfWork

__all__ = ["CaseDetail", "CaseSummary", "DemoCredentials", "LoginSession", "Practice"]

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


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    owner: Clinician
    read_only: bool
    sessions: tuple[Session, ...]


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
            return fixtures.seed_demo_practice(work, self.hash_password, today or date.today())

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
        """The actor's own cases, then (for a supervisor) their supervisees' cases, read-only."""
        today = today or date.today()
        with self.store.transaction() as work:
            owners = {owner.id: owner for owner in self._visible_owners(work, actor)}
            cases = work.cases.owned_by(list(owners))
            dates = work.sessions.summaries([case.id for case in cases], today)
            work.audit.record(actor.id, AuditAction.READ, "caseload", actor.id, f"{len(cases)} cases")
        summaries = [
            CaseSummary(
                case=case,
                owner=owners[case.clinician_id],
                read_only=case.clinician_id != actor.id,
                last_session=dates[case.id][0],
                next_session=dates[case.id][1],
                session_count=dates[case.id][2],
            )
            for case in cases
        ]
        return sorted(summaries, key=lambda summary: (summary.read_only, summary.case.title.lower()))

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


def _actor_id(actor: Clinician | None) -> int | None:
    return None if actor is None else actor.id
