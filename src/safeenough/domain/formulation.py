"""The client map: what we know about this client, kept apart from what we only assume.

A formulation entry sits in one domain (values, family and history, …) and carries an epistemic status:
the client said it, the therapist hypothesises it, or the therapist checked it with the client and it
was confirmed or disconfirmed. Its provenance says where it came from (a session turn with the quoted
words, a check-in answer, or the therapist). Every change is kept as an `EntryChange`, so the history
shows who changed what and when: its text, its status, the turn it quotes, its removal from the map. An
entry removed (added by mistake) is kept with its history, marked removed (`removed_at`), and can be put
back; the map does not show it. Curiosity builds safety: a hypothesis is a question to ask, not a fact
(see DOMAIN.md §1 and §7).

An entry belongs to one client (`client_id`), or to a couple's or family's shared map (`client_id` None,
`case_id` set).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from safeenough.domain.validation import DomainError, require_text

ENTRY_TEXT_MAX = 2000
QUOTE_MAX = 4000
NOTE_MAX = 2000


class FormulationDomain(StrEnum):
    """The domains of the client map, in the order the map shows them."""

    PRESENTING_CONCERNS = "presenting_concerns"
    GOALS = "goals"
    VALUES = "values"
    RELATIONSHIPS = "relationships"
    FAMILY_HISTORY = "family_history"
    CULTURE_IDENTITY = "culture_identity"
    STRENGTHS_RESOURCES = "strengths_resources"
    SAFETY_MEANING = "safety_meaning"
    PAST_HELP = "past_help"

    @property
    def label(self) -> str:
        return _DOMAIN_LABELS[self]


_DOMAIN_LABELS = {
    FormulationDomain.PRESENTING_CONCERNS: "Presenting concerns",
    FormulationDomain.GOALS: "Goals",
    FormulationDomain.VALUES: "Values",
    FormulationDomain.RELATIONSHIPS: "Relationships",
    FormulationDomain.FAMILY_HISTORY: "Family and history",
    FormulationDomain.CULTURE_IDENTITY: "Culture and identity",
    FormulationDomain.STRENGTHS_RESOURCES: "Strengths and resources",
    FormulationDomain.SAFETY_MEANING: "What safety means to them",
    FormulationDomain.PAST_HELP: "Earlier experiences of help",
}


class EpistemicStatus(StrEnum):
    CLIENT_SAID = "client_said"
    THERAPIST_HYPOTHESIS = "therapist_hypothesis"
    CHECKED_CONFIRMED = "checked_confirmed"
    CHECKED_DISCONFIRMED = "checked_disconfirmed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_hypothesis(self) -> bool:
        """Still an assumption: not yet checked with the client."""
        return self is EpistemicStatus.THERAPIST_HYPOTHESIS

    @property
    def client_spoke(self) -> bool:
        """The client has spoken to it in their own words (said it, or answered when it was checked)."""
        return self is not EpistemicStatus.THERAPIST_HYPOTHESIS


_STATUS_LABELS = {
    EpistemicStatus.CLIENT_SAID: "Client said",
    EpistemicStatus.THERAPIST_HYPOTHESIS: "Therapist's hypothesis",
    EpistemicStatus.CHECKED_CONFIRMED: "Checked: confirmed",
    EpistemicStatus.CHECKED_DISCONFIRMED: "Checked: disconfirmed",
}


class ProvenanceKind(StrEnum):
    SESSION_TURN = "session_turn"
    CHECKIN_ANSWER = "checkin_answer"
    THERAPIST = "therapist"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an entry came from.

    - session_turn: a turn of a session's transcript (`turn_index`, with the quoted words). `session_id`
      is None only when that session has since been removed;
    - checkin_answer: a check-in's free-text answer (`check_in_id`, optionally the quote). `check_in_id` is
      None only when the link was lost (a SQLite database upgraded through migration 0007 before it was
      fixed, where 0012 could not tell which check-in was meant): the entry keeps its quote. A new entry
      must name a check-in of its case (the facade checks);
    - therapist: written by the therapist (no source to point to).
    """

    kind: ProvenanceKind
    session_id: int | None = None
    turn_index: int | None = None
    quote: str | None = None
    check_in_id: int | None = None

    def __post_init__(self) -> None:
        if self.quote is not None:
            quote = self.quote.strip()
            if len(quote) > QUOTE_MAX:
                raise DomainError(f"a quote must be at most {QUOTE_MAX} characters (got {len(quote)})")
            object.__setattr__(self, "quote", quote or None)
        if self.kind is ProvenanceKind.SESSION_TURN:
            if self.turn_index is None or self.turn_index < 0:
                raise DomainError("a session-turn provenance needs the turn index (0 or more)")
            if self.check_in_id is not None:
                raise DomainError("a session-turn provenance cannot also point to a check-in")
        elif self.kind is ProvenanceKind.CHECKIN_ANSWER:
            if self.session_id is not None or self.turn_index is not None:
                raise DomainError("a check-in provenance cannot also point to a session turn")
        elif any(
            value is not None for value in (self.session_id, self.turn_index, self.quote, self.check_in_id)
        ):
            raise DomainError("a therapist provenance has no session, turn, quote or check-in")

    @classmethod
    def therapist(cls) -> "Provenance":
        return cls(ProvenanceKind.THERAPIST)

    @classmethod
    def session_turn(cls, session_id: int, turn_index: int, quote: str | None = None) -> "Provenance":
        return cls(ProvenanceKind.SESSION_TURN, session_id=session_id, turn_index=turn_index, quote=quote)

    @classmethod
    def checkin_answer(cls, check_in_id: int, quote: str | None = None) -> "Provenance":
        return cls(ProvenanceKind.CHECKIN_ANSWER, check_in_id=check_in_id, quote=quote)


def clean_note(note: str | None) -> str | None:
    """A note as stored: stripped, None when empty, refused when too long."""
    if note is None or not note.strip():
        return None
    cleaned = note.strip()
    if len(cleaned) > NOTE_MAX:
        raise DomainError(f"a note must be at most {NOTE_MAX} characters (got {len(cleaned)})")
    return cleaned


@dataclass(frozen=True, slots=True)
class FormulationEntry:
    id: int
    case_id: int
    client_id: int | None
    """None: the entry belongs to the case's shared map (a couple's or family's)."""
    domain: FormulationDomain
    text: str
    status: EpistemicStatus
    provenance: Provenance
    created_at: datetime
    created_by: int | None
    updated_at: datetime
    updated_by: int | None
    status_note: str | None = None
    removed_at: datetime | None = None
    """When it was taken off the map (None: it is on the map). Kept, with its history, so it can be put
    back and the record of what was once noted stays whole."""
    removed_by: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", require_text(self.text, "entry text", max_length=ENTRY_TEXT_MAX))
        object.__setattr__(self, "status_note", clean_note(self.status_note))
        if self.updated_at < self.created_at:
            raise DomainError("an entry cannot be updated before it was created")
        if self.removed_at is not None and self.removed_at < self.created_at:
            raise DomainError("an entry cannot be removed before it was created")
        if self.removed_at is None and self.removed_by is not None:
            raise DomainError("an entry on the map has no one who removed it")

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_shared(self) -> bool:
        return self.client_id is None

    @property
    def is_open_hypothesis(self) -> bool:
        return self.status.is_hypothesis


@dataclass(frozen=True, slots=True)
class RemovedEntry:
    """An entry taken off a map, with the name of who took it off (None: that account is gone) and the
    reason given then (the note of its latest removal), if any."""

    entry: FormulationEntry
    removed_by_name: str | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if not self.entry.is_removed:
            raise DomainError("a removed entry must have been removed from the map")


class ChangeAction(StrEnum):
    """What a step of an entry's history did."""

    CREATED = "created"
    EDITED = "edited"
    """Its text or status changed, or a note was added."""
    SOURCE_CHANGED = "source_changed"
    """It quotes another turn, or no longer quotes one (and may have become a hypothesis)."""
    REMOVED = "removed"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One step of an entry's history. The first step is its creation (`old_status` and `old_text` None).

    `action` says what the step did (told from the statuses when not given: a creation or an edit);
    a change of source keeps the source before and after (`old_source`, `new_source`).
    """

    id: int
    entry_id: int
    changed_at: datetime
    changed_by: int | None
    old_status: EpistemicStatus | None
    new_status: EpistemicStatus
    old_text: str | None
    new_text: str
    note: str | None = None
    action: ChangeAction | None = None
    old_source: Provenance | None = None
    new_source: Provenance | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "note", clean_note(self.note))
        if self.action is None:
            derived = ChangeAction.CREATED if self.old_status is None else ChangeAction.EDITED
            object.__setattr__(self, "action", derived)
        if self.old_status is None and self.old_text is not None:
            raise DomainError("a creation step has neither an old status nor an old text")
        if (self.old_status is None) != (self.action is ChangeAction.CREATED):
            raise DomainError("only the creation step has no old status")
        if self.action is ChangeAction.SOURCE_CHANGED and (
            self.old_source is None or self.new_source is None
        ):
            raise DomainError("a change of source keeps the source before and after")

    @property
    def is_creation(self) -> bool:
        return self.action is ChangeAction.CREATED

    @property
    def is_removal(self) -> bool:
        return self.action is ChangeAction.REMOVED

    @property
    def is_restoration(self) -> bool:
        return self.action is ChangeAction.RESTORED

    @property
    def source_changed(self) -> bool:
        return self.action is ChangeAction.SOURCE_CHANGED

    @property
    def status_changed(self) -> bool:
        return self.old_status is not None and self.old_status is not self.new_status

    @property
    def text_changed(self) -> bool:
        return self.old_text is not None and self.old_text != self.new_text


@dataclass(frozen=True, slots=True)
class MapCoverage:
    """Which domains hold at least one entry."""

    explored: tuple[FormulationDomain, ...]

    @property
    def unexplored(self) -> tuple[FormulationDomain, ...]:
        return tuple(domain for domain in FormulationDomain if domain not in self.explored)

    @property
    def total(self) -> int:
        return len(FormulationDomain)

    @property
    def fraction(self) -> float:
        return len(self.explored) / self.total

    @classmethod
    def of(cls, entries: "tuple[FormulationEntry, ...] | list[FormulationEntry]") -> "MapCoverage":
        present = {entry.domain for entry in entries if not entry.is_removed}
        return cls(tuple(domain for domain in FormulationDomain if domain in present))
