"""The formulation-domain classifier behind suggestions from transcripts (issue 6, item 3).

Statements here are written for these tests, not taken from the training or test files. Tests named
`..._lexicon` run on the lexicon alone (no encoder); the others use the committed head when the
encoder is installed and the lexicon otherwise, so the suite passes either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safeenough.analysis import formulation as fm

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "training" / "formulation"


def top(text: str, method: fm.Method = "auto") -> str | None:
    result = fm.classify_domains([text], method=method)[0]
    return result[0][0] if result else None


def test_domains_are_the_nine_of_the_design() -> None:
    assert len(fm.DOMAINS) == 9
    assert set(fm.DOMAINS) == set(fm.DOMAIN_NAMES) == set(fm.LEXICON)


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_a_statement_about_a_father_is_family_history(method: fm.Method) -> None:
    assert top("My father never once said he was proud of me, not even at my graduation.", method) == (
        "family_history"
    )


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_talking_about_a_previous_counsellor_is_past_help(method: fm.Method) -> None:
    assert (
        top("The counsellor I saw last year mostly just listened, which wasn't enough.", method)
        == "past_help"
    )


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_fear_of_being_judged_here_is_what_safety_means(method: fm.Method) -> None:
    assert top("I'm worried you'll judge me if I tell you what I did.", method) == "safety_meaning"


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_faith_and_heritage_are_culture_and_identity(method: fm.Method) -> None:
    assert top("My faith and my Somali heritage are a big part of who I am.", method) == "culture_identity"


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_what_the_client_would_like_to_change_is_a_goal(method: fm.Method) -> None:
    assert (
        top("I'd like to be able to sit through dinner with friends without wanting to run.", method)
        == "goals"
    )


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_sleeplessness_and_panic_are_presenting_concerns(method: fm.Method) -> None:
    assert top("The panic wakes me at three every night and I can't get back to sleep.", method) == (
        "presenting_concerns"
    )


@pytest.mark.parametrize("method", ["auto", "lexicon"])
def test_what_keeps_a_client_going_is_a_strength_or_resource(method: fm.Method) -> None:
    assert top("Walking the dog every morning is what keeps me going.", method) == "strengths_resources"


@pytest.mark.parametrize("method", ["auto", "lexicon"])
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Yeah.",
        "Mm-hmm.",
        "I don't know.",
        "Sorry I'm late, the traffic on the ring road was awful.",
        "Could we make next week's session half an hour later?",
        "Is it okay if I open the window a little?",
    ],
)
def test_small_talk_and_logistics_get_no_domain(text: str, method: fm.Method) -> None:
    assert fm.classify_domains([text], method=method) == [[]]


def test_results_are_ranked_in_unit_interval_and_capped() -> None:
    texts = [
        "When I was a kid my mum drank and I looked after my sisters; now my partner says I mother everyone.",
        "My last therapist made me feel judged, so I'm nervous about trusting anyone here.",
    ]
    results = fm.classify_domains(texts)
    assert len(results) == len(texts)
    for result in results:
        assert 1 <= len(result) <= fm.MAX_DOMAINS
        scores = [score for _, score in result]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert len({d for d, _ in result}) == len(result)
        assert all(d in fm.DOMAINS for d, _ in result)


def test_empty_input_gives_empty_output() -> None:
    assert fm.classify_domains([]) == []


def test_matched_cues_explain_a_suggestion_lexicon() -> None:
    cues = fm.matched_cues("Growing up, my dad was never around.")
    assert "family_history" in cues
    assert any("growing up" in c.lower() for c in cues["family_history"])


def test_lexicon_scores_combine_cues_lexicon() -> None:
    scores = fm.lexicon_scores(["As a child I was in foster care.", "What a lovely day."])
    j = fm.DOMAINS.index("family_history")
    assert scores.shape == (2, 9)
    assert scores[0, j] > 0.9
    assert float(scores[1].max()) == 0.0


def test_the_lexicon_works_when_the_encoder_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from safeenough.analysis.models import encoder

    def unavailable(texts: list[str]) -> None:
        raise encoder.ModelUnavailable("not installed in this test")

    monkeypatch.setattr(encoder, "embed", unavailable)
    monkeypatch.setattr(fm, "_encoder_missing", [])
    text = "My father never once said he was proud of me."
    _, threshold, method = fm.domain_probabilities([text])
    assert (method, threshold) == ("lexicon", fm.LEXICON_THRESHOLD)
    assert top(text) == "family_history"
    with pytest.raises(RuntimeError):
        fm.domain_probabilities([text], method="hybrid")


def test_the_committed_head_matches_the_lexicon_and_domains() -> None:
    path = fm.weights_path()
    assert path.is_file(), "train it: .venv/bin/python -m training.formulation.train"
    head = fm.DomainHead.load(path)  # raises if trained with another lexicon
    assert head.weights.shape[0] == len(fm.DOMAINS)
    assert 0.0 < head.threshold < 1.0
    assert np.all(np.isfinite(head.weights))


def test_training_and_test_statements_are_labelled_and_disjoint() -> None:
    def read(name: str) -> list[dict[str, object]]:
        lines = (DATA / f"statements.{name}.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    train, test = read("train"), read("test")
    for item in train + test:
        assert isinstance(item["text"], str)
        assert item["text"].strip()
        assert isinstance(item["domains"], list)
        assert set(item["domains"]) <= set(fm.DOMAINS)
    assert not {str(i["text"]).lower() for i in train} & {str(i["text"]).lower() for i in test}
    for domain in fm.DOMAINS:
        assert sum(domain in i["domains"] for i in train) >= 30  # type: ignore[operator]
        assert sum(domain in i["domains"] for i in test) >= 15  # type: ignore[operator]
    assert sum(not i["domains"] for i in train) >= 60
