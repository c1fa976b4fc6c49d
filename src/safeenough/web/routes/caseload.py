"""The caseload: the front page for clinicians and supervisors."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from safeenough.practice.cases import CASELOAD_TREND_SESSIONS
from safeenough.web.auth import Visitor, current_visitor
from safeenough.web.context import web_context
from safeenough.web.rendering import render

router = APIRouter()


@router.get("/")
def caseload(request: Request, visitor: Annotated[Visitor, Depends(current_visitor)]) -> Response:
    if visitor.is_admin:
        # Administrators manage accounts and never see clinical content.
        return RedirectResponse("/admin/users", status_code=303)
    summaries = web_context(request).practice.caseload(visitor.clinician)
    own = [summary for summary in summaries if not summary.read_only]
    supervised = [summary for summary in summaries if summary.read_only]
    context = {"own": own, "supervised": supervised, "trend_sessions": CASELOAD_TREND_SESSIONS}
    return render(request, "caseload.html", context, visitor=visitor)
