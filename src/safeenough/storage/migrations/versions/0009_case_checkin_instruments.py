"""the questionnaires a case's check-ins ask

A therapist chooses per case what its check-in links ask (e.g. an alliance measure for a couple,
PHQ-9 for a client with low mood). `cases.checkin_instruments` holds the instrument ids, comma-separated;
null means the practice's default (`SAFEENOUGH_CHECKIN_INSTRUMENTS`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("checkin_instruments", sa.String(500), nullable=True))


def downgrade() -> None:
    # Not in batch mode: SQLite (3.35+) drops a column in place. Batch mode would copy `cases`, and
    # dropping the original fails while clients and sessions point at it.
    op.drop_column("cases", "checkin_instruments")
