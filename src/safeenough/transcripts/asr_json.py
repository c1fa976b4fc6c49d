"""Speech-recognition output as JSON: `{"segments": [{"speaker", "start", "end", "text"}, …]}`.

This is the shape WhisperX and most diarising ASR services write. An optional `id` on a segment
becomes the turn's source id; otherwise the segment's position (from 1) does. WhisperX leaves the
speaker out of a segment whose time it could not match to one, while still labelling its words: the
segment's speaker is then the one most of its words have, as WhisperX itself settles it. Amazon
Transcribe's output has its own shape, read by `aws_transcribe`.
"""

import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.aws_transcribe import is_aws_transcribe, read_aws_transcribe
from safeenough.transcripts.building import TurnDraft, build_conversation, clean_speaker
from safeenough.transcripts.errors import TranscriptError
from safeenough.transcripts.source import Source, decode_text

SHAPE = '{"segments": [{"speaker": "…", "start": 0.0, "end": 1.5, "text": "…"}, …]}'
NO_DIARISATION = (
    'none of the segments names a "speaker": the transcript was made without telling speakers apart '
    "(plain Whisper never does); transcribe it again with speaker diarisation on (WhisperX: --diarize) "
    "and upload that"
)


def read_asr_json(source: Source) -> Conversation:
    text = decode_text(source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise source.error(
            f"expected JSON of the form {SHAPE} but {error.msg.lower()}", line=error.lineno
        ) from None
    except ValueError:
        raise source.error("expected JSON segments but found a number too long to read") from None
    except RecursionError:
        raise source.error("expected JSON segments but the data is nested too deeply") from None
    if is_aws_transcribe(document):
        return read_aws_transcribe(source, document)
    if not isinstance(document, dict) or not isinstance(document.get("segments"), list):
        raise source.error(
            f'expected a JSON object with a "segments" list, of the form {SHAPE} (or Amazon '
            f"Transcribe's output){_other_service(document)}"
        )
    segments = document["segments"]
    if segments and not any(_speaker_of(segment) is not None for segment in segments):
        raise source.error(NO_DIARISATION)
    drafts = [_draft(source, number, segment) for number, segment in enumerate(segments, start=1)]
    if not drafts:
        raise source.error(f'the "segments" list is empty; expected {SHAPE}')
    return build_conversation(source, source.stem, drafts, place="segment")


def _other_service(document: Any) -> str:
    """A hint for services whose JSON is not read: their times and speakers have other units and keys."""
    results = document.get("results") if isinstance(document, dict) else None
    if isinstance(document, dict) and "utterances" in document:
        service = "AssemblyAI"
    elif isinstance(results, dict) and ("utterances" in results or "channels" in results):
        service = "Deepgram"
    else:
        return ""
    return (
        f"; this looks like {service} output, which is not read yet: write its utterances as the "
        'segments above ("speaker", "start" and "end" in seconds, "text")'
    )


def _speaker_of(segment: Any) -> str | None:
    """The segment's speaker, else the one most of its words have; None where neither names one."""
    if not isinstance(segment, dict):
        return None
    speaker = segment.get("speaker")
    if isinstance(speaker, int) and not isinstance(speaker, bool):
        return f"Speaker {speaker}"
    if isinstance(speaker, str) and clean_speaker(speaker):
        return clean_speaker(speaker)
    words = segment.get("words")
    if speaker is not None or not isinstance(words, list):
        return None
    labels = Counter(
        clean_speaker(word["speaker"])
        for word in words
        if isinstance(word, dict) and isinstance(word.get("speaker"), str) and clean_speaker(word["speaker"])
    )
    return labels.most_common(1)[0][0] if labels else None


def _draft(source: Source, number: int, segment: Any) -> TurnDraft:
    def error(problem: str) -> TranscriptError:
        return source.error(problem, line=number, place="segment")

    if not isinstance(segment, dict):
        raise error(
            f"expected an object with speaker, start, end and text but found {type(segment).__name__}"
        )
    speaker = _speaker_of(segment)
    if speaker is None:
        raise error(
            'expected a "speaker" name, as other segments have (WhisperX leaves it out where it could '
            "not tell who spoke): add the speaker to this segment"
        )
    words = segment.get("text")
    if not isinstance(words, str):
        raise error('expected a "text" string')
    segment_id = segment.get("id")
    draft = TurnDraft(
        speaker=speaker,
        line=number,
        source_id=str(number) if segment_id is None else str(segment_id),
        start_seconds=_seconds(segment, "start", error),
        end_seconds=_seconds(segment, "end", error),
    )
    draft.add(words)
    return draft


def _seconds(segment: dict[str, Any], key: str, error: Callable[[str], TranscriptError]) -> float | None:
    value = segment.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise error(f'expected "{key}" to be a number of seconds (0 or more) but found {value!r:.40}')
    return float(value)
