"""Word transcripts: paragraphs read as lines of a plain-text transcript, and transcript tables.

Each paragraph is split at its line breaks (Shift+Enter), and each line is read as a line of a
plain-text transcript (`Name: words`, by the rules of `text.py`, which also skip a title or header
before the first speaker). Tables are read in document order with the paragraphs: a table with one
column holds `Name: words` lines; a table with two or more columns holds a speaker column and a words
column, perhaps with a header row ("Speaker | Text", skipped) and a time or turn-number column. The
header row's names pick the columns when it has them; otherwise columns of times or numbers are set
aside, the words column is the one with the most text, and the speaker column is the one of the rest
whose values repeat most. A row with an empty speaker cell continues the turn before it.
"""

import io
import re
import zipfile
from dataclasses import dataclass

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.source import LINE_BREAK, MAX_BYTES, Source
from safeenough.transcripts.text import Entry, clock_to_seconds, parse_entries

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: python-docx unpacks the whole package into memory; a small file can claim gigabytes unpacked.
MAX_UNPACKED_BYTES = 5 * MAX_BYTES

SPEAKER_HEADINGS = frozenset({"speaker", "speakers", "name", "who", "person", "role", "participant"})
WORDS_HEADINGS = frozenset(
    {
        "text",
        "words",
        "what",
        "utterance",
        "utterances",
        "transcript",
        "what was said",
        "content",
        "dialogue",
        "said",
    }
)
OTHER_HEADINGS = frozenset(
    {"time", "timestamp", "start", "start time", "end", "#", "no", "number", "line", "turn"}
)
CLOCK = re.compile(r"^[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?$")
NUMBER = re.compile(r"^\d{1,6}\.?$")


@dataclass(frozen=True, slots=True)
class _Block:
    """A paragraph's text, or a table's rows of cell texts, as python-docx gave them."""

    paragraph: str | None = None
    rows: tuple[tuple[str, ...], ...] = ()


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
        blocks = [
            _Block(paragraph=block.text) if isinstance(block, Paragraph) else _Block(rows=_rows(block))
            for block in document.iter_inner_content()
        ]
    except Exception:
        # A damaged package fails in python-docx's zip, OPC or XML layer, each with its own exception
        # types; all of them mean the same to the therapist, and nothing of ours runs in this block.
        raise source.error("expected a Word .docx document but the file is damaged or not one") from None
    entries = _entries(blocks)
    if not any(entry.text.strip() or (entry.speaker or "").strip() for entry in entries):
        raise source.error(
            'found no text paragraphs or table rows; expected paragraphs of "Name: words" or a table '
            "of speakers and their words (text in text boxes is not read)"
        )
    return parse_entries(source, entries, conversation_id=source.stem, place="paragraph")


def _rows(table: Table) -> tuple[tuple[str, ...], ...]:
    rows = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            # A cell merged across columns is given once per column it spans: read it once.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(cell.text)
        rows.append(tuple(cells))
    return tuple(rows)


def _entries(blocks: list[_Block]) -> list[Entry]:
    entries: list[Entry] = []
    paragraph_number = 0
    table_number = 0
    for block in blocks:
        if block.paragraph is not None:
            paragraph_number += 1
            for offset, line in enumerate(LINE_BREAK.split(block.paragraph)):
                source_id = str(paragraph_number) if offset == 0 else f"{paragraph_number}.{offset + 1}"
                entries.append(
                    Entry(text=line, number=paragraph_number, place="paragraph", source_id=source_id)
                )
        else:
            table_number += 1
            entries.extend(_table_entries(block.rows, table_number))
    return entries


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in LINE_BREAK.split(text) if part.strip())


def _table_entries(rows: tuple[tuple[str, ...], ...], table_number: int) -> list[Entry]:
    place = f"table {table_number}, row"

    def source_id(row_number: int) -> str:
        return f"T{table_number}.{row_number}"

    headings = _headings(rows[0]) if rows else None
    body = list(enumerate(rows, start=1))[1 if headings is not None else 0 :]
    width = max((len(cells) for cells in rows), default=0)
    columns = [
        [_one_line(cells[column]) if column < len(cells) else "" for _, cells in body]
        for column in range(width)
    ]
    speaker_column, words_column, time_column = _pick_columns(columns, headings)
    entries: list[Entry] = []
    if speaker_column is None or words_column is None:
        # Cells of `Name: words` lines, read like paragraphs
        for row_number, cells in body:
            for cell in cells:
                for line in LINE_BREAK.split(cell):
                    entries.append(
                        Entry(text=line, number=row_number, place=place, source_id=source_id(row_number))
                    )
        return entries
    for position, (row_number, _) in enumerate(body):
        speaker = columns[speaker_column][position]
        words = columns[words_column][position]
        if not speaker and not words:
            continue
        clock = CLOCK.match(columns[time_column][position]) if time_column is not None else None
        entries.append(
            Entry(
                text=words,
                number=row_number,
                place=place,
                source_id=source_id(row_number),
                speaker=speaker,
                start_seconds=None if clock is None else clock_to_seconds(clock[1]),
            )
        )
    return entries


def _headings(cells: tuple[str, ...]) -> list[str] | None:
    """The row's cells as column names, if it is a header row ("Speaker | Text")."""
    names = [_one_line(cell).lower().strip(" :") for cell in cells]
    known = SPEAKER_HEADINGS | WORDS_HEADINGS | OTHER_HEADINGS
    if any(names) and all(name in known for name in names if name):
        return names
    return None


def _pick_columns(
    columns: list[list[str]], headings: list[str] | None
) -> tuple[int | None, int | None, int | None]:
    """The speaker, words and time columns; speaker or words None when the table has no such pair."""
    filled = [index for index, cells in enumerate(columns) if any(cells)]
    time_column = next(
        (index for index in filled if all(CLOCK.match(cell) for cell in columns[index] if cell)), None
    )
    if headings is not None:
        speaker = next((i for i in filled if i < len(headings) and headings[i] in SPEAKER_HEADINGS), None)
        words = next((i for i in filled if i < len(headings) and headings[i] in WORDS_HEADINGS), None)
        if speaker is not None and words is not None:
            return speaker, words, time_column
    talk = [
        index
        for index in filled
        if not all(CLOCK.match(cell) or NUMBER.match(cell) for cell in columns[index] if cell)
    ]
    if len(talk) < 2:
        return None, None, time_column
    words = max(talk, key=lambda index: sum(len(cell) for cell in columns[index]))
    rest = [index for index in talk if index != words]
    speaker = min(rest, key=lambda index: len({cell for cell in columns[index] if cell}))
    return speaker, words, time_column


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
