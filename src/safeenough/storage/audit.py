"""The audit trail: append-only; rows are never updated or deleted by safeenough."""

from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.storage.tables import audit_events

# Built once: every clinical read and write records an event.
_INSERT = insert(audit_events)


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def record(
        self,
        actor_id: int | None,
        action: AuditAction,
        target_kind: str,
        target_id: int | None = None,
        detail: str = "",
    ) -> None:
        self.connection.execute(
            _INSERT,
            {
                "at": datetime.now(UTC),
                "actor_id": actor_id,
                "action": action.value,
                "target_kind": target_kind,
                "target_id": target_id,
                "detail": detail[:500],
            },
        )

    def recent(self, limit: int) -> list[AuditEvent]:
        rows = self.connection.execute(select(audit_events).order_by(audit_events.c.id.desc()).limit(limit))
        return [
            AuditEvent(
                id=row.id,
                at=row.at,
                actor_id=row.actor_id,
                action=AuditAction(row.action),
                target_kind=row.target_kind,
                target_id=row.target_id,
                detail=row.detail,
            )
            for row in rows
        ]
