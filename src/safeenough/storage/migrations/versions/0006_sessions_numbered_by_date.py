"""sessions numbered by date

Sessions used to be numbered in the order they were entered, so a session entered late for an earlier
date got the next number and the charts disagreed with the dates. Each case's sessions are renumbered by
date (ties in the order entered). Two stored alert rules named sessions by number; they now name them by
date, and the evidence's numbers are looked up again when alerts are read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:20:00
"""

import json
import re
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_sessions = sa.table(
    "sessions",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("held_on", sa.Date),
)
_alerts = sa.table(
    "alerts",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("rule", sa.String),
    sa.column("evidence", sa.Text),
)
_SPLIT_PREFIX = re.compile(r"^session \d+: ")
_MISSED_SESSIONS = re.compile(r" \(sessions [^)]*\)$")


def _day(held_on: date) -> str:
    return f"{held_on.day} {held_on:%b %Y}"


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_sessions.c.id, _sessions.c.case_id, _sessions.c.number).order_by(
            _sessions.c.case_id, _sessions.c.held_on, _sessions.c.id
        )
    ).all()
    positions: dict[int, int] = {}
    wanted: dict[int, int] = {}
    for row in rows:
        positions[row.case_id] = positions.get(row.case_id, 0) + 1
        if row.number != positions[row.case_id]:
            wanted[row.id] = positions[row.case_id]
    # Through negative numbers first, so (case, number) stays unique after every row.
    for step in (-1, 1):
        for session_id, number in wanted.items():
            connection.execute(
                sa.update(_sessions).where(_sessions.c.id == session_id).values(number=step * number)
            )
    for alert in connection.execute(
        sa.select(_alerts).where(_alerts.c.kind.in_(["split_alliance", "missing_checkins"]))
    ).all():
        rule = _SPLIT_PREFIX.sub("", alert.rule)
        if alert.kind == "missing_checkins":
            days = [_day(date.fromisoformat(item["held_on"])) for item in json.loads(alert.evidence)]
            if len(days) >= 2:
                where = (
                    f"sessions of {days[0]} and {days[1]}"
                    if len(days) == 2
                    else f"sessions of {days[0]}–{days[-1]}"
                )
                rule = _MISSED_SESSIONS.sub(f" ({where})", rule)
        if rule != alert.rule:
            connection.execute(sa.update(_alerts).where(_alerts.c.id == alert.id).values(rule=rule))


def downgrade() -> None:
    # Numbers by date are valid numbers for the earlier version too; nothing to undo.
    pass
