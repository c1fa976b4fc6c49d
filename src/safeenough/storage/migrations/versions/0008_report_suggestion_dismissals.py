"""dismissed suggestions of a session report are kept

`dismissed_suggestions` also holds the suggested check-ins a therapist dismissed on a session report
(kind "report"; turn -1 for the suggested opening), so they stay dismissed when the report is opened again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_dismissed_suggestions_kind"


def upgrade() -> None:
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), "kind IN ('formulation', 'enactment', 'report')")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM dismissed_suggestions WHERE kind = 'report'"))
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), "kind IN ('formulation', 'enactment')")
