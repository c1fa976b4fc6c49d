"""Downloads: a case's check-ins as a FHIR Bundle, the clinician's scores as CSV, the supervision summary
(HTML and PDF) and a session report as PDF.

Every download is an attachment, `Cache-Control: no-store`, and goes through the facade, which decides
who may read it (the owner and their supervisor; anyone else gets 404; an admin never gets clinical data)
and audits it. File names carry ids and session numbers only, never a client's name.
"""

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from safeenough.errors import PermissionDenied
from safeenough.reports.pdf import PdfUnavailable
from safeenough.reports.session_pdf import render_session_report_pdf
from safeenough.reports.supervision import render_supervision_html, render_supervision_pdf
from safeenough.web.auth import Visitor, current_visitor
from safeenough.web.context import web_context
from safeenough.web.rendering import render_error

router = APIRouter()

FHIR_MEDIA_TYPE: Final = "application/fhir+json"
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def attachment(content: str | bytes, media_type: str, filename: str) -> Response:
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


def _refuse_admin(visitor: Visitor) -> None:
    if visitor.is_admin:
        raise PermissionDenied("An admin account cannot download clinical data.")


def _pdf_unavailable(request: Request, visitor: Visitor, error: PdfUnavailable) -> Response:
    return render_error(
        request, 503, "PDF is not available here", str(error), visitor=visitor, headers=dict(NO_STORE)
    )


@router.get("/cases/{case_id:id}/export/fhir.json")
def case_fhir(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    _refuse_admin(visitor)
    bundle = web_context(request).practice.export_case_fhir(visitor.clinician, case_id)
    return attachment(bundle, FHIR_MEDIA_TYPE, f"case-{case_id}-checkins.fhir.json")


@router.get("/export/scores.csv")
def scores_csv(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    _refuse_admin(visitor)
    table = web_context(request).practice.export_scores_csv(visitor.clinician)
    return attachment(table, "text/csv; charset=utf-8", "scores.csv")


@router.get("/cases/{case_id:id}/supervision.html")
def supervision_html(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    _refuse_admin(visitor)
    summary = web_context(request).practice.supervision_summary(visitor.clinician, case_id)
    return attachment(
        render_supervision_html(summary), "text/html; charset=utf-8", f"case-{case_id}-supervision.html"
    )


@router.get("/cases/{case_id:id}/supervision.pdf")
def supervision_pdf(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    _refuse_admin(visitor)
    summary = web_context(request).practice.supervision_summary(visitor.clinician, case_id)
    try:
        pdf = render_supervision_pdf(summary)
    except PdfUnavailable as error:
        return _pdf_unavailable(request, visitor, error)
    return attachment(pdf, "application/pdf", f"case-{case_id}-supervision.pdf")


@router.get("/sessions/{session_id:id}/report.pdf")
def session_report_pdf(
    request: Request, session_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    _refuse_admin(visitor)
    analysis = web_context(request).practice.session_analysis(
        visitor.clinician, session_id, exported_as="report.pdf"
    )
    if analysis.report is None:
        return render_error(
            request,
            404,
            "No report yet",
            "This session has no analysed transcript yet, so there is no report to download.",
            visitor=visitor,
        )
    try:
        pdf = render_session_report_pdf(analysis.report)
    except PdfUnavailable as error:
        return _pdf_unavailable(request, visitor, error)
    return attachment(pdf, "application/pdf", f"session-{analysis.session.number}-report.pdf")
