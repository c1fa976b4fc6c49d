"""Exports of check-in scores: FHIR for records systems, tidy CSV for researchers."""

from safeenough.domain.audit import AuditAction
from safeenough.domain.clinician import Clinician
from safeenough.errors import (
    NotFound,
    PermissionDenied,
)
from safeenough.interop.csv_export import score_rows, scores_csv
from safeenough.interop.fhir import fhir_bundle
from safeenough.practice.checkins import CheckInsMixin


class ExportsMixin(CheckInsMixin):
    def export_case_fhir(
        self,
        actor: Clinician,
        case_id: int,
        *,
        include_free_text: bool = False,
        from_command_line: bool = False,
    ) -> str:
        """The case's check-ins as a FHIR R4B Bundle (pseudonymous codes only, never names).

        The audit detail says when the clients' own words went with it, and when the command line acted
        in the owner's name."""
        monitoring = self.case_monitoring(actor, case_id)
        bundle = fhir_bundle(
            monitoring.case,
            monitoring.sessions,
            [(track.client, track.instrument, track.history) for track in monitoring.tracks],
            include_free_text=include_free_text,
        )
        detail = "fhir" + (", with free-text answers" if include_free_text else "")
        self._audit_export(
            actor.id, "case", case_id, detail + (", from the command line" if from_command_line else "")
        )
        return bundle

    def export_scores_csv(self, actor: Clinician | None) -> str:
        """Tidy CSV of every score the actor may read (None: the whole practice, for the command line)."""
        if actor is not None and not actor.role.holds_caseload:
            raise PermissionDenied("An admin account cannot export clinical data.")
        catalogue = self.instruments()
        rows = []
        # Seconds for a large practice: read apart from the writers, so check-ins are not held up.
        with self.store.reading() as work:
            owners = None if actor is None else [owner.id for owner in self._visible_owners(work, actor)]
            cases = work.cases.many(work.cases.all_ids()) if owners is None else work.cases.owned_by(owners)
            for case in cases:
                monitoring = self._monitoring(work, case, read_only=True, catalogue=catalogue)
                rows.extend(
                    score_rows(
                        case,
                        monitoring.sessions,
                        [(track.client, track.instrument, track.history) for track in monitoring.tracks],
                    )
                )
        with self.store.transaction() as work:
            detail = f"scores csv, {len(cases)} cases"
            work.audit.record(
                None if actor is None else actor.id, AuditAction.EXPORT, "practice", None, detail
            )
        return scores_csv(rows)

    def export_case_fhir_as_owner(self, case_id: int, *, include_free_text: bool = False) -> str:
        """For the command line: export as the clinician who owns the case."""
        with self.store.transaction() as work:
            owner_id = work.cases.owner_id(case_id)
            if owner_id is None:
                raise NotFound(f"There is no case {case_id}.")
            owner = work.clinicians.get(owner_id)
        return self.export_case_fhir(
            owner, case_id, include_free_text=include_free_text, from_command_line=True
        )

    def _audit_export(self, actor_id: int | None, kind: str, target_id: int | None, detail: str) -> None:
        with self.store.transaction() as work:
            work.audit.record(actor_id, AuditAction.EXPORT, kind, target_id, detail)
