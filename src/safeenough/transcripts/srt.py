"""SRT subtitles exported by transcription tools; the speaker comes from a `Name:` prefix."""

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.captions import read_captions
from safeenough.transcripts.source import Source


def read_srt(source: Source) -> Conversation:
    return read_captions(source, "srt")
