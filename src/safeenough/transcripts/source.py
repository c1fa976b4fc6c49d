"""Raw input handling shared by every reader: size limits, decoding, and line splitting."""

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path

from safeenough.transcripts.errors import TranscriptError

MAX_BYTES = 20 * 1024 * 1024
"""A transcript of a long session is well under 1 MB; 20 MB leaves room for Word files with images."""

# Line breaks as editors count them. str.splitlines also breaks on form feeds, U+2028 and others,
# which would make our line numbers disagree with what the therapist sees in their editor.
LINE_BREAK = re.compile(r"\r\n|\r|\n")

# C0 control characters other than tab and line breaks never occur in real transcripts; finding them
# means the bytes are not text (or were decoded with the wrong encoding).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True, slots=True)
class Source:
    """The bytes of one uploaded file and the name it is known by."""

    filename: str
    data: bytes

    @property
    def stem(self) -> str:
        """The file name without folder and extension: the conversation id for one-conversation files."""
        return Path(self.filename).stem or self.filename

    @property
    def extension(self) -> str:
        return Path(self.filename).suffix.lower()

    def error(self, problem: str, *, line: int | None = None, place: str = "line") -> TranscriptError:
        return TranscriptError(self.filename, problem, line=line, place=place)


def load_source(path_or_bytes: str | os.PathLike[str] | bytes, filename: str | None = None) -> Source:
    """Read a file (or take uploaded bytes), refusing what is too large or empty."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
        name = filename or "transcript"
    else:
        path = Path(path_or_bytes)
        name = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as error:
            raise TranscriptError(name, f"cannot open the file ({error.strerror or error})") from None
        _check_size(name, size)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TranscriptError(name, f"cannot read the file ({error.strerror or error})") from None
    _check_size(name, len(data))
    if not data.strip():
        raise TranscriptError(name, "the file is empty; expected a transcript with at least one speaker")
    return Source(filename=name, data=data)


def _check_size(name: str, size: int) -> None:
    if size > MAX_BYTES:
        raise TranscriptError(
            name,
            f"the file is {size / 1024 / 1024:.1f} MB; transcripts of up to "
            f"{MAX_BYTES // 1024 // 1024} MB can be read (is this the recording rather than the transcript?)",
        )


def decode_text(source: Source) -> str:
    """The file's text, with any byte-order mark removed.

    Tries UTF-8 (with or without a BOM) first, since that is what Zoom, Teams and most editors write;
    UTF-16 when a BOM says so (Windows Notepad's "Unicode"); and only then Windows-1252, the usual
    encoding of older Windows exports. Windows-1252 decodes almost any bytes, so the result is checked
    for control characters, which would mean the file is not text at all.
    """
    data = source.data
    utf16 = "utf-16" if data.startswith(UTF16_BOMS) else _utf16_without_bom(data)
    if utf16 is not None:
        text = _decode_or_none(data, utf16)
        if text is None:
            raise source.error("the file starts like UTF-16 text but is not; expected a text transcript")
    else:
        text = _decode_or_none(data, "utf-8-sig")
        if text is None:
            text = _decode_or_none(data, "cp1252")
        if text is None:
            raise source.error(
                "the file is not text in a known encoding; expected a transcript saved as UTF-8 text"
            )
    return _reject_binary(source, text)


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the NUL bytes say so, else None.

    Text in UTF-16 whose characters are mostly below U+0100 (English, German, French…) has a NUL in
    every character's high byte: at odd positions for little-endian, at even ones for big-endian.
    UTF-8 and Windows-1252 text has no NUL bytes at all.
    """
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2 or len(data) % 2:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls >= pairs * 0.6 and even_nuls <= pairs * 0.05:
        return "utf-16-le"
    if even_nuls >= pairs * 0.6 and odd_nuls <= pairs * 0.05:
        return "utf-16-be"
    return None


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _reject_binary(source: Source, text: str) -> str:
    text = text.removeprefix("\ufeff")
    found = CONTROL_CHARACTER.search(text)
    if found is not None:
        line = len(LINE_BREAK.findall(text, 0, found.start())) + 1
        raise source.error(
            "expected text but found binary data (is this a transcript file?)",
            line=line,
        )
    if not text.strip():
        raise source.error("the file is empty; expected a transcript with at least one speaker")
    return text


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: line n of the file is item n-1."""
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
