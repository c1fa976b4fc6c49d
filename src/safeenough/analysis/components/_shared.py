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
#: a turn this short is quoted whole when no sentence of it holds a cue word
SHORT_TURN_CHARACTERS = 120

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
    """The words of a turn that carry the moment: the first sentence with a cue word; else the whole turn
    when it is short (in "Okay. Sure. If you think it's best." no single sentence says it); else the
    longest sentence."""
    sentences = [sentence.strip() for sentence in SENTENCE.split(text.strip()) if sentence.strip()]
    if not sentences:
        return ""
    cue = (
        re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b", re.IGNORECASE) if cues else None
    )
    flat = " ".join(sentences)
    cued = next((s for s in sentences if cue is not None and cue.search(s.replace("’", "'"))), None)
    if cued is not None:
        chosen = cued
    elif len(flat) <= SHORT_TURN_CHARACTERS:
        chosen = flat
    else:
        chosen = max(sentences, key=len)
    if len(chosen) <= EVIDENCE_CHARACTERS:
        return chosen
    return chosen[:EVIDENCE_CHARACTERS].rsplit(" ", 1)[0] + "…"
