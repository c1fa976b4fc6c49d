"""map entries: domain sealed at rest; removal kept in the history; a change of quote in the history

`formulation_entries.domain` was the one part of a map entry stored in the clear: read without the key,
the database said that a client had entries about "family and history" or "what safety means to them".
It is now sealed like the entry's text (`domain_sealed`); no query filtered or grouped on it.

An entry can be taken off the map (added by mistake): it keeps its row, marked `removed_at` /
`removed_by`, and its history, and can be put back. Each step of an entry's history now says what it did
(`action`: created, edited, source_changed, removed, restored); a change of the turn an entry quotes keeps
the source before and after, sealed (`old_source_sealed`, `new_source_sealed`). Existing steps are
creations (no old status) or edits.

SQLite rebuilds a table to drop a column. `formulation_changes` points at `formulation_entries` with ON
DELETE CASCADE, and dropping the old copy of `formulation_entries` deletes what points at it, so on
SQLite the history is kept aside while the entries table is rebuilt and put back after.

Downgrading opens the domains again. The older schema cannot tell a removed entry from one on the map, so
removed entries are deleted, with their history; the new steps of the others stay, read as notes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from safeenough.errors import KeyMissing
from safeenough.storage.encryption import FieldCipher

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELD = "formulation_entries.domain"
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
_DOMAIN_CHECK = "domain IN (" + ", ".join(f"'{domain}'" for domain in _DOMAINS) + ")"
_ACTION_CHECK = "action IN ('created', 'edited', 'source_changed', 'removed', 'restored')"
_ENTRIES = sa.table(
    "formulation_entries",
    sa.column("id", sa.Integer),
    sa.column("domain", sa.String),
    sa.column("domain_sealed", sa.Text),
    sa.column("removed_at", sa.DateTime(timezone=True)),
)
_CHANGES = sa.table(
    "formulation_changes",
    sa.column("old_status", sa.String),
    sa.column("action", sa.String),
)
_KEPT = "formulation_changes_kept_by_0011"


def _cipher() -> FieldCipher:
    cipher = context.config.attributes.get("cipher")
    if not isinstance(cipher, FieldCipher):
        raise KeyMissing(
            "This database holds client map entries, and this migration seals or opens their domains with "
            "the practice's key, but no key was given to the migration. Run `safeenough migrate` with "
            "SAFEENOUGH_SECRET_KEY_FILE pointing at the database's key file."
        )
    return cipher


def _keep_history(connection: Connection) -> list[str] | None:
    """On SQLite, a copy of every history step (the rebuild of the entries table would delete them);
    returns the columns copied. Elsewhere the table is altered in place: None."""
    if connection.dialect.name != "sqlite":
        return None
    columns = [column["name"] for column in sa.inspect(connection).get_columns("formulation_changes")]
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE formulation_changes_kept_by_0011 AS SELECT * FROM formulation_changes"
    )
    return columns


def _put_history_back(connection: Connection, columns: list[str] | None) -> None:
    if columns is None:
        return
    kept = sa.table(_KEPT, *(sa.column(name) for name in columns))
    changes = sa.table("formulation_changes", *(sa.column(name) for name in columns))
    connection.execute(sa.delete(changes))
    connection.execute(sa.insert(changes).from_select(columns, sa.select(*kept.c)))
    connection.exec_driver_sql("DROP TABLE formulation_changes_kept_by_0011")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_ENTRIES.c.id, _ENTRIES.c.domain)).all()
    cipher = _cipher() if rows else None  # before anything changes: no key, no change

    op.add_column("formulation_changes", sa.Column("action", sa.String(16), nullable=True))
    op.add_column("formulation_changes", sa.Column("old_source_sealed", sa.Text(), nullable=True))
    op.add_column("formulation_changes", sa.Column("new_source_sealed", sa.Text(), nullable=True))
    connection.execute(
        sa.update(_CHANGES).values(
            action=sa.case((_CHANGES.c.old_status.is_(None), "created"), else_="edited")
        )
    )
    # Nothing points at formulation_changes: SQLite may rebuild it.
    with op.batch_alter_table("formulation_changes", schema=None) as batch_op:
        batch_op.alter_column("action", existing_type=sa.String(16), nullable=False)
        batch_op.create_check_constraint(op.f("ck_formulation_changes_action"), _ACTION_CHECK)

    op.add_column("formulation_entries", sa.Column("domain_sealed", sa.Text(), nullable=True))
    if cipher is not None:
        connection.execute(
            sa.update(_ENTRIES)
            .where(_ENTRIES.c.id == sa.bindparam("row_id"))
            .values(domain_sealed=sa.bindparam("sealed")),
            [{"row_id": row.id, "sealed": cipher.seal(row.domain, field=_FIELD)} for row in rows],
        )
    kept = _keep_history(connection)
    with op.batch_alter_table("formulation_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_formulation_entries_removed_by_clinicians"),
            "clinicians",
            ["removed_by"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_formulation_entries_domain"), type_="check")
        batch_op.drop_column("domain")
        batch_op.alter_column("domain_sealed", existing_type=sa.Text(), nullable=False)
    _put_history_back(connection, kept)


def downgrade() -> None:
    connection = op.get_bind()
    # The older schema would show a removed entry as on the map: it goes, with its history.
    connection.execute(sa.delete(_ENTRIES).where(_ENTRIES.c.removed_at.is_not(None)))
    rows = connection.execute(sa.select(_ENTRIES.c.id, _ENTRIES.c.domain_sealed)).all()
    cipher = _cipher() if rows else None

    op.add_column("formulation_entries", sa.Column("domain", sa.String(32), nullable=True))
    if cipher is not None:
        connection.execute(
            sa.update(_ENTRIES)
            .where(_ENTRIES.c.id == sa.bindparam("row_id"))
            .values(domain=sa.bindparam("plain")),
            [{"row_id": row.id, "plain": cipher.open(row.domain_sealed, field=_FIELD)} for row in rows],
        )
    kept = _keep_history(connection)
    with op.batch_alter_table("formulation_entries", schema=None) as batch_op:
        batch_op.alter_column("domain", existing_type=sa.String(32), nullable=False)
        batch_op.create_check_constraint(op.f("ck_formulation_entries_domain"), _DOMAIN_CHECK)
        batch_op.drop_constraint(op.f("fk_formulation_entries_removed_by_clinicians"), type_="foreignkey")
        batch_op.drop_column("removed_by")
        batch_op.drop_column("removed_at")
        batch_op.drop_column("domain_sealed")
    _put_history_back(connection, kept)

    with op.batch_alter_table("formulation_changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_formulation_changes_action"), type_="check")
        batch_op.drop_column("new_source_sealed")
        batch_op.drop_column("old_source_sealed")
        batch_op.drop_column("action")
