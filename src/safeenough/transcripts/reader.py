"""The front door of transcript reading: pick the reader, read, and settle who the therapist is."""

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.annomi_csv import read_annomi_csv
from safeenough.transcripts.asr_json import read_asr_json
from safeenough.transcripts.building import merge_consecutive_turns
from safeenough.transcripts.docx import OLE_SIGNATURE, ZIP_SIGNATURE, read_docx
from safeenough.transcripts.roles import RoleAssignment, assign_roles, roles_from_file
from safeenough.transcripts.source import Source, decode_text, load_source
from safeenough.transcripts.srt import read_srt
from safeenough.transcripts.text import read_text
from safeenough.transcripts.vtt import read_vtt


class TranscriptFormat(StrEnum):
    VTT = "vtt"
    SRT = "srt"
    TEXT = "txt"
    DOCX = "docx"
    ASR_JSON = "json"
    ANNOMI_CSV = "csv"


EXTENSIONS = {
    ".vtt": TranscriptFormat.VTT,
    ".webvtt": TranscriptFormat.VTT,
    ".srt": TranscriptFormat.SRT,
    ".txt": TranscriptFormat.TEXT,
    ".text": TranscriptFormat.TEXT,
    ".md": TranscriptFormat.TEXT,
    ".docx": TranscriptFormat.DOCX,
    ".json": TranscriptFormat.ASR_JSON,
    ".csv": TranscriptFormat.ANNOMI_CSV,
}
SUPPORTED = ".vtt, .srt, .txt, .docx, .json (ASR segments) or .csv (AnnoMI-style)"
NOT_TRANSCRIPTS = {
    ".pdf": "a PDF",
    ".doc": "an old Word 97-2003 file",
    ".rtf": "a rich-text file",
    ".odt": "an OpenDocument file",
    ".mp3": "an audio recording",
    ".m4a": "an audio recording",
    ".wav": "an audio recording",
    ".mp4": "a video recording",
}

PDF_SIGNATURE = b"%PDF"

READERS: dict[TranscriptFormat, Callable[[Source], Conversation]] = {
    TranscriptFormat.VTT: read_vtt,
    TranscriptFormat.SRT: read_srt,
    TranscriptFormat.TEXT: read_text,
    TranscriptFormat.DOCX: read_docx,
    TranscriptFormat.ASR_JSON: read_asr_json,
}


@dataclass(frozen=True, slots=True)
class ReadTranscript:
    """One conversation as read, with its roles assigned, and how they were assigned."""

    conversation: Conversation
    roles: RoleAssignment
    format: TranscriptFormat


def read_transcript(
    path_or_bytes: str | os.PathLike[str] | bytes,
    filename: str | None = None,
    *,
    therapist: str | None = None,
    merge_consecutive: bool = False,
) -> list[Conversation]:
    """The conversations in a transcript file, with speaker roles assigned.

    `filename` names uploaded bytes (its extension picks the reader; its stem is the conversation id);
    for a path it defaults to the path's name. Roles come from the file (AnnoMI CSV), else from
    `therapist`, else from a guess: use `read_transcript_with_roles` to get the guess's confidence.
    Raises `TranscriptError` (an `InvalidInput`) naming the file and line for anything unreadable.
    """
    read = read_transcript_with_roles(
        path_or_bytes, filename, therapist=therapist, merge_consecutive=merge_consecutive
    )
    return [item.conversation for item in read]


def read_transcript_with_roles(
    path_or_bytes: str | os.PathLike[str] | bytes,
    filename: str | None = None,
    *,
    therapist: str | None = None,
    merge_consecutive: bool = False,
) -> list[ReadTranscript]:
    """Like `read_transcript`, also saying for each conversation how sure the role assignment is."""
    source = load_source(path_or_bytes, filename)
    transcript_format = detect_format(source)
    results: list[ReadTranscript] = []
    if transcript_format is TranscriptFormat.ANNOMI_CSV:
        # The interlocutor column states each role, so a `therapist` name has nothing to settle.
        for conversation in read_annomi_csv(source):
            results.append(ReadTranscript(conversation, roles_from_file(conversation), transcript_format))
        return results
    conversation = READERS[transcript_format](source)
    if merge_consecutive:
        conversation = merge_consecutive_turns(conversation)
    roles = assign_roles(conversation, therapist=therapist, filename=source.filename)
    return [ReadTranscript(roles.apply(conversation), roles, transcript_format)]


def detect_format(source: Source) -> TranscriptFormat:
    """By extension when it is one we read; otherwise by looking at the content.

    The signatures of PDF, Word and zip files are checked first, whatever the extension: a PDF renamed
    .txt must be named for what it is, not refused as text in an unknown encoding.
    """
    extension = source.extension
    _refuse_documents_that_are_not_transcripts(source)
    if extension in EXTENSIONS:
        if EXTENSIONS[extension] is TranscriptFormat.TEXT:
            # Zoom and Teams captions are often saved or renamed as .txt; read as lines of text their
            # timing lines would end up in the talk.
            return _captions_format(decode_text(source)) or TranscriptFormat.TEXT
        return EXTENSIONS[extension]
    if extension in NOT_TRANSCRIPTS:
        raise source.error(f"this is {NOT_TRANSCRIPTS[extension]}; expected a transcript file: {SUPPORTED}")
    data = source.data
    if data.startswith((ZIP_SIGNATURE, OLE_SIGNATURE)):
        return TranscriptFormat.DOCX
    text = decode_text(source).lstrip()
    first_line = text.split("\n", 1)[0]
    if text.startswith(("{", "[")):
        return TranscriptFormat.ASR_JSON
    if "transcript_id" in first_line and "utterance_text" in first_line:
        return TranscriptFormat.ANNOMI_CSV
    return _captions_format(text) or TranscriptFormat.TEXT


def _captions_format(text: str) -> TranscriptFormat | None:
    """VTT or SRT when the text opens as one: "WEBVTT", or a cue number over a timing line."""
    text = text.lstrip()
    if text.startswith("WEBVTT"):
        return TranscriptFormat.VTT
    lines = text.splitlines()
    if len(lines) >= 2 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return TranscriptFormat.SRT
    return None


def _refuse_documents_that_are_not_transcripts(source: Source) -> None:
    data = source.data
    export = f"expected a transcript file: {SUPPORTED}; export the transcript as one of these"
    if data.startswith(PDF_SIGNATURE):
        raise source.error(f"this is a PDF file, not a transcript; {export}")
    if source.extension == ".docx" or source.extension not in EXTENSIONS:
        return  # the Word reader, or the content, decides
    if data.startswith(ZIP_SIGNATURE):
        raise source.error(
            "this is a Word document (or another zip file), not a text transcript (if it is a Word "
            f"document, name it .docx); {export}"
        )
    if data.startswith(OLE_SIGNATURE):
        raise source.error(
            f"this is an old Word 97-2003 (or other Office) file, not a text transcript; {export}"
        )
