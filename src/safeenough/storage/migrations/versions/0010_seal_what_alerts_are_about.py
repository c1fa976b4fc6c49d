"""what an alert is about sealed at rest; its fingerprint a keyed hash

The alerts row kept its kind, severity, client ids, instrument and item in the clear, and a fingerprint
spelling them out ("low_item|4|17|phq-9|9"): read without the key, the database said which client
endorsed PHQ-9 item 9 (thoughts of self-harm) at which session. Those five now live in one sealed JSON
value (`about_sealed`), and the fingerprint is an HMAC-SHA256 of what it spelled out, under a key derived
from the practice's key, so it still makes each alert unique. No query filters on the five (the caseload
counts open alerts by status, which stays readable).

The new column is added in place; the batch step (on SQLite a copy of the table) is safe for `alerts`,
which no other table points at.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 15:00:00
"""

import hashlib
import hmac
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from safeenough.errors import KeyMissing
from safeenough.storage.encryption import FieldCipher

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `safeenough.storage.alerts` derives and uses it (copied, so this migration does not change with it).
_FINGERPRINT_PURPOSE = "alerts-fingerprint"
_FIELD = "alerts.about"
# The columns that move into `about_sealed`, with their types as schema 0009 had them.
_PLAIN = (
    sa.Column("client_ids", sa.String(100), nullable=False),
    sa.Column("instrument_id", sa.String(64), nullable=True),
    sa.Column("item_id", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
)
_ALERTS = sa.table(
    "alerts",
    sa.column("id", sa.Integer),
    sa.column("session_id", sa.Integer),
    sa.column("fingerprint", sa.String),
    sa.column("about_sealed", sa.Text),
    *(sa.column(column.name, column.type) for column in _PLAIN),
)


def _cipher() -> FieldCipher:
    cipher = context.config.attributes.get("cipher")
    if not isinstance(cipher, FieldCipher):
        raise KeyMissing(
            "This database holds alerts, and this upgrade seals what they are about with the practice's "
            "key, but no key was given to the migration. Run `safeenough migrate` with "
            "SAFEENOUGH_SECRET_KEY_FILE pointing at the database's key file."
        )
    return cipher


def _fingerprint(identity: str, secret: bytes) -> str:
    return hmac.new(secret, identity.encode("utf-8"), hashlib.sha256).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_ALERTS.c.id, _ALERTS.c.fingerprint, *(_ALERTS.c[column.name] for column in _PLAIN))
    ).all()
    cipher = _cipher() if rows else None  # before anything changes: no key, no change
    op.add_column("alerts", sa.Column("about_sealed", sa.Text(), nullable=True))
    if cipher is not None:
        secret = cipher.derive_secret(_FINGERPRINT_PURPOSE)
        changes = []
        for row in rows:
            about = {
                "kind": row.kind,
                "severity": row.severity,
                "client_ids": [int(part) for part in row.client_ids.split(",")],
                "instrument_id": row.instrument_id,
                "item_id": row.item_id,
            }
            changes.append(
                {
                    "row_id": row.id,
                    "new_fingerprint": _fingerprint(row.fingerprint, secret),
                    "new_about": cipher.seal(json.dumps(about), field=_FIELD),
                }
            )
        connection.execute(
            sa.update(_ALERTS)
            .where(_ALERTS.c.id == sa.bindparam("row_id"))
            .values(fingerprint=sa.bindparam("new_fingerprint"), about_sealed=sa.bindparam("new_about")),
            changes,
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("about_sealed", existing_type=sa.Text(), nullable=False)
        for column in _PLAIN:
            batch_op.drop_column(column.name)


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_ALERTS.c.id, _ALERTS.c.session_id, _ALERTS.c.about_sealed)).all()
    cipher = _cipher() if rows else None
    for column in _PLAIN:
        op.add_column("alerts", sa.Column(column.name, column.type, nullable=True))
    if cipher is not None:
        changes = []
        for row in rows:
            about = json.loads(cipher.open(row.about_sealed, field=_FIELD))
            clients = ",".join(str(client_id) for client_id in about["client_ids"])
            identity = (
                f"{about['kind']}|{clients}|{row.session_id}|"
                f"{about['instrument_id'] or ''}|{about['item_id'] or ''}"
            )
            changes.append(
                {
                    "row_id": row.id,
                    "new_fingerprint": identity,
                    "new_client_ids": clients,
                    "new_instrument_id": about["instrument_id"],
                    "new_item_id": about["item_id"],
                    "new_kind": about["kind"],
                    "new_severity": about["severity"],
                }
            )
        connection.execute(
            sa.update(_ALERTS)
            .where(_ALERTS.c.id == sa.bindparam("row_id"))
            .values(
                fingerprint=sa.bindparam("new_fingerprint"),
                **{column.name: sa.bindparam(f"new_{column.name}") for column in _PLAIN},
            ),
            changes,
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for column in _PLAIN:
            if not column.nullable:
                batch_op.alter_column(column.name, existing_type=column.type, nullable=False)
        batch_op.drop_column("about_sealed")
