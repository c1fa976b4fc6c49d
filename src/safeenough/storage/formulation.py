"""The client map, its history, relational patterns, enactments and dismissed suggestions.

Every piece of free text (entry text, quotes, notes, the parts of a pattern and its examples) is sealed
with the field cipher; the column name is bound in, so a value copied into another column fails to open.
An entry's domain is sealed too (which part of a client's life it is about says much on its own), so the
map is grouped by domain in Python, after opening: no query filters or groups on it.

Entries are never deleted by safeenough: one removed from the map keeps its row (`removed_at`) and its
history, and can be put back.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, Row, and_, delete, insert, select, update

from safeenough.domain.formulation import (
    ChangeAction,
    EntryChange,
    EpistemicStatus,
    FormulationDomain,
    FormulationEntry,
    Provenance,
    ProvenanceKind,
    RemovedEntry,
)
from safeenough.domain.relational_pattern import Enactment, EnactmentStatus, RelationalPattern
from safeenough.storage.database import as_utc
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import (
    clients,
    clinicians,
    dismissed_suggestions,
    enactments,
    formulation_changes,
    formulation_entries,
    relational_patterns,
)

FORMULATION_SUGGESTION = "formulation"
ENACTMENT_CANDIDATE = "enactment"
REPORT_SUGGESTION = "report"
"""A suggested check-in on a session report; its turn is the moment's, or OPENING_TURN."""
OPENING_TURN = -1


class FormulationRepository:
    """Entries of client maps (and couples' shared maps) and each entry's history."""

    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add(
        self,
        *,
        case_id: int,
        client_id: int | None,
        domain: FormulationDomain,
        text: str,
        status: EpistemicStatus,
        provenance: Provenance,
        actor_id: int | None,
        at: datetime | None = None,
    ) -> FormulationEntry:
        """Store a new entry and the first step of its history (its creation)."""
        now = at or datetime.now(UTC)
        entry_id = self.connection.execute(
            insert(formulation_entries)
            .values(
                case_id=case_id,
                client_id=client_id,
                domain_sealed=self.cipher.seal(domain.value, field="formulation_entries.domain"),
                text_sealed=self.cipher.seal(text, field="formulation_entries.text"),
                status=status.value,
                provenance_kind=provenance.kind.value,
                source_session_id=provenance.session_id,
                source_turn_index=provenance.turn_index,
                source_check_in_id=provenance.check_in_id,
                quote_sealed=self.cipher.seal_optional(provenance.quote, field="formulation_entries.quote"),
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
            )
            .returning(formulation_entries.c.id)
        ).scalar_one()
        self._add_change(entry_id, now, actor_id, None, status, None, text, None, ChangeAction.CREATED)
        entry = self.get(entry_id)
        assert entry is not None
        return entry

    def case_of_client(self, client_id: int) -> int | None:
        """The case a client belongs to (None: no such client)."""
        found = self.connection.execute(
            select(clients.c.case_id).where(clients.c.id == client_id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def get(self, entry_id: int) -> FormulationEntry | None:
        """The entry, on the map or removed from it (see `FormulationEntry.is_removed`)."""
        row = self.connection.execute(
            select(formulation_entries).where(formulation_entries.c.id == entry_id)
        ).one_or_none()
        return None if row is None else self._entry(row)

    def for_case(self, case_id: int, *, include_removed: bool = False) -> list[FormulationEntry]:
        """Every entry on the case's maps (each client's and the shared ones), oldest first; with
        `include_removed`, those taken off the maps too."""
        query = select(formulation_entries).where(formulation_entries.c.case_id == case_id)
        if not include_removed:
            query = query.where(formulation_entries.c.removed_at.is_(None))
        rows = self.connection.execute(
            query.order_by(formulation_entries.c.created_at, formulation_entries.c.id)
        )
        return [self._entry(row) for row in rows]

    def removed(self, case_id: int, client_id: int | None) -> list[RemovedEntry]:
        """The entries taken off one map of the case (a client's; `client_id` None: the shared map), the
        latest removed first, each with its remover's name and reason, in one query."""
        reason = (
            select(formulation_changes.c.note_sealed)
            .where(
                formulation_changes.c.entry_id == formulation_entries.c.id,
                formulation_changes.c.action == ChangeAction.REMOVED.value,
            )
            .order_by(formulation_changes.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        whose = (
            formulation_entries.c.client_id.is_(None)
            if client_id is None
            else formulation_entries.c.client_id == client_id
        )
        rows = self.connection.execute(
            select(
                formulation_entries,
                clinicians.c.display_name.label("removed_by_name"),
                reason.label("reason_sealed"),
            )
            .outerjoin(clinicians, clinicians.c.id == formulation_entries.c.removed_by)
            .where(
                formulation_entries.c.case_id == case_id,
                whose,
                formulation_entries.c.removed_at.is_not(None),
            )
            .order_by(formulation_entries.c.removed_at.desc(), formulation_entries.c.id.desc())
        )
        return [
            RemovedEntry(
                self._entry(row),
                row.removed_by_name,
                self.cipher.open_optional(row.reason_sealed, field="formulation_changes.note"),
            )
            for row in rows
        ]

    def update(
        self,
        entry_id: int,
        *,
        text: str,
        status: EpistemicStatus,
        note: str | None,
        actor_id: int | None,
        at: datetime | None = None,
    ) -> FormulationEntry:
        """Change an entry's text and/or status, and add the step to its history."""
        before = self.get(entry_id)
        if before is None:
            raise LookupError(f"formulation entry {entry_id} does not exist")
        now = at or datetime.now(UTC)
        values: dict[str, object] = {
            "text_sealed": self.cipher.seal(text, field="formulation_entries.text"),
            "status": status.value,
            "updated_at": now,
            "updated_by": actor_id,
        }
        if status is not before.status:
            # The note belongs to the status it explains: a new status clears an old note.
            values["status_note_sealed"] = self.cipher.seal_optional(
                note, field="formulation_entries.status_note"
            )
        elif note is not None:
            values["status_note_sealed"] = self.cipher.seal(note, field="formulation_entries.status_note")
        self.connection.execute(
            update(formulation_entries).where(formulation_entries.c.id == entry_id).values(**values)
        )
        self._add_change(
            entry_id, now, actor_id, before.status, status, before.text, text, note, ChangeAction.EDITED
        )
        return self._required(entry_id)

    def change_source(
        self,
        entry_id: int,
        *,
        provenance: Provenance,
        status: EpistemicStatus,
        note: str | None,
        actor_id: int | None,
        at: datetime | None = None,
    ) -> FormulationEntry:
        """Point the entry at another source (another turn, or none: the therapist's), with its status
        (a "client said" entry left without a client's turn becomes a hypothesis); the step, with the
        source before and after, goes into its history."""
        before = self._required(entry_id)
        now = at or datetime.now(UTC)
        values: dict[str, object] = {
            "provenance_kind": provenance.kind.value,
            "source_session_id": provenance.session_id,
            "source_turn_index": provenance.turn_index,
            "source_check_in_id": provenance.check_in_id,
            "quote_sealed": self.cipher.seal_optional(provenance.quote, field="formulation_entries.quote"),
            "status": status.value,
            "updated_at": now,
            "updated_by": actor_id,
        }
        if status is not before.status:
            values["status_note_sealed"] = self.cipher.seal_optional(
                note, field="formulation_entries.status_note"
            )
        self.connection.execute(
            update(formulation_entries).where(formulation_entries.c.id == entry_id).values(**values)
        )
        self._add_change(
            entry_id,
            now,
            actor_id,
            before.status,
            status,
            before.text,
            before.text,
            note,
            ChangeAction.SOURCE_CHANGED,
            sources=(before.provenance, provenance),
        )
        return self._required(entry_id)

    def remove(
        self, entry_id: int, *, note: str | None, actor_id: int | None, at: datetime | None = None
    ) -> FormulationEntry:
        """Take the entry off the map. The row and its history stay; `restore` puts it back."""
        return self._take_off_or_put_back(entry_id, ChangeAction.REMOVED, note, actor_id, at)

    def restore(self, entry_id: int, *, actor_id: int | None, at: datetime | None = None) -> FormulationEntry:
        """Put a removed entry back on the map, as it was; the step goes into its history."""
        return self._take_off_or_put_back(entry_id, ChangeAction.RESTORED, None, actor_id, at)

    def _take_off_or_put_back(
        self,
        entry_id: int,
        action: ChangeAction,
        note: str | None,
        actor_id: int | None,
        at: datetime | None,
    ) -> FormulationEntry:
        before = self._required(entry_id)
        now = at or datetime.now(UTC)
        removing = action is ChangeAction.REMOVED
        self.connection.execute(
            update(formulation_entries)
            .where(formulation_entries.c.id == entry_id)
            .values(removed_at=now if removing else None, removed_by=actor_id if removing else None)
        )
        self._add_change(
            entry_id, now, actor_id, before.status, before.status, before.text, before.text, note, action
        )
        return self._required(entry_id)

    def _required(self, entry_id: int) -> FormulationEntry:
        entry = self.get(entry_id)
        if entry is None:
            raise LookupError(f"formulation entry {entry_id} does not exist")
        return entry

    def history(self, entry_id: int) -> list[EntryChange]:
        """The entry's changes, oldest (its creation) first."""
        rows = self.connection.execute(
            select(formulation_changes)
            .where(formulation_changes.c.entry_id == entry_id)
            .order_by(formulation_changes.c.id)
        )
        return [
            EntryChange(
                id=row.id,
                entry_id=row.entry_id,
                changed_at=as_utc(row.changed_at),
                changed_by=row.changed_by,
                old_status=None if row.old_status is None else EpistemicStatus(row.old_status),
                new_status=EpistemicStatus(row.new_status),
                old_text=self.cipher.open_optional(row.old_text_sealed, field="formulation_changes.old_text"),
                new_text=self.cipher.open(row.new_text_sealed, field="formulation_changes.new_text"),
                note=self.cipher.open_optional(row.note_sealed, field="formulation_changes.note"),
                action=ChangeAction(row.action),
                old_source=self._source(row.old_source_sealed, "formulation_changes.old_source"),
                new_source=self._source(row.new_source_sealed, "formulation_changes.new_source"),
            )
            for row in rows
        ]

    def _source(self, sealed: str | None, field: str) -> Provenance | None:
        opened = self.cipher.open_optional(sealed, field=field)
        if opened is None:
            return None
        found = json.loads(opened)
        return Provenance(
            kind=ProvenanceKind(found["kind"]),
            session_id=found["session_id"],
            turn_index=found["turn_index"],
            quote=found["quote"],
            check_in_id=found["check_in_id"],
        )

    def _sealed_source(self, provenance: Provenance, field: str) -> str:
        value = {
            "kind": provenance.kind.value,
            "session_id": provenance.session_id,
            "turn_index": provenance.turn_index,
            "quote": provenance.quote,
            "check_in_id": provenance.check_in_id,
        }
        return self.cipher.seal(json.dumps(value), field=field)

    def _add_change(
        self,
        entry_id: int,
        at: datetime,
        actor_id: int | None,
        old_status: EpistemicStatus | None,
        new_status: EpistemicStatus,
        old_text: str | None,
        new_text: str,
        note: str | None,
        action: ChangeAction,
        *,
        sources: tuple[Provenance, Provenance] | None = None,
    ) -> None:
        self.connection.execute(
            insert(formulation_changes).values(
                action=action.value,
                old_source_sealed=None
                if sources is None
                else self._sealed_source(sources[0], "formulation_changes.old_source"),
                new_source_sealed=None
                if sources is None
                else self._sealed_source(sources[1], "formulation_changes.new_source"),
                entry_id=entry_id,
                changed_at=at,
                changed_by=actor_id,
                old_status=None if old_status is None else old_status.value,
                old_text_sealed=self.cipher.seal_optional(old_text, field="formulation_changes.old_text"),
                new_status=new_status.value,
                new_text_sealed=self.cipher.seal(new_text, field="formulation_changes.new_text"),
                note_sealed=self.cipher.seal_optional(note, field="formulation_changes.note"),
            )
        )

    def _entry(self, row: Row[tuple[object, ...]]) -> FormulationEntry:
        provenance = Provenance(
            kind=ProvenanceKind(row.provenance_kind),
            session_id=row.source_session_id,
            turn_index=row.source_turn_index,
            quote=self.cipher.open_optional(row.quote_sealed, field="formulation_entries.quote"),
            check_in_id=row.source_check_in_id,
        )
        return FormulationEntry(
            id=row.id,
            case_id=row.case_id,
            client_id=row.client_id,
            domain=FormulationDomain(self.cipher.open(row.domain_sealed, field="formulation_entries.domain")),
            text=self.cipher.open(row.text_sealed, field="formulation_entries.text"),
            status=EpistemicStatus(row.status),
            provenance=provenance,
            created_at=as_utc(row.created_at),
            created_by=row.created_by,
            updated_at=as_utc(row.updated_at),
            updated_by=row.updated_by,
            status_note=self.cipher.open_optional(
                row.status_note_sealed, field="formulation_entries.status_note"
            ),
            removed_at=None if row.removed_at is None else as_utc(row.removed_at),
            removed_by=row.removed_by,
        )


@dataclass(frozen=True, slots=True)
class PatternParts:
    wish: str
    response_of_other: str
    response_of_self: str
    examples: tuple[str, ...]


class PatternRepository:
    """Relational patterns (CCRT) of clients and the moments linked to them as enactments."""

    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add(
        self, *, case_id: int, client_id: int, parts: PatternParts, actor_id: int | None
    ) -> RelationalPattern:
        now = datetime.now(UTC)
        pattern_id = self.connection.execute(
            insert(relational_patterns)
            .values(
                case_id=case_id,
                client_id=client_id,
                created_at=now,
                created_by=actor_id,
                updated_at=now,
                updated_by=actor_id,
                **self._sealed(parts),
            )
            .returning(relational_patterns.c.id)
        ).scalar_one()
        pattern = self.get(pattern_id)
        assert pattern is not None
        return pattern

    def update(self, pattern_id: int, parts: PatternParts, actor_id: int | None) -> RelationalPattern:
        self.connection.execute(
            update(relational_patterns)
            .where(relational_patterns.c.id == pattern_id)
            .values(updated_at=datetime.now(UTC), updated_by=actor_id, **self._sealed(parts))
        )
        pattern = self.get(pattern_id)
        assert pattern is not None
        return pattern

    def get(self, pattern_id: int) -> RelationalPattern | None:
        row = self.connection.execute(
            select(relational_patterns).where(relational_patterns.c.id == pattern_id)
        ).one_or_none()
        return None if row is None else self._pattern(row)

    def for_clients(self, client_ids: list[int]) -> list[RelationalPattern]:
        if not client_ids:
            return []
        rows = self.connection.execute(
            select(relational_patterns)
            .where(relational_patterns.c.client_id.in_(client_ids))
            .order_by(relational_patterns.c.id)
        )
        return [self._pattern(row) for row in rows]

    def link(
        self,
        *,
        pattern_id: int,
        session_id: int,
        turn_index: int,
        quote: str,
        marker: str,
        subtype: str | None,
        repaired: bool | None,
        note: str | None,
        actor_id: int | None,
    ) -> Enactment:
        """Link a moment to a pattern; linking a moment that was dismissed from it links it again."""
        existing = self.connection.execute(
            select(enactments.c.id).where(
                enactments.c.pattern_id == pattern_id,
                enactments.c.session_id == session_id,
                enactments.c.turn_index == turn_index,
            )
        ).scalar_one_or_none()
        values = {
            "quote_sealed": self.cipher.seal(quote, field="enactments.quote"),
            "marker": marker,
            "subtype": subtype,
            "status": EnactmentStatus.LINKED.value,
            "repaired": repaired,
            "note_sealed": self.cipher.seal_optional(note, field="enactments.note"),
            "linked_at": datetime.now(UTC),
            "linked_by": actor_id,
        }
        if existing is None:
            enactment_id = self.connection.execute(
                insert(enactments)
                .values(pattern_id=pattern_id, session_id=session_id, turn_index=turn_index, **values)
                .returning(enactments.c.id)
            ).scalar_one()
        else:
            enactment_id = existing
            self.connection.execute(update(enactments).where(enactments.c.id == existing).values(**values))
        enactment = self.enactment(enactment_id)
        assert enactment is not None
        return enactment

    def set_enactment_status(
        self, enactment_id: int, status: EnactmentStatus, note: str | None, actor_id: int | None
    ) -> None:
        self.connection.execute(
            update(enactments)
            .where(enactments.c.id == enactment_id)
            .values(
                status=status.value,
                note_sealed=self.cipher.seal_optional(note, field="enactments.note"),
                linked_at=datetime.now(UTC),
                linked_by=actor_id,
            )
        )

    def enactment(self, enactment_id: int) -> Enactment | None:
        row = self.connection.execute(select(enactments).where(enactments.c.id == enactment_id)).one_or_none()
        return None if row is None else self._enactment(row)

    def enactments(self, pattern_ids: list[int]) -> list[Enactment]:
        """Enactments of these patterns (linked and dismissed), in order of linking."""
        if not pattern_ids:
            return []
        rows = self.connection.execute(
            select(enactments).where(enactments.c.pattern_id.in_(pattern_ids)).order_by(enactments.c.id)
        )
        return [self._enactment(row) for row in rows]

    def _sealed(self, parts: PatternParts) -> dict[str, str]:
        return {
            "wish_sealed": self.cipher.seal(parts.wish, field="relational_patterns.wish"),
            "response_of_other_sealed": self.cipher.seal(
                parts.response_of_other, field="relational_patterns.response_of_other"
            ),
            "response_of_self_sealed": self.cipher.seal(
                parts.response_of_self, field="relational_patterns.response_of_self"
            ),
            "examples_sealed": self.cipher.seal(
                json.dumps(list(parts.examples)), field="relational_patterns.examples"
            ),
        }

    def _pattern(self, row: Row[tuple[object, ...]]) -> RelationalPattern:
        examples: list[str] = json.loads(
            self.cipher.open(row.examples_sealed, field="relational_patterns.examples")
        )
        return RelationalPattern(
            id=row.id,
            case_id=row.case_id,
            client_id=row.client_id,
            wish=self.cipher.open(row.wish_sealed, field="relational_patterns.wish"),
            response_of_other=self.cipher.open(
                row.response_of_other_sealed, field="relational_patterns.response_of_other"
            ),
            response_of_self=self.cipher.open(
                row.response_of_self_sealed, field="relational_patterns.response_of_self"
            ),
            examples=tuple(examples),
            created_at=as_utc(row.created_at),
            created_by=row.created_by,
            updated_at=as_utc(row.updated_at),
            updated_by=row.updated_by,
        )

    def _enactment(self, row: Row[tuple[object, ...]]) -> Enactment:
        return Enactment(
            id=row.id,
            pattern_id=row.pattern_id,
            session_id=row.session_id,
            turn_index=row.turn_index,
            quote=self.cipher.open(row.quote_sealed, field="enactments.quote"),
            marker=row.marker,
            subtype=row.subtype,
            status=EnactmentStatus(row.status),
            repaired=row.repaired,
            linked_at=as_utc(row.linked_at),
            linked_by=row.linked_by,
            note=self.cipher.open_optional(row.note_sealed, field="enactments.note"),
        )


_DISMISSAL_DOMAIN = "dismissed_suggestions.domain"


@dataclass(frozen=True, slots=True)
class Dismissal:
    kind: str
    client_id: int | None
    session_id: int
    turn_index: int
    domain: str | None


def _the_dismissals(
    kind: str, case_id: int, client_id: int | None, session_id: int, turn_index: int
) -> ColumnElement[bool]:
    """The dismissals of one suggestion of a turn, whatever their (sealed) domain."""
    return and_(
        dismissed_suggestions.c.kind == kind,
        dismissed_suggestions.c.case_id == case_id,
        dismissed_suggestions.c.session_id == session_id,
        dismissed_suggestions.c.turn_index == turn_index,
        dismissed_suggestions.c.client_id.is_(None)
        if client_id is None
        else dismissed_suggestions.c.client_id == client_id,
    )


class DismissalRepository:
    """Suggestions and candidates the therapist dismissed, so they are not offered again."""

    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def _domain(self, sealed: str | None) -> str | None:
        return self.cipher.open_optional(sealed, field=_DISMISSAL_DOMAIN)

    def _same(
        self,
        kind: str,
        case_id: int,
        client_id: int | None,
        session_id: int,
        turn_index: int,
        domain: str | None,
    ) -> list[int]:
        """The ids of the dismissals of exactly this suggestion (the domain is sealed: compared opened)."""
        rows = self.connection.execute(
            select(dismissed_suggestions.c.id, dismissed_suggestions.c.domain_sealed).where(
                _the_dismissals(kind, case_id, client_id, session_id, turn_index)
            )
        )
        return [row.id for row in rows if self._domain(row.domain_sealed) == domain]

    def dismiss(
        self,
        *,
        kind: str,
        case_id: int,
        client_id: int | None,
        session_id: int,
        turn_index: int,
        domain: str | None,
        actor_id: int | None,
    ) -> None:
        """Record a dismissal (dismissing the same thing twice stores it once)."""
        if kind not in (FORMULATION_SUGGESTION, ENACTMENT_CANDIDATE, REPORT_SUGGESTION):
            raise ValueError(f"unknown kind of dismissal {kind!r}")
        if self._same(kind, case_id, client_id, session_id, turn_index, domain):
            return
        self.connection.execute(
            insert(dismissed_suggestions).values(
                case_id=case_id,
                kind=kind,
                client_id=client_id,
                session_id=session_id,
                turn_index=turn_index,
                domain_sealed=self.cipher.seal_optional(domain, field=_DISMISSAL_DOMAIN),
                dismissed_at=datetime.now(UTC),
                dismissed_by=actor_id,
            )
        )

    def for_case(self, case_id: int, kind: str) -> list[Dismissal]:
        return self._dismissals(dismissed_suggestions.c.case_id == case_id, kind)

    def for_session(self, session_id: int, kind: str) -> list[Dismissal]:
        return self._dismissals(dismissed_suggestions.c.session_id == session_id, kind)

    def _dismissals(self, where: ColumnElement[bool], kind: str) -> list[Dismissal]:
        rows = self.connection.execute(
            select(dismissed_suggestions)
            .where(where, dismissed_suggestions.c.kind == kind)
            .order_by(dismissed_suggestions.c.id)
        )
        return [
            Dismissal(
                row.kind, row.client_id, row.session_id, row.turn_index, self._domain(row.domain_sealed)
            )
            for row in rows
        ]

    def restore(
        self,
        *,
        kind: str,
        case_id: int,
        client_id: int | None,
        session_id: int,
        turn_index: int,
        domain: str | None,
    ) -> int:
        """Offer again the one thing dismissed (an undo); returns how many dismissals went (0 or 1)."""
        same = self._same(kind, case_id, client_id, session_id, turn_index, domain)
        if not same:
            return 0
        return int(
            self.connection.execute(
                delete(dismissed_suggestions).where(dismissed_suggestions.c.id.in_(same))
            ).rowcount
        )

    def undismiss(self, session_id: int, kind: str, turn_index: int | None = None) -> int:
        """Offer again what was dismissed in a session (one turn's, or all of that kind); returns how many."""
        condition = and_(
            dismissed_suggestions.c.session_id == session_id, dismissed_suggestions.c.kind == kind
        )
        if turn_index is not None:
            condition = and_(condition, dismissed_suggestions.c.turn_index == turn_index)
        return int(self.connection.execute(delete(dismissed_suggestions).where(condition)).rowcount)
