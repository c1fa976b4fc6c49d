"""The audit trail: append-only; rows are never updated or deleted by safeenough.

Each event also notes the case its record belongs to, found from the record as the event is written, so
that a therapist can see who has opened a case (`for_case`) without the trail naming anything clinical.
"""

from datetime import UTC, datetime

from sqlalchemy import BindParameter, Connection, Integer, Row, Select, bindparam, insert, select

from safeenough.domain.audit import AuditAction, AuditEvent, AuditQuery
from safeenough.storage.database import as_utc
from safeenough.storage.tables import (
    alerts,
    audit_events,
    checkin_links,
    checkins,
    clients,
    enactments,
    formulation_entries,
    relational_patterns,
    sessions,
)

# Built once: every clinical read and write records an event.
_INSERT = insert(audit_events)

NOT_ABOUT_A_CASE = frozenset(
    {"clinician", "caseload", "practice", "database", "instrument", "audit_log", "request"}
)
"""Kinds of record that belong to no one case: accounts, logins, the whole practice, the trail itself."""

CASE_ITSELF = frozenset({"case", "shared_map", "checkins", "supervision_summary", "case_access"})
"""Kinds whose record id is the case's id."""

_RECORD_ID: BindParameter[int] = bindparam("record_id", type_=Integer)
_SESSION_CASE = select(sessions.c.case_id).where(sessions.c.id == _RECORD_ID)
_CASE_OF: dict[str, Select[int]] = {
    **dict.fromkeys(
        (
            "session",
            "transcript",
            "session_report",
            "transcript_suggestions",
            "transcript_suggestion",
            "enactment_candidate",
        ),
        _SESSION_CASE,
    ),
    **dict.fromkeys(
        ("client_map", "enactment_candidates"),
        select(clients.c.case_id).where(clients.c.id == _RECORD_ID),
    ),
    "checkin": select(sessions.c.case_id)
    .join(checkins, checkins.c.session_id == sessions.c.id)
    .where(checkins.c.id == _RECORD_ID),
    "checkin_link": select(sessions.c.case_id)
    .join(checkin_links, checkin_links.c.session_id == sessions.c.id)
    .where(checkin_links.c.id == _RECORD_ID),
    "alert": select(alerts.c.case_id).where(alerts.c.id == _RECORD_ID),
    "formulation_entry": select(formulation_entries.c.case_id).where(formulation_entries.c.id == _RECORD_ID),
    "relational_pattern": select(relational_patterns.c.case_id).where(relational_patterns.c.id == _RECORD_ID),
    "enactment": select(relational_patterns.c.case_id)
    .join(enactments, enactments.c.pattern_id == relational_patterns.c.id)
    .where(enactments.c.id == _RECORD_ID),
}
"""For the other kinds, how to find the case from the record's id."""

AUDITED_KINDS = NOT_ABOUT_A_CASE | CASE_ITSELF | frozenset(_CASE_OF)
"""Every kind of record an event may name; any other is refused, so that a new kind of event cannot
quietly fall out of a case's access history."""


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
                "case_id": self._case_of(target_kind, target_id),
                "at": datetime.now(UTC),
                "actor_id": actor_id,
                "action": action.value,
                "target_kind": target_kind,
                "target_id": target_id,
                "detail": detail[:500],
            },
        )

    def _case_of(self, target_kind: str, target_id: int | None) -> int | None:
        if target_kind not in AUDITED_KINDS:
            raise ValueError(f"{target_kind!r} is not a kind of record the audit trail knows")
        if target_id is None or target_kind in NOT_ABOUT_A_CASE:
            return None
        if target_kind in CASE_ITSELF:
            return target_id
        found: int | None = self.connection.execute(
            _CASE_OF[target_kind], {"record_id": target_id}
        ).scalar_one_or_none()
        return found

    def for_case(self, case_id: int, limit: int, before_id: int | None = None) -> list[AuditEvent]:
        """Who read or changed what of this case, latest first (`before_id`: the next page)."""
        statement = (
            select(audit_events)
            .where(audit_events.c.case_id == case_id)
            .order_by(audit_events.c.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            statement = statement.where(audit_events.c.id < before_id)
        return [_event(row) for row in self.connection.execute(statement)]

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
