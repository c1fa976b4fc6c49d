"""A case's access history: who has opened, changed or downloaded what of the case, and when.

For the case's therapist and their supervisor (anyone else gets 404, like the case itself), so that a
therapist can answer a client who asks who has seen their record. It reads the audit trail, which
names records by kind and number only; this page puts them in words and names sessions and clients.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.practice.cases import CaseAccess
from safeenough.web.auth import Visitor, current_visitor
from safeenough.web.context import web_context
from safeenough.web.rendering import render
from safeenough.web.routes import parse_record_id

router = APIRouter()

ACTION_WORDS = {
    AuditAction.READ: "opened",
    AuditAction.CREATE: "added",
    AuditAction.UPDATE: "changed",
    AuditAction.DELETE: "removed",
    AuditAction.EXPORT: "downloaded",
}
"""What each action did, as a verb; the others (logins, refusals) are never about a case."""

RECORD_WORDS = {
    "case": "the case",
    "checkins": "the check-ins",
    "checkin": "a check-in's answers",
    "checkin_link": "a check-in link",
    "session": "a session",
    "transcript": "the transcript",
    "session_report": "the session report",
    "transcript_suggestions": "map suggestions from the transcript",
    "transcript_suggestion": "a map suggestion from the transcript",
    "client_map": "the client map",
    "shared_map": "the shared map",
    "formulation_entry": "a map entry",
    "relational_pattern": "a relational pattern",
    "enactment": "a moment of a relational pattern",
    "enactment_candidate": "a possible moment of a relational pattern",
    "enactment_candidates": "possible moments of relational patterns",
    "alert": "an alert",
    "supervision_summary": "the supervision summary",
    "case_access": "this access history",
}

_ABOUT_A_SESSION = {
    "session",
    "transcript",
    "session_report",
    "transcript_suggestions",
    "transcript_suggestion",
    "enactment_candidate",
}


@dataclass(frozen=True, slots=True)
class AccessLine:
    """One event as the page shows it."""

    event: AuditEvent
    who: str
    role: str
    """How the person stands to the case ("you", "supervisor", …), or "" for the client or the app."""
    what: str


def _line(access: CaseAccess, event: AuditEvent, visitor: Visitor) -> AccessLine:
    verb = ACTION_WORDS.get(event.action, event.action.value.replace("_", " "))
    record = RECORD_WORDS.get(event.target_kind, event.target_kind.replace("_", " "))
    if event.target_kind in _ABOUT_A_SESSION and event.target_id in access.sessions:
        record += f" of session {access.sessions[event.target_id].number}"
    if event.target_kind in {"client_map", "enactment_candidates"}:
        client = next((c for c in access.case.clients if c.id == event.target_id), None)
        if client is not None:
            record += f" of {client.display_name}"
    if event.actor_id is None:
        if event.target_kind == "checkin" and event.action is AuditAction.CREATE:
            return AccessLine(event, "The client", "", "sent a check-in through their link")
        return AccessLine(event, "safeenough", "", f"{verb} {record} (command line or the app itself)")
    person = access.people.get(event.actor_id)
    if person is None:
        return AccessLine(event, f"Account #{event.actor_id}", "", f"{verb} {record}")
    if person.id == visitor.clinician.id:
        role = "you"
    elif person.id == access.owner.id:
        role = "therapist"
    elif person.id == access.owner.supervisor_id:
        role = "supervisor"
    else:
        role = person.role.value
    return AccessLine(event, person.display_name, role, f"{verb} {record}")


@router.get("/cases/{case_id:id}/access")
def case_access(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    before = parse_record_id(request.query_params.get("before", ""))
    access = web_context(request).practice.case_access(visitor.clinician, case_id, before_id=before)
    context = {
        "access": access,
        "case": access.case,
        "lines": [_line(access, event, visitor) for event in access.events],
        "paged": before is not None,
    }
    return render(request, "case_access.html", context, visitor=visitor)
