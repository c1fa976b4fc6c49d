"""installed instrument definitions in the database

Practice-licensed instrument definitions (`safeenough instrument add`) move from files under
`<data dir>/instruments/` into the `instruments` table, so every app server sharing one database sees
the same instruments. Files already installed are imported when a practice next opens (see
`Practice.open`); they are left in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("definition", sa.LargeBinary(), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
    )


def downgrade() -> None:
    op.drop_table("instruments")
