"""AnnoMI-style CSV: one row per utterance, many conversations per file.

Columns `transcript_id, utterance_id, interlocutor, utterance_text` (others are ignored); each
transcript_id is one conversation, its turns in utterance_id order. The columns may be separated by
commas (as AnnoMI's), semicolons (as spreadsheets in many European locales save CSV) or tabs: the header
row decides. The interlocutor column gives the
role directly, so no guessing is needed. AnnoMI's "full" file repeats an utterance once per annotator;
repeated rows with the same text are read once.
"""

import csv
import io
import re

from safeenough.domain.conversation import Conversation, SpeakerRole
from safeenough.transcripts.building import TurnDraft, build_conversation
from safeenough.transcripts.source import Source, decode_text

REQUIRED_COLUMNS = ("transcript_id", "utterance_id", "interlocutor", "utterance_text")
DELIMITERS = (",", ";", "\t")
ROLES = {
    "therapist": SpeakerRole.THERAPIST,
    "counsellor": SpeakerRole.THERAPIST,
    "counselor": SpeakerRole.THERAPIST,
    "client": SpeakerRole.CLIENT,
    "patient": SpeakerRole.CLIENT,
    "other": SpeakerRole.OTHER,
}
SPEAKER_NAMES = {
    SpeakerRole.THERAPIST: "Therapist",
    SpeakerRole.CLIENT: "Client",
    SpeakerRole.OTHER: "Other",
}
CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$")


def read_annomi_csv(source: Source) -> list[Conversation]:
    """All conversations in the file, in order of their first row."""
    text = decode_text(source)
    # newline="" lets the csv module see the file's own line endings, so quoted fields may span lines
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        columns = [name.strip() for name in reader.fieldnames or ()]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise source.error(
                f"expected a header row with the columns {', '.join(REQUIRED_COLUMNS)}; "
                f"missing {', '.join(missing)}",
                line=1,
            )
        reader.fieldnames = columns
        by_transcript: dict[str, dict[int, TurnDraft]] = {}
        for row in reader:
            line = reader.line_num
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            _add_row(source, by_transcript, row, line)
    except csv.Error as error:
        raise source.error(f"expected CSV rows but {error}", line=reader.line_num) from None
    if not by_transcript:
        raise source.error("found a header row but no utterances; expected one row per utterance")
    return [
        build_conversation(source, transcript_id, [drafts[key] for key in sorted(drafts)])
        for transcript_id, drafts in by_transcript.items()
    ]


def _delimiter(text: str) -> str:
    """The separator that splits the header row into the required columns: ',' unless ';' or tab do."""
    header = text.lstrip().split("\n", 1)[0]
    for delimiter in DELIMITERS:
        columns = {name.strip().strip('"') for name in header.split(delimiter)}
        if all(name in columns for name in REQUIRED_COLUMNS):
            return delimiter
    return ","


def _add_row(
    source: Source,
    by_transcript: dict[str, dict[int, TurnDraft]],
    row: dict[str | None, str | list[str] | None],
    line: int,
) -> None:
    def field(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    transcript_id = field("transcript_id")
    if not transcript_id:
        raise source.error("expected a transcript_id but the cell is empty", line=line)
    utterance_id = field("utterance_id")
    try:
        position = int(utterance_id)
    except ValueError:
        raise source.error(
            f"expected utterance_id to be a whole number but found {utterance_id[:20]!r}", line=line
        ) from None
    interlocutor = field("interlocutor")
    role = ROLES.get(interlocutor.lower())
    if role is None:
        raise source.error(
            f'expected interlocutor "therapist" or "client" but found {interlocutor[:20]!r}', line=line
        )
    words = row.get("utterance_text")
    words = words if isinstance(words, str) else ""
    drafts = by_transcript.setdefault(transcript_id, {})
    earlier = drafts.get(position)
    if earlier is not None:
        if earlier.text != words.strip() or earlier.role is not role:
            raise source.error(
                f"utterance {utterance_id} of transcript {transcript_id} already appeared on line "
                f"{earlier.line} with other text or another interlocutor; expected each utterance once "
                "(or repeated unchanged, once per annotator)",
                line=line,
            )
        return
    draft = TurnDraft(
        speaker=SPEAKER_NAMES[role],
        line=line,
        role=role,
        source_id=utterance_id,
        start_seconds=_clock_or_none(field("timestamp")),
        keep_when_empty=True,  # turn numbers must stay aligned with the file's annotations
    )
    draft.add(words)
    drafts[position] = draft


def _clock_or_none(clock: str) -> float | None:
    """The optional timestamp column ('00:01:13'); anything else is ignored rather than refused."""
    found = CLOCK.match(clock)
    if found is None:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
