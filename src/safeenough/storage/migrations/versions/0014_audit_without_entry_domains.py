"""audit trail: the creation of a map entry no longer names its domain in the clear

Until 0011 sealed `formulation_entries.domain`, creating a map entry wrote its domain into the audit
trail with its status ("safety_meaning client_said"). The audit trail is stored in the clear, so after
0011 it still said, read without the key, which part of a client's life each entry was about. This
upgrade keeps the status of those events and drops the domain ("client_said"), as the app now writes
them. Nothing else in the event changes (who, when, which entry).

Downgrading cannot tell the domains again from the audit trail (they are in the sealed entries), and
the older schema reads the status alone just as well: it changes nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The domains and statuses as they were written ("<domain> <status>"); copied, not imported, so this
# step stays as it is when the app's enums change.
_DOMAINS = (
    "presenting_concerns",
    "goals",
    "values",
    "relationships",
    "family_history",
    "culture_identity",
    "strengths_resources",
    "safety_meaning",
    "past_help",
)
_STATUSES = ("client_said", "therapist_hypothesis", "checked_confirmed", "checked_disconfirmed")
_AUDIT = sa.table(
    "audit_events",
    sa.column("action", sa.String),
    sa.column("target_kind", sa.String),
    sa.column("detail", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    created = (_AUDIT.c.action == "create") & (_AUDIT.c.target_kind == "formulation_entry")
    for domain in _DOMAINS:
        for status in _STATUSES:
            old = _AUDIT.c.detail == f"{domain} {status}"
            connection.execute(sa.update(_AUDIT).where(created, old).values(detail=status))


def downgrade() -> None:
    pass
