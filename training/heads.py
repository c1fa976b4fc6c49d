"""The prediction heads: which turns each is trained on, its classes, and fitting (scikit-learn, training only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from safeenough.analysis.models import features as F
from training.data import Session

Label = Callable[[dict[str, object], int, list[dict[str, object]]], "str | None"]


def _eligible_for_repair(labels: list[dict[str, object]], i: int) -> bool:
    clients = [lab for lab in labels[:i] if lab.get("role") == "client"][-3:]
    return any(lab.get("marker") not in (None, "none") for lab in clients)


@dataclass(frozen=True)
class HeadSpec:
    name: str
    classes: tuple[str, ...]
    label: Label  # gold class for a turn, or None when the turn is not used for this head
    C: float = 2.0
    balanced: bool = True
    #: the dense expert reads the middle-layer embeddings (how turns are said); off for the client heads
    form: bool = True


def _field(key: str, role: str) -> Label:
    def get(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
        if lab.get("role", "therapist" if lab.get("behaviour") else "client") != role:
            return None
        v = lab.get(key)
        return None if v is None else str(v)

    return get


def _sub(key: str, main: str) -> Label:
    def get(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
        if lab.get("behaviour") != main or not lab.get(key):
            return None
        return str(lab[key])

    return get


def _flag(key: str, role: str) -> Label:
    def get(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
        if lab.get("role") != role:
            return None
        return "yes" if lab.get(key) else "no"

    return get


def _repair(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
    if lab.get("role") != "therapist" or lab.get("repair") in (None, "n/a"):
        return None
    return "no" if lab["repair"] == "none" else "yes"


def _strategy(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
    if lab.get("role") != "therapist" or lab.get("repair") in (None, "n/a", "none"):
        return None
    return str(lab["repair"])


def _subtype(lab: dict[str, object], i: int, labels: list[dict[str, object]]) -> str | None:
    if lab.get("role") != "client" or lab.get("marker") in (None, "none"):
        return None
    return str(lab["subtype"])


WITHDRAWAL = ("denial", "minimal_response", "abstract", "topic_shift", "deferential", "hopeless")
CONFRONTATION = (
    "complaint_therapist",
    "rejects_intervention",
    "complaint_activity",
    "complaint_parameters",
    "complaint_progress",
    "defends_self",
    "pressures_therapist",
)

#: 2025.5: with the middle-layer block, client talk type fell under every CV seed while the therapist
#: heads gained (docs/model-card.md, "2025.5"), so the client heads' dense expert does without it
FORM_ON_CLIENT_HEADS = False
HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        "behaviour", ("reflection", "question", "therapist_input", "other"), _field("behaviour", "therapist")
    ),
    HeadSpec("reflection", ("simple", "complex"), _sub("reflection", "reflection")),
    HeadSpec("question", ("open", "closed"), _sub("question", "question")),
    HeadSpec("input", ("information", "advice", "negotiation", "options"), _sub("input", "therapist_input")),
    HeadSpec(
        "talk_type",
        ("change", "neutral", "sustain"),
        _field("talk_type", "client"),
        form=FORM_ON_CLIENT_HEADS,
    ),
    HeadSpec(
        "marker",
        ("none", "withdrawal", "confrontation"),
        _field("marker", "client"),
        form=FORM_ON_CLIENT_HEADS,
    ),
    HeadSpec("subtype", WITHDRAWAL + CONFRONTATION, _subtype, C=4.0, form=FORM_ON_CLIENT_HEADS),
    HeadSpec(
        "anticipates_judgement",
        ("no", "yes"),
        _flag("anticipates_judgement", "client"),
        form=FORM_ON_CLIENT_HEADS,
    ),
    HeadSpec("stance", ("exploring", "neutral", "assuming", "pressing"), _field("stance", "therapist")),
    HeadSpec("check_in", ("no", "yes"), _flag("check_in", "therapist")),
    HeadSpec("repair", ("no", "yes"), _repair),
    HeadSpec(
        "strategy",
        ("metacommunication", "validation", "own_part", "rationale", "change_task"),
        _strategy,
        C=4.0,
    ),
)


@dataclass
class Matrix:
    D: np.ndarray  # dense features (standardised)
    S: sp.csr_matrix  # hashed n-grams
    offsets: list[int]  # row offset of each session

    def rows(self, mask: np.ndarray) -> Matrix:
        return Matrix(self.D[mask], self.S[mask], [])


def design(sessions: list[Session], embs: list[np.ndarray]) -> tuple[Matrix, np.ndarray]:
    """Design matrix and the raw dense block (before standardisation)."""
    dense, hashed, offsets = [], [], []
    pos = 0
    for s, e in zip(sessions, embs, strict=True):
        f = F.build(s.conversation.turns, e)
        n = len(s.conversation.turns)
        hashed.append(sp.csr_matrix((f.vals, (f.rows, f.cols)), shape=(n, F.HASH_DIM), dtype=np.float32))
        dense.append(f.dense)
        offsets.append(pos)
        pos += n
    raw = np.vstack(dense).astype(np.float32)
    S = sp.vstack(hashed, format="csr")
    return Matrix(raw, S, offsets), raw


def standardiser(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = raw.mean(axis=0)
    sd = raw.std(axis=0)
    sd[sd < 1e-6] = 1.0
    return mu.astype(np.float32), sd.astype(np.float32)


def gold(spec: HeadSpec, sessions: list[Session]) -> list[str | None]:
    out: list[str | None] = []
    for s in sessions:
        for i, lab in enumerate(s.labels):
            out.append(spec.label(lab, i, s.labels))
    return out


EXPERTS = ("dense", "sparse")


@dataclass
class Fitted:
    """One head: a logistic regression per expert (dense context embeddings; hashed n-grams)."""

    classes: tuple[str, ...]
    Wd: np.ndarray  # dense_dim x k
    bd: np.ndarray
    Ws: np.ndarray  # used_hash_cols x k
    bs: np.ndarray

    def logprobs(self, M: Matrix) -> dict[str, np.ndarray]:
        return {
            "dense": log_softmax(M.D @ self.Wd + self.bd),
            "sparse": log_softmax(np.asarray(M.S @ self.Ws) + self.bs),
        }


def _lr(
    X: object, target: np.ndarray, k: int, C: float, balanced: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    dim = X.shape[1]  # type: ignore[attr-defined]
    W = np.zeros((dim, k))
    b = np.full(k, -30.0)
    present = np.unique(target)
    if len(present) == 1:
        b[present[0]] = 0.0
        return W, b
    clf = LogisticRegression(
        C=C, class_weight="balanced" if balanced else None, max_iter=300, tol=1e-3, random_state=seed
    )
    clf.fit(X, target)
    coef, inter = clf.coef_, clf.intercept_
    if len(present) == 2:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        inter = np.array([-inter[0] / 2, inter[0] / 2])
    for j, c in enumerate(clf.classes_):
        W[:, c] = coef[j]
        b[c] = inter[j]
    return W, b


C_DENSE = 0.01
C_SPARSE = 10.0


def fit(spec: HeadSpec, M: Matrix, y: list[str | None], seed: int = 0) -> Fitted:
    idx = np.array([i for i, v in enumerate(y) if v is not None])
    target = np.array([spec.classes.index(str(y[i])) for i in idx])
    k = len(spec.classes)
    scale = spec.C / 2.0
    dense = M.D[idx]
    if not spec.form:
        dense = dense.copy()
        dense[:, F.FORM_COLUMNS] = 0.0  # standardised columns held at zero get zero weight
    Wd, bd = _lr(dense, target, k, C_DENSE * scale, spec.balanced, seed)
    Ws, bs = _lr(M.S[idx], target, k, C_SPARSE * scale, spec.balanced, seed)
    return Fitted(spec.classes, Wd, bd, Ws, bs)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(z))
