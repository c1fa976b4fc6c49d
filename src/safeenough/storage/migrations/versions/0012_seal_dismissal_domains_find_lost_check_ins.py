"""dismissed suggestions: domain sealed at rest; map entries' lost links to check-ins found again

`dismissed_suggestions.domain` said in the clear which part of a client's life a dismissed suggestion was
about ("safety_meaning" for a session's turn), as `formulation_entries.domain` did before 0011. It is now
sealed (`domain_sealed`); dismissals are matched by opening it, not in SQL.

Until 0007 was fixed, upgrading a SQLite database through it nulled `formulation_entries.source_check_in_id`
of every map entry quoting a check-in answer (the rebuild of `checkins` dropped the old copy, and the foreign
key is ON DELETE SET NULL). Such an entry kept its text, status and quote, but not which check-in it came
from. This upgrade finds the check-in again where only one can be meant: a check-in of the entry's client
(any client of the case for a shared entry), submitted before the entry was written, whose free-text answer
contains the quote (or, for an entry without a quote, the only such check-in with a free-text answer).
Entries it cannot tell stay without the link; they still show their quote. Downgrading keeps the links.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from safeenough.errors import KeyMissing
from safeenough.storage.encryption import FieldCipher

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELD = "dismissed_suggestions.domain"
_DISMISSALS = sa.table(
    "dismissed_suggestions",
    sa.column("id", sa.Integer),
    sa.column("domain", sa.String),
    sa.column("domain_sealed", sa.Text),
)
_ENTRIES = sa.table(
    "formulation_entries",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("client_id", sa.Integer),
    sa.column("provenance_kind", sa.String),
    sa.column("source_check_in_id", sa.Integer),
    sa.column("quote_sealed", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_CHECKINS = sa.table(
    "checkins",
    sa.column("id", sa.Integer),
    sa.column("client_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("free_text_sealed", sa.Text),
)
_CLIENTS = sa.table("clients", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer))


def _cipher() -> FieldCipher:
    cipher = context.config.attributes.get("cipher")
    if not isinstance(cipher, FieldCipher):
        raise KeyMissing(
            "This database holds dismissed suggestions or client map entries, and this migration seals or "
            "opens them with the practice's key, but no key was given to the migration. Run `safeenough "
            "migrate` with SAFEENOUGH_SECRET_KEY_FILE pointing at the database's key file."
        )
    return cipher


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _find_lost_check_ins(
    connection: Connection, cipher: FieldCipher, lost: Sequence[sa.Row[tuple[object, ...]]]
) -> None:
    found = []
    for entry in lost:
        candidates = connection.execute(
            sa.select(
                _CHECKINS.c.id, _CHECKINS.c.client_id, _CHECKINS.c.submitted_at, _CHECKINS.c.free_text_sealed
            )
            .join(_CLIENTS, _CLIENTS.c.id == _CHECKINS.c.client_id)
            .where(_CLIENTS.c.case_id == entry.case_id, _CHECKINS.c.free_text_sealed.is_not(None))
        ).all()
        quote = cipher.open_optional(entry.quote_sealed, field="formulation_entries.quote")
        matching = [
            candidate.id
            for candidate in candidates
            if (entry.client_id is None or candidate.client_id == entry.client_id)
            and _utc(candidate.submitted_at) <= _utc(entry.created_at)
            and (
                quote is None
                or _words(quote)
                in _words(cipher.open(candidate.free_text_sealed, field="checkins.free_text"))
            )
        ]
        if len(matching) == 1:
            found.append({"row_id": entry.id, "check_in": matching[0]})
    if found:
        connection.execute(
            sa.update(_ENTRIES)
            .where(_ENTRIES.c.id == sa.bindparam("row_id"))
            .values(source_check_in_id=sa.bindparam("check_in")),
            found,
        )


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_DISMISSALS.c.id, _DISMISSALS.c.domain).where(_DISMISSALS.c.domain.is_not(None))
    ).all()
    lost = connection.execute(
        sa.select(_ENTRIES).where(
            _ENTRIES.c.provenance_kind == "checkin_answer", _ENTRIES.c.source_check_in_id.is_(None)
        )
    ).all()
    cipher = _cipher() if rows or lost else None  # before anything changes: no key, no change

    op.add_column("dismissed_suggestions", sa.Column("domain_sealed", sa.Text(), nullable=True))
    if cipher is not None and rows:
        connection.execute(
            sa.update(_DISMISSALS)
            .where(_DISMISSALS.c.id == sa.bindparam("row_id"))
            .values(domain_sealed=sa.bindparam("sealed")),
            [{"row_id": row.id, "sealed": cipher.seal(row.domain, field=_FIELD)} for row in rows],
        )
    # Nothing points at dismissed_suggestions: SQLite may rebuild it.
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.drop_column("domain")
    if cipher is not None and lost:
        _find_lost_check_ins(connection, cipher, lost)


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_DISMISSALS.c.id, _DISMISSALS.c.domain_sealed).where(
            _DISMISSALS.c.domain_sealed.is_not(None)
        )
    ).all()
    cipher = _cipher() if rows else None

    op.add_column("dismissed_suggestions", sa.Column("domain", sa.String(32), nullable=True))
    if cipher is not None:
        connection.execute(
            sa.update(_DISMISSALS)
            .where(_DISMISSALS.c.id == sa.bindparam("row_id"))
            .values(domain=sa.bindparam("plain")),
            [{"row_id": row.id, "plain": cipher.open(row.domain_sealed, field=_FIELD)} for row in rows],
        )
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.drop_column("domain_sealed")
