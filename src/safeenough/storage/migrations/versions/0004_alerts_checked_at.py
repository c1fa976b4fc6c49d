"""when a case's alerts were last evaluated

A client who stops answering shows no new check-in, so the caseload also re-evaluates a case whose
check-in links lapsed unanswered since its alerts were last evaluated (`cases.alerts_checked_at`),
found through an index on the links' client and expiry.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerts_checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("checkin_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_links_client_id_expires_at", ["client_id", "expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_links", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_links_client_id_expires_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("alerts_checked_at")
