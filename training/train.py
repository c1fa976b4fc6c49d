"""Train the run-time heads on all development transcripts: `python -m training.train` (make train).

Steps: embed every turn (int8 MiniLM ONNX, cached), grouped 5-fold CV for out-of-fold predictions,
the stacked third expert (cue phrases + neighbouring turns' base predictions) on those, calibrate (expert weights, temperature, class biases, thresholds) on them, fit the session-quality model
on out-of-fold session features, refit every head on all data and write
src/safeenough/analysis/models/weights/{heads.npz,config.json}. Deterministic (fixed seeds and folds).
With `pipeline.USE_EXAMPLES`, our own labelled mini-conversations (training/examples/) are training rows of
every head (CV folds and the final fit); the stacked expert, calibration and quality model use AnnoMI only.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from training import pipeline as P
from training import stack as TS
from training.data import REPO

OUT = REPO / "src" / "safeenough" / "analysis" / "models" / "weights"


def main() -> None:
    start = time.time()
    data = P.load()
    P.log(
        f"{len(data.sessions)} sessions, {len(data.row_fold)} turns, dense {data.M.D.shape[1]}, "
        f"hashed {data.M.S.shape[1]}; of them {int((~data.real_sessions).sum())} own examples, "
        f"{int((~data.real).sum())} turns"
    )
    models, oof = P.cross_validate(data)
    X = TS.stack_matrix(data, oof)
    stacks, stack_oof = TS.stack_oof(data, X)
    oof = TS.with_stack(oof, stack_oof)
    calib = P.calibrate_all(data, oof, np.ones(len(data.row_fold), dtype=bool))
    with tempfile.TemporaryDirectory() as tmp:
        feats = P.session_features_oof(data, models, calib, Path(tmp), [s.arrays() for s in stacks])
    labels = np.array([s.quality == "high" for s in data.sessions], dtype=int)
    quality = P.fit_quality(feats[data.real_sessions], labels[data.real_sessions])
    P.session_platt(
        data, oof, calib, P.quality_oof(data, feats, labels), np.ones(len(data.row_fold), dtype=bool)
    )
    P.log("fitting final heads on all transcripts (and our own examples, if used)")
    fitted = P.fit_heads(data, np.ones(len(data.row_fold), dtype=bool))
    stack = TS.fit_final(data, X)
    P.write_weights(OUT, data, fitted, calib, quality, stack.arrays())
    size = sum(p.stat().st_size for p in OUT.iterdir())
    P.log(f"wrote {OUT} ({size / 1e6:.1f} MB) in {time.time() - start:.0f}s")


if __name__ == "__main__":
    main()
