"""The facade: every use case goes through `Practice`. The CLI and the web app are thin callers of it.

One module per family of use cases (accounts, cases, check-ins, transcripts, exports), mixed into one
`Practice`; the access rules live in `base.py`, in one place. Every read or write of clinical content is
written to the audit trail in the same transaction.
"""

from safeenough.domain.login_session import LoginSession
from safeenough.practice.cases import CaseDetail, CaseSummary
from safeenough.practice.checkins import (
    CaseMonitoring,
    CheckInInvitation,
    ClientTrack,
    IssuedLink,
    SubmittedCheckIn,
)
from safeenough.practice.facade import DemoCredentials, Practice
from safeenough.practice.transcripts import AnalysedFile, SessionAnalysis, TranscriptPreview

__all__ = [
    "AnalysedFile",
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
