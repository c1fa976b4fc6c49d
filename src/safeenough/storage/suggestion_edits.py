"""The therapist's own wording of a session report's suggested check-ins, kept with the session.

A suggestion is known by its session and the turn it is about (-1: the suggested opening), as its
dismissal is. The words it was edited from are kept too: a new analysis may suggest other words for the
same turn, and then the edit belongs to a suggestion the report no longer makes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import suggestion_edits

_SUGGESTED = "suggestion_edits.suggested"
_TEXT = "suggestion_edits.text"


@dataclass(frozen=True, slots=True)
class SuggestionEdit:
    turn_index: int
    suggested: str
    """The suggestion's words when the therapist edited them."""
    text: str
    """The therapist's words."""
    edited_at: datetime


class SuggestionEditRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def save(self, session_id: int, turn_index: int, *, suggested: str, text: str, actor_id: int) -> None:
        """Keep the therapist's words for this suggestion (replacing earlier words for it).

        One statement (insert, or update on the session and turn already kept): two saves of the same
        suggestion at once (Done pressed twice, two tabs) both succeed, the later words kept, where an
        update-then-insert would let both insert and one fail on the unique constraint."""
        values = {
            "suggested_sealed": self.cipher.seal(suggested, field=_SUGGESTED),
            "text_sealed": self.cipher.seal(text, field=_TEXT),
            "edited_at": datetime.now(UTC),
            "edited_by": actor_id,
        }
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(suggestion_edits).values(
            session_id=session_id, turn_index=turn_index, **values
        )
        self.connection.execute(
            statement.on_conflict_do_update(index_elements=["session_id", "turn_index"], set_=values)
        )

    def for_session(self, session_id: int) -> list[SuggestionEdit]:
        rows = self.connection.execute(
            select(suggestion_edits)
            .where(suggestion_edits.c.session_id == session_id)
            .order_by(suggestion_edits.c.turn_index)
        )
        return [
            SuggestionEdit(
                turn_index=row.turn_index,
                suggested=self.cipher.open(row.suggested_sealed, field=_SUGGESTED),
                text=self.cipher.open(row.text_sealed, field=_TEXT),
                edited_at=row.edited_at if row.edited_at.tzinfo else row.edited_at.replace(tzinfo=UTC),
            )
            for row in rows
        ]

    def forget(self, session_id: int, turn_index: int | None = None) -> int:
        """Let go of the therapist's words for one suggestion, or for every suggestion of the session
        (its transcript was replaced: its turns are other turns). Returns how many were let go."""
        condition = suggestion_edits.c.session_id == session_id
        if turn_index is not None:
            condition = condition & (suggestion_edits.c.turn_index == turn_index)
        return int(self.connection.execute(delete(suggestion_edits).where(condition)).rowcount or 0)
