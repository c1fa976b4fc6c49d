"""Check-in answers. Item answers are numbers stored as JSON; the free-text answer is sealed."""

import json
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, bindparam, insert, select

from safeenough.domain.checkin import CheckIn
from safeenough.storage.database import as_utc
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import checkins

# Built once: a burst of check-ins runs these many times at once.
_INSERT = insert(checkins).returning(checkins.c.id)
_EXISTS = select(checkins.c.id).where(
    checkins.c.session_id == bindparam("session_id"),
    checkins.c.client_id == bindparam("client_id"),
    checkins.c.instrument_id == bindparam("instrument_id"),
)


class CheckInRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add(
        self,
        *,
        link_id: int | None,
        session_id: int,
        client_id: int,
        instrument_id: str,
        instrument_version: str,
        answers: dict[str, float | None],
        free_text: str | None,
        total: float | None,
    ) -> CheckIn:
        submitted_at = datetime.now(UTC)
        new_id = self.connection.execute(
            _INSERT,
            {
                "link_id": link_id,
                "session_id": session_id,
                "client_id": client_id,
                "instrument_id": instrument_id,
                "instrument_version": instrument_version,
                "submitted_at": submitted_at,
                "answers": json.dumps(answers, sort_keys=True),
                "free_text_sealed": self.cipher.seal_optional(free_text, field="checkins.free_text"),
                "total": total,
            },
        ).scalar_one()
        return CheckIn(
            id=new_id,
            session_id=session_id,
            client_id=client_id,
            instrument_id=instrument_id,
            submitted_at=submitted_at,
            answers=answers,
            free_text=free_text,
        )

    def exists(self, session_id: int, client_id: int, instrument_id: str) -> bool:
        found = self.connection.execute(
            _EXISTS, {"session_id": session_id, "client_id": client_id, "instrument_id": instrument_id}
        ).first()
        return found is not None

    def for_clients(self, client_ids: list[int]) -> list[CheckIn]:
        """Every check-in of these clients, oldest first."""
        if not client_ids:
            return []
        return self._many(
            select(checkins)
            .where(checkins.c.client_id.in_(client_ids))
            .order_by(checkins.c.submitted_at, checkins.c.id)
        )

    def totals_by_instrument(self, instrument_id: str) -> list[tuple[int, int, float]]:
        """(client id, session id, total) for every scorable check-in of the practice on one instrument.

        Used for the expected treatment response; no sealed text is opened.
        """
        rows = self.connection.execute(
            select(checkins.c.client_id, checkins.c.session_id, checkins.c.total).where(
                checkins.c.instrument_id == instrument_id, checkins.c.total.is_not(None)
            )
        )
        return [(int(client), int(session), float(total)) for client, session, total in rows]

    def _many(self, query: object) -> list[CheckIn]:
        rows: list[Row[tuple[object, ...]]] = list(self.connection.execute(query))  # type: ignore[call-overload]
        return [
            CheckIn(
                id=row.id,
                session_id=row.session_id,
                client_id=row.client_id,
                instrument_id=row.instrument_id,
                submitted_at=as_utc(row.submitted_at),
                answers=json.loads(row.answers),
                free_text=self.cipher.open_optional(row.free_text_sealed, field="checkins.free_text"),
            )
            for row in rows
        ]
