"""Turn features with dialogue context, shared by training and run time.

For turn i: the sentence embeddings of turns i-2, i-1, i, i+1 (zero where absent), the roles of those
turns, the middle-layer embeddings of turns i-1, i and i+1 (how they are said), a few cheap lexical cues, and
hashed word n-grams of the turn itself and of its neighbours.
The hashed n-grams are returned as (row, column, value) triplets so the linear heads can use them
without a sparse-matrix library.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safeenough.analysis.models import cues as cue_phrases
from safeenough.domain.conversation import SpeakerRole, Turn

HASH_BITS = 18
#: weight of a cue-phrase flag among the hashed features (of the turn; half that for the previous turn)
CUE_WEIGHT = 0.5
HASH_DIM = 1 << HASH_BITS
CONTEXT = (-2, -1, 0, 1)  # offsets whose sentence embeddings are used
# offsets whose middle-layer embeddings are used; the reply (i+1) shows how a therapist turn landed
FORM_CONTEXT = (-1, 0, 1)
_ROLES = (SpeakerRole.THERAPIST, SpeakerRole.CLIENT, SpeakerRole.OTHER)
_WORD = re.compile(r"[a-z0-9']+|[?!]")
_WH = frozenset(["what", "how", "why", "when", "where", "who", "which", "tell", "describe"])
_AUX = frozenset(
    [
        "do",
        "does",
        "did",
        "are",
        "is",
        "was",
        "were",
        "have",
        "has",
        "had",
        "can",
        "could",
        "would",
        "will",
        "should",
        "may",
        "might",
        "am",
    ]
)


@dataclass(frozen=True, slots=True)
class Features:
    dense: npt.NDArray[np.float32]  # n_turns x dense_dim
    rows: npt.NDArray[np.int64]  # hashed n-gram triplets
    cols: npt.NDArray[np.int64]
    vals: npt.NDArray[np.float32]
    cues: npt.NDArray[np.float32]  # n_turns x cues.N_TURN (cue-phrase flags and context extras)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngrams(toks: list[str], prefix: str, max_n: int) -> list[str]:
    grams = [prefix + t for t in toks]
    padded = ["<s>", *toks]
    for n in range(2, max_n + 1):
        grams.extend(prefix + " ".join(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return grams


def _hash(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) & (HASH_DIM - 1)


def _lexical(turn: Turn, toks: list[str]) -> list[float]:
    text = turn.text.strip()
    words = [t for t in toks if t not in ("?", "!")]
    first = words[0] if words else ""
    return [
        1.0 if "?" in text else 0.0,
        1.0 if text.endswith("?") else 0.0,
        math.log1p(len(words)) / 5.0,
        1.0 if len(words) <= 3 else 0.0,
        1.0 if first in _WH else 0.0,
        1.0 if first in _AUX else 0.0,
        min(toks.count("you"), 5) / 5.0,
        min(toks.count("i"), 5) / 5.0,
    ]


N_LEXICAL = 8
DENSE_DIM_PER_EMB = 384
DENSE_DIM = (
    len(CONTEXT) * (DENSE_DIM_PER_EMB + len(_ROLES) + 1)
    + len(FORM_CONTEXT) * DENSE_DIM_PER_EMB
    + N_LEXICAL * 2
    + 3
)
#: dense columns of the middle-layer embeddings
FORM_COLUMNS = slice(
    len(CONTEXT) * (DENSE_DIM_PER_EMB + len(_ROLES) + 1),
    len(CONTEXT) * (DENSE_DIM_PER_EMB + len(_ROLES) + 1) + len(FORM_CONTEXT) * DENSE_DIM_PER_EMB,
)
_SENTENCE = slice(0, DENSE_DIM_PER_EMB)
_FORM = slice(DENSE_DIM_PER_EMB, 2 * DENSE_DIM_PER_EMB)


def build(turns: Sequence[Turn], emb: npt.NDArray[np.float32]) -> Features:
    """Features for every turn of one conversation.

    `emb` holds one row per turn: the sentence embedding, then the middle-layer one (`encoder.TURN_LAYERS`).
    """
    n = len(turns)
    toks = [tokens(t.text) for t in turns]
    lex = [_lexical(t, tk) for t, tk in zip(turns, toks, strict=True)]
    cue = cue_phrases.turn_cues(turns)
    cue_cols = [_hash("cue:" + name) for name in cue_phrases.NAMES]
    prev_cue_cols = [_hash("pcue:" + name) for name in cue_phrases.NAMES]
    dense = np.zeros((n, DENSE_DIM), dtype=np.float32)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, turn in enumerate(turns):
        parts: list[npt.NDArray[np.float32]] = []
        for off in CONTEXT:
            j = i + off
            block = np.zeros(DENSE_DIM_PER_EMB + len(_ROLES) + 1, dtype=np.float32)
            if 0 <= j < n:
                block[:DENSE_DIM_PER_EMB] = emb[j, _SENTENCE]
                block[DENSE_DIM_PER_EMB + _ROLES.index(turns[j].role)] = 1.0
                if turns[j].speaker == turn.speaker:
                    block[-1] = 1.0
            parts.append(block)
        for off in FORM_CONTEXT:
            j = i + off
            parts.append(emb[j, _FORM] if 0 <= j < n else np.zeros(DENSE_DIM_PER_EMB, dtype=np.float32))
        prev_lex = lex[i - 1] if i > 0 else [0.0] * N_LEXICAL
        position = [i / max(n - 1, 1), 1.0 if i == 0 else 0.0, 1.0 if i == n - 1 else 0.0]
        parts.append(np.asarray(lex[i] + prev_lex + position, dtype=np.float32))
        dense[i] = np.concatenate(parts)
        grams = _ngrams(toks[i], "", 3)
        if i > 0:
            grams += _ngrams(toks[i - 1], "p:", 2)
        if i + 1 < n:
            grams += _ngrams(toks[i + 1], "n:", 1)
        grams.append("role:" + turn.role.value)
        ids = sorted({_hash(g) for g in grams})
        weight = 1.0 / math.sqrt(len(ids))
        rows.extend([i] * len(ids))
        cols.extend(ids)
        vals.extend([weight] * len(ids))
        # the guide's cue phrases, unnormalised so that one phrase counts in a long turn too
        for c in np.flatnonzero(cue[i, : cue_phrases.N_CUES]):
            rows.append(i)
            cols.append(cue_cols[int(c)])
            vals.append(CUE_WEIGHT)
        if i > 0:
            for c in np.flatnonzero(cue[i - 1, : cue_phrases.N_CUES]):
                rows.append(i)
                cols.append(prev_cue_cols[int(c)])
                vals.append(CUE_WEIGHT / 2)
    return Features(
        dense=dense,
        rows=np.asarray(rows, dtype=np.int64),
        cols=np.asarray(cols, dtype=np.int64),
        vals=np.asarray(vals, dtype=np.float32),
        cues=cue,
    )
