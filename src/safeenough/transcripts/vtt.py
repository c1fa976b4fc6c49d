"""Zoom and Teams WebVTT transcripts; the speaker comes from `<v Name>` or a `Name:` prefix."""

from safeenough.domain.conversation import Conversation
from safeenough.transcripts.captions import read_captions
from safeenough.transcripts.source import Source


def read_vtt(source: Source) -> Conversation:
    return read_captions(source, "vtt")
