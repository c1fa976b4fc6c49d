"""The facade: every use case goes through `Practice`. The CLI and the web app are thin callers of it.

One module per family of use cases (accounts, cases, check-ins, transcripts, exports), mixed into one
`Practice`; the access rules live in `base.py`, in one place. Every read or write of clinical content is
written to the audit trail in the same transaction.

Names are loaded when first used (PEP 562), so `safeenough analyze`, which needs only
`practice.research`, starts without loading the database layer.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safeenough.domain.login_session import LoginSession
    from safeenough.practice.cases import CaseAccess, CaseDetail, CaseSummary
    from safeenough.practice.checkins import (
        CaseMonitoring,
        CheckInInvitation,
        ClientTrack,
        IssuedLink,
        SubmittedCheckIn,
    )
    from safeenough.practice.facade import DemoCredentials, Practice
    from safeenough.practice.research import AnalysedFile
    from safeenough.practice.transcripts import SessionAnalysis, TranscriptPreview

_HOMES = {
    "AnalysedFile": "safeenough.practice.research",
    "CaseAccess": "safeenough.practice.cases",
    "CaseDetail": "safeenough.practice.cases",
    "CaseMonitoring": "safeenough.practice.checkins",
    "CaseSummary": "safeenough.practice.cases",
    "CheckInInvitation": "safeenough.practice.checkins",
    "ClientTrack": "safeenough.practice.checkins",
    "DemoCredentials": "safeenough.practice.facade",
    "IssuedLink": "safeenough.practice.checkins",
    "LoginSession": "safeenough.domain.login_session",
    "Practice": "safeenough.practice.facade",
    "SessionAnalysis": "safeenough.practice.transcripts",
    "SubmittedCheckIn": "safeenough.practice.checkins",
    "TranscriptPreview": "safeenough.practice.transcripts",
}

__all__ = [
    "AnalysedFile",
    "CaseAccess",
    "CaseDetail",
    "CaseMonitoring",
    "CaseSummary",
    "CheckInInvitation",
    "ClientTrack",
    "DemoCredentials",
    "IssuedLink",
    "LoginSession",
    "Practice",
    "SessionAnalysis",
    "SubmittedCheckIn",
    "TranscriptPreview",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
