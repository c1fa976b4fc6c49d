"""Evaluate the formulation-domain classifier on the held-out statements.

    .venv/bin/python -m training.formulation.evaluate            # print the numbers
    .venv/bin/python -m training.formulation.evaluate --write    # and update docs/formulation-classifier.md
    .venv/bin/python -m training.formulation.evaluate --labels /tmp/some.jsonl   # another labelled sample

Both run-time methods are measured: "hybrid" (embedding head + lexicon, what the app uses when the
encoder is installed) and "lexicon" (the fallback). Numbers:

- top-1 precision: of the statements that get a suggestion at all, how often the top domain is one of
  the gold domains (a suggestion on a no-domain statement is wrong);
- top-1 accuracy: of the statements that have a gold domain, how often the top domain is one of them
  (no suggestion counts as wrong);
- ranked suggestions, as the app lists them: every statement that gets a suggestion, with its top domain,
  ranked by confidence; precision at 5, 10 and 20 over the whole test file, and the mean over 200
  simulated sessions (12 domain statements and 18 without a domain each, drawn with a fixed seed);
- macro-F1 over the nine domains of the full predicted sets (multi-label);
- negative rejection: the share of statements without a domain that get no suggestion.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safeenough.analysis import formulation as fm
from training.formulation.train import REPO, TEST, IntArray, load

DOC = REPO / "docs" / "formulation-classifier.md"
BEGIN, END = "<!-- numbers:begin -->", "<!-- numbers:end -->"
SESSIONS, SESSION_DOMAIN, SESSION_OTHER, SEED = 200, 12, 18, 11
KS = (5, 10, 20)

Predictions = list[list[tuple[str, float]]]


@dataclass(frozen=True)
class Report:
    method: str
    n: int
    n_domain: int
    top1_precision: float
    offered: int
    top1_accuracy: float
    pool_at: dict[int, float]
    session_at: dict[int, float]
    macro_f1: float
    per_domain: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support
    rejection: float


def _precision_at(order: list[int], correct: list[bool], k: int) -> float:
    top = order[:k]
    return sum(correct[i] for i in top) / k if top else 0.0


def ranked(preds: Predictions, gold: IntArray, rows: list[int]) -> tuple[list[int], list[bool]]:
    """Rows that get a suggestion, best confidence first, and whether each top domain is right."""
    correct = [bool(preds[i] and gold[i, fm.DOMAINS.index(preds[i][0][0])]) for i in range(len(preds))]
    offered = [i for i in rows if preds[i]]
    return sorted(offered, key=lambda i: -preds[i][0][1]), correct


def measure(method: str, preds: Predictions, gold: IntArray) -> Report:
    has = gold.any(axis=1)
    everyone = list(range(len(preds)))
    order, correct = ranked(preds, gold, everyone)
    pool_at = {k: _precision_at(order, correct, k) for k in KS}
    rng = np.random.default_rng(SEED)
    domain_rows, other_rows = np.flatnonzero(has), np.flatnonzero(~has)
    session_at: dict[int, list[float]] = {k: [] for k in KS[:2]}
    for _ in range(SESSIONS):
        rows = [int(i) for i in rng.choice(domain_rows, SESSION_DOMAIN, replace=False)]
        rows += [int(i) for i in rng.choice(other_rows, min(SESSION_OTHER, len(other_rows)), replace=False)]
        s_order, _ = ranked(preds, gold, rows)
        for k in session_at:
            session_at[k].append(_precision_at(s_order, correct, k))
    pred = np.zeros(gold.shape, dtype=np.int64)
    for i, p in enumerate(preds):
        for domain, _ in p:
            pred[i, fm.DOMAINS.index(domain)] = 1
    per_domain: dict[str, tuple[float, float, float, int]] = {}
    for j, domain in enumerate(fm.DOMAINS):
        tp = int(((pred[:, j] == 1) & (gold[:, j] == 1)).sum())
        fp = int(((pred[:, j] == 1) & (gold[:, j] == 0)).sum())
        fn = int(((pred[:, j] == 0) & (gold[:, j] == 1)).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        per_domain[domain] = (prec, rec, f1, int(gold[:, j].sum()))
    n_offered = sum(1 for p in preds if p)
    return Report(
        method=method,
        n=len(preds),
        n_domain=int(has.sum()),
        top1_precision=sum(correct) / n_offered if n_offered else 0.0,
        offered=n_offered,
        top1_accuracy=sum(correct[i] for i in np.flatnonzero(has)) / max(int(has.sum()), 1),
        pool_at=pool_at,
        session_at={k: float(np.mean(v)) for k, v in session_at.items()},
        macro_f1=float(np.mean([v[2] for v in per_domain.values()])),
        per_domain=per_domain,
        rejection=sum(1 for i in np.flatnonzero(~has) if not preds[i]) / max(int((~has).sum()), 1),
    )


def markdown(reports: list[Report], source: str) -> str:
    r0 = reports[0]
    lines = [
        f"Test file: `{source}`: {r0.n} statements, {r0.n_domain} with at least one domain, "
        f"{r0.n - r0.n_domain} without.",
        "",
        "| | " + " | ".join(r.method for r in reports) + " |",
        "|---|" + "---:|" * len(reports),
    ]

    def row(name: str, values: list[str]) -> None:
        lines.append(f"| {name} | " + " | ".join(values) + " |")

    row("statements offered a domain", [f"{r.offered} / {r.n}" for r in reports])
    row("top-1 precision (of statements offered a domain)", [f"{r.top1_precision:.3f}" for r in reports])
    row("top-1 accuracy (of statements with a domain)", [f"{r.top1_accuracy:.3f}" for r in reports])
    for k in KS:
        row(f"precision@{k}, whole test file ranked", [f"{r.pool_at[k]:.3f}" for r in reports])
    for k in KS[:2]:
        row(
            f"precision@{k}, simulated sessions (mean of {SESSIONS})",
            [f"{r.session_at[k]:.3f}" for r in reports],
        )
    row("macro-F1 over the nine domains", [f"{r.macro_f1:.3f}" for r in reports])
    row("negative rejection (no-domain statements given none)", [f"{r.rejection:.3f}" for r in reports])
    lines += ["", "Per domain (precision / recall / F1, support):", ""]
    lines += ["| domain | support | " + " | ".join(r.method for r in reports) + " |"]
    lines += ["|---|---:|" + "---|" * len(reports)]
    for domain in fm.DOMAINS:
        cells = [
            f"{r.per_domain[domain][0]:.2f} / {r.per_domain[domain][1]:.2f} / {r.per_domain[domain][2]:.2f}"
            for r in reports
        ]
        lines.append(f"| {domain} | {r0.per_domain[domain][3]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=Path, default=TEST, help="jsonl of {text, domains} (default: test)")
    parser.add_argument("--write", action="store_true", help=f"update the numbers in {DOC.relative_to(REPO)}")
    parser.add_argument("--errors", action="store_true", help="print the statements the hybrid gets wrong")
    args = parser.parse_args()
    texts, gold = load(args.labels)
    reports = []
    for method in ("hybrid", "lexicon"):
        preds = fm.classify_domains(texts, method=method)
        reports.append(measure(method, preds, gold))
        if args.errors and method == "hybrid":
            for text, p, g in zip(texts, preds, gold, strict=True):
                want = [d for d, on in zip(fm.DOMAINS, g, strict=True) if on]
                if (p and p[0][0] not in want) or (not p and want):
                    print(f"  {want} <- {p}: {text}")
    source = str(args.labels.relative_to(REPO)) if args.labels.is_relative_to(REPO) else args.labels.name
    table = markdown(reports, source)
    print(table)
    if args.write:
        if args.labels != TEST:
            raise SystemExit("--write only records the committed test file")
        doc = DOC.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{table}\n{END}"
        new, count = re.subn(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
        if count != 1:
            raise SystemExit(f"{DOC} has no {BEGIN} ... {END} block")
        DOC.write_text(new, encoding="utf-8")
        print(f"updated {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
