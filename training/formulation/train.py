"""Train the formulation-domain head: `.venv/bin/python -m training.formulation.train`.

Reads statements.train.jsonl (synthetic, written by us; see README.md), embeds each statement with the
run-time encoder (int8 MiniLM) and scores it with the run-time lexicon, then fits one L2-regularised
logistic regression per domain over [embedding, lexicon scores * lex_scale] with Newton's method (numpy).
The regularisation strength and the lexicon scale are chosen by stratified 5-fold cross-validation
(macro-F1); Platt scaling and the decision threshold are fitted on the out-of-fold predictions of the
chosen setting. Writes src/safeenough/analysis/models/weights/formulation_domains.npz. Deterministic
(fixed folds, no random initialisation). The test file is never read here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from safeenough.analysis import formulation as fm

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TRAIN = HERE / "statements.train.jsonl"
TEST = HERE / "statements.test.jsonl"
OUT = REPO / "src" / "safeenough" / "analysis" / "models" / "weights" / fm.WEIGHTS_FILE
SEED = 7
FOLDS = 5
LAMBDAS = (0.3, 1.0, 3.0, 10.0)
LEX_SCALES = (1.0, 3.0)
THRESHOLDS = tuple(round(0.25 + 0.05 * i, 2) for i in range(11))  # 0.25 .. 0.75

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def log(message: str) -> None:
    print(f"[formulation] {message}", flush=True)


def load(path: Path) -> tuple[list[str], IntArray]:
    """Texts and a 0/1 label matrix (n x 9, columns in fm.DOMAINS order)."""
    texts: list[str] = []
    rows: list[list[int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        unknown = set(item["domains"]) - set(fm.DOMAINS)
        if unknown:
            raise ValueError(f"{path}: unknown domains {unknown} in {item['text']!r}")
        texts.append(item["text"])
        rows.append([int(d in item["domains"]) for d in fm.DOMAINS])
    return texts, np.array(rows, dtype=np.int64).reshape(len(rows), len(fm.DOMAINS))


def features(texts: list[str], lex_scale: float, embeddings: Array) -> Array:
    return np.hstack([embeddings, fm.lexicon_scores(texts).astype(np.float64) * lex_scale])


def _sigmoid(z: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))), dtype=np.float64)


def fit_logistic(x: Array, y: Array, lam: float, bias_reg: float = 0.0) -> tuple[Array, float]:
    """Minimise the log loss + lam/2 * |w|^2 (bias not penalised unless bias_reg) by Newton's method."""
    xa = np.hstack([x, np.ones((len(x), 1))])
    reg = np.full(xa.shape[1], lam)
    reg[-1] = bias_reg
    w = np.zeros(xa.shape[1])
    for _ in range(100):
        p = _sigmoid(xa @ w)
        grad = xa.T @ (p - y) + reg * w
        hess = xa.T @ (xa * (p * (1 - p))[:, None]) + np.diag(reg) + 1e-8 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w[:-1], float(w[-1])


def stratified_folds(y: IntArray, k: int = FOLDS, seed: int = SEED) -> IntArray:
    """Fold of each row, stratified by the first domain of each statement (or "none")."""
    primary = np.where(y.any(axis=1), y.argmax(axis=1), y.shape[1])
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    offset = 0
    for label in range(y.shape[1] + 1):
        idx = np.flatnonzero(primary == label)
        idx = idx[rng.permutation(len(idx))]
        fold[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return fold


def oof_logits(x: Array, y: IntArray, fold: IntArray, lam: float) -> Array:
    out = np.zeros(y.shape, dtype=np.float64)
    for f in range(FOLDS):
        tr, te = fold != f, fold == f
        for j in range(y.shape[1]):
            w, b = fit_logistic(x[tr], y[tr, j].astype(np.float64), lam)
            out[te, j] = x[te] @ w + b
    return out


def fit_platt(logits: Array, y: IntArray) -> tuple[Array, Array]:
    a, b = np.ones(y.shape[1]), np.zeros(y.shape[1])
    for j in range(y.shape[1]):
        w, bias = fit_logistic(logits[:, [j]], y[:, j].astype(np.float64), lam=1e-3, bias_reg=1e-3)
        a[j], b[j] = float(w[0]), bias
    return a, b


def macro_f1(y: IntArray, pred: IntArray) -> float:
    scores = []
    for j in range(y.shape[1]):
        tp = int(((pred[:, j] == 1) & (y[:, j] == 1)).sum())
        fp = int(((pred[:, j] == 1) & (y[:, j] == 0)).sum())
        fn = int(((pred[:, j] == 0) & (y[:, j] == 1)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return float(np.mean(scores))


def predict_sets(prob: Array, threshold: float, small: npt.NDArray[np.bool_]) -> IntArray:
    """As at run time: domains at or above the threshold, at most MAX_DOMAINS, none for small talk."""
    pred = np.zeros(prob.shape, dtype=np.int64)
    for i in range(len(prob)):
        if small[i]:
            continue
        for j in np.argsort(-prob[i], kind="stable")[: fm.MAX_DOMAINS]:
            if prob[i, j] >= threshold:
                pred[i, j] = 1
    return pred


def main() -> None:
    from safeenough.analysis.models import encoder

    start = time.time()
    texts, y = load(TRAIN)
    small = np.array([fm.is_small_talk(t) for t in texts])
    log(f"{len(texts)} training statements, {int((~y.any(axis=1)).sum())} without a domain")
    embeddings = encoder.embed(texts, layers=encoder.SENTENCE_LAYERS).astype(np.float64)
    fold = stratified_folds(y)
    best: tuple[float, float, float, float] | None = None  # (f1, lam, scale, threshold)
    for scale in LEX_SCALES:
        x = features(texts, scale, embeddings)
        for lam in LAMBDAS:
            logits = oof_logits(x, y, fold, lam)
            a, b = fit_platt(logits, y)
            prob = _sigmoid(a * logits + b)
            scored = [(macro_f1(y, predict_sets(prob, t, small)), t) for t in THRESHOLDS]
            f1, threshold = max(scored, key=lambda st: (st[0], -abs(st[1] - 0.5)))
            log(f"lex_scale={scale} lambda={lam}: out-of-fold macro-F1 {f1:.3f} at threshold {threshold}")
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, lam, scale, threshold)
    if best is None:
        raise RuntimeError("empty search grid")
    f1, lam, scale, threshold = best
    x = features(texts, scale, embeddings)
    a, b = fit_platt(oof_logits(x, y, fold, lam), y)
    weights = np.zeros((len(fm.DOMAINS), x.shape[1]))
    bias = np.zeros(len(fm.DOMAINS))
    for j in range(len(fm.DOMAINS)):
        weights[j], bias[j] = fit_logistic(x, y[:, j].astype(np.float64), lam)
    head = fm.DomainHead(
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        platt_a=a.astype(np.float32),
        platt_b=b.astype(np.float32),
        lex_scale=scale,
        threshold=threshold,
    )
    head.save(
        OUT,
        n_train=len(texts),
        l2_lambda=lam,
        oof_macro_f1=round(f1, 4),
        encoder_sha256=encoder.MODEL_SHA256,
        trained_on=TRAIN.name,
    )
    log(
        f"chosen lambda={lam} lex_scale={scale} threshold={threshold} (out-of-fold macro-F1 {f1:.3f}); "
        f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size / 1e3:.0f} kB) in {time.time() - start:.0f}s"
    )


if __name__ == "__main__":
    main()
