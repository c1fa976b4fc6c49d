"""The audit trail: append-only; rows are never updated or deleted by safeenough."""

from datetime import UTC, datetime

from sqlalchemy import Connection, Row, insert, select

from safeenough.domain.audit import AuditAction, AuditEvent, AuditQuery
from safeenough.storage.database import as_utc
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
        return self.search(AuditQuery(), limit)

    def search(self, query: AuditQuery, limit: int) -> list[AuditEvent]:
        """The events the query asks for, latest first, at most `limit` of them."""
        statement = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if query.actor_id is not None:
            statement = statement.where(audit_events.c.actor_id == query.actor_id)
        if query.action is not None:
            statement = statement.where(audit_events.c.action == query.action.value)
        if query.target_kind is not None:
            statement = statement.where(audit_events.c.target_kind == query.target_kind)
        if query.since is not None:
            statement = statement.where(audit_events.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(audit_events.c.at < query.until)
        if query.before_id is not None:
            statement = statement.where(audit_events.c.id < query.before_id)
        return [_event(row) for row in self.connection.execute(statement)]

    def target_kinds(self) -> list[str]:
        """The kinds of record the trail names, in alphabetical order (to filter by)."""
        statement = select(audit_events.c.target_kind).distinct().order_by(audit_events.c.target_kind)
        return list(self.connection.execute(statement).scalars())


def _event(row: Row[tuple[object, ...]]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=as_utc(row.at),
        actor_id=row.actor_id,
        action=AuditAction(row.action),
        target_kind=row.target_kind,
        target_id=row.target_id,
        detail=row.detail,
    )
