"""The facade: every use case goes through `Practice`; the CLI and the web app are thin callers of it."""

from datetime import date
from pathlib import Path

from safeenough.analysis.relational import relational_summary_from
from safeenough.domain.alert import AlertStatus
from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.checkin import Answer
from safeenough.domain.clinician import Clinician
from safeenough.domain.formulation import Provenance
from safeenough.domain.session import Session
from safeenough.practice.accounts import AccountsMixin
from safeenough.practice.cases import CasesMixin
from safeenough.practice.exports import ExportsMixin
from safeenough.practice.formulation import FormulationMixin
from safeenough.practice.transcripts import TranscriptsMixin
from safeenough.settings import Settings
from safeenough.storage import fixtures
from safeenough.storage.store import Store

DemoCredentials = fixtures.DemoCredentials


class Practice(AccountsMixin, CasesMixin, TranscriptsMixin, ExportsMixin, FormulationMixin):
    """The public API: every use case of the CLI and the web app goes through here."""

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Practice":
        """Connect to the configured database; it must already be migrated (see `migrate`).

        Instrument files installed under `<data dir>/instruments` by an older version are imported."""
        settings = settings or Settings()
        practice = cls(Store(settings.resolved_database_url, settings.resolved_key_file), settings)
        try:
            practice.store.require_current_schema()
            practice.import_legacy_instruments()
        except BaseException:
            practice.close()
            raise
        return practice

    @classmethod
    def create(cls, settings: Settings | None = None) -> "Practice":
        """Connect, bring the schema up to date and check the encryption key."""
        settings = settings or Settings()
        practice = cls(Store(settings.resolved_database_url, settings.resolved_key_file), settings)
        try:
            practice.migrate()
            practice.import_legacy_instruments()
        except BaseException:
            practice.close()
            raise
        return practice

    def migrate(self) -> None:
        self.store.migrate()
        _ = self.store.cipher  # prove the key opens this database now, not at the first clinical read

    def close(self) -> None:
        self.store.dispose()

    def seed_demo(self, today: date | None = None) -> DemoCredentials | None:
        """Create the fictional demo practice if the database has no accounts yet."""
        with self.store.transaction() as work:
            if work.clinicians.count() > 0:
                return None
            credentials = fixtures.seed_demo_practice(work, self.hash_password, today or self.today())
        self._seed_demo_check_ins()
        self._seed_demo_transcripts()
        return credentials

    def _demo_cast(self) -> tuple[dict[int, Clinician], dict[str, Case], dict[int, list[Session]]]:
        """The demo's clinicians by id, cases by title and sessions by case, to seed the rest by name."""
        with self.store.transaction() as work:
            owners = {clinician.id: clinician for clinician in work.clinicians.all()}
            cases = {case.title: case for case in work.cases.many(work.cases.all_ids())}
            return owners, cases, work.sessions.for_cases([case.id for case in cases.values()])

    def _seed_demo_check_ins(self) -> None:
        """The demo's check-ins go through the same links and scoring as real ones."""
        catalogue = self.instruments()
        owners, cases, sessions = self._demo_cast()
        for demo in fixtures.DEMO_CHECKINS:
            case = cases[demo.case_title]
            session = sessions[case.id][demo.session_number - 1]
            instrument = catalogue.get(demo.instrument_id)
            issued = self.issue_checkin_link(
                owners[case.clinician_id],
                session.id,
                case.clients[demo.client_index].id,
                instrument_ids=(instrument.id,),
            )
            answers: dict[str, Answer] = {
                item.id: value for item, value in zip(instrument.items, demo.answers, strict=True)
            }
            self.submit_checkin(issued.token, {instrument.id: answers}, {instrument.id: demo.free_text})
        # Dated before any alert is raised, since an alert's evidence keeps the dates it was raised with.
        with self.store.transaction() as work:
            fixtures.backdate_demo_check_ins(work)
        # Mara's dip was talked through in session 4: the demo shows resolved alerts beside open ones.
        mara = cases[fixtures.DEMO_CASES[0].title]
        owner = owners[mara.clinician_id]
        for record in self.case_monitoring(owner, mara.id).alerts:
            self.set_alert_status(owner, record.id, AlertStatus.RESOLVED, fixtures.DEMO_RESOLUTION_NOTE)

    def _seed_demo_transcripts(self) -> None:
        """The demo's transcripts go through the same reader and analysis as an upload."""
        owners, cases, sessions = self._demo_cast()
        for demo in fixtures.DEMO_TRANSCRIPTS:
            case = cases[demo.case_title]
            self.import_transcript(
                owners[case.clinician_id],
                sessions[case.id][demo.session_number - 1].id,
                filename=demo.filename,
                data=demo.read(),
                therapist=demo.therapist,
            )
        mara_transcript = fixtures.DEMO_TRANSCRIPTS[0]
        mara = cases[mara_transcript.case_title]
        self._seed_demo_map(
            owners[mara.clinician_id], mara, sessions[mara.id][mara_transcript.session_number - 1].id
        )

    def _seed_demo_map(self, owner: Clinician, case: Case, session_id: int) -> None:
        """Mara's map and relational pattern, pointing at her words in the demo transcript, and the
        moment of session 3 where the pattern showed up in the room."""
        client_id = case.clients[0].id
        analysed = self.session_analysis(owner, session_id).result
        assert analysed is not None
        for entry in fixtures.DEMO_MAP_ENTRIES:
            provenance = None
            if entry.turn is not None:
                said = analysed.conversation.turns[entry.turn].text
                provenance = Provenance.session_turn(session_id, entry.turn, said)
            self.add_entry(
                owner,
                client_id,
                domain=entry.domain,
                text=entry.text,
                status=entry.status,
                provenance=provenance,
            )
        demo = fixtures.DEMO_PATTERN
        pattern = self.add_pattern(
            owner, client_id, demo.wish, demo.response_of_other, demo.response_of_self, demo.examples
        )
        # The moment comes from the model, so it is looked up rather than assumed.
        summary = relational_summary_from(analysed.conversation, analysed.annotations)
        enacted = next((m for m in summary.moments if m.subtype == demo.enacted_as), None)
        if enacted is not None:
            self.link_enactment(owner, pattern.id, session_id, enacted.turn)

    def signing_key(self, purpose: str) -> bytes:
        """A secret shared by every worker on this database, derived from the encryption key (HKDF)."""
        return self.store.cipher.derive_secret(f"web:{purpose}")

    def backup(self, target: Path) -> Path:
        """A copy of every clinical record, so it is audited like an export (from the command line)."""
        written = self.store.backup(target)
        with self.store.transaction() as work:
            work.audit.record(None, AuditAction.EXPORT, "database", None, f"backup written to {written}")
        return written

    def restore(self, backup_file: Path) -> Path:
        """The restored database's own trail ends where the backup was taken, so the restore is recorded in
        it, with where the replaced database (and the trail after the backup) was kept."""
        kept = self.store.restore(backup_file)
        with self.store.transaction() as work:
            work.audit.record(
                None,
                AuditAction.UPDATE,
                "database",
                None,
                f"restored from {backup_file}; the database it replaced is kept as {kept}"[:500],
            )
        return kept
