"""Experiment: how far can the confidence of a yes/no flag be trusted? (behind the Platt step of 2025.5)

`python -m training.experiments.confidence`   (seconds once `make train` has filled the caches)

For the marker, anticipated-judgement, check-in and repair heads: the out-of-fold probability of every
AnnoMI turn (fold k's calibration fitted on the other folds, as `training.evaluate` does), then the same
probability mapped by a Platt step fitted on the other folds only. Among the turns the head flags, it
prints the expected calibration error (ten bins) and, by band of the mapped probability, how many were
flagged and how many of those the annotator also marked.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from training import heads as H
from training import pipeline as P
from training import stack as TS

BINARY = ("marker", "anticipates_judgement", "check_in", "repair")
BANDS = ((0.0, 0.2), (0.2, 0.35), (0.35, 0.5), (0.5, 0.7), (0.7, 1.01))


def calibration_error(p: np.ndarray, gold: np.ndarray) -> float:
    """Expected calibration error over ten equal-width bins."""
    edges = np.linspace(0, 1, 11)
    total = 0.0
    for lo, hi in pairwise(edges):
        in_bin = (p >= lo) & ((p < hi) | (hi == 1.0))
        if in_bin.any():
            total += in_bin.sum() * abs(p[in_bin].mean() - gold[in_bin].mean())
    return total / max(len(p), 1)


def main() -> None:
    data = P.load()
    _, oof = P.cross_validate(data)
    _, stack_oof = TS.stack_oof(data, TS.stack_matrix(data, oof))
    oof = TS.with_stack(oof, stack_oof)
    specs = {spec.name: spec for spec in H.HEADS}
    for name in BINARY:
        spec, gold_labels = specs[name], data.gold[name]
        idx = np.array([i for i in np.flatnonzero(data.real) if gold_labels[i] is not None])
        gold = np.array([gold_labels[i] != spec.classes[0] for i in idx])
        fold = data.row_fold[idx]
        raw, shown, threshold = np.zeros(len(idx)), np.zeros(len(idx)), np.zeros(len(idx))
        for k in range(int(fold.max()) + 1):
            cfg = P.calibrate(spec, oof[name], gold_labels, (data.row_fold != k) & data.real)
            experts = [e for e in (*H.EXPERTS, "stack") if e in oof[name]]
            weights = np.asarray(cfg["weights"][: len(experts)])  # type: ignore[index]
            logp = H.log_softmax(
                np.tensordot(weights, np.stack([oof[name][e][idx] for e in experts]), axes=1)
                / float(cfg["temperature"])  # type: ignore[arg-type]
            )
            p = 1.0 - np.exp(logp[:, 0])
            slope, intercept = P._platt(p[fold != k], gold[fold != k])
            here = fold == k
            raw[here], threshold[here] = p[here], float(cfg["threshold"])  # type: ignore[arg-type]
            z = slope * P._logit(p[here]) + intercept
            shown[here] = 1.0 / (1.0 + np.exp(-z))
        flagged = raw >= threshold
        print(
            f"{name}: {flagged.sum()} flagged, {gold[flagged].mean():.2f} of them marked by the annotator; "
            f"mean confidence raw {raw[flagged].mean():.2f}, calibrated {shown[flagged].mean():.2f}; "
            f"calibration error among flagged raw {calibration_error(raw[flagged], gold[flagged]):.3f}, "
            f"calibrated {calibration_error(shown[flagged], gold[flagged]):.3f}"
        )
        for lo, hi in BANDS:
            band = flagged & (shown >= lo) & (shown < hi)
            if band.any():
                print(
                    f"  calibrated {lo:.2f}-{min(hi, 1):.2f}: {band.sum():3d} flagged, mean {shown[band].mean():.2f},"
                    f" {gold[band].mean():.2f} marked by the annotator"
                )


if __name__ == "__main__":
    main()
