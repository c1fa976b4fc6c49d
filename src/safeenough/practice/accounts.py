"""Accounts: passwords (argon2id), logins kept in the database, login rate limits, admin actions."""

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from safeenough.domain.audit import AuditAction, AuditEvent, AuditQuery
from safeenough.domain.clinician import USERNAME_ALLOWED, USERNAME_MAX, Clinician, Role
from safeenough.domain.login_session import LoginSession
from safeenough.domain.validation import DomainError
from safeenough.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from safeenough.practice.base import PracticeBase, actor_id
from safeenough.storage import fixtures
from safeenough.storage.store import UnitOfWork

MIN_PASSWORD_LENGTH = 10
# Long passphrases are welcome; the cap only stops a megabyte "password" from tying up the hasher.
MAX_PASSWORD_LENGTH = 1024
# Events read from the database at a time by an export of the audit trail, which can run to millions.
AUDIT_EXPORT_PAGE = 2000


class AccountsMixin(PracticeBase):
    def hash_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(
                f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidInput(
                f"Choose a password of at most {MAX_PASSWORD_LENGTH:,} characters.", field="password"
            )
        if not password.strip():
            raise InvalidInput("Choose a password with more than spaces in it.", field="password")
        return self._hasher.hash(password)

    def authenticate(self, username: str, password: str, *, client_address: str) -> Clinician:
        username = username.strip().lower()
        window = timedelta(seconds=self.settings.login_lockout_seconds)
        with self.store.transaction() as work:
            work.logins.take_turn_for(username)
            failures, oldest = work.logins.recent_failures(username, window)
            if failures >= self.settings.login_attempts_allowed and oldest is not None:
                retry = max(1, int((oldest + window - datetime.now(oldest.tzinfo)).total_seconds()))
                raise TooManyAttempts(
                    "Too many failed attempts for this account. For your clients' safety, login is paused; "
                    f"try again in {max(1, retry // 60)} minute(s), or ask your admin to reset your "
                    "password.",
                    retry_after_seconds=retry,
                )
            # Counted as failed until the password is verified: attempts made at the same moment see it
            # and cannot all slip in under the limit together.
            attempt_id = work.logins.record_attempt(username, client_address, succeeded=False)
        with self.store.transaction() as work:
            clinician = work.clinicians.find(username)
            if clinician is None or not clinician.active:
                self._verify_nothing(password)
            verified = clinician is not None and clinician.active and self._verify(work, clinician, password)
            if verified and clinician is not None:
                work.logins.mark_succeeded(attempt_id)
                work.audit.record(clinician.id, AuditAction.LOGIN, "clinician", clinician.id)
                return clinician
            # What was typed is named only when it is an account's username: someone may have typed their
            # password into the username field, and the trail is read by the admin and downloaded.
            if clinician is None:
                work.audit.record(None, AuditAction.LOGIN_FAILED, "clinician", detail="unknown username")
            else:
                why = "wrong password" if clinician.active else "account deactivated"
                work.audit.record(None, AuditAction.LOGIN_FAILED, "clinician", clinician.id, why)
        # Raised after the transaction commits, so the failed attempt counts towards the lockout.
        raise AuthenticationFailed("That username and password do not match an active account.")

    def _verify_nothing(self, password: str) -> None:
        """Spend on an unknown or inactive username the time a password check takes, so that how long
        a failed login takes does not tell which usernames exist."""
        if self._stand_in_hash is None:
            self._stand_in_hash = self._hasher.hash(secrets.token_urlsafe(16))
        with contextlib.suppress(VerificationError, InvalidHashError):
            self._hasher.verify(self._stand_in_hash, password)

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

    def end_login(self, token: str, *, why: str = "") -> None:
        """Log out; `why` says so in the audit trail when it was not the person's own choice."""
        with self.store.transaction() as work:
            clinician_id = work.logins.end(token)
            if clinician_id is not None:
                work.audit.record(clinician_id, AuditAction.LOGOUT, "clinician", clinician_id, why)

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
        # Stored lower-case; messages name the username as it was typed, capitals and all.
        typed = username.strip()
        username = typed.lower()
        _check_username(typed)
        password_hash = self.hash_password(password)
        try:
            Clinician(id=0, username=username, display_name=display_name, role=role)
        except DomainError as error:
            raise InvalidInput(str(error).capitalize() + ".", field="display_name") from None
        with self.store.transaction() as work:
            if work.clinicians.find(username) is not None:
                raise InvalidInput(
                    f"The username {_quoted(typed)} is taken; choose another.", field="username"
                )
            supervisor_id = None
            if supervisor_username and not role.holds_caseload:
                raise InvalidInput(
                    "An administrator holds no cases, so has no supervisor; choose “No supervisor”.",
                    field="supervisor_username",
                )
            if supervisor_username:
                supervisor = work.clinicians.find(supervisor_username.strip().lower())
                if supervisor is None or supervisor.role is not Role.SUPERVISOR:
                    raise InvalidInput(
                        f"{_quoted(supervisor_username.strip())} is not a supervisor's username.",
                        field="supervisor_username",
                    )
                supervisor_id = supervisor.id
            clinician = work.clinicians.add(
                practice_id=fixtures.ensure_practice(work),
                username=username,
                display_name=display_name.strip(),
                role=role,
                password_hash=password_hash,
                supervisor_id=supervisor_id,
            )
            work.audit.record(actor_id(actor), AuditAction.CREATE, "clinician", clinician.id, username)
            return clinician

    def set_password(self, actor: Clinician | None, username: str, password: str) -> None:
        """An admin sets someone's password (None: the command line, run by whoever holds the machine).
        Changing one's own goes through `change_own_password`, which asks for the current one."""
        self._require_admin(actor)
        password_hash = self.hash_password(password)
        with self.store.transaction() as work:
            clinician = self._find_account(work, username)
            work.clinicians.set_password_hash(clinician.id, password_hash)
            work.logins.end_all_for(clinician.id)
            work.logins.clear_failures(clinician.username)
            work.audit.record(actor_id(actor), AuditAction.UPDATE, "clinician", clinician.id, "password")

    def set_supervisor(self, actor: Clinician | None, username: str, supervisor_username: str | None) -> None:
        """An admin links a clinician or supervisor to their supervisor (None: no supervisor). The
        supervisor then reads that person's cases, read-only; a former supervisor no longer does."""
        self._require_admin(actor)
        with self.store.transaction() as work:
            clinician = self._find_account(work, username)
            supervisor_id = None
            if supervisor_username:
                if not clinician.role.holds_caseload:
                    raise InvalidInput(
                        "An administrator holds no cases, so has no supervisor; choose “No supervisor”.",
                        field="supervisor_username",
                    )
                supervisor = work.clinicians.find(supervisor_username.strip().lower())
                if supervisor is None or supervisor.role is not Role.SUPERVISOR or not supervisor.active:
                    raise InvalidInput(
                        f"{_quoted(supervisor_username.strip())} is not an active supervisor's username.",
                        field="supervisor_username",
                    )
                if supervisor.id == clinician.id:
                    raise InvalidInput(
                        "Nobody supervises themselves; choose another supervisor.",
                        field="supervisor_username",
                    )
                supervisor_id = supervisor.id
            work.clinicians.set_supervisor(clinician.id, supervisor_id)
            # The trail says who lost read access as well as who gained it.
            before = (
                work.clinicians.get(clinician.supervisor_id).username if clinician.supervisor_id else "none"
            )
            after = supervisor_username.strip().lower() if supervisor_username else "none"
            detail = f"supervisor: {before} -> {after}"
            work.audit.record(actor_id(actor), AuditAction.UPDATE, "clinician", clinician.id, detail)

    def change_own_password(self, actor: Clinician, current: str, new: str, *, client_address: str) -> None:
        """Someone logged in changes their own password; the current one is asked again, so a login left
        open on a shared computer cannot be used to take the account over. Wrong answers count towards
        the same lockout as failed logins. Every login of the account ends, this one included."""
        if new == current:
            raise InvalidInput(
                "The new password is the same as the current one; choose a different one.", field="password"
            )
        password_hash = self.hash_password(new)
        window = timedelta(seconds=self.settings.login_lockout_seconds)
        with self.store.transaction() as work:
            work.logins.take_turn_for(actor.username)
            failures, _ = work.logins.recent_failures(actor.username, window)
            if failures >= self.settings.login_attempts_allowed:
                minutes = max(1, round(window.total_seconds() / 60))
                raise InvalidInput(
                    "Too many wrong passwords for this account: changing it, and logging in anywhere, are "
                    f"paused for up to {minutes} minutes. Try again later, or ask your admin to set a new "
                    "password."
                )
            verified = self._verify(work, actor, current)
            work.logins.record_attempt(actor.username, client_address, succeeded=verified)
            if verified:
                work.clinicians.set_password_hash(actor.id, password_hash)
                work.logins.end_all_for(actor.id)
                work.audit.record(actor.id, AuditAction.UPDATE, "clinician", actor.id, "own password")
                return
            work.audit.record(actor.id, AuditAction.LOGIN_FAILED, "clinician", actor.id, "password change")
        # Raised after the transaction commits, so the wrong answer counts towards the lockout.
        raise InvalidInput(
            "The current password is not right; nothing was changed.", field="current_password"
        )

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
            work.audit.record(actor_id(actor), AuditAction.UPDATE, "clinician", clinician.id, detail)

    def record_refusal(self, actor: Clinician, request: str) -> None:
        """A logged-in person was refused (not found or not allowed): `request` says what they asked for,
        e.g. "GET /cases/12". Its own transaction, since the refused work was rolled back."""
        with self.store.transaction() as work:
            work.audit.record(actor.id, AuditAction.REFUSED, "request", None, request[:200])

    def audit_log(
        self, actor: Clinician | None, limit: int = 200, query: AuditQuery | None = None
    ) -> list[AuditEvent]:
        """The latest `limit` events the query asks for (all kinds by default), for the admin."""
        self._require_admin(actor)
        with self.store.reading() as work:
            return work.audit.search(query or AuditQuery(), limit)

    def audit_kinds(self, actor: Clinician | None) -> list[str]:
        """The kinds of record the audit trail names, to filter it by."""
        self._require_admin(actor)
        with self.store.reading() as work:
            return work.audit.target_kinds()

    def export_audit_log(
        self, actor: Clinician | None, query: AuditQuery, *, described_as: str
    ) -> Iterator[list[AuditEvent]]:
        """Every event the query asks for, latest first, a page at a time (the trail can be long); the
        export itself goes into the trail first, with `described_as` saying what was asked for."""
        self._require_admin(actor)
        with self.store.transaction() as work:
            work.audit.record(actor_id(actor), AuditAction.EXPORT, "audit_log", None, described_as)
        return self._audit_pages(query)

    def _audit_pages(self, query: AuditQuery) -> Iterator[list[AuditEvent]]:
        while True:
            with self.store.reading() as work:
                page = work.audit.search(query, AUDIT_EXPORT_PAGE)
            if not page:
                return
            yield page
            query = replace(query, before_id=page[-1].id)

    @staticmethod
    def _find_account(work: UnitOfWork, username: str) -> Clinician:
        clinician = work.clinicians.find(username.strip().lower())
        if clinician is None:
            raise NotFound(f"There is no account with the username {_quoted(username.strip())}.")
        return clinician

    @staticmethod
    def _require_admin(actor: Clinician | None) -> None:
        if actor is not None and actor.role is not Role.ADMIN:
            raise PermissionDenied("Only an admin can manage accounts.")


def _quoted(typed: str) -> str:
    """A username as the person typed it, in the quotation marks the app's messages use."""
    return f"“{typed}”"


def _check_username(typed: str) -> None:
    """Refuse a username that cannot be stored, naming it as typed (capitals are fine: they are lowered)."""
    if not typed:
        raise InvalidInput("Give the account a username.", field="username")
    wrong = sorted(set(typed.lower()) - USERNAME_ALLOWED)
    if wrong:
        shown = " ".join("a space" if char == " " else f"“{char}”" for char in wrong)
        raise InvalidInput(
            f"The username {_quoted(typed)} has {shown} in it; a username uses letters, digits, “.”, “_” "
            "or “-” only.",
            field="username",
        )
    if len(typed) > USERNAME_MAX:
        raise InvalidInput(
            f"A username has at most {USERNAME_MAX} characters; {_quoted(typed)} has {len(typed)}.",
            field="username",
        )
