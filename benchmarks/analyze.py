"""`safeenough analyze` from a cold start: the AnnoMI dev CSV (≈7,000 turns, 93 conversations) and one
400-turn session, each timed as a whole command (process start, imports, model load, analysis, export)."""

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BEHAVIOUR_COMPONENTS = ("therapist_behaviour", "client_talk", "session_quality")

ROOT = Path(__file__).resolve().parent.parent
DEV_CSV = ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-simple.dev.csv"

# A fictional session, repeated to 400 turns: enough words per turn to cost what real talk costs.
EXCHANGE = (
    "Therapist: What has this week been like for you since we last met?",
    "Client: Honestly it was a lot. Work piled up and I barely slept, so I was snapping at people.",
    "Therapist: It sounds like you were running on empty, and the people close to you felt it.",
    "Client: Yeah. I know I should cut back on the late nights, but then nothing gets done and I feel worse.",
)


def _timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def run() -> dict[str, Any]:
    cli = [sys.executable, "-m", "safeenough", "analyze"]
    with tempfile.TemporaryDirectory() as folder:
        session = Path(folder) / "long-session.txt"
        session.write_text("\n".join(EXCHANGE[i % len(EXCHANGE)] for i in range(400)) + "\n")
        one = _timed(
            [*cli, str(session), "--therapist", "Therapist", "--out", str(Path(folder) / "one.jsonl")]
        )
        figures: dict[str, Any] = {"analyze_one_session_cold_s": round(one, 2)}
        if DEV_CSV.is_file():
            turns = sum(1 for _ in DEV_CSV.open(encoding="utf-8")) - 1
            dev = _timed([*cli, str(DEV_CSV), "--out", str(Path(folder) / "dev.jsonl")])
            figures |= {"analyze_dev_s": round(dev, 2), "analyze_turns_per_s": round(turns / dev, 1)}
        else:
            figures["analyze_dev_s"] = f"not measured: {DEV_CSV} is absent"
    return {
        "description": (
            "Whole `safeenough analyze` commands from a cold start (new process): one 400-turn session, and "
            "the AnnoMI dev CSV (93 conversations) with the research export written to a file. Then, in one "
            "warm process, the dev conversations through the behaviour components alone and through the "
            "whole "
            "pipeline: the rupture components' share of the analysis time."
        ),
        **figures,
        **rupture_overhead(),
    }


def rupture_overhead() -> dict[str, Any]:
    """In one warm process: the AnnoMI dev conversations through the behaviour components only, then
    through the whole default pipeline (with the rupture components); the model cache is cleared first."""
    from safeenough.analysis.components import _shared
    from safeenough.analysis.defaults import DEFAULT_COMPONENTS
    from safeenough.analysis.pipeline import Pipeline
    from safeenough.transcripts import read_transcript

    if not DEV_CSV.is_file():
        return {"rupture_overhead": f"not measured: {DEV_CSV} is absent"}
    conversations = read_transcript(DEV_CSV)
    # The analysis issue's components (behaviour, talk type, quality), at the versions the app runs.
    behaviour_only = Pipeline.from_names(
        [name for name in DEFAULT_COMPONENTS if name.split(".")[0] in BEHAVIOUR_COMPONENTS]
    )
    everything = Pipeline.from_names(DEFAULT_COMPONENTS)
    behaviour_only.run(conversations[0])  # load the model once, outside the timings
    timings = {}
    for name, pipeline in (("behaviour_only_s", behaviour_only), ("with_rupture_components_s", everything)):
        _shared.prediction.cache_clear()
        began = time.perf_counter()
        for conversation in conversations:
            pipeline.run(conversation)
        timings[name] = round(time.perf_counter() - began, 2)
    overhead = timings["with_rupture_components_s"] / timings["behaviour_only_s"] - 1
    return {**timings, "rupture_overhead_share": round(overhead, 3)}
