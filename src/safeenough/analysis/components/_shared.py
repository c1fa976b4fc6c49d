"""One model pass per conversation, shared by every component that reads from it.

The trained heads label all turns at once (behaviour, talk type, markers, stance, …); each component
publishes its own part as annotations. A small per-process cache keyed by the (immutable, hashable)
conversation means the model runs once however many components ask.

`using_predictor(predictor)` makes the components read from another `Predictor` (e.g. a cross-validation
fold's model in `training/evaluate.py`), so evaluation runs exactly the code path of the app and the CLI.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from safeenough.analysis.models.predictor import ConversationPrediction, Predictor, predict_conversation
from safeenough.domain.conversation import Conversation

SENTENCE = re.compile(r"(?<=[.!?])\s+")
EVIDENCE_CHARACTERS = 240

_override: list[Predictor] = []


@lru_cache(maxsize=16)
def prediction(conversation: Conversation) -> ConversationPrediction:
    if _override:
        return _override[-1].predict(conversation)
    return predict_conversation(conversation)


@contextmanager
def using_predictor(predictor: Predictor) -> Iterator[Predictor]:
    """Within the block, components label conversations with `predictor` instead of the committed model."""
    prediction.cache_clear()
    _override.append(predictor)
    try:
        yield predictor
    finally:
        _override.pop()
        prediction.cache_clear()


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
