"""Check-in answers. Item answers (JSON numbers) and the free-text answer are sealed; the total is not."""

import json
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Row, bindparam, func, insert, select

from safeenough.domain.checkin import CheckIn
from safeenough.storage.database import as_utc
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import checkins, sessions

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
                "answers_sealed": self.cipher.seal(
                    json.dumps(answers, sort_keys=True), field="checkins.answers"
                ),
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
            instrument_version=instrument_version,
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

    def get(self, check_in_id: int) -> CheckIn | None:
        """One check-in, its sealed answers opened: for showing the answers behind one alert."""
        found = self._many(select(checkins).where(checkins.c.id == check_in_id))
        return found[0] if found else None

    def totals_by_instrument(self, instrument_id: str) -> list[tuple[int, int, float]]:
        """(client id, session id, total) for every scorable check-in of the practice on one instrument,
        each client's in session order: by the day the session was held, then its number (then when the
        check-in came back). Not by session id: a session entered late has a higher id than the sessions
        held after it, and would put the client's trajectory out of order.

        Used for the expected treatment response; no sealed text is opened.
        """
        rows = self.connection.execute(
            select(checkins.c.client_id, checkins.c.session_id, checkins.c.total)
            .join(sessions, sessions.c.id == checkins.c.session_id)
            .where(checkins.c.instrument_id == instrument_id, checkins.c.total.is_not(None))
            .order_by(
                checkins.c.client_id,
                sessions.c.held_on,
                sessions.c.number,
                checkins.c.submitted_at,
                checkins.c.id,
            )
        )
        return [(int(client), int(session), float(total)) for client, session, total in rows]

    def recent_totals(
        self, case_ids: list[int], instrument_ids: list[str], sessions_back: int, *, today: date
    ) -> dict[tuple[int, str], list[tuple[int, date, float | None]]]:
        """Each client's totals on each instrument over their case's last `sessions_back` sessions held by
        `today` (booked ones are numbered by date too, but nobody can check in about them yet), oldest
        first, as (session number, held on, total). One query for a whole caseload; it reads a fixed number
        of sessions per case, so it does not slow down as the history grows. No sealed text is opened."""
        if not case_ids or not instrument_ids:
            return {}
        last = (
            select(sessions.c.case_id, func.max(sessions.c.number).label("last"))
            .where(sessions.c.case_id.in_(case_ids), sessions.c.held_on <= today)
            .group_by(sessions.c.case_id)
            .subquery()
        )
        rows = self.connection.execute(
            select(
                checkins.c.client_id,
                checkins.c.instrument_id,
                sessions.c.number,
                sessions.c.held_on,
                checkins.c.total,
            )
            .join(last, sessions.c.case_id == last.c.case_id)
            .join(checkins, checkins.c.session_id == sessions.c.id)
            .where(
                sessions.c.number > last.c.last - sessions_back, checkins.c.instrument_id.in_(instrument_ids)
            )
            .order_by(checkins.c.client_id, checkins.c.instrument_id, sessions.c.held_on, sessions.c.number)
        )
        found: dict[tuple[int, str], list[tuple[int, date, float | None]]] = {}
        for client_id, instrument_id, number, held_on, total in rows:
            found.setdefault((int(client_id), str(instrument_id)), []).append(
                (int(number), held_on, None if total is None else float(total))
            )
        return found

    def _many(self, query: object) -> list[CheckIn]:
        rows: list[Row[tuple[object, ...]]] = list(self.connection.execute(query))  # type: ignore[call-overload]
        return [
            CheckIn(
                id=row.id,
                session_id=row.session_id,
                client_id=row.client_id,
                instrument_id=row.instrument_id,
                submitted_at=as_utc(row.submitted_at),
                answers=json.loads(self.cipher.open(row.answers_sealed, field="checkins.answers")),
                free_text=self.cipher.open_optional(row.free_text_sealed, field="checkins.free_text"),
                instrument_version=row.instrument_version,
            )
            for row in rows
        ]

    def answers_by_instrument(self, instrument_id: str) -> list[tuple[dict[str, float | None], float | None]]:
        """(answers, stored total) of every check-in of the practice on one instrument, oldest first.

        For checking that a replacement definition still fits what was answered; opens the sealed answers
        but not the free text."""
        rows = self.connection.execute(
            select(checkins.c.answers_sealed, checkins.c.total)
            .where(checkins.c.instrument_id == instrument_id)
            .order_by(checkins.c.submitted_at, checkins.c.id)
        )
        return [
            (
                json.loads(self.cipher.open(answers_sealed, field="checkins.answers")),
                None if total is None else float(total),
            )
            for answers_sealed, total in rows
        ]
