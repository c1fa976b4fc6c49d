"""each audit event notes the case its record belongs to, so a case's access history is one query

The case is found from the record the event names (a session's case, a client's case, an alert's…), as
`storage.audit` does for every new event; events written before this version are given theirs here. An
event whose record is gone, or that belongs to no case (logins, accounts, the practice), keeps none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as this version has them, only the columns used here (frozen: later versions may change them).
_audit = sa.table(
    "audit_events",
    sa.column("case_id", sa.Integer),
    sa.column("target_id", sa.Integer),
    sa.column("target_kind"),
)
_sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))
_clients = sa.table("clients", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))
_checkins = sa.table("checkins", sa.column("id", sa.Integer), sa.column("session_id", sa.Integer))
_links = sa.table("checkin_links", sa.column("id", sa.Integer), sa.column("session_id", sa.Integer))
_alerts = sa.table("alerts", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))
_entries = sa.table("formulation_entries", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))
_patterns = sa.table("relational_patterns", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))
_enactments = sa.table("enactments", sa.column("id", sa.Integer), sa.column("pattern_id", sa.Integer))


def _case_through(table: sa.TableClause) -> sa.ScalarSelect[int]:
    return sa.select(table.c.case_id).where(table.c.id == _audit.c.target_id).scalar_subquery()


def _session_case_through(table: sa.TableClause) -> sa.ScalarSelect[int]:
    return (
        sa.select(_sessions.c.case_id)
        .join(table, table.c.session_id == _sessions.c.id)
        .where(table.c.id == _audit.c.target_id)
        .scalar_subquery()
    )


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("case_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_events_case_id", "audit_events", ["case_id"])
    enactment_case = (
        sa.select(_patterns.c.case_id)
        .join(_enactments, _enactments.c.pattern_id == _patterns.c.id)
        .where(_enactments.c.id == _audit.c.target_id)
        .scalar_subquery()
    )
    # The kinds of record as this version names them, and how to find each one's case.
    found_through: list[tuple[tuple[str, ...], sa.ColumnElement[int]]] = [
        (("case", "shared_map", "checkins", "supervision_summary"), _audit.c.target_id),
        (
            (
                "session",
                "transcript",
                "session_report",
                "transcript_suggestions",
                "transcript_suggestion",
                "enactment_candidate",
            ),
            _case_through(_sessions),
        ),
        (("client_map", "enactment_candidates"), _case_through(_clients)),
        (("checkin",), _session_case_through(_checkins)),
        (("checkin_link",), _session_case_through(_links)),
        (("alert",), _case_through(_alerts)),
        (("formulation_entry",), _case_through(_entries)),
        (("relational_pattern",), _case_through(_patterns)),
        (("enactment",), enactment_case),
    ]
    for kinds, case_id in found_through:
        op.execute(
            sa.update(_audit)
            .where(_audit.c.target_kind.in_(kinds), _audit.c.target_id.is_not(None))
            .values(case_id=case_id)
        )


def downgrade() -> None:
    op.drop_index("ix_audit_events_case_id", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("case_id")
