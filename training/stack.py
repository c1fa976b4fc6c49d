"""Training of the stacked third expert (`analysis/models/stack.py`) from out-of-fold base predictions."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass

import numpy as np

from safeenough.analysis.models import stack as ST
from training import heads as H
from training.data import CACHE
from training.pipeline import Data, log

C_STACK = 0.02  # chosen from {0.1, 0.02} on the grouped CV (see docs/model-card.md)


@dataclass
class Stack:
    mu: np.ndarray
    sd: np.ndarray
    heads: dict[str, tuple[np.ndarray, np.ndarray]]

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"stack.mu": self.mu, "stack.sd": self.sd}
        for name, (W, b) in self.heads.items():
            out[f"{name}.Wc"] = W.astype(np.float16)
            out[f"{name}.bc"] = b.astype(np.float32)
        return out


def stack_matrix(data: Data, oof: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """Raw stacking features of every turn, built from out-of-fold base log-probabilities."""
    base = {
        head: ST.base_logprobs(oof[head]["dense"].astype(np.float32), oof[head]["sparse"].astype(np.float32))
        for head, _, _ in ST.BASE
    }
    blocks = []
    for s, off in zip(data.sessions, data.M.offsets, strict=True):
        n = len(s.conversation.turns)
        blocks.append(ST.build(s.conversation.turns, {h: v[off : off + n] for h, v in base.items()}))
    return np.vstack(blocks).astype(np.float32)


def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd < 1e-6] = 1.0
    return mu.astype(np.float32), sd.astype(np.float32)


def fit_head(
    spec: H.HeadSpec, Z: np.ndarray, y: list[str | None], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array([i for i in np.flatnonzero(rows) if y[i] is not None])
    target = np.array([spec.classes.index(str(y[i])) for i in idx])
    return H._lr(Z[idx], target, len(spec.classes), C_STACK * spec.C / 2.0, spec.balanced, seed=13)


def fit_all(data: Data, Z: np.ndarray, rows: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {spec.name: fit_head(spec, Z, data.gold[spec.name], rows) for spec in H.HEADS}


def stack_oof(data: Data, X: np.ndarray, k: int = 5) -> tuple[list[Stack], dict[str, np.ndarray]]:
    """Fold stackers and out-of-fold stack log-probabilities (fold k's stacker never sees fold k's labels).

    Our own examples have no out-of-fold base predictions, so the stackers are standardised and fitted on
    AnnoMI turns only. Cached under training/.cache/ (key: the stacking features, the rows, the folds and
    C_STACK)."""
    folds = data.row_fold.astype(np.int64).tobytes()
    key = hashlib.sha256(X.tobytes() + data.real.tobytes() + folds + f"{C_STACK}".encode()).hexdigest()[:12]
    path = CACHE / f"stack-{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            cached: tuple[list[Stack], dict[str, np.ndarray]] = pickle.load(fh)
            return cached
    mu, sd = standardise(X[data.real])
    Z = (X - mu) / sd
    out = {spec.name: np.zeros((len(X), len(spec.classes))) for spec in H.HEADS}
    stacks = []
    for fold in range(k):
        fitted = fit_all(data, Z, (data.row_fold != fold) & data.real)
        test = data.row_fold == fold
        for name, (W, b) in fitted.items():
            out[name][test] = H.log_softmax(Z[test] @ W + b)
        stacks.append(Stack(mu, sd, fitted))
        log(f"stacker fold {fold} fitted")
    with path.open("wb") as fh:
        pickle.dump((stacks, out), fh)
    return stacks, out


def fit_final(data: Data, X: np.ndarray) -> Stack:
    """The run-time stacker: all AnnoMI turns (our examples have no out-of-fold base predictions)."""
    mu, sd = standardise(X[data.real])
    return Stack(mu, sd, fit_all(data, (X - mu) / sd, data.real))


def with_stack(
    oof: dict[str, dict[str, np.ndarray]], stack_oof: dict[str, np.ndarray]
) -> dict[str, dict[str, np.ndarray]]:
    return {name: {**experts, "stack": stack_oof[name]} for name, experts in oof.items()}
