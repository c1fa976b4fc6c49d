"""Experiment: a one-hidden-layer MLP as a fourth expert on the dense block.

`python -m training.experiments.mlp_expert`

Same grouped 5-fold CV as the pipeline (`training.data.folds`). For each head (behaviour, talk_type,
stance, marker) an MLP (scikit-learn `MLPClassifier`, relu, adam, early stopping, balanced sample weights,
fixed random_state) is fitted on the dense design block `data.M.D`. Its hyper-parameters (hidden width,
L2 alpha) are chosen per outer fold by nested grouped CV: for outer fold k the candidates are scored by
pooled log-loss on the other four folds, each predicted by a model trained on the remaining three (so
fold k's labels never touch its own model or its selection). The resulting out-of-fold log-probabilities
are blended with the pipeline's experts (dense + sparse + stack, read from `pipeline.cross_validate` and
`stack.stack_oof`, both cached) by a local copy of `pipeline.calibrate` that takes any number of experts.

Scores (pooled over all turns of the head, out of fold):
  optimistic:   calibration fitted on all out-of-fold rows and scored on the same rows;
  fold-honest:  calibration of fold k fitted on the other folds' out-of-fold rows (as training/evaluate.py).
The MLP fits are cached in training/.cache/mlp-expert-<key>.pkl. Nothing here touches the runtime.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
import time
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits

from training import heads as H
from training import pipeline as P
from training import stack as TS
from training.data import CACHE

EVAL_HEADS = ("behaviour", "talk_type", "stance", "marker")
SEEDS = (13, 14, 15)  # the seed check: nested choices refitted with other random_states, and their average
HIDDEN = (64, 256)
ALPHAS = (1.0, 10.0, 30.0, 100.0)
GRID = tuple(itertools.product(HIDDEN, ALPHAS))
SEED = 13
K = 5
TEMPS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 3.0)
MLP_KW = {
    "activation": "relu",
    "solver": "adam",
    "batch_size": 128,
    "learning_rate_init": 1e-3,
    "max_iter": 200,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 10,
    "random_state": SEED,
}


@dataclass
class Fit:
    rows: np.ndarray  # data rows predicted (the held-out folds of this fit)
    logp: np.ndarray  # their log-probabilities
    n_iter: int
    seconds: float
    n_params: int
    f16_max_abs: float = float("nan")  # largest probability change with float16 weights and inputs


# -- MLP ----------------------------------------------------------------------------------------------


def numpy_logprobs(coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    """The run-time forward pass in plain numpy: relu hidden layer, softmax output."""
    h = np.maximum(X @ coefs[0] + intercepts[0], 0.0)
    return H.log_softmax(h @ coefs[1] + intercepts[1])


def fit_mlp(
    X: np.ndarray, y: np.ndarray, k: int, hidden: int, alpha: float, seed: int = SEED
) -> MLPClassifier:
    kw = {**MLP_KW, "random_state": seed}
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, **kw)  # type: ignore[arg-type]
    clf.fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    assert list(clf.classes_) == list(range(k)), "every class must occur in the training folds"
    return clf


def fit_one(
    data: P.Data, head: str, hidden: int, alpha: float, held: tuple[int, ...], seed: int = SEED
) -> Fit:
    """One MLP trained on every fold not in `held`, predicting the rows of the held folds."""
    spec = next(s for s in H.HEADS if s.name == head)
    gold = data.gold[head]
    idx = np.array([i for i, v in enumerate(gold) if v is not None])
    y = np.array([spec.classes.index(str(gold[i])) for i in idx])
    train = ~np.isin(data.row_fold[idx], held)
    t = time.time()
    clf = fit_mlp(data.M.D[idx[train]], y[train], len(spec.classes), hidden, alpha, seed)
    seconds = time.time() - t
    coefs = [c.astype(np.float64) for c in clf.coefs_]
    inter = [b.astype(np.float64) for b in clf.intercepts_]
    logp = numpy_logprobs(coefs, inter, data.M.D[idx[~train]].astype(np.float64))
    ref = np.log(np.clip(clf.predict_proba(data.M.D[idx[~train]]), 1e-300, None))
    assert np.allclose(np.exp(logp), np.exp(ref), atol=1e-6), "numpy forward pass differs"
    # the weights as they would be committed (float16) change the probabilities by at most:
    half = numpy_logprobs(
        [c.astype(np.float16).astype(np.float64) for c in coefs],
        [b.astype(np.float32).astype(np.float64) for b in inter],
        data.M.D[idx[~train]].astype(np.float16).astype(np.float64),
    )
    f16 = float(np.abs(np.exp(half) - np.exp(logp)).max())
    n_params = sum(c.size for c in clf.coefs_) + sum(b.size for b in clf.intercepts_)
    return Fit(idx[~train], logp, int(clf.n_iter_), seconds, int(n_params), f16)


def run_fits(data: P.Data, head: str, cache: dict[tuple[object, ...], Fit]) -> None:
    """Every grid point on every 3-fold (pair held out) and 4-fold (one held out) training set."""
    held_sets = [(f,) for f in range(K)] + list(itertools.combinations(range(K), 2))
    for hidden, alpha in GRID:
        for held in held_sets:
            key = (head, hidden, alpha, held)
            if key not in cache:
                cache[key] = fit_one(data, head, hidden, alpha, held)
        P.log(f"{head}: hidden {hidden} alpha {alpha} fitted")


def seed_oof(
    data: P.Data, head: str, chosen: list[tuple[int, float]], seed: int, cache: dict[tuple[object, ...], Fit]
) -> np.ndarray:
    """Out-of-fold MLP log-probabilities of the nested choices, refitted with another random_state."""
    k = len(next(s for s in H.HEADS if s.name == head).classes)
    out = np.zeros((len(data.row_fold), k))
    for outer, (hidden, alpha) in enumerate(chosen):
        key: tuple[object, ...] = (head, hidden, alpha, (outer,)) + (() if seed == SEED else (seed,))
        if key not in cache:
            cache[key] = fit_one(data, head, hidden, alpha, (outer,), seed)
        out[cache[key].rows] = cache[key].logp
    return out


def nested_oof(
    data: P.Data, head: str, cache: dict[tuple[object, ...], Fit]
) -> tuple[np.ndarray, list[tuple[int, float]], list[float]]:
    """Out-of-fold MLP log-probabilities with the grid point chosen per outer fold on inner folds."""
    spec = next(s for s in H.HEADS if s.name == head)
    gold = data.gold[head]
    k = len(spec.classes)
    out = np.zeros((len(data.row_fold), k))
    chosen, seconds = [], []
    for outer in range(K):
        scores = []
        for hidden, alpha in GRID:
            nll, n = 0.0, 0
            for inner in range(K):
                if inner == outer:
                    continue
                f = cache[(head, hidden, alpha, tuple(sorted((outer, inner))))]
                sel = data.row_fold[f.rows] == inner
                target = np.array([spec.classes.index(str(gold[i])) for i in f.rows[sel]])
                nll += -f.logp[sel][np.arange(len(target)), target].sum()
                n += len(target)
            scores.append((nll / n, hidden, alpha))
        _, hidden, alpha = min(scores)
        chosen.append((hidden, alpha))
        f = cache[(head, hidden, alpha, (outer,))]
        out[f.rows] = f.logp
        # time to produce fold `outer`'s expert: the grid on 6 three-fold sets + the chosen 4-fold fit
        inner_keys = [
            (head, h, a, pair)
            for h, a in GRID
            for pair in itertools.combinations(range(K), 2)
            if outer in pair
        ]
        seconds.append(sum(cache[key].seconds for key in inner_keys) + f.seconds)
    return out, chosen, seconds


def fixed_oof(
    data: P.Data, head: str, hidden: int, alpha: float, cache: dict[tuple[object, ...], Fit]
) -> np.ndarray:
    k = len(next(s for s in H.HEADS if s.name == head).classes)
    out = np.zeros((len(data.row_fold), k))
    for outer in range(K):
        f = cache[(head, hidden, alpha, (outer,))]
        out[f.rows] = f.logp
    return out


# -- calibration (local copy of pipeline.calibrate for any number of experts) --------------------------


def simplex(n: int, steps: int = 10) -> list[tuple[float, ...]]:
    """Expert weights on a grid over the simplex; for n <= 3 the same points as `pipeline._simplex`."""
    out = []
    for head in itertools.product(range(steps + 1), repeat=n - 1):
        if sum(head) <= steps:
            out.append((*(h / steps for h in head), round(1 - sum(head) / steps, 3)))
    return out


def calibrate(
    spec: H.HeadSpec, lps_all: np.ndarray, target_all: np.ndarray, fit_rows: np.ndarray
) -> tuple[tuple[float, ...], float, np.ndarray, float]:
    """As `pipeline.calibrate`: weights + temperature by log loss, then biases (macro) or threshold (F1).

    lps_all: experts x rows x k (rows = the head's labelled turns); fit_rows: boolean mask over those rows.
    """
    lps = lps_all[:, fit_rows]
    target = target_all[fit_rows]
    k = len(spec.classes)
    best: tuple[float, tuple[float, ...], float] = (np.inf, (), 1.0)
    for ws in simplex(len(lps)):
        mix = np.tensordot(np.asarray(ws), lps, axes=1)
        for temp in TEMPS:
            nll = P._nll(H.log_softmax(mix / temp), target)
            if nll < best[0] - 1e-9:
                best = (nll, ws, float(temp))
    _, ws, temp = best
    logp = H.log_softmax(np.tensordot(np.asarray(ws), lps, axes=1) / temp)
    bias = np.zeros(k)
    threshold = 0.5
    if spec.name in P.MACRO_HEADS:
        score = P._macro_f1(target, (logp + bias).argmax(1), k)
        for _ in range(3):
            for c in range(1, k):
                for delta in np.linspace(-2, 2, 41):
                    trial = bias.copy()
                    trial[c] = delta
                    s = P._macro_f1(target, (logp + trial).argmax(1), k)
                    if s > score + 1e-9:
                        score, bias = s, trial
    if spec.name in P.BINARY_BETA:
        p_pos = 1.0 - np.exp(logp[:, 0])
        g = target != 0
        cands = np.unique(np.round(p_pos, 3))
        scores = [(P._fbeta(g, p_pos >= t, P.BINARY_BETA[spec.name]), -t) for t in cands if t > 0.02]
        if scores:
            threshold = float(-max(scores)[1])
    return ws, temp, bias, threshold


def decide(
    spec: H.HeadSpec, lps: np.ndarray, ws: tuple[float, ...], temp: float, bias: np.ndarray, thr: float
) -> np.ndarray:
    """Class per row as the predictor decides it (argmax with biases; the marker by its threshold)."""
    logp = H.log_softmax(np.tensordot(np.asarray(ws), lps, axes=1) / temp)
    if spec.name != "marker":
        return np.asarray((logp + bias).argmax(1))
    p = np.exp(logp)
    kind = np.where(p[:, 1] >= p[:, 2], 1, 2)
    return np.where(1.0 - p[:, 0] >= thr, kind, 0)


def per_class_f1(target: np.ndarray, pred: np.ndarray, k: int) -> list[float]:
    out = []
    for c in range(k):
        tp = np.sum((target == c) & (pred == c))
        fp = np.sum((target != c) & (pred == c))
        fn = np.sum((target == c) & (pred != c))
        out.append(0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn)))
    return out


def evaluate(data: P.Data, spec: H.HeadSpec, experts: dict[str, np.ndarray]) -> dict[str, dict[str, object]]:
    """Optimistic and fold-honest pooled scores of one expert set."""
    gold = data.gold[spec.name]
    idx = np.array([i for i, v in enumerate(gold) if v is not None])
    target = np.array([spec.classes.index(str(gold[i])) for i in idx])
    lps = np.stack([experts[e][idx] for e in experts])
    fold = data.row_fold[idx]
    k = len(spec.classes)
    ws, temp, bias, thr = calibrate(spec, lps, target, np.ones(len(idx), dtype=bool))
    optimistic = decide(spec, lps, ws, temp, bias, thr)
    honest = np.zeros(len(idx), dtype=int)
    fold_weights = []
    for f in range(K):
        fw, ft, fb, fthr = calibrate(spec, lps, target, fold != f)
        held = fold == f
        honest[held] = decide(spec, lps[:, held], fw, ft, fb, fthr)
        fold_weights.append([round(float(w), 2) for w in fw])
    out: dict[str, dict[str, object]] = {}
    for name, pred in (("optimistic", optimistic), ("honest", honest)):
        pcs = per_class_f1(target, pred, k)
        res: dict[str, object] = {
            "macro_f1": float(np.mean(pcs)),
            "per_class": dict(zip(spec.classes, pcs, strict=True)),
        }
        if spec.name == "marker":
            res["any_f1"] = P._fbeta(target != 0, pred != 0, 1.0)
        out[name] = res
    out["calibration"] = {
        "experts": list(experts),
        "weights": [round(float(w), 2) for w in ws],
        "temperature": temp,
        "bias": [round(float(b), 2) for b in bias],
        "threshold": thr,
        "fold_weights": fold_weights,
    }
    out["rows"] = {"idx": idx, "target": target, "honest": honest}
    return out


def bootstrap(
    data: P.Data, k: int, base: dict[str, object], other: dict[str, object], n: int = 1000
) -> tuple[float, float, float]:
    """Fold-honest macro-F1 difference (other - base), resampling transcripts: mean, 2.5% and 97.5%."""
    rows = base["rows"]
    assert isinstance(rows, dict)
    idx, target = rows["idx"], rows["target"]
    pa, pb = rows["honest"], other["rows"]["honest"]  # type: ignore[index]
    session = np.searchsorted(np.asarray(data.M.offsets), idx, side="right") - 1
    members = [np.flatnonzero(session == s) for s in range(len(data.sessions))]
    rng = np.random.RandomState(SEED)
    diffs = []
    for _ in range(n):
        pick = np.concatenate([members[s] for s in rng.randint(0, len(members), len(members))])
        diffs.append(
            P._macro_f1(target[pick], pb[pick], k) - P._macro_f1(target[pick], pa[pick], k)  # type: ignore[index]
        )
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(np.mean(diffs)), float(lo), float(hi)


# -- main -----------------------------------------------------------------------------------------------


def load_data() -> P.Data:
    """AnnoMI transcripts only (the figures the 0.745 / 0.489 baseline refers to).

    `pipeline.load` may add our own labelled examples (fold -1, relational heads only); they are left out
    here so that the comparison is on exactly the pipeline's AnnoMI rows."""
    try:
        return P.load(use_examples=False)  # type: ignore[call-arg]
    except TypeError:  # a pipeline without examples
        return P.load()


def _cache_path(data: P.Data) -> str:
    src = repr((sorted(MLP_KW.items()), K, EVAL_HEADS)).encode()
    src += data.M.D.tobytes() + data.row_fold.tobytes()
    src += "".join(str(g) for h in EVAL_HEADS for g in data.gold[h]).encode()
    return str(CACHE / f"mlp-expert-{hashlib.sha256(src).hexdigest()[:12]}.pkl")


def _fmt(res: dict[str, object]) -> str:
    pcs = res["per_class"]
    assert isinstance(pcs, dict)
    extra = f" any {res['any_f1']:.4f}" if "any_f1" in res else ""
    return f"{res['macro_f1']:.4f}{extra}  [" + " ".join(f"{c} {v:.3f}" for c, v in pcs.items()) + "]"


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.time()
    data = load_data()
    assert (data.row_fold >= 0).all(), "AnnoMI rows only"
    _, oof = P.cross_validate(data)
    X = TS.stack_matrix(data, oof)
    _, stack_oof = TS.stack_oof(data, X)
    oof = TS.with_stack(oof, stack_oof)
    path = _cache_path(data)
    cache: dict[tuple[object, ...], Fit] = {}
    try:
        with open(path, "rb") as fh:
            cache = pickle.load(fh)
    except FileNotFoundError:
        pass
    with threadpool_limits(1):
        for head in EVAL_HEADS:
            run_fits(data, head, cache)
            with open(path, "wb") as fh:
                pickle.dump(cache, fh)
    specs = {s.name: s for s in H.HEADS}
    # sanity: with the pipeline's three experts the local calibration equals pipeline.calibrate
    for head in EVAL_HEADS:
        ref = P.calibrate(specs[head], oof[head], data.gold[head], np.ones(len(data.row_fold), dtype=bool))
        spec = specs[head]
        idx = np.array([i for i, v in enumerate(data.gold[head]) if v is not None])
        target = np.array([spec.classes.index(str(data.gold[head][i])) for i in idx])
        lps = np.stack([oof[head][e][idx] for e in ("dense", "sparse", "stack")])
        ws, temp, bias, thr = calibrate(spec, lps, target, np.ones(len(idx), dtype=bool))
        assert [round(float(w), 3) for w in ws] == ref["weights"], (head, ws, ref["weights"])
        assert temp == ref["temperature"]
        assert [round(float(b), 3) for b in bias] == ref["bias"]
        assert spec.name not in P.BINARY_BETA or thr == ref["threshold"]
    print("\nlocal calibration reproduces pipeline.calibrate for dense+sparse+stack", flush=True)

    print("\n== MLP alone, out-of-fold, fixed grid point (argmax; for orientation only) ==")
    for head in EVAL_HEADS:
        spec = specs[head]
        idx = np.array([i for i, v in enumerate(data.gold[head]) if v is not None])
        target = np.array([spec.classes.index(str(data.gold[head][i])) for i in idx])
        dense_f1 = P._macro_f1(target, oof[head]["dense"][idx].argmax(1), len(spec.classes))
        dense_nll = P._nll(oof[head]["dense"][idx], target)
        line = [f"{head:10s} LR-dense {dense_f1:.3f}/{dense_nll:.3f}"]
        for hidden, alpha in GRID:
            lp = fixed_oof(data, head, hidden, alpha, cache)[idx]
            line.append(
                f"h{hidden} a{alpha:g} {P._macro_f1(target, lp.argmax(1), len(spec.classes)):.3f}/{P._nll(lp, target):.3f}"
            )
        print("  ".join(line) + "   (macro-F1/NLL)")

    print("\n== blends: pooled out-of-fold macro-F1 (optimistic | fold-honest) ==")
    summary = []
    for head in EVAL_HEADS:
        spec = specs[head]
        mlp, chosen, seconds = nested_oof(data, head, cache)
        sizes = {h: cache[(head, h, ALPHAS[0], (0,))].n_params for h in HIDDEN}
        print(
            f"\n{head}: nested choice (hidden, alpha) per fold {chosen}; seconds per fold (inner grid + fit) "
            f"{[round(s, 1) for s in seconds]}; chosen-fit seconds "
            f"{[round(cache[(head, *c, (f,))].seconds, 1) for f, c in enumerate(chosen)]}; "
            f"params {sizes} (float16: {', '.join(f'h{h} {2 * n / 1e6:.2f} MB' for h, n in sizes.items())})"
        )
        base = {e: oof[head][e] for e in ("dense", "sparse", "stack")}
        variants = {
            "base (dense+sparse+stack)": base,
            "+mlp (dense+sparse+stack+mlp)": {**base, "mlp": mlp},
            "mlp for dense (mlp+sparse+stack)": {
                "mlp": mlp,
                "sparse": base["sparse"],
                "stack": base["stack"],
            },
        }
        by_seed = [seed_oof(data, head, chosen, seed, cache) for seed in SEEDS]
        assert np.array_equal(by_seed[0], mlp)
        for seed, lp in zip(SEEDS[1:], by_seed[1:], strict=True):
            variants[f"+mlp seed {seed}"] = {**base, "mlp": lp}
            variants[f"mlp for dense seed {seed}"] = {
                "mlp": lp,
                "sparse": base["sparse"],
                "stack": base["stack"],
            }
        avg = np.log(np.mean([np.exp(lp) for lp in by_seed], axis=0) + 1e-300)
        variants[f"+mlp avg of seeds {SEEDS}"] = {**base, "mlp": avg}
        variants[f"mlp for dense avg {SEEDS}"] = {
            "mlp": avg,
            "sparse": base["sparse"],
            "stack": base["stack"],
        }
        f16 = float(
            np.nanmax([getattr(f, "f16_max_abs", np.nan) for key, f in cache.items() if key[0] == head])
        )
        print(f"  float16 weights/inputs change MLP probabilities by at most {f16:.2e}")
        results = {}
        for name, experts in variants.items():
            res = evaluate(data, spec, experts)
            results[name] = res
            cal = res["calibration"]
            print(f"  {name:34s} optimistic {_fmt(res['optimistic'])}")
            print(f"  {'':34s} honest     {_fmt(res['honest'])}")
            print(
                f"  {'':34s} weights {cal['weights']} T {cal['temperature']} bias {cal['bias']} thr {cal['threshold']}"
            )
            summary.append((head, name, res["optimistic"]["macro_f1"], res["honest"]["macro_f1"]))
        for name in (f"+mlp avg of seeds {SEEDS}", f"mlp for dense avg {SEEDS}"):
            mean, lo, hi = bootstrap(
                data, len(spec.classes), results["base (dense+sparse+stack)"], results[name]
            )
            print(
                f"  fold-honest gain of {name} over base, transcript bootstrap: {mean:+.4f} [{lo:+.4f}, {hi:+.4f}]"
            )
    with open(path, "wb") as fh:
        pickle.dump(cache, fh)
    print("\n== summary (pooled macro-F1) ==")
    for head, name, opt, hon in summary:
        print(f"  {head:10s} {name:34s} optimistic {opt:.4f}  honest {hon:.4f}")
    P.log(f"done in {time.time() - start:.0f}s")


if __name__ == "__main__":
    main()
