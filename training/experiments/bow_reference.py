"""Experiment: the issue's "plain bag-of-words reference", measured on our own grouped CV.

`python -m training.experiments.bow_reference [--fold-seeds 13 7 29] [--learning-curve]`
(about 1.5 minutes on 2 cores; `--learning-curve`: the balanced reference learning from 2, 3 or 4 folds)

The issues give, beside each target, what a plain bag-of-words logistic regression reaches on the
held-out gold (therapist behaviour 0.71, client talk type 0.54, quality AUC 0.92; any-marker 0.15,
marker 0.37, anticipated judgement 0.09, stance 0.52, check-in 0.29, repair 0.04). Our own figures come
from grouped CV on the 93 development transcripts, a different and smaller test set. Running the same
kind of reference on the same folds as `training.evaluate` shows how our CV relates to the held-out
evaluation: if the reference scores lower on our folds than on the held-out gold, our CV is the harder
test, and the other way round.

The reference, per fold (fitted on the other four folds' AnnoMI transcripts only, no own examples):
- per head, a logistic regression on TF-IDF word 1–2-grams of the turn's own text, nothing else (no
  context, embeddings, cues or calibration); argmax, or the 0.5 threshold for yes/no heads;
- repair: a yes/no model fitted on the gold repair opportunities, applied (as the export contract asks)
  only to therapist turns within two turns after a client turn the reference itself calls a marker;
  `n/a` elsewhere;
- quality: a logistic regression on the TF-IDF of the session's whole text.
Two variants: "plain" (unweighted, as the issue names it) and "balanced" (class weights inversely
proportional to frequency). The export is scored with ../shared/tools/score_export.py, pooled over
folds, exactly as `training.evaluate` scores ours.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from training.data import RELATIONAL, SIMPLE, Session, folds, load_sessions
from training.evaluate import score

#: the issue's reference figures on the held-out gold (issues 4 and 5)
HELD_OUT_REFERENCE = {
    "therapist_macro_f1": 0.71,
    "client_macro_f1": 0.54,
    "session_auc": 0.92,
    "marker_any_f1": 0.15,
    "marker_macro_f1": 0.37,
    "anticipates_judgement_f1": 0.09,
    "stance_macro_f1": 0.52,
    "check_in_f1": 0.29,
    "repair_f1": 0.04,
}
#: head -> (role of its turns, label key)
HEADS = {
    "behaviour": ("therapist", "behaviour"),
    "stance": ("therapist", "stance"),
    "check_in": ("therapist", "check_in"),
    "talk_type": ("client", "talk_type"),
    "marker": ("client", "marker"),
    "anticipates_judgement": ("client", "anticipates_judgement"),
}


def _rows(sessions: list[Session], role: str, key: str) -> tuple[list[str], list[object]]:
    texts, labels = [], []
    for s in sessions:
        for turn, lab in zip(s.conversation.turns, s.labels, strict=True):
            if lab.get("role") == role and lab.get(key) is not None:
                texts.append(turn.text)
                labels.append(lab[key])
    return texts, labels


def _model(
    texts: list[str], labels: list[object], balanced: bool
) -> tuple[TfidfVectorizer, LogisticRegression]:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vectorizer.fit_transform(texts)
    model = LogisticRegression(max_iter=2000, class_weight="balanced" if balanced else None)
    model.fit(X, [str(v) for v in labels])
    return vectorizer, model


def _predict(fitted: tuple[TfidfVectorizer, LogisticRegression], texts: list[str]) -> list[str]:
    vectorizer, model = fitted
    return [str(v) for v in model.predict(vectorizer.transform(texts))]


def export_fold(train: list[Session], test: list[Session], balanced: bool) -> list[dict[str, object]]:
    """The reference's research export (the keys the scorer reads) for the test sessions."""
    heads = {name: _model(*_rows(train, role, key), balanced) for name, (role, key) in HEADS.items()}
    repair_texts, repair_labels = [], []
    for s in train:
        for turn, lab in zip(s.conversation.turns, s.labels, strict=True):
            if lab.get("role") == "therapist" and lab.get("repair") not in (None, "n/a"):
                repair_texts.append(turn.text)
                repair_labels.append(lab["repair"] != "none")
    repair = _model(repair_texts, repair_labels, balanced)
    quality = _model(
        [" ".join(t.text for t in s.conversation.turns) for s in train], [s.quality for s in train], balanced
    )
    lines: list[dict[str, object]] = []
    for s in test:
        turns = s.conversation.turns
        texts = [t.text for t in turns]
        roles = [str(lab.get("role")) for lab in s.labels]
        pred = {name: _predict(fitted, texts) for name, fitted in heads.items()}
        repaired = _predict(repair, texts)
        markers_at = [i for i, r in enumerate(roles) if r == "client" and pred["marker"][i] != "none"]
        conv = s.conversation.id
        for i, turn in enumerate(turns):
            row: dict[str, object] = {"conversation": conv, "turn": i, "source_id": turn.source_id}
            if roles[i] == "therapist":
                opportunity = any(0 < i - m <= 2 for m in markers_at)
                row |= {
                    "behaviour": pred["behaviour"][i],
                    "stance": pred["stance"][i],
                    "check_in": pred["check_in"][i] == "True",
                    "repair": ("validation" if repaired[i] == "True" else "none") if opportunity else "n/a",
                }
            else:
                row |= {
                    "talk_type": pred["talk_type"][i],
                    "marker": pred["marker"][i],
                    "anticipates_judgement": pred["anticipates_judgement"][i] == "True",
                }
            lines.append(row)
        vectorizer, model = quality
        p_high = model.predict_proba(vectorizer.transform([" ".join(texts)]))[0][
            list(model.classes_).index("high")
        ]
        lines.append({"conversation": conv, "summary": {"quality": float(p_high)}})
    return lines


def cross_validated(
    sessions: list[Session], fold_seed: int, balanced: bool, train_folds: int = 4
) -> dict[str, float]:
    """Pooled figures of the reference; each fold's models learn from `train_folds` of the other folds."""
    fold_of = np.array(folds(sessions, seed=fold_seed))
    with tempfile.TemporaryDirectory() as tmpdir:
        pooled = Path(tmpdir) / "pooled.jsonl"
        with pooled.open("w", encoding="utf-8") as fh:
            for fold in range(5):
                learn_from = {(fold + step) % 5 for step in range(1, train_folds + 1)}
                train = [s for s, f in zip(sessions, fold_of, strict=True) if f in learn_from]
                test = [s for s, f in zip(sessions, fold_of, strict=True) if f == fold]
                for line in export_fold(train, test, balanced):
                    fh.write(json.dumps(line) + "\n")
        figures = {**score("annomi", SIMPLE, pooled), **score("rupture", RELATIONAL, pooled)}
    return {key: float(figures[key]) for key in HELD_OUT_REFERENCE}  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold-seeds", type=int, nargs="+", default=[13, 7, 29])
    parser.add_argument(
        "--learning-curve",
        action="store_true",
        help="the balanced reference learning from 2, 3 and 4 of the other folds (does more data help?)",
    )
    args = parser.parse_args(argv)
    sessions = load_sessions()
    keys = list(HELD_OUT_REFERENCE)
    print("variant          " + " ".join(f"{k[:14]:>14}" for k in keys))
    print("held-out (issue) " + " ".join(f"{HELD_OUT_REFERENCE[k]:>14.2f}" for k in keys))
    if args.learning_curve:
        for train_folds in (2, 3, 4):
            runs = [cross_validated(sessions, seed, True, train_folds) for seed in args.fold_seeds]
            name = f"balanced, {train_folds} folds"
            print(f"{name:<16} " + " ".join(f"{np.mean([r[k] for r in runs]):>14.3f}" for k in keys))
        return
    for balanced in (False, True):
        runs = [cross_validated(sessions, seed, balanced) for seed in args.fold_seeds]
        for seed, run in zip(args.fold_seeds, runs, strict=True):
            name = f"{'balanced' if balanced else 'plain'} s{seed}"
            print(f"{name:<16} " + " ".join(f"{run[k]:>14.3f}" for k in keys))
        name = f"{'balanced' if balanced else 'plain'} mean"
        print(f"{name:<16} " + " ".join(f"{np.mean([r[k] for r in runs]):>14.3f}" for k in keys))


if __name__ == "__main__":
    main()
