"""check-in answers, alert rules and alert evidence sealed at rest

Item answers (among them a depression measure's item about thoughts of self-harm), the rule that raised an
alert ("item 9 scored 2 ≥ item threshold 1") and its evidence were stored in the clear. They are now
sealed with the practice's key like the clinical free text. Totals, instrument ids and alert kinds stay
readable because the caseload queries them.

SQLite rebuilds a table to drop a column (copy, drop, rename), and with foreign keys on, dropping the old
copy runs the ON DELETE action of every row that points at it: map entries quoting a check-in answer
(`formulation_entries.source_check_in_id`, ON DELETE SET NULL) lost their check-in. The references to a
rebuilt table are now kept aside and put back after the rebuild. (Until this was fixed, a SQLite database
upgraded through this step lost those links; PostgreSQL alters the table in place and lost nothing.)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from safeenough.errors import KeyMissing
from safeenough.storage.encryption import FieldCipher

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column stored in the clear, its sealed column, the field name bound into the seal)
_SEALED = (
    ("checkins", "answers", "answers_sealed", "checkins.answers"),
    ("alerts", "rule", "rule_sealed", "alerts.rule"),
    ("alerts", "evidence", "evidence_sealed", "alerts.evidence"),
)
_PLAIN_TYPES = {"answers": sa.Text(), "rule": sa.String(500), "evidence": sa.Text()}


def _cipher() -> FieldCipher:
    cipher = context.config.attributes.get("cipher")
    if not isinstance(cipher, FieldCipher):
        raise KeyMissing(
            "This database holds check-ins or alerts, and this upgrade seals them with the practice's key, "
            "but no key was given to the migration. Run `safeenough migrate` with SAFEENOUGH_SECRET_KEY_FILE "
            "pointing at the database's key file."
        )
    return cipher


def _holds_rows(table: str) -> bool:
    query = sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)
    return op.get_bind().execute(query).first() is not None


def _convert(table: str, source: str, target: str, *, field: str, seal: bool) -> None:
    """Copy `source` into `target`, sealing (or opening) each value; an empty table needs no key."""
    if not _holds_rows(table):
        return
    cipher = _cipher()

    def change(value: str) -> str:
        return cipher.seal(value, field=field) if seal else cipher.open(value, field=field)

    connection = op.get_bind()
    columns = sa.table(
        table, sa.column("id", sa.Integer), sa.column(source, sa.Text), sa.column(target, sa.Text)
    )
    for row_id, value in connection.execute(sa.select(columns.c.id, columns.c[source])).all():
        connection.execute(sa.update(columns).where(columns.c.id == row_id).values({target: change(value)}))


# (table, column, primary key) of what is kept aside while the table it points at is rebuilt.
_Reference = tuple[str, str, str]


def _keep_references(connection: Connection, rebuilt: str) -> dict[_Reference, list[tuple[int, int]]]:
    """On SQLite, the rows that point at `rebuilt` and the ids they point at (the rebuild's drop would
    null them); refuses a table whose rows would be deleted. Elsewhere the table is altered in place."""
    if connection.dialect.name != "sqlite":
        return {}
    inspector = sa.inspect(connection)
    kept: dict[_Reference, list[tuple[int, int]]] = {}
    for name in inspector.get_table_names():
        for key in inspector.get_foreign_keys(name):
            if key["referred_table"] != rebuilt:
                continue
            action = (key.get("options") or {}).get("ondelete", "")
            if action and action.upper() != "SET NULL":
                raise RuntimeError(f"rebuilding {rebuilt} would {action} the rows of {name} that point at it")
            (column,) = key["constrained_columns"]
            (primary,) = inspector.get_pk_constraint(name)["constrained_columns"]
            pointing = sa.table(name, sa.column(primary, sa.Integer), sa.column(column, sa.Integer))
            rows = connection.execute(
                sa.select(pointing.c[primary], pointing.c[column]).where(pointing.c[column].is_not(None))
            ).all()
            kept[(name, column, primary)] = [(row[0], row[1]) for row in rows]
    return kept


def _put_references_back(connection: Connection, kept: dict[_Reference, list[tuple[int, int]]]) -> None:
    for (name, column, primary), rows in kept.items():
        if not rows:
            continue
        pointing = sa.table(name, sa.column(primary, sa.Integer), sa.column(column, sa.Integer))
        connection.execute(
            sa.update(pointing)
            .where(pointing.c[primary] == sa.bindparam("row_id"))
            .values({column: sa.bindparam("target")}),
            [{"row_id": row_id, "target": target} for row_id, target in rows],
        )


def upgrade() -> None:
    connection = op.get_bind()
    for table, plain, sealed, field in _SEALED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(sealed, sa.Text(), nullable=True))
        _convert(table, plain, sealed, field=field, seal=True)
        kept = _keep_references(connection, table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(plain)
            batch_op.alter_column(sealed, existing_type=sa.Text(), nullable=False)
        _put_references_back(connection, kept)


def downgrade() -> None:
    connection = op.get_bind()
    for table, plain, sealed, field in reversed(_SEALED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(plain, _PLAIN_TYPES[plain], nullable=True))
        _convert(table, sealed, plain, field=field, seal=False)
        kept = _keep_references(connection, table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(sealed)
            batch_op.alter_column(plain, existing_type=_PLAIN_TYPES[plain], nullable=False)
        _put_references_back(connection, kept)
