"""a session report's suggested check-ins keep the therapist's own wording

`suggestion_edits` holds, per session and turn (-1 for the suggested opening), the words the therapist
chose for a suggested check-in, and the suggested words they were edited from, both sealed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("suggested_sealed", sa.Text(), nullable=False),
        sa.Column("text_sealed", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_suggestion_edits_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edited_by"],
            ["clinicians.id"],
            name=op.f("fk_suggestion_edits_edited_by_clinicians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_edits")),
        sa.UniqueConstraint("session_id", "turn_index", name="uq_suggestion_edits_session_turn"),
    )


def downgrade() -> None:
    op.drop_table("suggestion_edits")
