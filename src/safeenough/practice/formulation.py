"""Knowing the client: the client map, curiosity prompts, transcript suggestions, relational patterns,
couples' shared maps and the supervision summary.

Access follows the case: the owner reads and writes; the owner's supervisor reads (writes raise
PermissionDenied); anyone else gets NotFound; an admin never sees any of it. Every read and write is
audited in the same transaction.

Speakers and clients: a transcript names speakers, not clients. In an individual case every client turn
is the client's. In a couple or family case a speaker is matched to the client who shares a word of
their display name ("Priya" → Priya Reyes); a speaker matching no one (or several) is left unassigned:
their moments are offered for every client of the case, and accepting their suggestion needs the
client named. A matched speaker's words go only on that client's map and patterns, whatever client a
request names: one partner's words never become the other's.

Whose words: a suggestion accepted in the client's own words (the turn, or a part of it) is stored as
something the client said; reworded, it is the therapist's hypothesis, with the turn kept as its source.
A "client said" entry can be pointed at another of the client's turns, or, when no turn says it, become
the therapist's hypothesis without a quote; the change is in its history.

Removing an entry (added by mistake) takes it off the map but keeps it, with its history: a clinical
record keeps what was once written in it, and the removal can be undone (`restore_entry`).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from safeenough.analysis import keys
from safeenough.analysis.formulation import matched_cues
from safeenough.analysis.relational import RelationalSummary, relational_summary_from
from safeenough.domain.alert import Alert
from safeenough.domain.alert_record import AlertRecord
from safeenough.domain.annotation import AnnotationSet
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case, CaseKind
from safeenough.domain.client import Client
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import SpeakerRole, Turn
from safeenough.domain.formulation import (
    ENTRY_TEXT_MAX,
    QUOTE_MAX,
    EntryChange,
    EpistemicStatus,
    FormulationDomain,
    FormulationEntry,
    MapCoverage,
    Provenance,
    ProvenanceKind,
    RemovedEntry,
    clean_note,
)
from safeenough.domain.instrument import InstrumentKind
from safeenough.domain.relational_pattern import (
    ANTICIPATED_JUDGEMENT,
    PART_MAX,
    Enactment,
    EnactmentCandidate,
    EnactmentStatus,
    RelationalPattern,
    clean_examples,
)
from safeenough.domain.session import Session
from safeenough.domain.supervision import (
    AllianceTrend,
    MapSummary,
    OpenAlert,
    OpenHypothesis,
    SessionRuptureRepair,
    SupervisionSummary,
)
from safeenough.domain.validation import DomainError, require_text
from safeenough.errors import InvalidInput, NotFound
from safeenough.instruments.catalogue import Catalogue
from safeenough.practice.checkins import CheckInsMixin, ClientTrack, PracticeTrajectories
from safeenough.stats.curiosity import (
    RECENT_SESSIONS,
    UNTESTED_AFTER_SESSIONS,
    AssumingTurn,
    CuriosityPrompt,
    DomainClassifier,
    SharedGoals,
    curiosity_prompts,
    keyword_domains,
    sessions_since,
    shared_goals,
    stated_goals,
)
from safeenough.storage.formulation import ENACTMENT_CANDIDATE, FORMULATION_SUGGESTION, PatternParts
from safeenough.storage.store import UnitOfWork
from safeenough.storage.transcripts import StoredTranscript

BatchDomainClassifier = Callable[[list[str]], list[list[tuple[str, float]]]]
"""Texts → for each text, (domain value, confidence) pairs: `analysis.formulation.classify_domains`."""

MIN_SUGGESTION_CONFIDENCE = 0.5
"""A client turn is offered for a domain when the classifier's confidence is at least this."""
MAX_DOMAINS_PER_TURN = 2
MIN_SUGGESTION_WORDS = 4
"""Shorter client turns ("Yes.", "I guess so.") say too little to go on the map."""
ENACTMENT_SUBTYPES = frozenset({"defends_self", "complaint_therapist"})
"""Rupture subtypes offered as possible enactments, besides anticipated judgement (DOMAIN.md §7)."""


def default_domain_classifier() -> BatchDomainClassifier:
    """`analysis.formulation.classify_domains`, imported when first needed (it loads a model)."""
    from safeenough.analysis.formulation import classify_domains

    return classify_domains


@dataclass(frozen=True, slots=True)
class DomainSection:
    domain: FormulationDomain
    entries: tuple[FormulationEntry, ...]


@dataclass(frozen=True, slots=True)
class PatternView:
    pattern: RelationalPattern
    enactments: tuple[Enactment, ...]
    """Linked enactments, oldest session first."""

    @property
    def repaired_count(self) -> int:
        return sum(enactment.repaired is True for enactment in self.enactments)


@dataclass(frozen=True, slots=True)
class ClientMap:
    case: Case
    client: Client
    read_only: bool
    sections: tuple[DomainSection, ...]
    """Every domain, in the map's order, with its entries (possibly none)."""
    coverage: MapCoverage
    open_hypotheses: tuple[FormulationEntry, ...]
    prompts: tuple[CuriosityPrompt, ...]
    patterns: tuple[PatternView, ...]

    @property
    def entries(self) -> tuple[FormulationEntry, ...]:
        return tuple(entry for section in self.sections for entry in section.entries)


@dataclass(frozen=True, slots=True)
class SharedMap:
    """A couple's (or family's) maps side by side, with what they share."""

    case: Case
    read_only: bool
    partners: tuple[ClientMap, ...]
    shared_entries: tuple[FormulationEntry, ...]
    """Entries of the case's shared map (about the couple, not one partner)."""
    goals: SharedGoals | None
    """Where two partners' stated goals agree and differ; None unless the case has exactly two clients."""
    alliance: tuple[ClientTrack, ...]
    """Each partner's alliance check-ins, to set side by side."""
    open_alerts: tuple[AlertRecord, ...] = ()
    """The case's open alerts (a split alliance among them), so the map can point to them."""
    goals_stated_together: tuple[FormulationEntry, ...] = ()
    """Goals on the shared map that the partners stated (or confirmed) together."""


MAX_CHANCE_IN_TEN = 9
"""A suggestion is never shown as certain: the classifier's numbers are rough (calibrated on synthetic
statements, or a lexicon score), and a keyword match says nothing of what the client meant."""


@dataclass(frozen=True, slots=True)
class TranscriptSuggestion:
    """A client turn that looks like it belongs to a domain, offered as a `client_said` entry."""

    session_id: int
    session_number: int
    turn_index: int
    speaker: str
    quote: str
    domain: FormulationDomain
    confidence: float
    client_id: int | None
    """The client the speaker was matched to; None when that could not be told."""
    matched_words: tuple[str, ...] = ()
    """The words of the turn that point to the domain (`analysis.formulation.matched_cues`), if any."""

    @property
    def chance_in_ten(self) -> int:
        """The confidence as a rough chance out of ten, 1 to `MAX_CHANCE_IN_TEN` (never "certain")."""
        return min(MAX_CHANCE_IN_TEN, max(1, round(self.confidence * 10)))


@dataclass(frozen=True, slots=True)
class QuotableTurn:
    """A client's turn an entry may quote."""

    turn_index: int
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class QuotableSession:
    """A session with a transcript and the turns in it an entry about the client may quote."""

    session: Session
    turns: tuple[QuotableTurn, ...]


@dataclass(frozen=True, slots=True)
class PatternTimeline:
    pattern: RelationalPattern
    client: Client
    read_only: bool
    enactments: tuple[Enactment, ...]
    """Linked enactments in session order, each with its session number, date and repaired flag."""

    @property
    def repaired_count(self) -> int:
        return sum(enactment.repaired is True for enactment in self.enactments)


def _invalid(error: DomainError) -> InvalidInput:
    text = str(error)
    return InvalidInput(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))


def _domain(value: FormulationDomain | str) -> FormulationDomain:
    try:
        return FormulationDomain(value)
    except ValueError:
        raise InvalidInput(f"There is no map domain called {value!r}.") from None


def _status(value: EpistemicStatus | str) -> EpistemicStatus:
    try:
        return EpistemicStatus(value)
    except ValueError:
        raise InvalidInput(f"There is no entry status called {value!r}.") from None


def _shorten(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _alert_label(alert: Alert, catalogue: Catalogue) -> str:
    """The alert's kind in its instrument's direction ("Item of concern" on PHQ-9, not "Low item")."""
    instrument = catalogue.instruments.get(alert.instrument_id or "")
    return alert.kind.label_for(instrument.higher_is_better if instrument is not None else True)


def _speaker_client(case: Case, speaker: str) -> int | None:
    """The client a transcript speaker is, where that can be told (see the module docstring)."""
    return case.client_of_speaker(speaker)


def _require_spoken_by(case: Case, turn: Turn, client_id: int, destination: str) -> None:
    """Refuse a turn whose speaker was matched to another client of the case: one partner's words never
    go on the other's `destination` ("map", "patterns"). A speaker who cannot be told apart passes."""
    speaker_id = _speaker_client(case, turn.speaker)
    if speaker_id is None or speaker_id == client_id:
        return
    speaker, other = case.client(speaker_id), case.client(client_id)
    who = speaker.display_name
    if turn.speaker.strip().lower() != who.lower():
        who = f"{turn.speaker} ({speaker.display_name})"
    raise InvalidInput(
        f"Turn {turn.index} was spoken by {who}: it can go on {speaker.display_name}'s {destination}, "
        f"not on {other.display_name}'s."
    )


_QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "“": None, "”": None, '"': None, "«": None, "»": None})
_EDGE_PUNCTUATION = " .,;:!?…'-–—()[]"


def _comparable(text: str) -> str:
    """Lower case, single spaces, no double quotation marks, no punctuation at either end."""
    return " ".join(text.translate(_QUOTE_MARKS).lower().split()).strip(_EDGE_PUNCTUATION)


def _in_own_words(text: str, turn_text: str) -> bool:
    """Whether `text` is the turn's words, or a run of whole words from it, once case, spacing, quotation
    marks and punctuation at either end are set aside: a therapist may shorten a turn, not reword it."""
    words = _comparable(text)
    return bool(words) and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", _comparable(turn_text)) is not None


def _pseudonymise(text: str, clients: Sequence[Client]) -> str:
    """Replace each client's display name, and each word of it written as a name (as entered, capitalised
    or in capitals), by their code. Only as a name: for a client called "Will Hope", "she will not hope"
    keeps its words."""
    for client in clients:
        text = re.sub(rf"\b{re.escape(client.display_name)}\b", client.code, text, flags=re.IGNORECASE)
        for word in re.findall(r"\w{2,}", client.display_name):
            for written in dict.fromkeys((word, word[0].upper() + word[1:], word.upper())):
                text = re.sub(rf"\b{re.escape(written)}\b", client.code, text)
    return text


class FormulationMixin(CheckInsMixin):
    # Access ----------------------------------------------------------------------------------------

    def _visible_client(
        self, work: UnitOfWork, actor: Clinician, client_id: int
    ) -> tuple[Case, Client, bool]:
        """The client's case and whether it is read-only for the actor; NotFound where not visible."""
        case_id = work.formulation.case_of_client(client_id)
        if case_id is None:
            raise NotFound("There is no such client in your caseload.")
        case, owner = self._visible_case(work, actor, case_id)
        return case, case.client(client_id), owner.id != actor.id

    def _writable_client(self, work: UnitOfWork, actor: Clinician, client_id: int) -> tuple[Case, Client]:
        case_id = work.formulation.case_of_client(client_id)
        if case_id is None:
            raise NotFound("There is no such client in your caseload.")
        case = self._writable_case(work, actor, case_id)
        return case, case.client(client_id)

    def _visible_entry(self, work: UnitOfWork, actor: Clinician, entry_id: int) -> FormulationEntry:
        entry = work.formulation.get(entry_id)
        if entry is None:
            raise NotFound("There is no such map entry in your caseload.")
        self._visible_case(work, actor, entry.case_id)
        return entry

    def _visible_pattern(
        self, work: UnitOfWork, actor: Clinician, pattern_id: int
    ) -> tuple[RelationalPattern, Case, bool]:
        pattern = work.patterns.get(pattern_id)
        if pattern is None:
            raise NotFound("There is no such pattern in your caseload.")
        case, owner = self._visible_case(work, actor, pattern.case_id)
        return pattern, case, owner.id != actor.id

    # The client map ----------------------------------------------------------------------------------

    def client_map(
        self,
        actor: Clinician,
        client_id: int,
        *,
        today: date | None = None,
        untested_after: int = UNTESTED_AFTER_SESSIONS,
        classify: DomainClassifier = keyword_domains,
    ) -> ClientMap:
        """One client's map: entries by domain, coverage, open hypotheses, curiosity prompts, patterns.

        `classify` maps an assuming therapist turn to domains (the keyword map by default).
        """
        with self.store.transaction() as work:
            case, client, read_only = self._visible_client(work, actor, client_id)
            result = self._client_map(
                work, case, client, read_only, today or self.today(), untested_after, classify
            )
            work.audit.record(actor.id, AuditAction.READ, "client_map", client.id, f"case {case.id}")
            return result

    def shared_map(
        self,
        actor: Clinician,
        case_id: int,
        *,
        today: date | None = None,
        classify: DomainClassifier = keyword_domains,
    ) -> SharedMap:
        """A couple's or family's maps side by side, their shared entries, and their shared goals.

        Goals agree by overlap of their content words (see `stats.curiosity.shared_goals`).
        """
        catalogue = self.instruments()
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            if case.kind is CaseKind.INDIVIDUAL:
                raise InvalidInput("A shared map is for a couple or a family; this case has one client.")
            read_only = owner.id != actor.id
            day = today or self.today()
            partners = tuple(
                self._client_map(work, case, client, read_only, day, UNTESTED_AFTER_SESSIONS, classify)
                for client in case.clients
            )
            shared = tuple(entry for entry in work.formulation.for_case(case.id) if entry.is_shared)
            goals = shared_goals(partners[0].entries, partners[1].entries) if len(partners) == 2 else None
            together = tuple(stated_goals(shared))
            trajectories = PracticeTrajectories(work)
            self._refresh_alerts(work, case, catalogue, trajectories)
            monitoring = self._monitoring(
                work, case, read_only=read_only, catalogue=catalogue, trajectories=trajectories
            )
            alliance = tuple(
                track for track in monitoring.tracks if track.instrument.kind is InstrumentKind.ALLIANCE
            )
            open_alerts = tuple(record for record in monitoring.alerts if record.is_open)
            work.audit.record(actor.id, AuditAction.READ, "shared_map", case.id)
            return SharedMap(case, read_only, partners, shared, goals, alliance, open_alerts, together)

    def _client_map(
        self,
        work: UnitOfWork,
        case: Case,
        client: Client,
        read_only: bool,
        today: date,
        untested_after: int,
        classify: DomainClassifier,
    ) -> ClientMap:
        entries = [entry for entry in work.formulation.for_case(case.id) if entry.client_id == client.id]
        attended = self._attended(work, case, client)
        prompts = curiosity_prompts(
            entries,
            attended,
            self._assuming_turns(work, attended, today),
            today=today,
            untested_after=untested_after,
            classify=classify,
            zone=self.settings.zone,
        )
        patterns = work.patterns.for_clients([client.id])
        linked = self._linked(work, case, [pattern.id for pattern in patterns])
        return ClientMap(
            case=case,
            client=client,
            read_only=read_only,
            sections=tuple(
                DomainSection(domain, tuple(entry for entry in entries if entry.domain is domain))
                for domain in FormulationDomain
            ),
            coverage=MapCoverage.of(entries),
            open_hypotheses=tuple(entry for entry in entries if entry.is_open_hypothesis),
            prompts=prompts,
            patterns=tuple(
                PatternView(pattern, tuple(e for e in linked if e.pattern_id == pattern.id))
                for pattern in patterns
            ),
        )

    @staticmethod
    def _attended(work: UnitOfWork, case: Case, client: Client) -> list[Session]:
        sessions = work.sessions.for_cases([case.id])[case.id]
        return [session for session in sessions if client.id in session.attendee_ids]

    @staticmethod
    def _assuming_turns(work: UnitOfWork, sessions: list[Session], today: date) -> list[AssumingTurn]:
        """Therapist turns coded `assuming` in the latest analysed sessions (newest first)."""
        held = [session for session in sessions if session.held_on <= today]
        analysed = work.transcripts.analysed_session_ids([session.id for session in held])
        recent = [session for session in reversed(held) if session.id in analysed][:RECENT_SESSIONS]
        found = []
        for session in recent:
            stored = work.transcripts.load(session.id)
            if stored is None or not stored.roles_confirmed:
                continue
            stance = AnnotationSet(tuple(work.transcripts.annotations(session.id))).by_turn(keys.STANCE)
            found += [
                AssumingTurn(session.id, session.number, turn.index, turn.text)
                for turn in stored.conversation.turns
                if turn.role is SpeakerRole.THERAPIST and stance.get(turn.index) == "assuming"
            ]
        return found

    # Entries -----------------------------------------------------------------------------------------

    def add_entry(
        self,
        actor: Clinician,
        client_id: int,
        *,
        domain: FormulationDomain | str,
        text: str,
        status: EpistemicStatus | str,
        provenance: Provenance | None = None,
    ) -> FormulationEntry:
        """Add an entry to a client's map (provenance: the therapist, unless a source is given)."""
        with self.store.transaction() as work:
            case, client = self._writable_client(work, actor, client_id)
            return self._add_entry(work, actor, case, client.id, domain, text, status, provenance)

    def add_shared_entry(
        self,
        actor: Clinician,
        case_id: int,
        *,
        domain: FormulationDomain | str,
        text: str,
        status: EpistemicStatus | str,
        provenance: Provenance | None = None,
    ) -> FormulationEntry:
        """Add an entry to a couple's or family's shared map."""
        with self.store.transaction() as work:
            case = self._writable_case(work, actor, case_id)
            if case.kind is CaseKind.INDIVIDUAL:
                raise InvalidInput("A shared map is for a couple or a family; add this to the client's map.")
            return self._add_entry(work, actor, case, None, domain, text, status, provenance)

    def _add_entry(
        self,
        work: UnitOfWork,
        actor: Clinician,
        case: Case,
        client_id: int | None,
        domain: FormulationDomain | str,
        text: str,
        status: EpistemicStatus | str,
        provenance: Provenance | None,
    ) -> FormulationEntry:
        chosen_domain, chosen_status = _domain(domain), _status(status)
        provenance = provenance or Provenance.therapist()
        try:
            cleaned = require_text(text, "entry text", max_length=ENTRY_TEXT_MAX)
        except DomainError as error:
            raise _invalid(error) from None
        self._check_provenance(work, case, provenance)
        entry = work.formulation.add(
            case_id=case.id,
            client_id=client_id,
            domain=chosen_domain,
            text=cleaned,
            status=chosen_status,
            provenance=provenance,
            actor_id=actor.id,
        )
        # Not the domain: it is sealed in the entry, and the audit trail is stored in the clear.
        work.audit.record(actor.id, AuditAction.CREATE, "formulation_entry", entry.id, str(chosen_status))
        return entry

    @staticmethod
    def _check_provenance(work: UnitOfWork, case: Case, provenance: Provenance) -> None:
        if provenance.kind is ProvenanceKind.SESSION_TURN:
            session = None if provenance.session_id is None else work.sessions.find(provenance.session_id)
            if session is None or session.case_id != case.id:
                raise InvalidInput("The entry's source session is not a session of this case.")
        elif provenance.kind is ProvenanceKind.CHECKIN_ANSWER:
            check_ins = work.checkins.for_clients([client.id for client in case.clients])
            if all(check_in.id != provenance.check_in_id for check_in in check_ins):
                raise InvalidInput("The entry's source check-in is not one of this case's check-ins.")

    def update_entry(
        self,
        actor: Clinician,
        entry_id: int,
        *,
        text: str | None = None,
        status: EpistemicStatus | str | None = None,
        note: str | None = None,
    ) -> FormulationEntry:
        """Edit an entry's text or status (e.g. a hypothesis checked and disconfirmed), with a note.

        The change is kept in the entry's history: who changed what, when.
        """
        with self.store.transaction() as work:
            entry = self._writable_entry(work, actor, entry_id)
            try:
                new_text = (
                    entry.text
                    if text is None
                    else require_text(text, "entry text", max_length=ENTRY_TEXT_MAX)
                )
                cleaned_note = clean_note(note)
            except DomainError as error:
                raise _invalid(error) from None
            new_status = entry.status if status is None else _status(status)
            if new_text == entry.text and new_status is entry.status and cleaned_note is None:
                raise InvalidInput("Nothing to change: give a new text, a new status or a note.")
            updated = work.formulation.update(
                entry.id, text=new_text, status=new_status, note=cleaned_note, actor_id=actor.id
            )
            detail = f"{entry.status} -> {new_status}" if new_status is not entry.status else "edited"
            work.audit.record(actor.id, AuditAction.UPDATE, "formulation_entry", entry.id, detail)
            return updated

    def _writable_entry(self, work: UnitOfWork, actor: Clinician, entry_id: int) -> FormulationEntry:
        """An entry on the map the actor may change; a removed one is refused (put it back first)."""
        entry = self._visible_entry(work, actor, entry_id)
        self._writable_case(work, actor, entry.case_id)
        if entry.is_removed:
            raise InvalidInput("This entry was removed from the map. Undo the removal to change it.")
        return entry

    def entry(self, actor: Clinician, entry_id: int) -> FormulationEntry:
        """One entry, on the map or removed from it (to say what was removed)."""
        with self.store.transaction() as work:
            entry = self._visible_entry(work, actor, entry_id)
            work.audit.record(actor.id, AuditAction.READ, "formulation_entry", entry.id)
            return entry

    def remove_entry(self, actor: Clinician, entry_id: int, *, note: str | None = None) -> FormulationEntry:
        """Take an entry off the map (added by mistake, say), with an optional note saying why.

        The entry is kept, marked removed, with its history: what was once in a clinical record stays
        readable in it, and `restore_entry` puts it back as it was.
        """
        with self.store.transaction() as work:
            entry = self._writable_entry(work, actor, entry_id)
            try:
                cleaned_note = clean_note(note)
            except DomainError as error:
                raise _invalid(error) from None
            removed = work.formulation.remove(entry.id, note=cleaned_note, actor_id=actor.id)
            work.audit.record(
                actor.id, AuditAction.DELETE, "formulation_entry", entry.id, "removed from the map (kept)"
            )
            return removed

    def restore_entry(self, actor: Clinician, entry_id: int) -> FormulationEntry:
        """Undo `remove_entry`: the entry is back on the map as it was (nothing happens if it is on it)."""
        with self.store.transaction() as work:
            entry = self._visible_entry(work, actor, entry_id)
            self._writable_case(work, actor, entry.case_id)
            if not entry.is_removed:
                return entry
            restored = work.formulation.restore(entry.id, actor_id=actor.id)
            work.audit.record(
                actor.id, AuditAction.UPDATE, "formulation_entry", entry.id, "put back on the map"
            )
            return restored

    def removed_entries(self, actor: Clinician, client_id: int) -> tuple[RemovedEntry, ...]:
        """The entries taken off a client's map, the latest removed first, each with who removed it, when
        and why (if a reason was given), so one removed by mistake can be put back (`restore_entry`)."""
        with self.store.transaction() as work:
            case, client, _ = self._visible_client(work, actor, client_id)
            removed = tuple(work.formulation.removed(case.id, client.id))
            # Counts only: what the entries say is clinical, and the audit trail is stored in the clear.
            detail = f"case {case.id}, {len(removed)} removed entries"
            work.audit.record(actor.id, AuditAction.READ, "client_map", client.id, detail)
            return removed

    def removed_shared_entries(self, actor: Clinician, case_id: int) -> tuple[RemovedEntry, ...]:
        """The entries taken off a couple's (or family's) shared map, as `removed_entries` gives them."""
        with self.store.transaction() as work:
            case, _ = self._visible_case(work, actor, case_id)
            if case.kind is CaseKind.INDIVIDUAL:
                raise InvalidInput("A shared map is for a couple or a family; this case has one client.")
            removed = tuple(work.formulation.removed(case.id, None))
            detail = f"{len(removed)} removed entries"
            work.audit.record(actor.id, AuditAction.READ, "shared_map", case.id, detail)
            return removed

    def quotable_turns(self, actor: Clinician, entry_id: int) -> tuple[QuotableSession, ...]:
        """The turns a "client said" entry may quote: the client turns of the sessions with a transcript
        (roles confirmed) that the entry's client attended, not spoken by another client of the case.
        The session the entry quotes now comes first, then the latest first."""
        with self.store.transaction() as work:
            entry = self._visible_entry(work, actor, entry_id)
            case = work.cases.get(entry.case_id)
            sessions = work.sessions.for_cases([case.id])[case.id]
            if entry.client_id is not None:
                sessions = [s for s in sessions if entry.client_id in s.attendee_ids]
            current = entry.provenance.session_id
            ordered = sorted(sessions, key=lambda s: (s.id != current, -s.held_on.toordinal(), -s.number))
            found = []
            for session in ordered:
                stored = work.transcripts.load(session.id)
                if stored is None or not stored.roles_confirmed:
                    continue
                turns = tuple(
                    QuotableTurn(turn.index, turn.speaker, turn.text)
                    for turn in stored.conversation.turns
                    if turn.role is SpeakerRole.CLIENT
                    and (
                        entry.client_id is None
                        or _speaker_client(case, turn.speaker) in (None, entry.client_id)
                    )
                )
                if turns:
                    found.append(QuotableSession(session, turns))
            work.audit.record(actor.id, AuditAction.READ, "formulation_entry", entry.id, "quotable turns")
            return tuple(found)

    def change_entry_source(
        self,
        actor: Clinician,
        entry_id: int,
        *,
        session_id: int | None,
        turn_index: int | None,
        note: str | None = None,
    ) -> FormulationEntry:
        """Replace the turn a "client said" entry quotes: with another client turn of one of the case's
        sessions (`session_id`, `turn_index`; it must not be another client's), or, both None, with no
        turn at all: then the words are the therapist's, and the entry becomes their hypothesis, to check
        with the client. The source before and after go into the entry's history, with the note."""
        with self.store.transaction() as work:
            entry = self._writable_entry(work, actor, entry_id)
            if entry.status is not EpistemicStatus.CLIENT_SAID:
                raise InvalidInput(
                    "Only an entry marked as something the client said quotes the client; this one is "
                    f"{entry.status.label.lower()}."
                )
            try:
                cleaned_note = clean_note(note)
            except DomainError as error:
                raise _invalid(error) from None
            if (session_id is None) != (turn_index is None):
                raise InvalidInput("Choose a turn of a session, or no turn at all.")
            if session_id is None or turn_index is None:
                provenance = Provenance.therapist()
                status = EpistemicStatus.THERAPIST_HYPOTHESIS
                detail = "quote taken away: client_said -> therapist_hypothesis"
            else:
                session = work.sessions.find(session_id)
                if session is None or session.case_id != entry.case_id:
                    raise InvalidInput("That session is not a session of this case.")
                case = work.cases.get(entry.case_id)
                if entry.client_id is not None and entry.client_id not in session.attendee_ids:
                    # As `quotable_turns` offers: a client's map quotes only sessions they were at.
                    raise InvalidInput(
                        f"{case.client(entry.client_id).display_name} was not at session {session.number}; "
                        "choose a turn of a session they attended."
                    )
                turn = self._client_turn(work, session, turn_index)
                if entry.client_id is not None:
                    _require_spoken_by(case, turn, entry.client_id, "map")
                provenance = Provenance.session_turn(session.id, turn.index, _shorten(turn.text, QUOTE_MAX))
                status = EpistemicStatus.CLIENT_SAID
                detail = f"quote changed to session {session.id}, turn {turn.index}"
            if provenance == entry.provenance:
                raise InvalidInput("That is the turn the entry quotes already.")
            changed = work.formulation.change_source(
                entry.id, provenance=provenance, status=status, note=cleaned_note, actor_id=actor.id
            )
            work.audit.record(actor.id, AuditAction.UPDATE, "formulation_entry", entry.id, detail)
            return changed

    def entry_history(self, actor: Clinician, entry_id: int) -> tuple[EntryChange, ...]:
        """The entry's changes, its creation first."""
        with self.store.transaction() as work:
            entry = self._visible_entry(work, actor, entry_id)
            work.audit.record(actor.id, AuditAction.READ, "formulation_entry", entry.id, "history")
            return tuple(work.formulation.history(entry.id))

    # Suggestions from transcripts --------------------------------------------------------------------

    def transcript_suggestions(
        self, actor: Clinician, session_id: int, *, classify: BatchDomainClassifier | None = None
    ) -> tuple[TranscriptSuggestion, ...]:
        """Client turns of the session that look like they belong to a domain, not yet on the map or
        dismissed. Nothing enters the map until the therapist accepts one (`accept_suggestion`)."""
        with self.store.transaction() as work:
            session = work.sessions.find(session_id)
            if session is None:
                raise NotFound("There is no such session in your caseload.")
            case, _ = self._visible_case(work, actor, session.case_id)
            stored = work.transcripts.load(session.id)
            work.audit.record(actor.id, AuditAction.READ, "transcript_suggestions", session.id)
            if stored is None or not stored.roles_confirmed:
                return ()
            turns = [
                turn
                for turn in stored.conversation.turns
                if turn.role is SpeakerRole.CLIENT and len(turn.text.split()) >= MIN_SUGGESTION_WORDS
            ]
            if not turns:
                return ()
            found = (classify or default_domain_classifier())([turn.text for turn in turns])
            taken = {
                (entry.provenance.turn_index, entry.domain)
                for entry in work.formulation.for_case(case.id)
                if entry.provenance.kind is ProvenanceKind.SESSION_TURN
                and entry.provenance.session_id == session.id
            }
            dismissed = {
                (item.turn_index, item.domain)
                for item in work.dismissals.for_case(case.id, FORMULATION_SUGGESTION)
                if item.session_id == session.id
            }
            suggestions = []
            for turn, domains in zip(turns, found, strict=True):
                ranked = sorted(
                    (
                        (FormulationDomain(name), float(confidence))
                        for name, confidence in domains
                        if confidence >= MIN_SUGGESTION_CONFIDENCE and name in set(FormulationDomain)
                    ),
                    key=lambda item: -item[1],
                )[:MAX_DOMAINS_PER_TURN]
                cues = matched_cues(turn.text)
                for domain, confidence in ranked:
                    if (turn.index, domain) in taken or {
                        (turn.index, domain.value),
                        (turn.index, None),
                    } & dismissed:
                        continue
                    suggestions.append(
                        TranscriptSuggestion(
                            session_id=session.id,
                            session_number=session.number,
                            turn_index=turn.index,
                            speaker=turn.speaker,
                            quote=turn.text,
                            domain=domain,
                            confidence=confidence,
                            client_id=_speaker_client(case, turn.speaker),
                            matched_words=tuple(cues.get(domain.value, ())),
                        )
                    )
            return tuple(suggestions)

    def accept_suggestion(
        self,
        actor: Clinician,
        session_id: int,
        turn_index: int,
        domain: FormulationDomain | str,
        text: str | None = None,
        *,
        client_id: int | None = None,
    ) -> FormulationEntry:
        """Put a client turn on the map, with the quoted turn as its provenance.

        `text` is the therapist's edit (the turn's own words by default). In the client's own words (the
        turn or a part of it, see `_in_own_words`) the entry is `client_said`; reworded, the words are
        the therapist's, so it is a `therapist_hypothesis` to check with the client. `client_id` is
        needed where the speaker could not be matched to a client, and must be the speaker's client
        where they could (InvalidInput otherwise).
        """
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            case = work.cases.get(session.case_id)
            turn = self._client_turn(work, session, turn_index)
            about = client_id if client_id is not None else _speaker_client(case, turn.speaker)
            if about is None:
                raise InvalidInput(f"Say which client {turn.speaker} is before adding this to a map.")
            if about not in {client.id for client in case.clients}:
                raise InvalidInput("That client is not part of this case.")
            _require_spoken_by(case, turn, about, "map")
            provenance = Provenance.session_turn(session.id, turn.index, _shorten(turn.text, QUOTE_MAX))
            chosen = text if text is not None and text.strip() else _shorten(turn.text, ENTRY_TEXT_MAX)
            status = (
                EpistemicStatus.CLIENT_SAID
                if _in_own_words(chosen, turn.text)
                else EpistemicStatus.THERAPIST_HYPOTHESIS
            )
            return self._add_entry(work, actor, case, about, domain, chosen, status, provenance)

    def dismiss_suggestion(
        self,
        actor: Clinician,
        session_id: int,
        turn_index: int,
        domain: FormulationDomain | str | None = None,
    ) -> None:
        """Do not offer this turn again (for this domain, or for any domain when none is given)."""
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            self._client_turn(work, session, turn_index)
            work.dismissals.dismiss(
                kind=FORMULATION_SUGGESTION,
                case_id=session.case_id,
                client_id=None,
                session_id=session.id,
                turn_index=turn_index,
                domain=None if domain is None else _domain(domain).value,
                actor_id=actor.id,
            )
            work.audit.record(
                actor.id,
                AuditAction.UPDATE,
                "transcript_suggestion",
                session.id,
                f"turn {turn_index} dismissed",
            )

    def restore_suggestion(
        self,
        actor: Clinician,
        session_id: int,
        turn_index: int,
        domain: FormulationDomain | str | None = None,
    ) -> None:
        """Undo `dismiss_suggestion`: offer the turn again (nothing happens if it was not dismissed)."""
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            restored = work.dismissals.restore(
                kind=FORMULATION_SUGGESTION,
                case_id=session.case_id,
                client_id=None,
                session_id=session.id,
                turn_index=turn_index,
                domain=None if domain is None else _domain(domain).value,
            )
            if restored:
                detail = f"turn {turn_index} offered again"
                work.audit.record(actor.id, AuditAction.UPDATE, "transcript_suggestion", session.id, detail)

    @staticmethod
    def _client_turn(work: UnitOfWork, session: Session, turn_index: int) -> Turn:
        stored = work.transcripts.load(session.id)
        if stored is None or not stored.roles_confirmed:
            raise NotFound("This session has no analysed transcript.")
        turns = stored.conversation.turns
        if not 0 <= turn_index < len(turns) or turns[turn_index].role is not SpeakerRole.CLIENT:
            raise InvalidInput(f"Turn {turn_index} is not a client turn of this session.")
        return turns[turn_index]

    # Relational patterns -----------------------------------------------------------------------------

    def add_pattern(
        self,
        actor: Clinician,
        client_id: int,
        wish: str,
        response_of_other: str,
        response_of_self: str,
        examples: Sequence[str] = (),
    ) -> RelationalPattern:
        """Record a relational pattern: wish → response of others → response of self (CCRT)."""
        parts = self._pattern_parts(wish, response_of_other, response_of_self, examples)
        with self.store.transaction() as work:
            case, client = self._writable_client(work, actor, client_id)
            pattern = work.patterns.add(case_id=case.id, client_id=client.id, parts=parts, actor_id=actor.id)
            work.audit.record(
                actor.id, AuditAction.CREATE, "relational_pattern", pattern.id, f"client {client.id}"
            )
            return pattern

    def update_pattern(
        self,
        actor: Clinician,
        pattern_id: int,
        *,
        wish: str | None = None,
        response_of_other: str | None = None,
        response_of_self: str | None = None,
        examples: Sequence[str] | None = None,
    ) -> RelationalPattern:
        with self.store.transaction() as work:
            pattern, case, _ = self._visible_pattern(work, actor, pattern_id)
            self._writable_case(work, actor, case.id)
            parts = self._pattern_parts(
                pattern.wish if wish is None else wish,
                pattern.response_of_other if response_of_other is None else response_of_other,
                pattern.response_of_self if response_of_self is None else response_of_self,
                pattern.examples if examples is None else examples,
            )
            updated = work.patterns.update(pattern.id, parts, actor.id)
            work.audit.record(actor.id, AuditAction.UPDATE, "relational_pattern", pattern.id)
            return updated

    @staticmethod
    def _pattern_parts(
        wish: str, response_of_other: str, response_of_self: str, examples: Sequence[str]
    ) -> PatternParts:
        try:
            return PatternParts(
                wish=require_text(wish, "wish", max_length=PART_MAX),
                response_of_other=require_text(response_of_other, "response of other", max_length=PART_MAX),
                response_of_self=require_text(response_of_self, "response of self", max_length=PART_MAX),
                examples=clean_examples(list(examples)),
            )
        except DomainError as error:
            raise _invalid(error) from None

    def enactment_candidates(self, actor: Clinician, client_id: int) -> tuple[EnactmentCandidate, ...]:
        """Moments in the client's analysed sessions where they anticipated judgement, defended against
        perceived criticism or complained about the therapist — not yet linked to one of their patterns
        nor dismissed — each with its quote and whether it was repaired."""
        with self.store.transaction() as work:
            case, client, _ = self._visible_client(work, actor, client_id)
            patterns = work.patterns.for_clients([client.id])
            known = {
                (enactment.session_id, enactment.turn_index)
                for enactment in work.patterns.enactments([pattern.id for pattern in patterns])
            }
            dismissed = {
                (item.session_id, item.turn_index)
                for item in work.dismissals.for_case(case.id, ENACTMENT_CANDIDATE)
                if item.client_id in (None, client.id)
            }
            candidates = []
            for session, stored, summary in self._analysed(work, self._attended(work, case, client)):
                for moment in summary.moments:
                    if (session.id, moment.turn) in known | dismissed:
                        continue
                    if not (moment.anticipates_judgement or moment.subtype in ENACTMENT_SUBTYPES):
                        continue
                    if _speaker_client(case, moment.speaker) not in (None, client.id):
                        continue
                    candidates.append(
                        EnactmentCandidate(
                            session_id=session.id,
                            session_number=session.number,
                            held_on=session.held_on,
                            turn_index=moment.turn,
                            speaker=moment.speaker,
                            quote=_shorten(stored.conversation.turns[moment.turn].text, QUOTE_MAX),
                            marker=moment.kind,
                            subtype=moment.subtype,
                            anticipates_judgement=moment.anticipates_judgement,
                            repaired=moment.repaired,
                        )
                    )
            work.audit.record(actor.id, AuditAction.READ, "enactment_candidates", client.id)
            return tuple(candidates)

    @staticmethod
    def _analysed(
        work: UnitOfWork, sessions: list[Session]
    ) -> list[tuple[Session, StoredTranscript, RelationalSummary]]:
        """The sessions with a stored analysis, with their transcript and rupture–repair summary."""
        analysed = work.transcripts.analysed_session_ids([session.id for session in sessions])
        found = []
        for session in sessions:
            if session.id not in analysed:
                continue
            stored = work.transcripts.load(session.id)
            if stored is None or not stored.roles_confirmed:
                continue
            annotations = AnnotationSet(tuple(work.transcripts.annotations(session.id)))
            found.append((session, stored, relational_summary_from(stored.conversation, annotations)))
        return found

    def link_enactment(
        self, actor: Clinician, pattern_id: int, session_id: int, turn_index: int, note: str | None = None
    ) -> Enactment:
        """Link a moment of a session (a rupture or anticipated judgement) to a pattern as an enactment.

        The moment must not be another client's: a speaker matched to another client of the case is
        refused (InvalidInput); one who cannot be told apart is allowed.
        """
        with self.store.transaction() as work:
            pattern, case, _ = self._visible_pattern(work, actor, pattern_id)
            self._writable_case(work, actor, case.id)
            session = work.sessions.find(session_id)
            if session is None or session.case_id != case.id:
                raise NotFound("There is no such session in this case.")
            found = self._analysed(work, [session])
            if not found:
                raise InvalidInput("This session has no analysed transcript.")
            _, stored, summary = found[0]
            moment = next((m for m in summary.moments if m.turn == turn_index), None)
            if moment is None:
                raise InvalidInput(
                    f"Turn {turn_index} is not a moment of rupture or anticipated judgement in this session."
                )
            turn = stored.conversation.turns[turn_index]
            _require_spoken_by(case, turn, pattern.client_id, "patterns")
            try:
                cleaned_note = clean_note(note)
            except DomainError as error:
                raise _invalid(error) from None
            enactment = work.patterns.link(
                pattern_id=pattern.id,
                session_id=session.id,
                turn_index=turn_index,
                quote=_shorten(turn.text, QUOTE_MAX),
                marker=moment.kind,
                subtype=moment.subtype,
                repaired=moment.repaired,
                note=cleaned_note,
                actor_id=actor.id,
            )
            work.audit.record(
                actor.id,
                AuditAction.CREATE,
                "enactment",
                enactment.id,
                f"pattern {pattern.id}, turn {turn_index}",
            )
            return replace(enactment, session_number=session.number, held_on=session.held_on)

    def unlink_enactment(self, actor: Clinician, enactment_id: int, note: str | None = None) -> Enactment:
        """Take a linked moment off its pattern (kept as dismissed, so the history stays whole)."""
        with self.store.transaction() as work:
            enactment = work.patterns.enactment(enactment_id)
            if enactment is None:
                raise NotFound("There is no such enactment in your caseload.")
            _, case, _ = self._visible_pattern(work, actor, enactment.pattern_id)
            self._writable_case(work, actor, case.id)
            try:
                cleaned_note = clean_note(note)
            except DomainError as error:
                raise _invalid(error) from None
            work.patterns.set_enactment_status(
                enactment.id, EnactmentStatus.DISMISSED, cleaned_note, actor.id
            )
            work.audit.record(actor.id, AuditAction.UPDATE, "enactment", enactment.id, "dismissed")
            updated = work.patterns.enactment(enactment.id)
            assert updated is not None
            return updated

    def dismiss_enactment_candidate(
        self, actor: Clinician, client_id: int, session_id: int, turn_index: int
    ) -> None:
        """This moment is not an enactment of any of the client's patterns: do not offer it again."""
        with self.store.transaction() as work:
            case, client = self._writable_client(work, actor, client_id)
            session = work.sessions.find(session_id)
            if session is None or session.case_id != case.id:
                raise NotFound("There is no such session in this case.")
            work.dismissals.dismiss(
                kind=ENACTMENT_CANDIDATE,
                case_id=case.id,
                client_id=client.id,
                session_id=session.id,
                turn_index=turn_index,
                domain=None,
                actor_id=actor.id,
            )
            work.audit.record(
                actor.id,
                AuditAction.UPDATE,
                "enactment_candidate",
                session.id,
                f"turn {turn_index} dismissed",
            )

    def restore_enactment_candidate(
        self, actor: Clinician, client_id: int, session_id: int, turn_index: int
    ) -> None:
        """Undo `dismiss_enactment_candidate`: offer the moment again, for this client only."""
        with self.store.transaction() as work:
            case, client = self._writable_client(work, actor, client_id)
            session = work.sessions.find(session_id)
            if session is None or session.case_id != case.id:
                raise NotFound("There is no such session in this case.")
            restored = work.dismissals.restore(
                kind=ENACTMENT_CANDIDATE,
                case_id=case.id,
                client_id=client.id,
                session_id=session.id,
                turn_index=turn_index,
                domain=None,
            )
            if restored:
                detail = f"turn {turn_index} offered again"
                work.audit.record(actor.id, AuditAction.UPDATE, "enactment_candidate", session.id, detail)

    def pattern_timeline(self, actor: Clinician, pattern_id: int) -> PatternTimeline:
        """The pattern's linked enactments over time, each with whether it was repaired."""
        with self.store.transaction() as work:
            pattern, case, read_only = self._visible_pattern(work, actor, pattern_id)
            enactments = self._linked(work, case, [pattern.id])
            work.audit.record(actor.id, AuditAction.READ, "relational_pattern", pattern.id, "timeline")
            return PatternTimeline(pattern, case.client(pattern.client_id), read_only, enactments)

    @staticmethod
    def _linked(work: UnitOfWork, case: Case, pattern_ids: list[int]) -> tuple[Enactment, ...]:
        """Linked enactments with their session's number and date, in session order."""
        sessions = {session.id: session for session in work.sessions.for_cases([case.id])[case.id]}
        dated = [
            replace(e, session_number=sessions[e.session_id].number, held_on=sessions[e.session_id].held_on)
            for e in work.patterns.enactments(pattern_ids)
            if e.status is EnactmentStatus.LINKED and e.session_id in sessions
        ]
        return tuple(
            sorted(dated, key=lambda e: (e.held_on or date.min, e.session_number or 0, e.turn_index))
        )

    # Supervision -------------------------------------------------------------------------------------

    def supervision_summary(
        self, actor: Clinician, case_id: int, *, today: date | None = None
    ) -> SupervisionSummary:
        """A case summary for clinical supervision: clients by code only, alliance trend, open alerts,
        rupture–repair per analysed session, map coverage and open hypotheses."""
        catalogue = self.instruments()
        day = today or self.today()
        with self.store.transaction() as work:
            case, owner = self._visible_case(work, actor, case_id)
            trajectories = PracticeTrajectories(work)
            self._refresh_alerts(work, case, catalogue, trajectories)
            monitoring = self._monitoring(
                work, case, read_only=owner.id != actor.id, catalogue=catalogue, trajectories=trajectories
            )
            sessions = {session.id: session for session in monitoring.sessions}
            codes = {client.id: client.code for client in case.clients}
            alliance = tuple(
                AllianceTrend.of(
                    track.client.code,
                    track.instrument,
                    (
                        (point.session_number, sessions[point.session_id].held_on, point.total)
                        for point in track.history
                    ),
                )
                for track in monitoring.tracks
                if track.instrument.kind is InstrumentKind.ALLIANCE
            )
            alerts = tuple(
                OpenAlert(
                    client_codes=tuple(codes[i] for i in record.alert.client_ids if i in codes),
                    kind=record.alert.kind.value,
                    label=_alert_label(record.alert, catalogue),
                    rule=_pseudonymise(record.alert.rule, case.clients),
                    severity=record.alert.severity.value,
                    session_number=sessions[record.alert.session_id].number
                    if record.alert.session_id in sessions
                    else None,
                )
                for record in monitoring.alerts
                if record.is_open
            )
            rupture_repair = tuple(
                SessionRuptureRepair(
                    session_number=session.number,
                    held_on=session.held_on,
                    ruptures=len(summary.ruptures),
                    ruptures_repaired=sum(moment.repaired for moment in summary.ruptures),
                    anticipated_judgement=sum(m.kind == ANTICIPATED_JUDGEMENT for m in summary.moments),
                    moments_repaired=len(summary.repaired),
                    check_ins=len(summary.check_ins),
                )
                for session, _, summary in self._analysed(work, list(monitoring.sessions))
            )
            entries = work.formulation.for_case(case.id)
            maps = [
                self._map_summary(
                    client.code, [e for e in entries if e.client_id == client.id], case, sessions, day
                )
                for client in case.clients
            ]
            shared = [entry for entry in entries if entry.is_shared]
            if shared:
                maps.append(self._map_summary(None, shared, case, sessions, day))
            work.audit.record(actor.id, AuditAction.EXPORT, "supervision_summary", case.id)
            return SupervisionSummary(
                case_id=case.id,
                case_kind=case.kind.value,
                therapist=owner.display_name,
                opened_on=case.opened_on,
                prepared_on=day,
                client_codes=tuple(client.code for client in case.clients),
                session_count=sum(session.held_on <= day for session in monitoring.sessions),
                alliance=alliance,
                open_alerts=alerts,
                rupture_repair=rupture_repair,
                maps=tuple(maps),
            )

    def _map_summary(
        self,
        code: str | None,
        entries: list[FormulationEntry],
        case: Case,
        sessions: dict[int, Session],
        today: date,
    ) -> MapSummary:
        coverage = MapCoverage.of(entries)
        attended = [
            session
            for session in sessions.values()
            if code is None or any(c.code == code and c.id in session.attendee_ids for c in case.clients)
        ]
        return MapSummary(
            client_code=code,
            explored_domains=tuple(domain.value for domain in coverage.explored),
            unexplored_domains=tuple(domain.value for domain in coverage.unexplored),
            entry_count=len(entries),
            open_hypotheses=tuple(
                OpenHypothesis(
                    domain=entry.domain.value,
                    domain_label=entry.domain.label,
                    text=_pseudonymise(entry.text, case.clients),
                    recorded_on=self.local_date(entry.created_at),
                    sessions_since=len(sessions_since(entry, attended, today, self.settings.zone)),
                )
                for entry in entries
                if entry.is_open_hypothesis
            ),
        )
