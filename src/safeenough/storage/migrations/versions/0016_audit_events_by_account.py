"""the audit trail can be read one account at a time

The admin's audit page filters by account (and by action, kind of record and dates); this index keeps
one account's events quick to find in a trail that grows with every read.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_actor_id", table_name="audit_events")
