"""login attempts keep a keyed hash of the username typed, not the text

Someone may type their password into the username field; the attempt, kept to count failures towards
the lockout, then held it in the clear. Attempts now hold an HMAC of what was typed, under a key derived
from the practice's key. Attempts already stored are dropped: they only count within the lockout window
(15 minutes by default), so upgrading lifts a lockout that is under way.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM login_attempts"))
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    with op.batch_alter_table("login_attempts") as batch:
        batch.alter_column("username", new_column_name="username_key", existing_type=sa.String(64))
    op.create_index("ix_login_attempts_username_key_at", "login_attempts", ["username_key", "at"])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM login_attempts"))
    op.drop_index("ix_login_attempts_username_key_at", table_name="login_attempts")
    with op.batch_alter_table("login_attempts") as batch:
        batch.alter_column("username_key", new_column_name="username", existing_type=sa.String(64))
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
