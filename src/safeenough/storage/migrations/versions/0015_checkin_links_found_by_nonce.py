"""check-in links are found by the hash of their nonce, so a token no longer names the link's id

A token used to carry the link's id, readable by whoever held the link; ids are sequential, so a client
could tell how many links the practice had sent. New tokens carry only the nonce, and the link is found
by its hash through this unique index. Older tokens still work until they expire.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 18:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_checkin_links_nonce_hash", "checkin_links", ["nonce_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_checkin_links_nonce_hash", table_name="checkin_links")
