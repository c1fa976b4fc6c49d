"""Amazon Transcribe's JSON output, with speaker partitioning on.

`{"results": {"items": [...], "speaker_labels": {...}, "audio_segments": [...]}}`. Each item is a word
(`"type": "pronunciation"`, with `start_time` and `end_time` as strings of seconds) or a punctuation
mark (no times), its text in `alternatives[0].content`. Who speaks comes, in order of preference, from
`audio_segments` (newer output: one segment per speaker turn, with its `speaker_label` and
`transcript`), from a `speaker_label` on each word, or from `speaker_labels.segments`, whose items give
the speaker of the word starting at each time. Consecutive words of one speaker make a turn; a
punctuation mark belongs to the word before it. Speakers keep Amazon's labels (`spk_0`, `spk_1`).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.building import TurnDraft, build_conversation, clean_speaker
from safeenough.transcripts.errors import TranscriptError
from safeenough.transcripts.source import Source

NO_SPEAKERS = (
    "this Amazon Transcribe output has no speaker labels; run the transcription job again with "
    'speaker partitioning on ("ShowSpeakerLabels": true, or "Speaker identification" in the console) '
    "and upload that"
)


def is_aws_transcribe(document: Any) -> bool:
    """The shape of Amazon Transcribe's output: a "results" object holding "items"."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("results"), dict)
        and "items" in document["results"]
    )


@dataclass(frozen=True, slots=True)
class _Word:
    number: int
    content: str
    punctuation: bool
    start: float | None
    end: float | None
    speaker: str | None


def read_aws_transcribe(source: Source, document: dict[str, Any]) -> Conversation:
    results = document["results"]
    segments = results.get("audio_segments")
    if isinstance(segments, list) and segments and all(_labelled(segment) for segment in segments):
        turns = [_segment_draft(source, number, segment) for number, segment in enumerate(segments, 1)]
        return build_conversation(source, source.stem, turns, place="audio segment")
    items = results["items"]
    if not isinstance(items, list):
        raise source.error('expected "results.items" to be a list of Amazon Transcribe items')
    speaker_at = _speakers_by_start_time(results.get("speaker_labels"))
    words = [_word(source, number, item, speaker_at) for number, item in enumerate(items, start=1)]
    if not any(word.speaker for word in words):
        raise source.error(NO_SPEAKERS)
    drafts: list[TurnDraft] = []
    for word in words:
        if word.punctuation:
            if drafts and drafts[-1].parts:
                drafts[-1].parts[-1] += word.content  # "Sam" + "." is "Sam."
            continue
        if word.speaker is None:
            raise source.error(
                f"expected a speaker label for the word {word.content[:40]!r}, as other words have; "
                "this output cannot say who said it",
                line=word.number,
                place="item",
            )
        if not drafts or drafts[-1].speaker != word.speaker:
            drafts.append(TurnDraft(speaker=word.speaker, line=word.number, source_id=str(word.number)))
        draft = drafts[-1]
        draft.add(word.content)
        if draft.start_seconds is None:
            draft.start_seconds = word.start
        draft.end_seconds = word.end if word.end is not None else draft.end_seconds
    return build_conversation(source, source.stem, drafts, place="item")


def _labelled(segment: Any) -> bool:
    return isinstance(segment, dict) and isinstance(segment.get("speaker_label"), str)


def _segment_draft(source: Source, number: int, segment: dict[str, Any]) -> TurnDraft:
    def error(problem: str) -> TranscriptError:
        return source.error(problem, line=number, place="audio segment")

    speaker = clean_speaker(segment["speaker_label"])
    text = segment.get("transcript")
    if not speaker or not isinstance(text, str):
        raise error('expected a "speaker_label" and a "transcript" string')
    draft = TurnDraft(
        speaker=speaker,
        line=number,
        source_id=str(segment.get("id", number - 1)),
        start_seconds=_seconds(segment.get("start_time"), "start_time", error),
        end_seconds=_seconds(segment.get("end_time"), "end_time", error),
    )
    draft.add(text)
    return draft


def _speakers_by_start_time(speaker_labels: Any) -> dict[str, str]:
    """Older output: the speaker of each word, keyed by the word's start_time as written."""
    speakers: dict[str, str] = {}
    if not isinstance(speaker_labels, dict) or not isinstance(speaker_labels.get("segments"), list):
        return speakers
    for segment in speaker_labels["segments"]:
        if not isinstance(segment, dict) or not isinstance(segment.get("items"), list):
            continue
        for item in segment["items"]:
            if (
                isinstance(item, dict)
                and isinstance(item.get("start_time"), str)
                and isinstance(item.get("speaker_label"), str)
            ):
                speakers[item["start_time"]] = item["speaker_label"]
    return speakers


def _word(source: Source, number: int, item: Any, speaker_at: dict[str, str]) -> _Word:
    def error(problem: str) -> TranscriptError:
        return source.error(problem, line=number, place="item")

    if not isinstance(item, dict):
        raise error(f"expected an Amazon Transcribe item (an object) but found {type(item).__name__}")
    alternatives = item.get("alternatives")
    first = alternatives[0] if isinstance(alternatives, list) and alternatives else None
    content = first.get("content") if isinstance(first, dict) else None
    if not isinstance(content, str):
        raise error('expected "alternatives" with the word\'s "content"')
    start_time = item.get("start_time")
    label = item.get("speaker_label")
    if not isinstance(label, str) and isinstance(start_time, str):
        label = speaker_at.get(start_time)
    speaker = clean_speaker(label) if isinstance(label, str) else ""
    return _Word(
        number=number,
        content=content.strip(),
        punctuation=item.get("type") == "punctuation",
        start=_seconds(start_time, "start_time", error),
        end=_seconds(item.get("end_time"), "end_time", error),
        speaker=speaker or None,
    )


def _seconds(value: Any, key: str, error: Callable[[str], TranscriptError]) -> float | None:
    """Amazon writes times as strings ("12.34"); numbers are taken too."""
    if value is None:
        return None
    seconds = None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except (ValueError, OverflowError):
            seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise error(f'expected "{key}" to be a number of seconds (0 or more) but found {value!r:.40}')
    return seconds
