"""Turn- and session-level predictions from the committed heads (numpy only at run time)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safeenough.analysis.models import encoder
from safeenough.analysis.models import features as F  # noqa: N812
from safeenough.analysis.models import stack as ST  # noqa: N812
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn

FloatArray = npt.NDArray[np.float32]
Experts = dict[str, tuple[FloatArray, FloatArray, FloatArray | None]]

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
SUB_HEAD = {"reflection": "reflection", "question": "question", "therapist_input": "input"}


@dataclass(frozen=True, slots=True)
class TurnPrediction:
    """Labels of one turn. Therapist fields are None on client turns and vice versa."""

    index: int
    role: SpeakerRole
    behaviour: str | None = None
    behaviour_probs: dict[str, float] | None = None
    sub_label: str | None = None  # reflection simple/complex, question open/closed, input subtype
    sub_label_prob: float | None = None
    talk_type: str | None = None
    talk_type_probs: dict[str, float] | None = None
    marker: str | None = None  # client turns: none / withdrawal / confrontation
    # the *_prob of a yes/no output is a calibrated confidence: about how often such a turn matched the
    # annotator out of fold (Platt-scaled); the decision itself uses the head's raw probability
    # (for markers it also reads the session's quality estimate, when the weights have that step)
    marker_prob: float | None = None  # that the turn carries any marker
    subtype: str | None = None
    subtype_prob: float | None = None
    anticipates_judgement: bool | None = None
    anticipates_judgement_prob: float | None = None
    stance: str | None = None
    stance_probs: dict[str, float] | None = None
    check_in: bool | None = None
    check_in_prob: float | None = None
    repair: str | None = None  # therapist turns: "n/a" when no marker precedes, "none", or a strategy
    repair_prob: float | None = None


@dataclass(frozen=True, slots=True)
class ConversationPrediction:
    conversation_id: str
    turns: tuple[TurnPrediction, ...]
    quality: float  # 0..1: how much the session looks like high-quality, client-centred counselling
    model_version: str


def _log_softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    out: FloatArray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


#: weights written before the encoder was recorded (up to 2025.4) were fitted on the last layer
_LAST_LAYER_ENCODER = {
    "model_sha256": encoder.MODEL_SHA256,
    "pooled_layers": [6],
    "max_tokens": encoder.MAX_TOKENS,
}


class Predictor:
    """Loaded heads from one weights directory (the committed one by default)."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or encoder.weights_dir()
        try:
            self.config: dict[str, Any] = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            with np.load(directory / "heads.npz") as data:
                self.arrays: dict[str, FloatArray] = {k: data[k] for k in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise encoder.ModelUnavailable(
                f"The trained model weights in {directory} cannot be read: {exc}"
            ) from exc
        self.version = str(self.config["version"])
        trained_on = self.config.get("encoder", _LAST_LAYER_ENCODER)
        if trained_on != encoder.description():
            raise encoder.ModelUnavailable(
                f"The trained model weights in {directory} were fitted on other embeddings ({trained_on}) "
                f"than this encoder gives ({encoder.description()}); retrain them with `make train`."
            )
        self.mu = self.arrays["mu"].astype(np.float32)
        self.sd = self.arrays["sd"].astype(np.float32)
        self.hash_cols = self.arrays["hash_cols"].astype(np.int64)
        self.heads: list[str] = list(self.config["heads"])
        # every head's sparse weights side by side, so one gather serves all heads
        self._ws_all = np.hstack([self.arrays[f"{h}.Ws"].astype(np.float32) for h in self.heads])
        self._ws_cols: dict[str, slice] = {}
        col = 0
        for h in self.heads:
            k = self.arrays[f"{h}.Ws"].shape[1]
            self._ws_cols[h] = slice(col, col + k)
            col += k
        self._wd = {h: self.arrays[f"{h}.Wd"].astype(np.float32) for h in self.heads}
        self.stacked = "stack.mu" in self.arrays
        if self.stacked:
            self._wc = {h: self.arrays[f"{h}.Wc"].astype(np.float32) for h in self.heads}

    # -- heads -------------------------------------------------------------------------------------
    def _probs(self, head: str, rows: npt.NDArray[np.int64], lp: Experts) -> FloatArray:
        """Calibrated class probabilities of the rows given (from the expert log-probabilities)."""
        cfg = self.config["heads"][head]
        ld, ls, lc = lp[head]
        weights = cfg.get("weights") or [float(cfg["weight"]), 1.0 - float(cfg["weight"]), 0.0]
        z = float(weights[0]) * ld[rows] + float(weights[1]) * ls[rows]
        if lc is not None and float(weights[2]) != 0.0:
            z = z + float(weights[2]) * lc[rows]
        z = z / float(cfg["temperature"])
        return np.exp(_log_softmax(z.astype(np.float32)))

    def _experts(
        self, turns: Sequence[Turn], dense: FloatArray, sparse: FloatArray, turn_cues: FloatArray
    ) -> Experts:
        """Log-probabilities of every expert of every head for all turns (dense, sparse, stacked)."""
        a = self.arrays
        base: dict[str, FloatArray] = {}
        lp: Experts = {}
        for h in self.heads:
            ld = _log_softmax(dense @ self._wd[h] + a[f"{h}.bd"])
            ls = _log_softmax(sparse[:, self._ws_cols[h]] + a[f"{h}.bs"])
            lp[h] = (ld, ls, None)
            base[h] = ST.base_logprobs(ld, ls)
        if not self.stacked:
            return lp
        z = ((ST.build(turns, base, turn_cues) - a["stack.mu"]) / a["stack.sd"]).astype(np.float32)
        for h in self.heads:
            ld, ls, _ = lp[h]
            lp[h] = (ld, ls, _log_softmax(z @ self._wc[h] + a[f"{h}.bc"]))
        return lp

    def _decide(self, head: str, probs: FloatArray) -> npt.NDArray[np.int64]:
        bias = np.asarray(self.config["heads"][head]["bias"], dtype=np.float32)
        return np.asarray((np.log(np.maximum(probs, 1e-12)) + bias).argmax(axis=1), dtype=np.int64)

    def _threshold(self, head: str) -> float:
        return float(self.config["heads"][head]["threshold"])

    def confidence(self, head: str, p: float) -> float:
        """How often a turn with raw probability `p` was right out of fold (Platt; decisions use `p`)."""
        slope, intercept = self.config["heads"][head].get("platt", (1.0, 0.0))
        p = min(max(p, 1e-6), 1 - 1e-6)
        z = float(slope) * math.log(p / (1 - p)) + float(intercept)
        return round(1.0 / (1.0 + math.exp(-z)), 4)

    def session_confidence(self, head: str, p: float, quality: float) -> float | None:
        """Like `confidence`, also reading the session's quality estimate; None if not fitted for `head`.

        Out of fold, flagged markers in sessions that looked like good counselling matched the annotator
        far less often than those in sessions that did not (see training/pipeline.py, session_platt)."""
        fitted = self.config["heads"][head].get("platt_session")
        if not fitted:
            return None
        slope, quality_slope, intercept = (float(v) for v in fitted)
        p = min(max(p, 1e-6), 1 - 1e-6)
        low = min(max(1.0 - quality, 1e-6), 1 - 1e-6)
        z = slope * math.log(p / (1 - p)) + quality_slope * math.log(low / (1 - low)) + intercept
        return round(1.0 / (1.0 + math.exp(-z)), 4)

    def _classes(self, head: str) -> list[str]:
        return list(self.config["heads"][head]["classes"])

    def _sparse_scores(self, feats: F.Features, n: int) -> FloatArray:
        """Hashed n-grams times every head's sparse weights (only columns seen in training count)."""
        out = np.zeros((n, self._ws_all.shape[1]), dtype=np.float32)
        if len(feats.cols) == 0:
            return out
        pos = np.searchsorted(self.hash_cols, feats.cols)
        pos = np.minimum(pos, len(self.hash_cols) - 1)
        known = self.hash_cols[pos] == feats.cols
        np.add.at(out, feats.rows[known], self._ws_all[pos[known]] * feats.vals[known][:, None])
        return out

    # -- conversation --------------------------------------------------------------------------------
    def predict(
        self, conversation: Conversation, embeddings: FloatArray | None = None
    ) -> ConversationPrediction:
        """Labels for every turn and the session quality; `embeddings` may be given (one row per turn)."""
        return self.predict_detailed(conversation, embeddings)[0]

    def predict_detailed(
        self, conversation: Conversation, embeddings: FloatArray | None = None
    ) -> tuple[ConversationPrediction, dict[str, float]]:
        """The prediction and the session features the quality estimate was computed from."""
        turns = conversation.turns
        n = len(turns)
        if n == 0:
            return ConversationPrediction(conversation.id, (), 0.5, self.version), {}
        emb = embeddings if embeddings is not None else encoder.embed([t.text for t in turns])
        feats = F.build(turns, emb)
        dense = (feats.dense - self.mu) / self.sd
        sparse = self._sparse_scores(feats, n)
        lp = self._experts(turns, dense.astype(np.float32), sparse, feats.cues)
        th = np.array([t.role == SpeakerRole.THERAPIST for t in turns])
        cl = np.array([t.role == SpeakerRole.CLIENT for t in turns])
        out: dict[int, dict[str, Any]] = {i: {} for i in range(n)}

        def run(head: str, mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], FloatArray]:
            rows = np.flatnonzero(mask)
            if len(rows) == 0:
                return rows, np.zeros((0, len(self._classes(head))), dtype=np.float32)
            return rows, self._probs(head, rows, lp)

        # therapist behaviour and sub-labels
        rows, p = run("behaviour", th)
        classes = self._classes("behaviour")
        choice = self._decide("behaviour", p)
        sub_p: dict[str, FloatArray] = {}
        for head in ("reflection", "question", "input"):
            sub_p[head] = run(head, th)[1]
        for j, i in enumerate(rows):
            beh = classes[int(choice[j])]
            rec = out[int(i)]
            rec["behaviour"] = beh
            rec["behaviour_probs"] = {c: round(float(v), 4) for c, v in zip(classes, p[j], strict=True)}
            sub_head = SUB_HEAD.get(beh)
            if sub_head is not None:
                sp_ = sub_p[sub_head][j : j + 1]
                k = int(self._decide(sub_head, sp_)[0])
                rec["sub_label"] = self._classes(sub_head)[k]
                rec["sub_label_prob"] = round(float(sp_[0, k]), 4)
        # client talk type
        rows, p = run("talk_type", cl)
        classes = self._classes("talk_type")
        choice = self._decide("talk_type", p)
        for j, i in enumerate(rows):
            out[int(i)]["talk_type"] = classes[int(choice[j])]
            out[int(i)]["talk_type_probs"] = {
                c: round(float(v), 4) for c, v in zip(classes, p[j], strict=True)
            }
        talk_p = p
        # rupture markers, subtype, anticipated judgement
        rows, p = run("marker", cl)
        _, sub = run("subtype", cl)
        _, aj = run("anticipates_judgement", cl)
        sub_classes = self._classes("subtype")
        thr = self._threshold("marker")
        thr_aj = self._threshold("anticipates_judgement")
        marker_p = 1.0 - p[:, 0] if len(rows) else np.zeros(0, dtype=np.float32)
        marker_rows = rows
        for j, i in enumerate(rows):
            rec = out[int(i)]
            p_any = float(1.0 - p[j, 0])
            if p_any >= thr:
                kind = "withdrawal" if p[j, 1] >= p[j, 2] else "confrontation"
                allowed = WITHDRAWAL if kind == "withdrawal" else CONFRONTATION
                scores = [(float(sub[j, sub_classes.index(s)]), s) for s in allowed if s in sub_classes]
                best = max(scores)
                rec["marker"] = kind
                rec["subtype"] = best[1]
                rec["subtype_prob"] = round(best[0] / max(sum(s for s, _ in scores), 1e-9), 4)
            else:
                rec["marker"] = "none"
                rec["subtype"] = None
            rec["anticipates_judgement_prob"] = self.confidence("anticipates_judgement", float(aj[j, 1]))
            rec["anticipates_judgement"] = bool(aj[j, 1] >= thr_aj)
        # therapist stance, check-ins, repair
        rows, p = run("stance", th)
        classes = self._classes("stance")
        choice = self._decide("stance", p)
        _, ci = run("check_in", th)
        _, rp = run("repair", th)
        _, st = run("strategy", th)
        st_classes = self._classes("strategy")
        thr_ci = self._threshold("check_in")
        thr_rp = self._threshold("repair")
        for j, i in enumerate(rows):
            rec = out[int(i)]
            rec["stance"] = classes[int(choice[j])]
            rec["stance_probs"] = {c: round(float(v), 4) for c, v in zip(classes, p[j], strict=True)}
            rec["check_in_prob"] = self.confidence("check_in", float(ci[j, 1]))
            rec["check_in"] = bool(ci[j, 1] >= thr_ci)
            previous_clients = [k for k in range(int(i)) if turns[k].role == SpeakerRole.CLIENT][-3:]
            if any(out[k].get("marker") not in (None, "none") for k in previous_clients):
                rec["repair_prob"] = self.confidence("repair", float(rp[j, 1]))
                rec["repair"] = st_classes[int(st[j].argmax())] if rp[j, 1] >= thr_rp else "none"
            else:
                rec["repair"] = "n/a"
        stance_p = p
        values = session_features(conversation, out, talk_p, marker_p, stance_p, th, cl)
        values.update(_sub_shares(out, sub_p, self._classes("reflection"), self._classes("question")))
        quality = self._quality(values)
        # a marker's confidence reads the session's quality estimate where the weights have that step
        for j, i in enumerate(marker_rows):
            p_any = float(marker_p[j])
            in_session = self.session_confidence("marker", p_any, quality)
            out[int(i)]["marker_prob"] = (
                in_session if in_session is not None else self.confidence("marker", p_any)
            )
        preds = tuple(TurnPrediction(index=i, role=turns[i].role, **out[i]) for i in range(n))
        return ConversationPrediction(conversation.id, preds, quality, self.version), values

    def _quality(self, values: dict[str, float]) -> float:
        q = self.config["quality"]
        if not q.get("coef"):
            return 0.5
        x = np.array([[values[k] for k in q["features"]]], dtype=np.float64)
        return round(float(quality_estimate(q, x)[0]), 4)


def quality_estimate(quality: dict[str, Any], features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The session-quality model's estimate for each row of session features (training uses it too)."""
    z = ((features - np.asarray(quality["mu"])) / np.asarray(quality["sd"])) @ np.asarray(quality["coef"])
    return np.asarray(1.0 / (1.0 + np.exp(-(z + float(quality["intercept"])))), dtype=np.float64)


def _sub_shares(
    out: dict[int, dict[str, Any]], sub_p: dict[str, FloatArray], refl: list[str], ques: list[str]
) -> dict[str, float]:
    """MITI shares from soft counts: complex among reflections, open among questions."""
    beh = [out[i]["behaviour_probs"] for i in sorted(out) if "behaviour_probs" in out[i]]
    if not beh:
        return {"complex_share": 0.0, "open_share": 0.0}
    p_refl = np.array([b["reflection"] for b in beh])
    p_ques = np.array([b["question"] for b in beh])
    complex_ = float((p_refl * sub_p["reflection"][:, refl.index("complex")]).sum())
    open_ = float((p_ques * sub_p["question"][:, ques.index("open")]).sum())
    return {
        "complex_share": complex_ / max(float(p_refl.sum()), 1e-6),
        "open_share": open_ / max(float(p_ques.sum()), 1e-6),
    }


def session_features(
    conversation: Conversation,
    out: dict[int, dict[str, Any]],
    talk_p: FloatArray,
    marker_p: FloatArray,
    stance_p: FloatArray,
    th: npt.NDArray[np.bool_],
    cl: npt.NDArray[np.bool_],
) -> dict[str, float]:
    """Session features for the quality estimate, from the turn probabilities (soft counts)."""
    beh = [out[i]["behaviour_probs"] for i in range(len(th)) if th[i]]

    def mean(key: str) -> float:
        return float(np.mean([b[key] for b in beh])) if beh else 0.0

    refl, ques = mean("reflection"), mean("question")
    words = [len(t.text.split()) for t in conversation.turns]
    t_words = sum(w for w, is_t in zip(words, th, strict=True) if is_t)
    c_words = sum(w for w, is_c in zip(words, cl, strict=True) if is_c)
    stance = stance_p.mean(axis=0) if len(stance_p) else np.zeros(4)
    talk = talk_p.mean(axis=0) if len(talk_p) else np.zeros(3)
    return {
        "reflection": refl,
        "question": ques,
        "input": mean("therapist_input"),
        "other": mean("other"),
        "log_rq": math.log((refl + 0.05) / (ques + 0.05)),
        "exploring": float(stance[0]),
        "assuming": float(stance[2]),
        "pressing": float(stance[3]),
        "change": float(talk[0]),
        "sustain": float(talk[2]),
        "marker": float(marker_p.mean()) if len(marker_p) else 0.0,
        "therapist_share": t_words / max(t_words + c_words, 1),
        "log_turns": math.log1p(len(words)),
    }


_default: Predictor | None = None
_lock = threading.Lock()


def default_predictor() -> Predictor:
    global _default
    with _lock:
        if _default is None:
            _default = Predictor()
        return _default


def predict_conversation(conversation: Conversation) -> ConversationPrediction:
    """Label every turn of a conversation and estimate the session's quality (committed model)."""
    return default_predictor().predict(conversation)
