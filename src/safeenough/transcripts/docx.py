"""Word transcripts: each paragraph is read as a line of a plain-text transcript (`Name: words`)."""

import io
import zipfile

import docx
from docx.text.paragraph import Paragraph

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.source import MAX_BYTES, Source
from safeenough.transcripts.text import parse_lines

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: python-docx unpacks the whole package into memory; a small file can claim gigabytes unpacked.
MAX_UNPACKED_BYTES = 5 * MAX_BYTES


def read_docx(source: Source) -> Conversation:
    if source.data.startswith(OLE_SIGNATURE):
        raise source.error(
            "this is an old Word 97-2003 .doc file; expected a .docx file "
            '(open it in Word and choose "Save As" → Word Document)'
        )
    if not source.data.startswith(ZIP_SIGNATURE):
        raise source.error("expected a Word .docx document but the file is not one")
    _refuse_oversized_package(source)
    try:
        document = docx.Document(io.BytesIO(source.data))
        paragraphs = [block.text for block in document.iter_inner_content() if isinstance(block, Paragraph)]
    except Exception:
        # A damaged package fails in python-docx's zip, OPC or XML layer, each with its own exception
        # types; all of them mean the same to the therapist, and nothing of ours runs in this block.
        raise source.error("expected a Word .docx document but the file is damaged or not one") from None
    if not any(text.strip() for text in paragraphs):
        raise source.error(
            'found no text paragraphs; expected paragraphs of "Name: words" '
            "(text inside tables and text boxes is not read)"
        )
    return parse_lines(source, paragraphs, conversation_id=source.stem, place="paragraph")


def _refuse_oversized_package(source: Source) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise source.error("expected a Word .docx document but the file is damaged or not one") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise source.error(
            f"this document would unpack to {unpacked / 1024**2:,.0f} MB, more than the "
            f"{MAX_UNPACKED_BYTES / 1024**2:,.0f} MB safeenough reads; save the transcript as plain text "
            "(.txt) or as a Word document without pictures, and upload that"
        )
