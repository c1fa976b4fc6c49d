"""Facade latency on the embedded SQLite database: caseload and case page reads (decrypting text)."""

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.fixtures import DEMO_PASSWORD

ROUNDS = 300


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        practice = Practice.create(Settings(data_dir=Path(folder)))
        practice.seed_demo()
        ada = practice.authenticate("ada", DEMO_PASSWORD, client_address="bench")
        case_id = practice.caseload(ada)[0].case.id
        caseload, detail = [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            practice.caseload(ada)
            caseload.append(time.perf_counter() - start)
            start = time.perf_counter()
            practice.case_detail(ada, case_id)
            detail.append(time.perf_counter() - start)
        practice.close()
    return {
        "description": f"{ROUNDS} reads through Practice on SQLite (demo data, audit included).",
        **{f"caseload_{key}": value for key, value in _percentiles(caseload).items()},
        **{f"case_detail_{key}": value for key, value in _percentiles(detail).items()},
    }
