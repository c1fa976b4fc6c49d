"""A session's transcript (as its Conversation) and the annotations the analysis produced.

The conversation is stored as JSON in the session's sealed transcript column, with the speaker roles the
therapist confirmed. Annotations go in their own table keyed by session, turn and `produced_by`, so a
report can say which component versions made it.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from safeenough.domain.annotation import Annotation
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.relational_pattern import EnactmentStatus
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import (
    annotations,
    dismissed_suggestions,
    enactments,
    formulation_entries,
    sessions,
)

TRANSCRIPT_FIELD = "sessions.transcript"


@dataclass(frozen=True, slots=True)
class StoredTranscript:
    conversation: Conversation
    filename: str
    source_format: str
    roles_confirmed: bool
    role_confidence: float


def conversation_to_json(conversation: Conversation) -> list[dict[str, Any]]:
    return [
        {
            "speaker": turn.speaker,
            "role": turn.role.value,
            "text": turn.text,
            "source_id": turn.source_id,
            "start": turn.start_seconds,
            "end": turn.end_seconds,
        }
        for turn in conversation.turns
    ]


def conversation_from_json(conversation_id: str, turns: list[dict[str, Any]]) -> Conversation:
    return Conversation(
        id=conversation_id,
        turns=tuple(
            Turn(
                index=index,
                speaker=turn["speaker"],
                role=SpeakerRole(turn["role"]),
                text=turn["text"],
                source_id=turn.get("source_id"),
                start_seconds=turn.get("start"),
                end_seconds=turn.get("end"),
            )
            for index, turn in enumerate(turns)
        ),
    )


class TranscriptRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def save(self, session_id: int, transcript: StoredTranscript) -> None:
        document = {
            "id": transcript.conversation.id,
            "filename": transcript.filename,
            "format": transcript.source_format,
            "roles_confirmed": transcript.roles_confirmed,
            "role_confidence": transcript.role_confidence,
            "turns": conversation_to_json(transcript.conversation),
        }
        self.connection.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(transcript_sealed=self.cipher.seal(json.dumps(document), field=TRANSCRIPT_FIELD))
        )

    def load(self, session_id: int) -> StoredTranscript | None:
        sealed = self.connection.execute(
            select(sessions.c.transcript_sealed).where(sessions.c.id == session_id)
        ).scalar_one_or_none()
        if sealed is None:
            return None
        document = json.loads(self.cipher.open(sealed, field=TRANSCRIPT_FIELD))
        return StoredTranscript(
            conversation=conversation_from_json(document["id"], document["turns"]),
            filename=document["filename"],
            source_format=document["format"],
            roles_confirmed=document["roles_confirmed"],
            role_confidence=document["role_confidence"],
        )

    def exists(self, session_id: int) -> bool:
        """Whether the session has a transcript, without opening it."""
        sealed = select(sessions.c.id).where(
            sessions.c.id == session_id, sessions.c.transcript_sealed.is_not(None)
        )
        return self.connection.execute(sealed).first() is not None

    def linked_turns(self, session_id: int) -> set[int]:
        """The turns of the session's transcript that pattern moments (still linked) point at."""
        linked = select(enactments.c.turn_index).where(
            enactments.c.session_id == session_id, enactments.c.status == EnactmentStatus.LINKED.value
        )
        return {int(turn) for turn in self.connection.execute(linked).scalars()}

    def turn_references(self, session_id: int) -> tuple[int, int, int]:
        """How many map entries on the map, map entries taken off it, and linked pattern moments point at
        turns of the session's transcript. Removed entries count apart: they do not keep the transcript
        (nobody can reach them to change their quote), and replacing it lets go of their quotes (a moment
        taken off its pattern is history, with its own quote, and does not count)."""
        quoting = self.connection.execute(
            select(formulation_entries.c.removed_at.is_(None), func.count())
            .where(
                and_(
                    formulation_entries.c.source_session_id == session_id,
                    formulation_entries.c.source_turn_index.is_not(None),
                )
            )
            .group_by(formulation_entries.c.removed_at.is_(None))
        ).all()
        counts = {bool(on_map): int(count) for on_map, count in quoting}
        linked = self.connection.execute(
            select(func.count())
            .select_from(enactments)
            .where(
                and_(
                    enactments.c.session_id == session_id, enactments.c.status == EnactmentStatus.LINKED.value
                )
            )
        ).scalar_one()
        return counts.get(True, 0), counts.get(False, 0), int(linked)

    def forget_dismissed_suggestions(self, session_id: int) -> None:
        """Dismissed suggestions point at turns by number; a new transcript's turns are other turns."""
        self.connection.execute(
            delete(dismissed_suggestions).where(dismissed_suggestions.c.session_id == session_id)
        )

    def replace_annotations(self, session_id: int, found: list[Annotation]) -> None:
        """The latest analysis of a session replaces the previous one (the transcript may have changed)."""
        self.connection.execute(delete(annotations).where(annotations.c.session_id == session_id))
        now = datetime.now(UTC)
        rows = [
            {
                "session_id": session_id,
                "turn_index": annotation.target_turn,
                "key": annotation.key,
                "value_sealed": self.cipher.seal(json.dumps(annotation.value), field="annotations.value"),
                "confidence": annotation.confidence,
                "evidence": ",".join(str(turn) for turn in annotation.evidence)[:500],
                "produced_by": annotation.produced_by,
                "created_at": now,
            }
            for annotation in found
        ]
        if rows:
            self.connection.execute(insert(annotations), rows)

    def annotations(self, session_id: int) -> list[Annotation]:
        rows = self.connection.execute(
            select(annotations).where(annotations.c.session_id == session_id).order_by(annotations.c.id)
        )
        return [
            Annotation(
                target_turn=row.turn_index,
                key=row.key,
                value=json.loads(self.cipher.open(row.value_sealed, field="annotations.value")),
                confidence=row.confidence,
                evidence=tuple(int(part) for part in row.evidence.split(",") if part),
                produced_by=row.produced_by,
            )
            for row in rows
        ]

    def analysed_session_ids(self, session_ids: list[int]) -> set[int]:
        if not session_ids:
            return set()
        return set(
            self.connection.execute(
                select(annotations.c.session_id).where(annotations.c.session_id.in_(session_ids)).distinct()
            ).scalars()
        )
