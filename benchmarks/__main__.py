"""Run every benchmark and write docs/benchmarks.md and benchmarks/results.json."""

import json
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import analyze, caseload, checkins, facade

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "facade": facade.run,
    "checkins": checkins.run,
    "caseload": caseload.run,
    "analyze": analyze.run,
}


def main(names: list[str]) -> None:
    selected = names or list(BENCHMARKS)
    results_path = ROOT / "benchmarks" / "results.json"
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in selected:
        print(f"running {name} …", flush=True)
        results[name] = BENCHMARKS[name]() | {"measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    results["machine"] = {"python": platform.python_version(), "processor": platform.machine()}
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Measured with `make bench` (or `.venv/bin/python -m benchmarks NAME`) on the development machine",
        "(2 cores, 24 GiB). Raw figures: `benchmarks/results.json`.",
        "",
    ]
    for name, figures in results.items():
        if name == "machine":
            continue
        lines += [f"## {name}", "", figures.get("description", ""), "", "| figure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in figures.items() if key != "description"]
        lines.append("")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
