# ruff: noqa: PT018
"""Fast tests of the run-time models on tiny conversations written for these tests."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from safeenough.analysis import research_export
from safeenough.analysis.components._shared import using_predictor
from safeenough.analysis.defaults import DEFAULT_COMPONENTS
from safeenough.analysis.models import ConversationPrediction, Predictor, encoder, predict_conversation
from safeenough.analysis.pipeline import Pipeline
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn

T, C = SpeakerRole.THERAPIST, SpeakerRole.CLIENT


def conversation(*lines: tuple[SpeakerRole, str], cid: str = "t1") -> Conversation:
    turns = tuple(
        Turn(index=i, speaker="Therapist" if role == T else "Client", role=role, text=text, source_id=str(i))
        for i, (role, text) in enumerate(lines)
    )
    return Conversation(id=cid, turns=turns)


@pytest.fixture(scope="module")
def session() -> tuple[Conversation, ConversationPrediction]:
    conv = conversation(
        (T, "Hi, thanks for coming in today. What would you like to talk about?"),
        (C, "My doctor said I should cut down on drinking, so here I am."),
        (T, "What do you enjoy about drinking, and what worries you about it?"),
        (C, "I really want to stop drinking. I want to be there for my kids."),
        (T, "So your children are a big reason you want to make a change."),
        (C, "Yeah. I guess so."),
        (T, "You have to stop drinking right now. Alcohol will destroy your liver."),
        (C, "Why are you lecturing me? You don't know anything about my life."),
        (T, "You're right, I came on too strong. How is this conversation going for you so far?"),
        (C, "It's okay."),
    )
    return conv, predict_conversation(conv)


def test_every_turn_labelled(session: tuple[Conversation, ConversationPrediction]) -> None:
    conv, pred = session
    assert len(pred.turns) == len(conv.turns)
    for turn, p in zip(conv.turns, pred.turns, strict=True):
        if turn.role == T:
            assert p.behaviour in {"reflection", "question", "therapist_input", "other"}
            assert p.stance in {"exploring", "neutral", "assuming", "pressing"}
            assert p.talk_type is None and p.marker is None
            assert p.behaviour_probs is not None
            assert abs(sum(p.behaviour_probs.values()) - 1) < 1e-3
            assert p.repair is not None
        else:
            assert p.talk_type in {"change", "neutral", "sustain"}
            assert p.marker in {"none", "withdrawal", "confrontation"}
            assert p.behaviour is None and p.stance is None
    assert 0.0 <= pred.quality <= 1.0


def test_obvious_labels(session: tuple[Conversation, ConversationPrediction]) -> None:
    _, pred = session
    assert pred.turns[2].behaviour == "question"
    assert pred.turns[2].sub_label == "open"
    assert pred.turns[3].talk_type == "change"
    assert pred.turns[4].behaviour == "reflection"
    assert pred.turns[7].marker == "confrontation"
    assert pred.turns[7].subtype in {"rejects_intervention", "complaint_therapist", "defends_self"}
    assert pred.turns[8].repair not in (None, "n/a")  # a marker precedes it
    # the explicit check-in scores far higher than an ordinary open question
    assert (pred.turns[8].check_in_prob or 0) > 5 * (pred.turns[2].check_in_prob or 0)


def test_the_confidence_shown_rises_with_the_models_probability_and_is_never_certain() -> None:
    predictor = Predictor()
    for head in ("marker", "anticipates_judgement", "check_in", "repair"):
        shown = [predictor.confidence(head, float(p)) for p in np.linspace(0.01, 0.99, 50)]
        assert shown == sorted(shown)
        assert shown[0] > 0.0 and shown[-1] < 1.0


def test_marker_confidence_is_below_the_balanced_heads_probability() -> None:
    # a class-balanced head overstates a rare class; the calibrated confidence says how often it was right
    predictor = Predictor()
    assert predictor.confidence("marker", 0.6) < 0.6


def test_a_marker_in_a_session_that_looks_like_good_counselling_is_shown_as_less_likely() -> None:
    # out of fold, flags in sessions that looked like good counselling matched the annotator far less often
    predictor = Predictor()
    in_good_session = predictor.session_confidence("marker", 0.6, quality=0.9)
    in_poor_session = predictor.session_confidence("marker", 0.6, quality=0.1)
    assert in_good_session is not None and in_poor_session is not None
    assert in_good_session < in_poor_session


def test_the_session_aware_confidence_still_rises_with_the_models_probability() -> None:
    predictor = Predictor()
    for quality in (0.1, 0.5, 0.9):
        shown = [
            predictor.session_confidence("marker", float(p), quality) for p in np.linspace(0.01, 0.99, 50)
        ]
        assert shown == sorted(shown)  # type: ignore[type-var]


def test_heads_without_the_session_step_have_no_session_aware_confidence() -> None:
    assert Predictor().session_confidence("check_in", 0.6, quality=0.5) is None


def test_repair_only_after_marker(session: tuple[Conversation, ConversationPrediction]) -> None:
    _, pred = session
    assert pred.turns[0].repair == "n/a"
    for p in pred.turns:
        if p.role == T and p.repair != "n/a":
            assert any(q.marker not in (None, "none") for q in pred.turns[: p.index] if q.role == C)


def test_export_contract(session: tuple[Conversation, ConversationPrediction]) -> None:
    conv, _ = session
    buf = io.StringIO()
    with using_predictor(Predictor()):
        lines = research_export.write_jsonl([Pipeline.from_names(DEFAULT_COMPONENTS).run(conv)], buf)
    objs = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert lines == len(conv.turns) + 1 == len(objs)
    first = objs[0]
    assert first["conversation"] == "t1" and first["turn"] == 0 and first["source_id"] == "0"
    assert first["role"] == "therapist" and first["talk_type"] is None
    assert set(first) >= {
        "behaviour",
        "question",
        "reflection",
        "input",
        "marker",
        "stance",
        "check_in",
        "repair",
    }
    client = objs[1]
    assert client["behaviour"] is None and client["stance"] is None and client["talk_type"] is not None
    assert 0.0 <= client["marker_confidence"] <= 1.0
    assert first["check_in_confidence"] is not None and first["repair_confidence"] is None
    summary = objs[-1]["summary"]
    assert summary["turns"] == len(conv.turns)
    assert set(summary) >= {
        "quality",
        "reflection_to_question",
        "open_question_share",
        "complex_reflection_share",
        "therapist_talk_share",
        "change_talk",
        "sustain_talk",
        "ruptures",
        "repaired",
        "check_ins",
        "stance_shares",
    }


def test_empty_conversation() -> None:
    pred = predict_conversation(Conversation(id="empty", turns=()))
    assert pred.turns == ()


def test_each_layer_of_a_turn_embedding_is_normalised_on_its_own() -> None:
    emb = encoder.embed(["hello there", "", "How are you feeling about that?"])
    layers = len(encoder.TURN_LAYERS)
    assert emb.shape == (3, encoder.EMBEDDING_DIM * layers)
    blocks = emb.reshape(3, layers, encoder.EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(blocks, axis=2), 1.0, atol=1e-4)


def test_a_turn_embedding_starts_with_the_sentence_embedding() -> None:
    texts = ["Okay. Sure. Whatever you think.", "What brings you here today?"]
    sentence = encoder.embed(texts, layers=encoder.SENTENCE_LAYERS)
    assert sentence.shape == (2, encoder.EMBEDDING_DIM)
    assert np.allclose(encoder.embed(texts)[:, : encoder.EMBEDDING_DIM], sentence, atol=1e-5)


def test_the_middle_layer_says_something_the_sentence_embedding_does_not() -> None:
    emb = encoder.embed(["Okay. Sure. Whatever you think."])
    sentence, middle = emb[0, : encoder.EMBEDDING_DIM], emb[0, encoder.EMBEDDING_DIM :]
    assert middle.size and float(sentence @ middle) < 0.99


def test_weights_fitted_on_other_embeddings_are_refused(tmp_path: Path) -> None:
    for path in encoder.weights_dir().iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    config["encoder"] = {**config["encoder"], "pooled_layers": [3]}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(encoder.ModelUnavailable, match="make train"):
        Predictor(tmp_path)


def test_runtime_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from safeenough.analysis.models import predict_conversation\n"
        "from safeenough.domain.conversation import Conversation, Turn, SpeakerRole\n"
        "t = Turn(index=0, speaker='A', role=SpeakerRole.THERAPIST, text='How are you?')\n"
        "predict_conversation(Conversation(id='x', turns=(t,)))\n"
        "bad = [m for m in ('torch', 'sklearn', 'scipy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
