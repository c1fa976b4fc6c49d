"""What WebVTT and SRT have in common: timed cues whose text names its speaker.

The parsing of cue blocks is webvtt-py's; this module only decides who speaks in each cue and
points errors at the right line of the file.
"""

import io
import re
from collections.abc import Sequence
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

EXPECTED = {
    "vtt": 'expected a WebVTT file: "WEBVTT" on the first line, then cues of '
    '"00:00:01.000 --> 00:00:04.000" and their text',
    "srt": 'expected an SRT file: numbered cues of "00:00:01,000 --> 00:00:04,000" and their text',
}


def read_captions(source: Source, caption_format: CaptionFormat) -> Conversation:
    """Turns from the cues of a WebVTT or SRT file, one turn per speaker change within a cue.

    A line opening with `<v Name>` or `Name:` starts a turn by that speaker; other lines continue the
    current turn, also across cues, because Zoom names the speaker only when it changes.
    """
    lines = split_lines(decode_text(source))
    captions = _parse(source, lines, caption_format)
    cue_lines = _timing_line_numbers(lines)
    drafts: list[TurnDraft] = []
    for position, caption in enumerate(captions):
        line = cue_lines[position] if position < len(cue_lines) else None
        text_line = None if line is None else line + 1
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        if end < start:
            raise source.error(
                f"expected the cue to end after it starts ({caption.start} --> {caption.end})", line=line
            )
        cue_id = caption.identifier or str(position + 1)
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


def _timing_line_numbers(lines: Sequence[str]) -> list[int]:
    """Line numbers of the cue timing lines, in order; cue text may not contain "-->"."""
    return [number for number, line in enumerate(lines, start=1) if "-->" in line]


def _speaker_and_words(raw_line: str) -> tuple[str | None, str]:
    voice = VOICE_SPAN.match(raw_line)
    if voice is not None:
        speaker = clean_speaker(CUE_TAG.sub("", voice["name"]))
        words = CUE_TAG.sub("", raw_line[voice.end() :])
        if speaker:
            return speaker, words.strip()
    words = CUE_TAG.sub("", raw_line).strip()
    # Subtitle files often mark a change of speaker with a leading dash: "- Ana: words".
    speaker_line = match_speaker_line(words.lstrip("-–— "))
    if speaker_line is not None:
        return speaker_line.speaker, speaker_line.words
    return None, words
