"""One model pass per conversation, shared by every component that reads from it.

The trained heads label all turns at once (behaviour, talk type, markers, stance, …); each component
publishes its own part as annotations. A small per-process cache keyed by the (immutable, hashable)
conversation means the model runs once however many components ask.
"""

import re
from functools import lru_cache

from safeenough.analysis.models.predictor import ConversationPrediction, predict_conversation
from safeenough.domain.conversation import Conversation

SENTENCE = re.compile(r"(?<=[.!?])\s+")
EVIDENCE_CHARACTERS = 240


@lru_cache(maxsize=16)
def prediction(conversation: Conversation) -> ConversationPrediction:
    return predict_conversation(conversation)


def evidence_span(text: str, cues: tuple[str, ...] = ()) -> str:
    """The sentence of a turn that carries the moment: the first with a cue word, else the first one."""
    sentences = [sentence.strip() for sentence in SENTENCE.split(text.strip()) if sentence.strip()]
    if not sentences:
        return ""
    lowered = [sentence.lower() for sentence in sentences]
    chosen = next(
        (s for s, low in zip(sentences, lowered, strict=True) if any(c in low for c in cues)), sentences[0]
    )
    if len(chosen) <= EVIDENCE_CHARACTERS:
        return chosen
    return chosen[:EVIDENCE_CHARACTERS].rsplit(" ", 1)[0] + "…"
