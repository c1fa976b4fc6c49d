"""What WebVTT and SRT have in common: timed cues whose text names its speaker.

The parsing of cue blocks is webvtt-py's; this module decides who speaks in each cue, decodes
character references (`&amp;`, `&#8212;`) in names and words, and points errors at the right line of
the file. webvtt-py skips what it cannot read as a cue (even when strict, a timing line that lost its
`-->` is skipped, and an SRT cue without its number is dropped): so before trusting its result we
refuse timing lines whose arrow is broken, and after it we check that every cue timing line of the
file became a caption, so that no turn is ever silently lost or glued onto the previous cue.
"""

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.building import TurnDraft, build_conversation, clean_speaker
from safeenough.transcripts.source import Source, decode_text, split_lines
from safeenough.transcripts.text import match_speaker_line

CaptionFormat = Literal["vtt", "srt"]

# The voice span of WebVTT, `<v Name>` or `<v.class Name>`, at the start of a line of cue text.
VOICE_SPAN = re.compile(r"^\s*<v(?:\.[\w-]+)*[ \t]+(?P<name>[^>]+)>")
CUE_TAG = re.compile(r"<[^>]*>")

TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3}"
# Two times at the start of a line, with anything but "-->" between them ("00:00:06,000 -> 00:00:08,000",
# "00:00:06.000 00:00:08.000"): a cue timing line with a mistyped or lost arrow. Talk never looks so.
TWO_TIMES = re.compile(rf"^\s*{TIMESTAMP}\s*\S{{0,4}}\s*{TIMESTAMP}(?!\d)")

EXPECTED = {
    "vtt": 'expected a WebVTT file: "WEBVTT" on the first line, then cues of '
    '"00:00:01.000 --> 00:00:04.000" and their text',
    "srt": 'expected an SRT file: numbered cues of "00:00:01,000 --> 00:00:04,000" and their text',
}
TIMING = {"vtt": "00:00:01.000 --> 00:00:04.000", "srt": "00:00:01,000 --> 00:00:04,000"}


@dataclass(frozen=True, slots=True)
class _Cue:
    """Where a caption came from: its timing line, and the cue's id in the file."""

    line: int | None
    number: str


def read_captions(source: Source, caption_format: CaptionFormat) -> Conversation:
    """Turns from the cues of a WebVTT or SRT file, one turn per speaker change within a cue.

    A line opening with `<v Name>` or `Name:` starts a turn by that speaker; other lines continue the
    current turn, also across cues, because Zoom names the speaker only when it changes.
    """
    lines = split_lines(decode_text(source))
    _refuse_broken_timing_lines(source, lines, caption_format)
    captions = _parse(source, lines, caption_format)
    cues = _cues_of(source, lines, captions, caption_format)
    drafts: list[TurnDraft] = []
    for caption, cue in zip(captions, cues, strict=True):
        line = cue.line
        text_line = None if line is None else line + 1
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        if end < start:
            raise source.error(
                f"expected the cue to end after it starts ({caption.start} --> {caption.end})", line=line
            )
        cue_id = caption.identifier or cue.number
        for offset, raw_line in enumerate(caption.lines):
            speaker, words = _speaker_and_words(raw_line)
            if speaker is not None:
                draft = TurnDraft(
                    speaker=speaker,
                    line=(text_line or 0) + offset,
                    source_id=cue_id,
                    start_seconds=start,
                    end_seconds=end,
                )
                drafts.append(draft)
            elif drafts:
                draft = drafts[-1]
                if draft.end_seconds is not None and end > draft.end_seconds:
                    draft.end_seconds = end
            else:
                if not words:
                    continue
                raise source.error(
                    'expected the first cue to name its speaker with "<v Name>" or "Name:" '
                    f"but found {words[:40]!r}",
                    line=None if text_line is None else text_line + offset,
                )
            draft.add(words)
    if not drafts:
        raise source.error('found no speakers; expected cues whose text starts with "<v Name>" or "Name:"')
    return build_conversation(source, source.stem, drafts)


def _parse(source: Source, lines: Sequence[str], caption_format: CaptionFormat) -> Any:
    buffer = io.StringIO("\n".join(lines) + "\n")
    try:
        if caption_format == "vtt":
            # strict: a cue with a broken timing line is an error, not silently lost talk
            return webvtt.WebVTT.from_buffer(buffer, format="vtt", strict=True).captions
        return webvtt.WebVTT.from_buffer(buffer, format="srt").captions
    except MalformedFileError:
        raise source.error(EXPECTED[caption_format], line=1) from None
    except (MalformedCaptionError, ValueError) as error:
        line = _line_of_error(lines, str(error))
        # Quote the person's own line where we can find it: the parser's message is about its internals.
        found = f"found {_shortened(lines[line - 1].strip())!r}" if line else "this cue could not be read"
        raise source.error(f"{EXPECTED[caption_format]}; {found}", line=line) from None


def _shortened(text: str) -> str:
    return text if len(text) <= 80 else text[:79] + "…"


def _line_of_error(lines: Sequence[str], message: str) -> int | None:
    """The first line whose text webvtt-py quotes in its error message."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and repr(line) in message:
            return number
    for number, line in enumerate(lines, start=1):
        if "-->" in line and line.strip() in message:
            return number
    return None


def _refuse_broken_timing_lines(source: Source, lines: Sequence[str], caption_format: CaptionFormat) -> None:
    for number, line in enumerate(lines, start=1):
        if "-->" not in line and TWO_TIMES.match(line):
            raise source.error(
                f'expected a cue timing line "{TIMING[caption_format]}" (the start, "-->", the end) '
                f"but found {_shortened(line.strip())!r}",
                line=number,
            )


def _cues_of(
    source: Source, lines: Sequence[str], captions: Sequence[Any], caption_format: CaptionFormat
) -> list[_Cue]:
    """The timing line and cue id of each caption, refusing cues that webvtt-py could not read.

    Every line with "-->" is a cue timing line (cue text may not contain it). Captions come in file
    order, so each is matched to the next timing line whose cue text starts with the caption's first
    line; a timing line passed over that has text under it is a cue that was lost. A cue without an
    identifier is known by its number in the file (SRT: the number above its timing line), so ids do
    not shift when a cue is empty.
    """
    timing_lines = [number for number, line in enumerate(lines, start=1) if "-->" in line]
    cues: list[_Cue] = []
    position = 0
    for caption in captions:
        first = caption.lines[0].strip() if caption.lines else ""
        while position < len(timing_lines):
            number = timing_lines[position]
            under = lines[number].strip() if number < len(lines) else ""
            position += 1
            if under == first:
                cues.append(_Cue(number, _cue_number(lines, number, position, caption_format)))
                break
            if under:
                _refuse_lost_cue(source, lines, number, caption_format)
        else:
            cues.append(_Cue(None, str(len(cues) + 1)))
    for number in timing_lines[position:]:
        if number < len(lines) and lines[number].strip():
            _refuse_lost_cue(source, lines, number, caption_format)
    return cues


def _cue_number(lines: Sequence[str], timing_line: int, ordinal: int, caption_format: CaptionFormat) -> str:
    above = lines[timing_line - 2].strip() if timing_line >= 2 else ""
    if caption_format == "srt" and above.isdigit():
        return above
    return str(ordinal)


def _refuse_lost_cue(
    source: Source, lines: Sequence[str], number: int, caption_format: CaptionFormat
) -> None:
    hint = " with its number on the line above" if caption_format == "srt" else ""
    raise source.error(
        f'expected a cue: "{TIMING[caption_format]}"{hint}, then its text; this cue could not be read: '
        f"found {_shortened(lines[number - 1].strip())!r}",
        line=number,
    )


def _speaker_and_words(raw_line: str) -> tuple[str | None, str]:
    voice = VOICE_SPAN.match(raw_line)
    if voice is not None:
        speaker = clean_speaker(html.unescape(CUE_TAG.sub("", voice["name"])))
        words = html.unescape(CUE_TAG.sub("", raw_line[voice.end() :]))
        if speaker:
            return speaker, words.strip()
    # Tags first, then character references, so that an escaped "&lt;b&gt;" stays as words.
    words = html.unescape(CUE_TAG.sub("", raw_line)).strip()
    # Subtitle files often mark a change of speaker with a leading dash: "- Ana: words".
    speaker_line = match_speaker_line(words.lstrip("-–— "))
    if speaker_line is not None:
        return speaker_line.speaker, speaker_line.words
    return None, words
