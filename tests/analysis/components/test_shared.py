"""The evidence span: which of a client's words the report and the suggested check-ins quote."""

from safeenough.analysis.components._shared import EVIDENCE_CHARACTERS, evidence_span
from safeenough.analysis.components.relational import MARKER_CUES


def test_the_sentence_with_a_cue_word_is_the_evidence() -> None:
    said = "We've been over this so many times before, every week. Nothing is changing though."
    assert evidence_span(said, MARKER_CUES) == "Nothing is changing though."


def test_cue_words_count_only_as_whole_words() -> None:
    # "know" holds "no" and "another" holds "not"; neither is a refusal.
    said = (
        "I know you mean well and I have tried a lot of things over the years, diaries and apps and all "
        "of it. Another form though."
    )
    assert evidence_span(said, ("no", "not")).startswith("I know you mean well")


def test_a_short_turn_without_a_cue_word_is_quoted_whole() -> None:
    said = "Okay. Sure. If you think it's best, I'll do it."
    assert evidence_span(said, MARKER_CUES) == said


def test_a_long_sentence_is_cut_at_a_word_boundary() -> None:
    said = "I " + "really do think this goes nowhere " * 20
    span = evidence_span(said, MARKER_CUES)
    assert span.endswith("…")
    assert len(span) <= EVIDENCE_CHARACTERS + 1


def test_an_empty_turn_has_no_evidence() -> None:
    assert evidence_span("   ", MARKER_CUES) == ""
