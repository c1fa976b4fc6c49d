"""The third expert of every head: a small stacked model over the base heads' predictions in context.

For turn i it sees the base (dense + sparse) predictions of turns i-2, i-1, i and i+1 (behaviour, open
question, complex reflection, talk type, marker, anticipated judgement, stance, check-in, repair; each
only on the turns of its role), the cue-phrase flags of turns i and i-1 (`cues.py`) and a few context
extras. Training builds the same block from out-of-fold base predictions (`training/stack.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from safeenough.analysis.models import cues
from safeenough.domain.conversation import Turn

FloatArray = npt.NDArray[np.float32]

# (head, role, kind): "multi" uses every class log-probability, "bin" the log-odds of the second class
BASE: tuple[tuple[str, str, str], ...] = (
    ("behaviour", "therapist", "multi"),
    ("question", "therapist", "bin"),
    ("reflection", "therapist", "bin"),
    ("talk_type", "client", "multi"),
    ("marker", "client", "multi"),
    ("anticipates_judgement", "client", "bin"),
    ("stance", "therapist", "multi"),
    ("check_in", "therapist", "bin"),
    ("repair", "therapist", "bin"),
)
WIDTH = {"behaviour": 4, "talk_type": 3, "marker": 3, "stance": 4}
OWN_DIM = sum(WIDTH.get(h, 1) for h, _, _ in BASE)
OFFSETS = (-2, -1, 0, 1)
DIM = OWN_DIM * len(OFFSETS) + cues.N_TURN + cues.N_CUES
CLIP = 10.0


def log_softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    out: FloatArray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def base_logprobs(dense: FloatArray, sparse: FloatArray) -> FloatArray:
    """The fixed half-and-half combination of the two base experts (their log-probabilities)."""
    return log_softmax(0.5 * dense + 0.5 * sparse)


def build(
    turns: Sequence[Turn], base: Mapping[str, FloatArray], turn_cues: FloatArray | None = None
) -> FloatArray:
    """n x DIM stacking features of one conversation; `base[head]` holds n x k base log-probabilities."""
    n = len(turns)
    th, cl = cues.role_masks(turns)
    own = np.zeros((n, OWN_DIM), dtype=np.float32)
    col = 0
    for head, role, kind in BASE:
        lp = np.maximum(np.asarray(base[head], dtype=np.float32), -CLIP)
        block = lp if kind == "multi" else (lp[:, 1:2] - lp[:, 0:1])
        mask = th if role == "therapist" else cl
        own[:, col : col + block.shape[1]] = block * mask[:, None]
        col += block.shape[1]
    out = np.zeros((n, DIM), dtype=np.float32)
    for j, off in enumerate(OFFSETS):
        lo, hi = max(0, -off), min(n, n - off)
        if hi > lo:
            out[lo:hi, j * OWN_DIM : (j + 1) * OWN_DIM] = own[lo + off : hi + off]
    c = cues.turn_cues(turns) if turn_cues is None else turn_cues
    start = OWN_DIM * len(OFFSETS)
    out[:, start : start + cues.N_TURN] = c
    if n > 1:
        out[1:, start + cues.N_TURN :] = c[:-1, : cues.N_CUES]
    return out
