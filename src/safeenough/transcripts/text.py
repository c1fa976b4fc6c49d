"""Plain-text transcripts: one `Name: words` line per turn; lines without a name continue the turn.

Also used for Word documents (one paragraph per line). A line may start with a timestamp, as many
transcription services write them: `[00:01:23] Ana: words` or `00:01:23 Ana: words`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.building import TurnDraft, build_conversation, clean_speaker
from safeenough.transcripts.source import Source, decode_text, split_lines

MAX_NAME_WORDS = 5

# A name starts with a letter and is short; the colon must be followed by a space or the end of the
# line, so that "10:30", "https://…" and "ratio 2:1" are never taken for a speaker.
SPEAKER_LINE = re.compile(
    r"""
    ^\s*
    (?:\[?(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]?\s+)?   # optional timestamp
    (?P<name>[^\W\d_][\w .'’()&/-]{0,39}?)                               # the speaker's name
    \s*:(?:\s+|$)
    (?P<words>.*)$
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class SpeakerLine:
    speaker: str
    words: str
    start_seconds: float | None


def match_speaker_line(line: str) -> SpeakerLine | None:
    """The speaker, words and start time of a `Name: words` line, or None for any other line."""
    found = SPEAKER_LINE.match(line)
    if found is None:
        return None
    speaker = clean_speaker(found["name"])
    if not speaker or len(speaker.split(" ")) > MAX_NAME_WORDS:
        return None
    time = found["time"]
    return SpeakerLine(
        speaker=speaker,
        words=found["words"].strip(),
        start_seconds=None if time is None else clock_to_seconds(time),
    )


def clock_to_seconds(clock: str) -> float:
    """'01:02:03.5' → 3723.5; 'mm:ss' when there are only two fields."""
    seconds = 0.0
    for part in clock.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def parse_lines(
    source: Source,
    lines: Sequence[str],
    *,
    conversation_id: str,
    place: str = "line",
) -> Conversation:
    """Turns from `Name: words` lines, in order; `place` is what a line is called in error messages."""
    drafts: list[TurnDraft] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        speaker_line = match_speaker_line(line)
        if speaker_line is not None:
            draft = TurnDraft(
                speaker=speaker_line.speaker,
                line=number,
                source_id=str(number),
                start_seconds=speaker_line.start_seconds,
            )
            draft.add(speaker_line.words)
            drafts.append(draft)
        elif drafts:
            drafts[-1].add(line)
        else:
            raise source.error(
                f'expected "Name: words" but found a {place} with no speaker before it ({_preview(line)})',
                line=number,
                place=place,
            )
    return build_conversation(source, conversation_id, drafts, place=place)


def read_text(source: Source) -> Conversation:
    """A plain-text transcript; the file name stem is the conversation id."""
    return parse_lines(source, split_lines(decode_text(source)), conversation_id=source.stem)


def _preview(line: str, limit: int = 40) -> str:
    line = line.strip()
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")
