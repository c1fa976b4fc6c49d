"""Experiment: should a flag's confidence (or its threshold) read the session's quality estimate?

    python -m training.evaluate --fold-seeds 13 --keep-export /tmp/oof.jsonl   # an out-of-fold export
    git checkout docs/model-eval.json                                           # (that run rewrote it)
    python -m training.experiments.session_confidence /tmp/oof.jsonl            # a few seconds

Behind `pipeline.session_platt` (models 2025.6). The out-of-fold research export holds, for every turn,
the flag and the confidence shown, and for every session the quality estimate; each fold's came from
models that never saw it. For each yes/no flag, this re-fits its confidence fold by fold (on the other
four folds) as a logistic regression on the logit of the confidence shown and the logit of
(1 - the session's quality estimate). It then reports, among flagged turns, how well each confidence
separates the flags that match the annotator from those that do not (AUC), and the log loss over all turns. For
markers it also tries moving the threshold with the session (one threshold on the refit, chosen for F1 on
the other folds; or separate thresholds for sessions estimated as high and low quality).

Run it on an export made *before* the session step, since after it the marker confidence already reads the
session. For 2025.6 it was run on the export made just before the step (seed 13): marker AUC 0.596 -> 0.763,
anticipated judgement 0.569 -> 0.558, check-in 0.809 -> 0.804, repair 0.590 -> 0.520. Only markers took the step.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from training.data import folds, load_sessions

Row = dict[str, object]
#: flag -> (role, confidence key, annotated?, flagged?)
FLAGS: dict[str, tuple[str, str, Callable[[Row], bool], Callable[[Row], bool]]] = {
    "marker": (
        "client",
        "marker_confidence",
        lambda g: g["marker"] != "none",
        lambda p: p["marker"] != "none",
    ),
    "anticipates_judgement": (
        "client",
        "anticipates_judgement_confidence",
        lambda g: bool(g["anticipates_judgement"]),
        lambda p: bool(p["anticipates_judgement"]),
    ),
    "check_in": (
        "therapist",
        "check_in_confidence",
        lambda g: bool(g["check_in"]),
        lambda p: bool(p["check_in"]),
    ),
    "repair": (
        "therapist",
        "repair_confidence",
        lambda g: g.get("repair") not in (None, "n/a", "none"),
        lambda p: p.get("repair") not in (None, "n/a", "none"),
    ),
}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(p / (1 - p)))


def _f1(gold: np.ndarray, flagged: np.ndarray) -> float:
    hits = int((gold & flagged).sum())
    return (
        0.0
        if hits == 0
        else 2 * hits / (2 * hits + int((~gold & flagged).sum()) + int((gold & ~flagged).sum()))
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "export", type=Path, help="out-of-fold research export (training.evaluate --keep-export)"
    )
    parser.add_argument(
        "--fold-seed", type=int, default=13, help="the seed the export's folds were drawn with"
    )
    args = parser.parse_args(argv)
    turns: dict[tuple[str, str], Row] = {}
    quality: dict[str, float] = {}
    for line in args.export.open(encoding="utf-8"):
        obj = json.loads(line)
        if "summary" in obj:
            quality[str(obj["conversation"])] = float(obj["summary"]["quality"])
        else:
            turns[(str(obj["conversation"]), str(obj["source_id"]))] = obj
    sessions = load_sessions()
    fold_of = folds(sessions, seed=args.fold_seed)
    for flag, (role, key, annotated, flagged_by) in FLAGS.items():
        X, gold, fold, flagged = [], [], [], []
        for session, f in zip(sessions, fold_of, strict=True):
            q = quality[session.conversation.id]
            for turn, labels in zip(session.conversation.turns, session.labels, strict=True):
                pred = turns[(session.conversation.id, str(turn.source_id))]
                if labels.get("role") != role or pred.get(key) is None:
                    continue
                if flag == "repair" and labels.get("repair") in (None, "n/a"):
                    continue
                X.append([float(pred[key]), 1.0 - q])  # type: ignore[arg-type]
                gold.append(annotated(labels))
                fold.append(f)
                flagged.append(flagged_by(pred))
        Z, g, k, shown = _logit(np.array(X)), np.array(gold), np.array(fold), np.array(flagged)
        refit = np.zeros(len(g))
        for held in range(5):
            model = LogisticRegression(C=1e4, max_iter=1000).fit(Z[k != held], g[k != held])
            refit[k == held] = model.predict_proba(Z[k == held])[:, 1]
        before = np.array(X)[:, 0]
        print(
            f"{flag:<22} flagged {int(shown.sum()):>4}, match {g[shown].mean():.2f} | AUC among flagged "
            f"{roc_auc_score(g[shown], before[shown]):.3f} -> {roc_auc_score(g[shown], refit[shown]):.3f} | "
            f"log loss {log_loss(g, before):.4f} -> {log_loss(g, refit):.4f}"
        )
        if flag != "marker":
            continue
        moved = np.zeros(len(g), dtype=bool)
        for held in range(5):
            train = k != held
            model = LogisticRegression(C=1e4, max_iter=1000).fit(Z[train], g[train])
            p_train = model.predict_proba(Z[train])[:, 1]
            best = max((_f1(g[train], p_train >= t), t) for t in np.unique(np.round(p_train, 3)) if t > 0.01)
            moved[k == held] = model.predict_proba(Z[k == held])[:, 1] >= best[1]
        print(
            f"  threshold on the refit: F1 {_f1(g, moved):.3f} (as exported {_f1(g, shown):.3f}), "
            f"precision {(g & moved).sum() / max(1, moved.sum()):.3f} (as exported {g[shown].mean():.3f})"
        )
        low = np.array(X)[:, 1] > 0.5
        split = np.zeros(len(g), dtype=bool)
        for held in range(5):
            for group in (True, False):
                train = (k != held) & (low == group)
                if not g[train].any():
                    continue
                best = max((_f1(g[train], Z[train, 0] >= t), t) for t in np.unique(np.round(Z[train, 0], 2)))
                split[(k == held) & (low == group)] = Z[(k == held) & (low == group), 0] >= best[1]
        print(f"  separate thresholds for sessions estimated high / low quality: F1 {_f1(g, split):.3f}")


if __name__ == "__main__":
    main()
