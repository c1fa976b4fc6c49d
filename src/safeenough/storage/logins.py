"""Login sessions and login attempts, kept in the database so any worker can serve any request."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, text, update

from safeenough.domain.clinician import USERNAME_MAX
from safeenough.domain.login_session import LoginSession
from safeenough.storage.database import as_utc
from safeenough.storage.tables import login_attempts, login_sessions

LONGEST_LOGIN = timedelta(hours=12)
"""However active, a login ends this long after it began: a device left logged in all day does not stay
open into the night."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LoginRepository:
    def __init__(self, connection: Connection, username_key: bytes) -> None:
        self.connection = connection
        self._username_key = username_key

    def _username_key_of(self, username: str) -> str:
        """What a login attempt stores of the username typed: a keyed hash, enough to count one account's
        failures, never the text itself (a password typed into the username field must not be kept)."""
        typed = username[:USERNAME_MAX].encode("utf-8")
        return hmac.new(self._username_key, typed, hashlib.sha256).hexdigest()

    def start(self, clinician_id: int, lifetime: timedelta) -> LoginSession:
        now = datetime.now(UTC)
        session = LoginSession(
            token=secrets.token_urlsafe(32),
            csrf_token=secrets.token_urlsafe(32),
            clinician_id=clinician_id,
            expires_at=now + lifetime,
        )
        self.connection.execute(
            insert(login_sessions).values(
                token_hash=_hash(session.token),
                clinician_id=clinician_id,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
        self.connection.execute(delete(login_sessions).where(login_sessions.c.expires_at < now))
        return session

    def resume(self, token: str, lifetime: timedelta) -> LoginSession | None:
        """The live session for this token, with its expiry moved forward; None if unknown or expired."""
        now = datetime.now(UTC)
        row = self.connection.execute(
            select(login_sessions).where(login_sessions.c.token_hash == _hash(token))
        ).one_or_none()
        if row is None or as_utc(row.expires_at) <= now:
            return None
        # Activity keeps a login going, but never beyond a working day from when it began.
        ends_at = as_utc(row.created_at) + LONGEST_LOGIN
        if ends_at <= now:
            return None
        expires_at = min(now + lifetime, ends_at)
        self.connection.execute(
            update(login_sessions)
            .where(login_sessions.c.token_hash == _hash(token))
            .values(expires_at=expires_at)
        )
        return LoginSession(token, row.csrf_token, row.clinician_id, expires_at)

    def end(self, token: str) -> int | None:
        clinician_id = self.connection.execute(
            select(login_sessions.c.clinician_id).where(login_sessions.c.token_hash == _hash(token))
        ).scalar_one_or_none()
        self.connection.execute(delete(login_sessions).where(login_sessions.c.token_hash == _hash(token)))
        return None if clinician_id is None else int(clinician_id)

    def end_all_for(self, clinician_id: int) -> None:
        self.connection.execute(delete(login_sessions).where(login_sessions.c.clinician_id == clinician_id))

    def take_turn_for(self, username: str) -> None:
        """Until this transaction ends, other logins for `username` wait here, so that attempts made at
        the same moment each see the ones before them (SQLite's write transactions take turns already;
        on PostgreSQL a transaction-scoped advisory lock on the username does it)."""
        if self.connection.dialect.name == "postgresql":
            key = "login:" + username[:USERNAME_MAX]
            self.connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def record_attempt(self, username: str, client_address: str, succeeded: bool) -> int:
        return int(
            self.connection.execute(
                insert(login_attempts)
                .values(
                    username_key=self._username_key_of(username),
                    client_address=client_address[:64],
                    at=datetime.now(UTC),
                    succeeded=succeeded,
                )
                .returning(login_attempts.c.id)
            ).scalar_one()
        )

    def mark_succeeded(self, attempt_id: int) -> None:
        self.connection.execute(
            update(login_attempts).where(login_attempts.c.id == attempt_id).values(succeeded=True)
        )

    def clear_failures(self, username: str) -> None:
        """A new password ends a lockout; the audit trail keeps its own record of the failed logins."""
        self.connection.execute(
            delete(login_attempts).where(
                login_attempts.c.username_key == self._username_key_of(username),
                login_attempts.c.succeeded.is_(False),
            )
        )

    def recent_failures(self, username: str, window: timedelta) -> tuple[int, datetime | None]:
        """Failed attempts for this username since its last success within the window, and the oldest."""
        username_key = self._username_key_of(username)  # as `record_attempt` stored it
        since = datetime.now(UTC) - window
        last_success = self.connection.execute(
            select(func.max(login_attempts.c.at)).where(
                login_attempts.c.username_key == username_key,
                login_attempts.c.succeeded.is_(True),
                login_attempts.c.at >= since,
            )
        ).scalar_one()
        if last_success is not None:
            since = as_utc(last_success)
        count, oldest = self.connection.execute(
            select(func.count(), func.min(login_attempts.c.at)).where(
                login_attempts.c.username_key == username_key,
                login_attempts.c.succeeded.is_(False),
                login_attempts.c.at > since,
            )
        ).one()
        return int(count), None if oldest is None else as_utc(oldest)
