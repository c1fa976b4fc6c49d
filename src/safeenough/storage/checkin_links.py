"""Check-in links: a signed, expiring token in the URL; single use is enforced by the database row.

The token is an `itsdangerous`-signed random nonce, with a key derived from the practice's encryption key,
so a guessed or edited token fails before the database is asked. Only a hash of the nonce is stored, and
the link is found by that hash. Tokens made before version 0015 also named the link's id, readable by
whoever held the link (and telling how many links the practice had sent); they still work until they expire.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, Row, bindparam, insert, select, update

from safeenough.domain.checkin_link import CheckInLink
from safeenough.storage.database import as_utc
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import checkin_links

SALT = "safeenough.checkin-link.v1"

# Built once: every client submission runs these, and a burst of check-ins runs them many times at once.
_BY_ID = select(checkin_links).where(checkin_links.c.id == bindparam("link_id"))
_BY_NONCE_HASH = select(checkin_links).where(checkin_links.c.nonce_hash == bindparam("nonce_hash"))
_USE = (
    update(checkin_links)
    .where(checkin_links.c.id == bindparam("link_id"), checkin_links.c.used_at.is_(None))
    .values(used_at=bindparam("used_at"))
)


class LinkProblem(Exception):
    """Why a token cannot be used; `reason` is one of invalid, expired, used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def _link(row: Row[tuple[object, ...]]) -> CheckInLink:
    return CheckInLink(
        id=row.id,
        session_id=row.session_id,
        client_id=row.client_id,
        instrument_ids=tuple(row.instrument_ids.split(",")),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        used_at=None if row.used_at is None else as_utc(row.used_at),
        kiosk=row.kiosk,
    )


class CheckInLinkRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.serializer = URLSafeTimedSerializer(cipher.derive_secret("checkin-links"), salt=SALT)

    def create(
        self,
        *,
        session_id: int,
        client_id: int,
        instrument_ids: tuple[str, ...],
        created_by: int | None,
        lifetime: timedelta,
        kiosk: bool = False,
    ) -> tuple[CheckInLink, str]:
        now = datetime.now(UTC)
        nonce = secrets.token_urlsafe(16)
        link_id = self.connection.execute(
            insert(checkin_links)
            .values(
                session_id=session_id,
                client_id=client_id,
                instrument_ids=",".join(instrument_ids),
                nonce_hash=_hash(nonce),
                kiosk=kiosk,
                created_by=created_by,
                created_at=now,
                expires_at=now + lifetime,
            )
            .returning(checkin_links.c.id)
        ).scalar_one()
        token = self.serializer.dumps({"n": nonce})
        return self.get(link_id), token

    def get(self, link_id: int) -> CheckInLink:
        return _link(
            self.connection.execute(select(checkin_links).where(checkin_links.c.id == link_id)).one()
        )

    def resolve(self, token: str, max_age: timedelta) -> CheckInLink:
        """The open link for this token, or LinkProblem saying why it cannot be used."""
        try:
            payload = self.serializer.loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired:
            raise LinkProblem("expired") from None
        except BadSignature:
            raise LinkProblem("invalid") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
            raise LinkProblem("invalid")
        nonce_hash = _hash(payload["n"])
        if isinstance(payload.get("l"), int):  # a token made before 0015
            row = self.connection.execute(_BY_ID, {"link_id": payload["l"]}).one_or_none()
            if row is not None and not secrets.compare_digest(row.nonce_hash, nonce_hash):
                row = None
        else:
            row = self.connection.execute(_BY_NONCE_HASH, {"nonce_hash": nonce_hash}).one_or_none()
        if row is None:
            raise LinkProblem("invalid")
        link = _link(row)
        state = link.state(datetime.now(UTC))
        if state.value != "open":
            raise LinkProblem(state.value)
        return link

    def revoke_open(self, session_id: int, client_id: int) -> int:
        """End the open links of one client for one session (a new link replaces them); returns how many.

        A link sent to the wrong address, or a kiosk form left open, stops working once a new one is made.
        """
        now = datetime.now(UTC)
        result = self.connection.execute(
            update(checkin_links)
            .where(
                checkin_links.c.session_id == session_id,
                checkin_links.c.client_id == client_id,
                checkin_links.c.used_at.is_(None),
                checkin_links.c.expires_at > now,
            )
            .values(expires_at=now)
        )
        return int(result.rowcount)

    def use(self, link_id: int) -> None:
        """Mark the link used; if another request used it first, say so (single use under concurrency)."""
        result = self.connection.execute(_USE, {"link_id": link_id, "used_at": datetime.now(UTC)})
        if result.rowcount != 1:
            raise LinkProblem("used")

    def for_session(self, session_id: int) -> list[CheckInLink]:
        return self.for_sessions([session_id])

    def for_sessions(self, session_ids: list[int]) -> list[CheckInLink]:
        if not session_ids:
            return []
        rows = self.connection.execute(
            select(checkin_links)
            .where(checkin_links.c.session_id.in_(session_ids))
            .order_by(checkin_links.c.id)
        )
        return [_link(row) for row in rows]
