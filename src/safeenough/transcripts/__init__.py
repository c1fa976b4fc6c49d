"""Transcript readers: one module per file format, each giving an immutable Conversation.

Call `read_transcript` (or `read_transcript_with_roles` to also get the role guess and its
confidence). Every failure is a `TranscriptError`, an `InvalidInput` whose message names the file,
the line and what was expected.
"""

from safeenough.transcripts.building import merge_consecutive_turns
from safeenough.transcripts.errors import TranscriptError
from safeenough.transcripts.reader import (
    ReadTranscript,
    TranscriptFormat,
    detect_format,
    read_transcript,
    read_transcript_with_roles,
)
from safeenough.transcripts.roles import RoleAssignment, RoleSource, assign_roles, guess_roles
from safeenough.transcripts.source import MAX_BYTES

__all__ = [
    "MAX_BYTES",
    "ReadTranscript",
    "RoleAssignment",
    "RoleSource",
    "TranscriptError",
    "TranscriptFormat",
    "assign_roles",
    "detect_format",
    "guess_roles",
    "merge_consecutive_turns",
    "read_transcript",
    "read_transcript_with_roles",
]
