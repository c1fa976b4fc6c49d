"""Therapy sessions with their attendees; notes and transcripts are sealed at rest.

Sessions are numbered by date within their case (ties in the order they were entered), so "session 3" is
the third session held, whatever order they were entered in. A session entered late for an earlier date
takes its place and the later ones move up by one.
"""

from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import Connection, case, insert, select, update

from safeenough.domain.session import Session
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import session_attendees, sessions


class SessionRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add(
        self,
        *,
        case_id: int,
        held_on: date,
        attendee_ids: list[int],
        note: str | None,
        transcript: str | None = None,
    ) -> Session:
        # A negative placeholder keeps (case, number) unique until the case is renumbered just below.
        placeholder = -1 - self._count(case_id)
        session_id = self.connection.execute(
            insert(sessions)
            .values(
                case_id=case_id,
                number=placeholder,
                held_on=held_on,
                note_sealed=self.cipher.seal_optional(note, field="sessions.note"),
                transcript_sealed=self.cipher.seal_optional(transcript, field="sessions.transcript"),
                created_at=datetime.now(UTC),
            )
            .returning(sessions.c.id)
        ).scalar_one()
        for client_id in attendee_ids:
            self.connection.execute(
                insert(session_attendees).values(session_id=session_id, client_id=client_id)
            )
        self.renumber(case_id)
        return self.for_cases([case_id], only_session=session_id)[case_id][0]

    def find(self, session_id: int) -> Session | None:
        case_id = self.case_of(session_id)
        if case_id is None:
            return None
        return self.for_cases([case_id], only_session=session_id)[case_id][0]

    def case_of(self, session_id: int) -> int | None:
        """The session's case, without reading (or opening) anything else of it."""
        found = self.connection.execute(
            select(sessions.c.case_id).where(sessions.c.id == session_id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def renumber(self, case_id: int) -> None:
        """Number the case's sessions 1, 2, … by date, then by the order they were entered."""
        rows = self.connection.execute(
            select(sessions.c.id, sessions.c.number)
            .where(sessions.c.case_id == case_id)
            .order_by(sessions.c.held_on, sessions.c.id)
        ).all()
        wanted = {row.id: position for position, row in enumerate(rows, start=1) if row.number != position}
        if not wanted:
            return
        # Two steps, because PostgreSQL checks that (case, number) stays unique after every row it updates.
        # The first step's numbers are below every placeholder that `add` uses.
        numbered = case(wanted, value=sessions.c.id)
        moving = sessions.c.id.in_(list(wanted))
        self.connection.execute(update(sessions).where(moving).values(number=-(numbered + len(rows))))
        self.connection.execute(update(sessions).where(moving).values(number=numbered))

    def _count(self, case_id: int) -> int:
        return len(self.connection.execute(select(sessions.c.id).where(sessions.c.case_id == case_id)).all())

    def for_cases(self, case_ids: list[int], *, only_session: int | None = None) -> dict[int, list[Session]]:
        """Sessions of each case, oldest first."""
        query = select(sessions).where(sessions.c.case_id.in_(case_ids))
        if only_session is not None:
            query = query.where(sessions.c.id == only_session)
        rows = list(self.connection.execute(query.order_by(sessions.c.held_on, sessions.c.number)))
        attendees: dict[int, list[int]] = defaultdict(list)
        if rows:
            for session_id, client_id in self.connection.execute(
                select(session_attendees.c.session_id, session_attendees.c.client_id)
                .where(session_attendees.c.session_id.in_([row.id for row in rows]))
                .order_by(session_attendees.c.client_id)
            ):
                attendees[session_id].append(client_id)
        result: dict[int, list[Session]] = {case_id: [] for case_id in case_ids}
        for row in rows:
            result[row.case_id].append(
                Session(
                    id=row.id,
                    case_id=row.case_id,
                    number=row.number,
                    held_on=row.held_on,
                    attendee_ids=tuple(attendees[row.id]),
                    note=self.cipher.open_optional(row.note_sealed, field="sessions.note"),
                    transcript=self.cipher.open_optional(row.transcript_sealed, field="sessions.transcript"),
                )
            )
        return result

    def summaries(self, case_ids: list[int], today: date) -> dict[int, tuple[date | None, date | None, int]]:
        """(last held, next planned, count) per case, without opening any sealed text."""
        result: dict[int, tuple[date | None, date | None, int]] = {
            case_id: (None, None, 0) for case_id in case_ids
        }
        if not case_ids:
            return result
        rows = self.connection.execute(
            select(sessions.c.case_id, sessions.c.held_on).where(sessions.c.case_id.in_(case_ids))
        )
        held: dict[int, list[date]] = defaultdict(list)
        for case_id, held_on in rows:
            held[case_id].append(held_on)
        for case_id, dates in held.items():
            past = [day for day in dates if day <= today]
            future = [day for day in dates if day > today]
            result[case_id] = (max(past, default=None), min(future, default=None), len(dates))
        return result
