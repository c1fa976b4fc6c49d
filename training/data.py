"""Load the AnnoMI development data (read in place from ../shared; never copied into the repository)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safeenough.domain.conversation import Conversation, SpeakerRole, Turn

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SAFEENOUGH_ANNOMI", REPO.parent / "shared" / "data" / "annomi"))
if not DATA.is_dir():
    DATA = Path("/work/shared/data/annomi")
SIMPLE = DATA / "AnnoMI-simple.dev.csv"
FULL = DATA / "AnnoMI-full.dev.csv"
RELATIONAL = DATA / "relational-labels.dev.jsonl"
CACHE = REPO / "training" / ".cache"
#: our own labelled mini-conversations (training/examples/README.md): training rows only, never evaluated
EXAMPLES = REPO / "training" / "examples" / "relational.jsonl"
#: the AnnoMI label keys, absent (None) on our own examples so that those heads ignore them
ANNOMI_KEYS = ("behaviour", "talk_type", "reflection", "question", "input")


@dataclass
class Session:
    conversation: Conversation
    quality: str  # high / low
    labels: list[dict[str, object]] = field(default_factory=list)  # one dict per turn
    example: bool = False  # one of our own mini-conversations (training/examples/), not an AnnoMI transcript


def _majority(values: list[str]) -> str | None:
    values = [v for v in values if v]
    if not values:
        return None
    counts = Counter(values).most_common()
    best = counts[0][1]
    # ties: alphabetical, for determinism
    return sorted(v for v, c in counts if c == best)[0]


def load_sessions() -> list[Session]:
    rows = list(csv.DictReader(SIMPLE.open(encoding="utf-8")))
    full: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(FULL.open(encoding="utf-8")):
        full[(row["transcript_id"], row["utterance_id"])].append(row)
    rel: dict[tuple[str, str], dict[str, object]] = {}
    for line in RELATIONAL.open(encoding="utf-8"):
        if line.strip():
            obj = json.loads(line)
            rel[(str(obj["transcript_id"]), str(obj["utterance_id"]))] = obj

    by_conv: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_conv[row["transcript_id"]].append(row)
    sessions = []
    for tid in sorted(by_conv, key=int):
        conv_rows = sorted(by_conv[tid], key=lambda r: int(r["utterance_id"]))
        turns = []
        labels = []
        for i, row in enumerate(conv_rows):
            role = SpeakerRole.THERAPIST if row["interlocutor"] == "therapist" else SpeakerRole.CLIENT
            turns.append(
                Turn(
                    index=i,
                    speaker=row["interlocutor"].capitalize(),
                    role=role,
                    text=row["utterance_text"],
                    source_id=row["utterance_id"],
                )
            )
            key = (tid, row["utterance_id"])
            ann = full.get(key, [])
            lab: dict[str, object] = {
                "behaviour": row["main_therapist_behaviour"] or None,
                "talk_type": row["client_talk_type"] or None,
                "reflection": _majority([a["reflection_subtype"] for a in ann]),
                "question": _majority([a["question_subtype"] for a in ann]),
                "input": _majority([a["therapist_input_subtype"] for a in ann]),
            }
            lab.update(
                {k: v for k, v in rel.get(key, {}).items() if k not in ("transcript_id", "utterance_id")}
            )
            labels.append(lab)
        conv = Conversation(id=tid, turns=tuple(turns))
        sessions.append(Session(conversation=conv, quality=conv_rows[0]["mi_quality"], labels=labels))
    return sessions


def load_examples(path: Path = EXAMPLES) -> list[Session]:
    """Our own labelled mini-conversations as extra training sessions (relational labels only).

    Each line: {"id": ..., "topic": ..., "turns": [{"role": "client"|"therapist", "text": ..., "labels": {...}}]}
    with the label keys and values of relational-labels.dev.jsonl. The AnnoMI keys are None.
    """
    sessions = []
    for line in path.open(encoding="utf-8"):
        if not line.strip():
            continue
        obj = json.loads(line)
        turns, labels = [], []
        for i, t in enumerate(obj["turns"]):
            role = SpeakerRole.THERAPIST if t["role"] == "therapist" else SpeakerRole.CLIENT
            turns.append(Turn(index=i, speaker=t["role"].capitalize(), role=role, text=t["text"]))
            lab: dict[str, object] = dict.fromkeys(ANNOMI_KEYS)
            lab.update({"role": t["role"], **t["labels"]})
            labels.append(lab)
        conv = Conversation(id=f"example-{obj['id']}", turns=tuple(turns))
        sessions.append(Session(conversation=conv, quality="example", labels=labels, example=True))
    return sessions


def cached_embeddings(sessions: list[Session]) -> list[np.ndarray]:
    """Per-session turn embeddings from the runtime encoder, cached under training/.cache/."""
    from safeenough.analysis.models import encoder

    texts = [t.text for s in sessions for t in s.conversation.turns]
    key = hashlib.sha256(
        (
            "\x00".join(texts)
            + encoder.MODEL_SHA256
            + str(encoder.MAX_TOKENS)
            + f"layers{encoder.TURN_LAYERS}"
        ).encode()
    ).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"emb-{key}.npy"
    if path.exists():
        allemb = np.load(path)
    else:
        allemb = encoder.embed(texts)
        np.save(path, allemb)
    out, pos = [], 0
    for s in sessions:
        n = len(s.conversation.turns)
        out.append(allemb[pos : pos + n])
        pos += n
    return out


def folds(sessions: list[Session], k: int = 5, seed: int = 13) -> list[int]:
    """Fold index per session: grouped by transcript, stratified by mi_quality, seeded.

    Our own examples get fold -1: a training row of every fold and a test row of none."""
    rng = np.random.RandomState(seed)
    fold_of = [-1] * len(sessions)
    for quality in ("high", "low"):
        idx = [i for i, s in enumerate(sessions) if s.quality == quality and not s.example]
        idx = [idx[j] for j in rng.permutation(len(idx))]
        offset = 0 if quality == "high" else 2
        for n, i in enumerate(idx):
            fold_of[i] = (n + offset) % k
    return fold_of
