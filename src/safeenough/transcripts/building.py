"""Turning what a reader found into an immutable Conversation, with errors that point into the file."""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.validation import DomainError
from safeenough.transcripts.source import Source

WHITESPACE = re.compile(r"\s+")


def clean_speaker(name: str) -> str:
    """One spelling per speaker: "Dr  Ana " and "Dr Ana" are the same person."""
    return WHITESPACE.sub(" ", name).strip()


@dataclass(slots=True)
class TurnDraft:
    """A turn while its reader is still collecting its lines (continuation lines are appended)."""

    speaker: str
    line: int
    role: SpeakerRole = SpeakerRole.OTHER
    source_id: str | None = None
    start_seconds: float | None = None
    end_seconds: float | None = None
    parts: list[str] = field(default_factory=list)
    keep_when_empty: bool = False

    def add(self, words: str) -> None:
        words = words.strip()
        if words:
            self.parts.append(words)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def build_conversation(
    source: Source,
    conversation_id: str,
    drafts: Iterable[TurnDraft],
    *,
    place: str = "line",
) -> Conversation:
    """Number the turns that have words, check them, and freeze them into a Conversation.

    Turns without any words (a bare "Ana:" line, an empty cue) are dropped, except where the reader
    asks to keep them so that turn numbers stay aligned with an external annotation (AnnoMI CSV).
    """
    turns: list[Turn] = []
    for draft in drafts:
        if not draft.parts and not draft.keep_when_empty:
            continue
        for name, seconds in (("start", draft.start_seconds), ("end", draft.end_seconds)):
            if seconds is not None and (not math.isfinite(seconds) or seconds < 0):
                raise source.error(
                    f"expected a {name} time of 0 seconds or more but found {seconds!r}",
                    line=draft.line,
                    place=place,
                )
        try:
            turns.append(
                Turn(
                    index=len(turns),
                    speaker=draft.speaker,
                    role=draft.role,
                    text=draft.text,
                    source_id=draft.source_id,
                    start_seconds=draft.start_seconds,
                    end_seconds=draft.end_seconds,
                )
            )
        except DomainError as error:
            problem = str(error).replace(f"turn {len(turns)}", "this turn")
            raise source.error(
                f"expected a well-formed turn: {problem}", line=draft.line, place=place
            ) from None
    if not turns:
        raise source.error("found no talk; expected at least one turn with a speaker and words")
    return Conversation(id=conversation_id, turns=tuple(turns))


def merge_consecutive_turns(conversation: Conversation) -> Conversation:
    """A copy in which back-to-back turns by the same speaker become one turn.

    Teams and Zoom cut one utterance into several short cues; models that label "what the therapist
    did" work better on the whole utterance. The merged turn keeps the first turn's source id and
    spans from the first start to the last end.
    """
    merged: list[Turn] = []
    for turn in conversation.turns:
        previous = merged[-1] if merged else None
        if previous is not None and previous.speaker == turn.speaker and previous.role == turn.role:
            merged[-1] = Turn(
                index=previous.index,
                speaker=previous.speaker,
                role=previous.role,
                text=" ".join(part for part in (previous.text, turn.text) if part),
                source_id=previous.source_id,
                start_seconds=previous.start_seconds,
                end_seconds=_later(previous.end_seconds, turn.end_seconds),
            )
        else:
            merged.append(
                Turn(
                    index=len(merged),
                    speaker=turn.speaker,
                    role=turn.role,
                    text=turn.text,
                    source_id=turn.source_id,
                    start_seconds=turn.start_seconds,
                    end_seconds=turn.end_seconds,
                )
            )
    return Conversation(id=conversation.id, turns=tuple(merged))


def _later(first: float | None, second: float | None) -> float | None:
    ends = [seconds for seconds in (first, second) if seconds is not None]
    return max(ends) if ends else None
