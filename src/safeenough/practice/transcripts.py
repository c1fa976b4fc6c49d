"""Transcripts in sessions: import, role confirmation, analysis and the session report."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from safeenough.analysis.defaults import default_pipeline
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.relational import relational_summary_from
from safeenough.analysis.suggestions import OPENING, Suggestion, suggestions_from
from safeenough.domain.annotation import AnnotationSet
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import Conversation, SpeakerRole
from safeenough.domain.formulation import EpistemicStatus, Provenance
from safeenough.domain.instrument import InstrumentKind
from safeenough.domain.session import Session
from safeenough.errors import (
    InvalidInput,
    NotFound,
)
from safeenough.instruments.catalogue import Catalogue
from safeenough.practice.base import PracticeBase
from safeenough.practice.research import analyse_files
from safeenough.reports.session_report import CheckInItem, CheckInSummary, SessionReport, build_session_report
from safeenough.reports.supervision import day
from safeenough.stats.scoring import score_checkin
from safeenough.storage.formulation import OPENING_TURN, REPORT_SUGGESTION
from safeenough.storage.store import UnitOfWork
from safeenough.storage.suggestion_edits import SuggestionEdit
from safeenough.storage.transcripts import StoredTranscript
from safeenough.transcripts import RoleAssignment, read_transcript_with_roles

MAX_OWN_WORDS = 2_000
"""The longest wording of a suggested check-in the report keeps: a few sentences to open a session."""

MAX_SESSION_TURNS = 3_000
"""The most turns a session's transcript may have: about three hours of talk. Analysing it takes about
half a minute on two cores; far longer files are several sessions, or not a transcript."""


@dataclass(frozen=True, slots=True)
class TranscriptPreview:
    """A transcript as read, before analysis when the speaker roles still need the therapist's word."""

    session: Session
    conversation: Conversation
    roles: RoleAssignment
    analysed: bool


@dataclass(frozen=True, slots=True)
class SessionAnalysis:
    case: Case
    session: Session
    read_only: bool
    transcript: StoredTranscript | None
    result: AnalysisResult | None
    report: SessionReport | None
    """Without the suggestions the therapist dismissed."""
    dismissed_suggestions: int = 0


class TranscriptsMixin(PracticeBase):
    #: Read and analyse transcript files without storing them (see `safeenough.practice.research`).
    analyse_files = staticmethod(analyse_files)

    def import_transcript(
        self,
        actor: Clinician,
        session_id: int,
        *,
        filename: str,
        data: bytes,
        therapist: str | None = None,
        replace: bool = False,
    ) -> TranscriptPreview:
        """Read a transcript into a session. Analysed at once when the roles are known; otherwise the
        therapist confirms who is who first (`confirm_transcript_roles`). Unreadable files raise a
        TranscriptError naming the file, the line and what was expected; nothing is stored then.

        A session that already has a transcript keeps it unless `replace` is given, and keeps it even
        then while map entries or pattern enactments point at its turns (they would point at turns that
        no longer exist): InvalidInput says which, and nothing changes."""
        read = read_transcript_with_roles(data, filename, therapist=therapist)
        if len(read) != 1:
            raise InvalidInput(
                f"{filename} holds {len(read)} conversations; upload one session at a time "
                "(`safeenough analyze` reads many at once)."
            )
        speakers = read[0].conversation.speakers
        if len(speakers) < 2:
            who = f"one speaker ({speakers[0]})" if speakers else "no speaker"
            raise InvalidInput(
                f"{filename} has {who}, so there is no conversation to analyse. A session transcript needs "
                "the therapist and at least one client, each line starting with who speaks "
                "(“Dana: …”). Nothing was stored."
            )
        turns = len(read[0].conversation.turns)
        if turns > MAX_SESSION_TURNS:
            raise InvalidInput(
                f"{filename} has {turns:,} turns; a session transcript here may have up to "
                f"{MAX_SESSION_TURNS:,} (a 50-minute session has a few hundred). If the file holds several "
                "sessions, upload each on its own session. Nothing was stored."
            )
        conversation = read[0].roles.apply(read[0].conversation)
        roles = read[0].roles
        confirmed = not roles.needs_confirmation
        # Checked before the analysis (seconds for a long session) so a refusal comes at once, and again
        # in the transaction that stores it; the analysis itself runs outside any transaction, so that
        # nobody else (a client sending a check-in) waits for it.
        with self.store.transaction() as work:
            self._check_transcript_welcome(work, actor, session_id, replace)
        annotations = list(default_pipeline().annotate(conversation)) if confirmed else None
        with self.store.transaction() as work:
            session, replacing = self._check_transcript_welcome(work, actor, session_id, replace)
            if replacing:
                work.transcripts.forget_dismissed_suggestions(session.id)
                work.suggestion_edits.forget(session.id)
                self._let_go_of_removed_quotes(work, actor, session)
            work.transcripts.save(
                session.id,
                StoredTranscript(conversation, filename, read[0].format.value, confirmed, roles.confidence),
            )
            if annotations is not None:
                work.transcripts.replace_annotations(session.id, annotations)
            # The file's name often carries the client's name, so the audit trail (which an
            # administrator reads) records only what kind of file it was and its size.
            work.audit.record(
                actor.id,
                AuditAction.UPDATE if replacing else AuditAction.CREATE,
                "transcript",
                session.id,
                f"{'replaced by ' if replacing else ''}{read[0].format.value} file, "
                f"{len(data):,} bytes, {len(conversation.turns)} turns",
            )
            return TranscriptPreview(
                session=session, conversation=conversation, roles=roles, analysed=confirmed
            )

    def _check_transcript_welcome(
        self, work: UnitOfWork, actor: Clinician, session_id: int, replace: bool
    ) -> tuple[Session, bool]:
        """The session, if it may take a transcript now, and whether one is being replaced."""
        session = self._writable_session(work, actor, session_id)
        if session.is_upcoming(self.today()):
            raise InvalidInput(
                f"Session {session.number} is booked for {day(session.held_on)}; its transcript can be "
                "added once it has been held. Nothing was stored."
            )
        replacing = work.transcripts.exists(session.id)
        if replacing:
            self._check_replaceable(work, session, replace)
        return session, replacing

    @staticmethod
    def _check_replaceable(work: UnitOfWork, session: Session, replace: bool) -> None:
        if not replace:
            raise InvalidInput(
                f"Session {session.number} already has a transcript. To replace it and its analysis, "
                "tick “Replace the current transcript” and upload again."
            )
        # An entry taken off the map does not keep the transcript: replacing it lets go of the entry's
        # quote (`_let_go_of_removed_quotes`), since nobody could reach the removed entry to do so.
        entries, _removed, linked = work.transcripts.turn_references(session.id)
        if entries or linked:
            parts = []
            if entries:
                parts.append(f"{entries} client map {'entry' if entries == 1 else 'entries'}")
            if linked:
                parts.append(f"{linked} pattern {'moment' if linked == 1 else 'moments'}")
            pointing = " and ".join(parts)
            raise InvalidInput(
                f"The current transcript of session {session.number} is kept: {pointing} "
                f"{'points' if entries + linked == 1 else 'point'} at its turns, and would then point at "
                "turns that no longer exist."
                + (" Take those moments off their pattern on the client map first." if linked else "")
                + (
                    " A map entry that quotes a transcript keeps it, so that its words can always be "
                    "checked against the session; while one does, this transcript stays."
                    if entries
                    else ""
                )
            )

    @staticmethod
    def _let_go_of_removed_quotes(work: UnitOfWork, actor: Clinician, session: Session) -> None:
        """The transcript is replaced: an entry taken off the map that quoted one of its turns would, put
        back, quote a turn that no longer exists. It keeps its removal but no longer quotes the session (the
        therapist's words); a "client said" entry becomes the therapist's hypothesis. Its history keeps the
        quote it had, with a note saying why it went."""
        for entry in work.formulation.for_case(session.case_id, include_removed=True):
            quoted = entry.provenance
            if not entry.is_removed or quoted.session_id != session.id or quoted.turn_index is None:
                continue
            status = (
                EpistemicStatus.THERAPIST_HYPOTHESIS
                if entry.status is EpistemicStatus.CLIENT_SAID
                else entry.status
            )
            work.formulation.change_source(
                entry.id,
                provenance=Provenance.therapist(),
                status=status,
                note=(
                    f"The transcript of session {session.number} it quoted was replaced while the entry "
                    "was off the map; the quote is kept in this history."
                ),
                actor_id=actor.id,
            )
            detail = f"{entry.status} -> {status} (quoted transcript replaced)"
            work.audit.record(actor.id, AuditAction.UPDATE, "formulation_entry", entry.id, detail)

    def confirm_transcript_roles(
        self,
        actor: Clinician,
        session_id: int,
        therapist_speaker: str,
        *,
        not_clients: Collection[str] = (),
    ) -> bool:
        """The therapist says which speaker they are, and which others are no client (an interpreter, a
        co-therapist); everyone else is a client. Then analyse. Roles already confirmed can be changed
        this way too: the analysis is redone. Returns whether roles already confirmed were changed.

        The analysis runs outside any transaction (see `import_transcript`); if the transcript changed
        meanwhile (another tab replaced it), nothing is stored and InvalidInput says so."""
        with self.store.transaction() as work:
            stored = self._stored_transcript(work, actor, session_id)
        speakers = stored.conversation.speakers
        if therapist_speaker not in speakers:
            raise InvalidInput(f"Choose one of the speakers: {', '.join(speakers)}.")
        unknown = sorted(set(not_clients) - set(speakers))
        if unknown:
            raise InvalidInput(f"There is no speaker “{unknown[0]}” in this transcript.")
        others = set(not_clients) - {therapist_speaker}
        if not set(speakers) - others - {therapist_speaker}:
            raise InvalidInput("At least one speaker must be a client: leave the client unticked.")
        roles = {
            speaker: SpeakerRole.THERAPIST
            if speaker == therapist_speaker
            else SpeakerRole.OTHER
            if speaker in others
            else SpeakerRole.CLIENT
            for speaker in speakers
        }
        conversation = stored.conversation.with_roles(roles)
        annotations = list(default_pipeline().annotate(conversation))
        with self.store.transaction() as work:
            now_stored = self._stored_transcript(work, actor, session_id)
            if now_stored.conversation.with_roles(roles) != conversation:
                raise InvalidInput(
                    "The transcript of this session was replaced while it was being analysed; open the "
                    "session again and confirm the speakers of the transcript it now has."
                )
            self._follow_the_speakers(work, actor, session_id, now_stored.conversation, conversation)
            work.transcripts.save(
                session_id,
                StoredTranscript(conversation, stored.filename, stored.source_format, True, 1.0),
            )
            work.transcripts.replace_annotations(session_id, annotations)
            what = "roles changed" if now_stored.roles_confirmed else "roles confirmed"
            work.audit.record(actor.id, AuditAction.UPDATE, "transcript", session_id, what)
            return now_stored.roles_confirmed

    @staticmethod
    def _follow_the_speakers(
        work: UnitOfWork, actor: Clinician, session_id: int, before: Conversation, after: Conversation
    ) -> None:
        """Roles changed under what points at clients' turns. A pattern moment must be a client's: while
        one points at a turn that is no longer a client's, the change is refused (InvalidInput says
        which). A map entry that quoted such a turn as "client said" becomes the therapist's hypothesis,
        with a note in its history: the words are no longer known to be the client's. So does an entry taken
        off the map, which keeps its removal: put back, it must not claim the client said it."""
        no_longer_clients = {
            turn.index
            for turn, now in zip(before.turns, after.turns, strict=True)
            if turn.role is SpeakerRole.CLIENT and now.role is not SpeakerRole.CLIENT
        }
        linked = sorted(no_longer_clients & work.transcripts.linked_turns(session_id))
        if linked:
            listed = ", ".join(str(index) for index in linked[:5]) + (" …" if len(linked) > 5 else "")
            raise InvalidInput(
                f"A relational pattern on the client map holds turn{'s' if len(linked) > 1 else ''} {listed} "
                "as a moment of the client's, so those speakers keep their roles. Take those moments off "
                "their pattern first, then change who is who. Nothing was changed."
            )
        case_id = work.sessions.case_of(session_id)
        entries = [] if case_id is None else work.formulation.for_case(case_id, include_removed=True)
        for entry in entries:
            quoted = entry.provenance
            if (
                entry.status is EpistemicStatus.CLIENT_SAID
                and quoted.session_id == session_id
                and quoted.turn_index in no_longer_clients
            ):
                work.formulation.update(
                    entry.id,
                    text=entry.text,
                    status=EpistemicStatus.THERAPIST_HYPOTHESIS,
                    note="The turn it quoted is no longer a client's: the speakers were changed"
                    + (" while it was off the map." if entry.is_removed else "."),
                    actor_id=actor.id,
                )
                detail = "client_said -> therapist_hypothesis (speakers changed)"
                work.audit.record(actor.id, AuditAction.UPDATE, "formulation_entry", entry.id, detail)

    def _stored_transcript(self, work: UnitOfWork, actor: Clinician, session_id: int) -> StoredTranscript:
        session = self._writable_session(work, actor, session_id)
        stored = work.transcripts.load(session.id)
        if stored is None:
            raise NotFound("This session has no transcript yet.")
        return stored

    def session_analysis(
        self, actor: Clinician, session_id: int, *, exported_as: str | None = None
    ) -> SessionAnalysis:
        """The session, its transcript, analysis and report. `exported_as` (a file name, e.g.
        "report.pdf") records the read as an export in the audit trail: the report leaves the app."""
        catalogue = self.instruments()
        with self.store.transaction() as work:
            session = work.sessions.find(session_id)
            if session is None:
                raise NotFound("There is no such session in your caseload.")
            case, owner = self._visible_case(work, actor, session.case_id)
            stored = work.transcripts.load(session.id)
            result = None
            check_ins: tuple[CheckInSummary, ...] = ()
            dismissed: set[str] = set()
            edits: list[SuggestionEdit] = []
            if stored is not None and stored.roles_confirmed:
                annotations = AnnotationSet(tuple(work.transcripts.annotations(session.id)))
                names = tuple(sorted({annotation.produced_by for annotation in annotations}))
                result = AnalysisResult(stored.conversation, annotations, names)
                check_ins = self._session_check_ins(work, case, session, stored.conversation, catalogue)
                dismissed = {
                    _suggestion_id(d.turn_index)
                    for d in work.dismissals.for_session(session.id, REPORT_SUGGESTION)
                }
                edits = work.suggestion_edits.for_session(session.id)
            if exported_as is None:
                work.audit.record(actor.id, AuditAction.READ, "transcript", session.id)
            else:
                work.audit.record(actor.id, AuditAction.EXPORT, "session_report", session.id, exported_as)
        # Built once the transaction is over: a long session's report takes a while, and nobody should
        # wait for it to write.
        report = None
        if result is not None:
            title = f"Session {session.number} · {day(session.held_on)}"
            report = build_session_report(result, title=title, check_ins=check_ins)
            dismissed &= {suggestion.id for suggestion in report.suggestions}
            report = report.without_suggestions(dismissed).with_own_words(_own_words(report, edits))
        return SessionAnalysis(
            case, session, owner.id != actor.id, stored, result, report, len(dismissed) if report else 0
        )

    def dismiss_report_suggestion(self, actor: Clinician, session_id: int, suggestion_id: str) -> None:
        """Keep a suggested check-in of the session report out of sight (and out of its downloads)."""
        turn_index = _suggestion_turn(suggestion_id)
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            self._report_suggestion(work, session, suggestion_id)
            work.dismissals.dismiss(
                kind=REPORT_SUGGESTION,
                case_id=session.case_id,
                client_id=None,
                session_id=session.id,
                turn_index=turn_index,
                domain=None,
                actor_id=actor.id,
            )
            work.audit.record(
                actor.id, AuditAction.UPDATE, "session_report", session.id, "suggestion dismissed"
            )

    def reword_report_suggestion(
        self, actor: Clinician, session_id: int, suggestion_id: str, text: str
    ) -> bool:
        """Keep the therapist's own words for a suggested check-in of the session report (in place of the
        suggested words, in the app and in its downloads). Words that are the suggestion's own, once
        spaces are tidied, bring the suggestion back as suggested. Returns whether own words are kept."""
        turn_index = _suggestion_turn(suggestion_id)
        words = "\n".join(line.rstrip() for line in text.strip().splitlines())
        if not words.strip():
            raise InvalidInput(
                "The check-in is empty: write the words you would say, or keep the suggestion as it is."
            )
        if len(words) > MAX_OWN_WORDS:
            raise InvalidInput(
                f"A check-in of up to {MAX_OWN_WORDS:,} characters can be kept ({len(words):,} were sent); "
                "shorten it, or keep the longer text in your notes."
            )
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            suggestion = self._report_suggestion(work, session, suggestion_id)
            if words == suggestion.text:
                work.suggestion_edits.forget(session.id, turn_index)
                detail = "suggestion back to its suggested words"
            else:
                work.suggestion_edits.save(
                    session.id, turn_index, suggested=suggestion.text, text=words, actor_id=actor.id
                )
                detail = "suggestion put in own words"
            work.audit.record(actor.id, AuditAction.UPDATE, "session_report", session.id, detail)
            return words != suggestion.text

    def restore_suggested_words(self, actor: Clinician, session_id: int, suggestion_id: str) -> str:
        """Back to the suggested words of a suggested check-in; returns them."""
        turn_index = _suggestion_turn(suggestion_id)
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            suggestion = self._report_suggestion(work, session, suggestion_id)
            if work.suggestion_edits.forget(session.id, turn_index):
                detail = "suggestion back to its suggested words"
                work.audit.record(actor.id, AuditAction.UPDATE, "session_report", session.id, detail)
            return suggestion.text

    @staticmethod
    def _report_suggestion(work: UnitOfWork, session: Session, suggestion_id: str) -> Suggestion:
        """The suggestion of that id the session's report offers (none without an analysed transcript)."""
        stored = work.transcripts.load(session.id)
        if stored is not None and stored.roles_confirmed:
            annotations = AnnotationSet(tuple(work.transcripts.annotations(session.id)))
            summary = relational_summary_from(stored.conversation, annotations)
            for suggestion in suggestions_from(summary):
                if suggestion.id == suggestion_id:
                    return suggestion
        raise InvalidInput(f"There is no suggestion {suggestion_id[:40]!r} on this report.")

    def restore_report_suggestions(
        self, actor: Clinician, session_id: int, suggestion_id: str | None = None
    ) -> int:
        """Show dismissed suggestions of the session report again (one, or all); returns how many."""
        turn_index = None if suggestion_id is None else _suggestion_turn(suggestion_id)
        with self.store.transaction() as work:
            session = self._writable_session(work, actor, session_id)
            restored = work.dismissals.undismiss(session.id, REPORT_SUGGESTION, turn_index)
            if restored:
                detail = (
                    f"{restored} dismissed {'suggestion' if restored == 1 else 'suggestions'} shown again"
                )
                work.audit.record(actor.id, AuditAction.UPDATE, "session_report", session.id, detail)
            return restored

    def _session_check_ins(
        self,
        work: UnitOfWork,
        case: Case,
        session: Session,
        conversation: Conversation,
        catalogue: Catalogue,
    ) -> tuple[CheckInSummary, ...]:
        """Each attending client's first alliance check-in for this session, to set beside the transcript
        (named when the session had several clients: each partner answered separately)."""
        found: dict[int, CheckInSummary] = {}
        several = len(session.attendee_ids) > 1
        spoken_by: dict[int, set[str]] = {}
        for speaker in conversation.speakers:
            client_id = case.client_of_speaker(speaker)
            if client_id is not None:
                spoken_by.setdefault(client_id, set()).add(speaker)
        for check_in in work.checkins.for_clients(list(session.attendee_ids)):
            if check_in.session_id != session.id or check_in.instrument_id not in catalogue:
                continue
            if check_in.client_id in found:
                continue
            instrument = catalogue.get(check_in.instrument_id)
            if instrument.kind is not InstrumentKind.ALLIANCE:
                continue
            score = score_checkin(check_in, instrument)
            found[check_in.client_id] = CheckInSummary(
                instrument_title=instrument.title,
                total=score.total,
                cutoff=instrument.cutoff.value if instrument.cutoff else None,
                date=self.local_date(check_in.submitted_at),
                items=tuple(
                    CheckInItem(label=item.text, score=score.item_scores.get(item.id), maximum=item.maximum)
                    for item in instrument.items
                ),
                free_text=check_in.free_text,
                maximum=sum(item.maximum for item in instrument.items),
                client_name=case.client(check_in.client_id).display_name if several else None,
                # Each partner's check-in is compared with their own moments, where their speaker is known.
                speakers=tuple(sorted(spoken_by[check_in.client_id]))
                if several and check_in.client_id in spoken_by
                else None,
            )
        # In the order the case lists its clients.
        return tuple(found[client.id] for client in case.clients if client.id in found)


def _own_words(report: SessionReport, edits: Sequence[SuggestionEdit]) -> dict[str, str]:
    """The therapist's words by suggestion id, for the suggestions the report still makes in the words
    they were edited from (a new analysis may suggest other words for a turn: that edit is not shown)."""
    suggested = {suggestion.id: suggestion.text for suggestion in report.suggestions}
    own = {_suggestion_id(edit.turn_index): edit for edit in edits}
    return {key: edit.text for key, edit in own.items() if suggested.get(key) == edit.suggested}


def _suggestion_id(turn_index: int) -> str:
    """The report's id of a suggestion (`Suggestion.id`) from the turn a dismissal is stored under."""
    return OPENING if turn_index == OPENING_TURN else f"turn-{turn_index}"


def _suggestion_turn(suggestion_id: str) -> int:
    if suggestion_id == OPENING:
        return OPENING_TURN
    number = suggestion_id.removeprefix("turn-")
    if (
        not suggestion_id.startswith("turn-")
        or not number.isascii()
        or not number.isdigit()
        or len(number) > 6
    ):
        raise InvalidInput(f"There is no suggestion {suggestion_id[:40]!r} on this report.")
    return int(number)
