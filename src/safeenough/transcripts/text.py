"""Plain-text transcripts: one `Name: words` line per turn; lines without a name continue the turn.

Also used for Word documents (their paragraphs, the lines within them, and the rows of transcript
tables). The name may carry periods and commas ("Dr. Smith, PhD:") and may follow a line number or a
timestamp, as transcription services write them: `1 Dr. Smith: words`, `[00:01:23] Ana: words`,
`00:01:23 Ana: words`, or have the timestamp after it (Rev): `Ana (00:01:23): words`.

Heading lines. Otter, Rev, Trint, Zoom's saved captions and Teams' Word transcripts put the speaker on
a line of their own with a timestamp, the words on the lines below: `Ana  0:03`, `[00:00:03] Ana`,
`[Ana] 14:02:11`, `Ana (00:00:03)`. The timestamp is required: a name alone on a line could be talk. A
file is read in one style: where heading lines outnumber `Name: words` lines, a `Work: it never stops.`
line is the speaker's words, and in a file of `Name: words` lines a lone `Monday 10:30` is too. Lines
the tool adds (Otter's "Transcribed by https://otter.ai", Teams' "Ana started transcription") are
dropped. A caption timing line (`00:00:01.000 --> 00:00:04.000`) or a Zoom chat log is refused with
what to download instead, rather than read with timings or chat in the talk.

Which labels are speakers. A line opening with a short label and a colon may name a speaker, or may
be the client's own words ("And my boss said: you are late again."). A label counts as a speaker when
- it does not read like the start of a sentence: none of its words is a pronoun ("I", "my"), an
  article or conjunction at its start ("The", "And") or a lowercase verb of saying or being ("said",
  "is"); and it is not a header key ("Date", "Note", …) or, unless it labels two or more lines, opened
  by one ("Session 3", "Participants"; "Participant 1" speaking throughout is a speaker); and
- it labels at least two lines of the file (every speaker who talks twice), or it looks like a name or
  a role: each word capitalised, a number ("Speaker 2") or a name particle ("van", "de"), and not a lone
  sentence opener ("Honestly:", "Well:", "Anyway:").
Any other line continues the current turn, so a one-off label in the middle of a turn stays part of
that turn's words.

The header. Lines before the first speaker's line are skipped as a header when they are header lines
("Date: 12 March 2026", "Participants: …", "Session 3: …") or short titles without sentence
punctuation ("Transcript of session 3, 12 March 2026"), at most 10 of them. Other text before the first
speaker is refused, since it would be talk without a speaker, and so is a one-off label there that is
neither a header key nor name-like ("therapist: hi" when no other line says "therapist:"): skipping it
could lose a turn. Once the conversation has started nothing is skipped.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.building import TurnDraft, build_conversation, clean_speaker
from safeenough.transcripts.source import Source, decode_text, split_lines

MAX_NAME_WORDS = 5
MAX_HEADER_LINES = 10
MAX_TITLE_WORDS = 15

# A name starts with a letter and is short; the colon must be followed by a space or the end of the
# line, so that "10:30", "https://…" and "ratio 2:1" are never taken for a speaker.
CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
NAME = r"[^\W\d_][\w .,'’()&/-]{0,59}?"
SPEAKER_LINE = re.compile(
    rf"""
    ^\s*
    (?:\d{{1,5}}[.)]?\s+)?                                       # optional line number
    (?:[\[(]?(?P<time>{CLOCK})[\])]?(?:\s*[-–—|])?\s+)?          # optional timestamp
    (?P<name>{NAME})                                             # the speaker's name
    (?:\s*[\[(](?P<time_after>{CLOCK})[\])])?                     # or the timestamp after it (Rev)
    \s*:(?:\s+|$)
    (?P<words>.*)$
    """,
    re.VERBOSE,
)
# A heading line: a name and a timestamp and nothing else, the words following on the next lines.
# Otter and Teams (.docx) write "Name  0:03", Trint and Happy Scribe "[00:00:03] Name", Zoom's saved
# captions "[Name] 14:02:11". Without the timestamp a lone name could be a line of talk, so it is needed.
HEADING_LINE = re.compile(
    rf"""
    ^\s*(?:
      \[(?P<bracketed>{NAME})\]\s+(?P<bracketed_time>{CLOCK})
    | [\[(]?(?P<time>{CLOCK})[\])]?(?:\s*[-–—|])?\s+(?P<name>{NAME})
    | (?P<name_first>{NAME})\s+[\[(]?(?P<time_after>{CLOCK})[\])]?
    )\s*$
    """,
    re.VERBOSE,
)
# Lines a tool adds that nobody said: Otter's footer, Teams' notices of the transcription starting.
TOOL_NOTICE = re.compile(
    r"^\s*(?:Transcribed by https?://otter\.ai|\S.{0,80}? (?:started|stopped) transcription)\s*$",
    re.IGNORECASE,
)
# A cue timing line of WebVTT or SRT (Teams' old .docx transcripts have them too): never talk.
CUE_TIMING = re.compile(r"^\s*\d+(?::\d+)+(?:[.,]\d+)?\s*-->\s*\d+(?::\d+)+")
# A Zoom chat log: "14:02:11 From Dana Reyes to Everyone:" or (older Zoom) "14:02:11\t From  Dana : hi".
ZOOM_CHAT = re.compile(rf"^\s*{CLOCK}\s+From\s+\S.*:")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that make a label read as part of a sentence rather than a name, wherever they stand in it
# (lowercase only: "Said" and "Will" are names too).
SENTENCE_WORDS = _word_set(
    """
    i me my mine you your yours he him his she her hers we us our they them their it its
    this that these those the an and but or so because if then than not
    is are was were be been am do does did don't didn't have has had can could would should
    said says say told tells tell asked asks ask thought thinks think goes went means meant
    """
)
# Words that cannot open a name, whatever their case.
OPENING_WORDS = _word_set(
    """
    i i'm i've i'd my we you he she they it this that these those the a an and but or so because
    if when then what why how where which who there here
    """
)
# Keys of a transcript's header block. A label that is one of them is never a speaker; one opened by one
# is a speaker only when it labels two or more lines (see `is_header_key`).
HEADER_KEYS = _word_set(
    """
    date day time participants participant present attendees attendee session title subject topic
    location place duration length recording recorded transcript transcription transcribed
    transcriber file note notes agenda summary re client-id case speakers meeting platform source
    language format code
    """
)
# Single words that open a sentence with a colon; a speaker only if they label two or more lines.
SENTENCE_OPENERS = _word_set(
    """
    well so look listen anyway okay ok yes no yeah also now basically actually honestly seriously
    really quote example examples answer question remember imagine update ps btw fine right sure
    true wait see again first second third finally plus result reason problem point thing truth fact
    """
)
NAME_PARTICLES = _word_set("van von der den de da del della di du la le bin ibn al el y")
SENTENCE_END = re.compile(r"[.!?…\"”]\s*$")


@dataclass(frozen=True, slots=True)
class SpeakerLine:
    speaker: str
    words: str
    start_seconds: float | None
    heading: bool = False
    """A heading line ("Name  0:03"), whose words are on the lines after it."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a transcript as its reader found it, with where it is in the file.

    `speaker` is set when the reader already has the speaker apart from the words (a row of a Word
    table); otherwise `text` is read as a `Name: words` line.
    """

    text: str
    number: int
    place: str = "line"
    source_id: str | None = None
    speaker: str | None = None
    start_seconds: float | None = None


def match_speaker_line(line: str) -> SpeakerLine | None:
    """The speaker, words and start time of a `Name: words` line, or None for any other line.

    Labels that read like the start of a sentence ("And my boss said:") are not speakers; whether a
    name-shaped label is one is for `parse_lines` to settle, from the rest of the file.
    """
    found = SPEAKER_LINE.match(line)
    if found is None:
        return None
    speaker = clean_speaker(found["name"])
    if not speaker or len(speaker.split(" ")) > MAX_NAME_WORDS or reads_like_a_sentence(speaker):
        return None
    time = found["time"] or found["time_after"]
    return SpeakerLine(
        speaker=speaker,
        words=found["words"].strip(),
        start_seconds=None if time is None else clock_to_seconds(time),
    )


def match_heading_line(line: str) -> SpeakerLine | None:
    """The speaker and start time of a heading line ("Name  0:03", "[00:00:03] Name"), else None."""
    found = HEADING_LINE.match(line)
    if found is None:
        return None
    name = found["bracketed"] or found["name"] or found["name_first"]
    speaker = clean_speaker(name)
    if not speaker or len(speaker.split(" ")) > MAX_NAME_WORDS or reads_like_a_sentence(speaker):
        return None
    time = found["bracketed_time"] or found["time"] or found["time_after"]
    return SpeakerLine(speaker=speaker, words="", start_seconds=clock_to_seconds(time), heading=True)


def _words_of(label: str) -> list[str]:
    return [word for word in (part.strip(".,()'’&/-") for part in label.split()) if word]


def reads_like_a_sentence(label: str) -> bool:
    """True for labels such as "And my boss said" or "The thing is", which no speaker is called."""
    words = _words_of(label)
    if not words:
        return True
    if len(words) == 1:  # "I:" (interviewer), "A:" and "B:" are labels; "And:" and "What:" are not
        return len(words[0]) > 1 and words[0].lower() in OPENING_WORDS
    if words[0].lower() in OPENING_WORDS:
        return True
    return any(word == "I" or (word.islower() and word in SENTENCE_WORDS) for word in words)


def is_header_key(label: str, *, recurring: bool = False) -> bool:
    """A header block's key: the whole label ("Date", "Note"), or a label opened by one ("Session 3",
    "Participants") unless it labels two or more lines: "Participant 1" or "Case Manager" speaking
    throughout a research interview is a speaker."""
    words = _words_of(label)
    key = "-".join(words).lower()
    if not words:
        return False
    return key in HEADER_KEYS or (not recurring and words[0].lower() in HEADER_KEYS)


def looks_like_a_name(label: str) -> bool:
    """Capitalised words, numbers and name particles ("Dr. Smith, PhD", "Speaker 2", "Ana de Souza")."""
    words = _words_of(label)
    if not words or is_header_key(label) or reads_like_a_sentence(label):
        return False
    if len(words) == 1 and words[0].lower() in SENTENCE_OPENERS:
        return False
    return all(word[0].isupper() or word.isdigit() or word in NAME_PARTICLES for word in words)


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
    entries = [Entry(text=line, number=number, place=place) for number, line in enumerate(lines, start=1)]
    return parse_entries(source, entries, conversation_id=conversation_id, place=place)


def parse_entries(
    source: Source,
    entries: Sequence[Entry],
    *,
    conversation_id: str,
    place: str = "line",
) -> Conversation:
    """Turns from entries in file order, by the rules in this module's docstring."""
    found: list[tuple[Entry, SpeakerLine | None]] = []
    for entry in entries:
        if entry.speaker is not None:
            speaker = clean_speaker(entry.speaker)
            words = entry.text.strip()
            found.append((entry, SpeakerLine(speaker, words, entry.start_seconds) if speaker else None))
        elif entry.text.strip():
            _refuse_what_is_not_a_transcript(source, entry, first=not found)
            if TOOL_NOTICE.match(entry.text) is None:
                found.append((entry, match_speaker_line(entry.text) or match_heading_line(entry.text)))
    labels = Counter((line.speaker, line.heading) for _, line in found if line is not None)

    def recurring(line: SpeakerLine) -> bool:
        return labels[(line.speaker, line.heading)] >= 2

    def may_be_speaker(entry: Entry, line: SpeakerLine | None) -> bool:
        if line is None or is_header_key(line.speaker, recurring=recurring(line)):
            return False
        return entry.speaker is not None or recurring(line) or looks_like_a_name(line.speaker)

    # One file, one style: where heading lines ("Name  0:03") outnumber "Name: words" lines, a line
    # such as "Work: it never stops." is the speaker's words, and the other way round.
    styles = Counter(
        line.heading for entry, line in found if line is not None and may_be_speaker(entry, line)
    )
    heading_style = styles[True] > styles[False]

    def is_speaker(entry: Entry, line: SpeakerLine | None) -> bool:
        if line is None or (entry.speaker is None and line.heading is not heading_style):
            return False
        return may_be_speaker(entry, line)

    start = next((index for index, (entry, line) in enumerate(found) if is_speaker(entry, line)), None)
    header = found if start is None else found[:start]
    for position, (entry, line) in enumerate(header):
        kind = entry.place.rsplit(",", 1)[-1].strip()  # "table 2, row" is a row
        # A heading line has no words of its own: before the first speaker it can only be a title.
        label = line if line is not None and not line.heading else None
        if start is None or position >= MAX_HEADER_LINES:
            problem = f"found a {kind} with no speaker before it ({_preview(entry.text)})"
            problem += _hint(entry, start is None)
        elif label is not None and not is_header_key(label.speaker, recurring=recurring(label)):
            # Skipping it would lose a turn, taking it would make a guess: say what is unclear.
            problem = (
                f"found {label.speaker[:40]!r} and words on this {kind}, before the first heading "
                f"line; put them under a heading line ({_preview(entry.text)})"
            )
            if not heading_style:
                problem = (
                    f"found the label {label.speaker[:40]!r} on this {kind} only, before any speaker, "
                    "and it does not look like a name; write the name as on the speaker's other lines "
                    f"({_preview(entry.text)})"
                )
        elif label is None and not _is_title(entry.text):
            problem = f"found a {kind} with no speaker before it ({_preview(entry.text)})"
        else:
            continue
        expected = '"Name  0:03" with the words below' if heading_style else '"Name: words"'
        raise source.error(
            f"expected {expected} but {problem}",
            line=entry.number,
            place=entry.place,
        )
    drafts: list[TurnDraft] = []
    for entry, line in found[len(header) :]:
        if line is not None and is_speaker(entry, line):
            draft = TurnDraft(
                speaker=line.speaker,
                line=entry.number,
                source_id=entry.source_id or str(entry.number),
                start_seconds=line.start_seconds if line.start_seconds is not None else entry.start_seconds,
            )
            draft.add(line.words)
            drafts.append(draft)
        elif entry.speaker is not None:
            drafts[-1].add(f"{entry.speaker}: {entry.text}" if entry.speaker.strip() else entry.text)
        else:
            drafts[-1].add(entry.text)
    return build_conversation(source, conversation_id, drafts, place=place)


def _refuse_what_is_not_a_transcript(source: Source, entry: Entry, *, first: bool) -> None:
    """Captions and chat logs read as lines of text would put timings or chat in the talk."""
    if CUE_TIMING.match(entry.text):
        raise source.error(
            f'expected "Name: words" but found a caption timing line ({_preview(entry.text)}): these '
            "are captions, which safeenough reads from .vtt or .srt files; download or save the "
            "transcript as .vtt (Zoom, Teams) or .srt",
            line=entry.number,
            place=entry.place,
        )
    if first and ZOOM_CHAT.match(entry.text):
        raise source.error(
            f"this looks like a Zoom chat log ({_preview(entry.text)}), not a transcript of what was "
            "said; expected a transcript: download the audio transcript (.vtt) of the Zoom recording",
            line=entry.number,
            place=entry.place,
        )


def _hint(entry: Entry, nothing_read: bool) -> str:
    """What to do when no line of the file named a speaker in a way we read."""
    if not nothing_read:
        return ""
    if looks_like_a_name(entry.text.strip()) and len(entry.text.split()) <= MAX_NAME_WORDS:
        # Otter without timestamps: a lone name over each paragraph, which talk can look like too.
        return (
            "; a name alone on its line is not read as a speaker: export the transcript with "
            'timestamps ("Name  0:03" over the words) or as "Name: words" lines'
        )
    return (
        '; speakers are read from "Name: words" lines or from heading lines with a time '
        '("Name  0:03" or "[00:00:03] Name") over their words'
    )


def _is_title(text: str) -> bool:
    """A short line without sentence punctuation at its end: a document title, not talk."""
    text = text.strip()
    return len(text.split()) <= MAX_TITLE_WORDS and SENTENCE_END.search(text) is None


def read_text(source: Source) -> Conversation:
    """A plain-text transcript; the file name stem is the conversation id."""
    return parse_lines(source, split_lines(decode_text(source)), conversation_id=source.stem)


def _preview(line: str, limit: int = 40) -> str:
    line = line.strip()
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")
