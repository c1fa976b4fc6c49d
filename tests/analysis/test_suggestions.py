"""Suggested check-ins, matched to the moment and quoting the client, from labels built by hand."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from safeenough.analysis import AnalysisResult
from safeenough.analysis.relational import RelationalSummary, summarise_relational
from safeenough.analysis.suggestions import (
    NEXT_SESSION,
    OPENING,
    QUOTE_MAX_CHARACTERS,
    STRATEGIES,
    excerpt,
    punctuated,
    suggest_check_ins,
    suggestions_from,
)
from tests.builders import Labels, analysed, with_speakers


def moment(who_said: str, labels: Labels) -> AnalysisResult:
    """A therapist's advice, the client's moment, then a therapist turn that does not repair it."""
    return analysed(
        ("T", "You should stop seeing him.", {"behaviour": "therapist_input", "input": "advice"}),
        ("C", who_said, labels),
        ("T", "Let's move on.", {"repair": "none"}),
    )


def test_unrepaired_defends_self_moment_gets_a_check_in_quoting_the_client() -> None:
    said = "I'm not a bad mother, I do everything for those kids."
    suggestions = suggest_check_ins(moment(said, {"marker": "confrontation", "subtype": "defends_self"}))
    first = suggestions[0]
    assert first.purpose == NEXT_SESSION
    assert first.turn == 1
    assert first.strategy == "validate"
    assert f"“{said.removesuffix('.')}”," in first.text
    assert first.quote == f"“{said}”"
    assert "judged" in first.text
    assert "what was it like to hear" in first.text.lower()


def test_deferential_moment_invites_disagreement_explicitly() -> None:
    first = suggest_check_ins(
        moment("Sure, you know best.", {"marker": "withdrawal", "subtype": "deferential"})
    )[0]
    assert first.strategy == "invite_disagreement"
    assert "disagree" in first.text
    assert "“Sure, you know best”," in first.text


def test_minimal_response_gently_names_the_shift_and_leaves_room() -> None:
    first = suggest_check_ins(moment("Mm.", {"marker": "withdrawal", "subtype": "minimal_response"}))[0]
    assert first.strategy == "name_the_shift"
    assert "no pressure" in first.text.lower()


def test_complaint_about_progress_asks_what_would_make_it_worthwhile() -> None:
    first = suggest_check_ins(
        moment(
            "We're just going round in circles.", {"marker": "confrontation", "subtype": "complaint_progress"}
        )
    )[0]
    assert first.strategy == "ask_what_would_help"
    assert "worthwhile" in first.text


def test_anticipated_judgement_names_the_expectation_and_offers_a_different_response() -> None:
    first = suggest_check_ins(
        moment("I know you'll tell me I'm overreacting.", {"marker": "none", "anticipates_judgement": True})
    )[0]
    assert first.strategy == "name_the_expectation"
    assert "expected me to judge you" in first.text
    assert "I'm not judging you" in first.text


def test_defending_self_right_after_advice_asks_how_it_sounded_not_why_the_client_expected_judgement() -> (
    None
):
    # "What made you expect that I would?" would put the strain on the client, when the therapist had
    # just told them what to do.
    labels: Labels = {"marker": "confrontation", "subtype": "defends_self", "anticipates_judgement": True}
    first = suggest_check_ins(moment("I'm not lazy, okay?", labels))[0]
    assert first.strategy == "validate"
    assert "expect" not in first.text
    assert "What was it like to hear what I said?" in first.text


def test_defending_self_with_nothing_pressing_before_it_names_the_expectation_of_judgement() -> None:
    labels: Labels = {"marker": "confrontation", "subtype": "defends_self", "anticipates_judgement": True}
    result = analysed(
        ("T", "What was the weekend like?", {"behaviour": "question", "stance": "exploring"}),
        ("C", "I know you think I'm lazy, but I'm not.", labels),
    )
    assert suggest_check_ins(result)[0].strategy == "name_the_expectation"


def test_a_word_or_two_of_a_short_turn_is_quoted_with_the_rest_of_the_turn() -> None:
    labels: Labels = {"marker": "withdrawal", "subtype": "minimal_response", "evidence_span": "Fine."}
    first = suggest_check_ins(moment("Fine. Nothing to report.", labels))[0]
    assert first.quote == "“Fine. Nothing to report.”"
    assert "when you said “Fine. Nothing to report”, things went" in first.text
    long_turn = "Fine. " + "I went to work and came home and went to work again, every single day of it. " * 2
    assert suggest_check_ins(moment(long_turn, labels))[0].quote == "“Fine.”"


def test_a_short_turn_is_quoted_whole_not_only_its_first_cue() -> None:
    labels: Labels = {"marker": "withdrawal", "subtype": "denial", "evidence_span": "I don't know."}
    first = suggest_check_ins(moment("I don't know. I don't really want to talk about it.", labels))[0]
    assert first.quote == "“I don't know. I don't really want to talk about it.”"


def test_quotation_marks_within_the_client_words_become_single_so_they_do_not_end_our_quote() -> None:
    first = suggest_check_ins(
        moment('He said "try harder" again.', {"marker": "withdrawal", "subtype": "topic_shift"})
    )[0]
    assert first.quote == "“He said ‘try harder’ again.”"
    assert excerpt("“Okay.”") == "Okay."


def couple(*turns: tuple[str, str, Labels]) -> AnalysisResult:
    """A session with two clients: turns as (speaker, text, labels), "T" for the therapist."""
    result = analysed(*[("T" if who == "T" else "C", text, labels) for who, text, labels in turns])
    return with_speakers(result, {i: who for i, (who, _, _) in enumerate(turns) if who != "T"})


def test_a_partner_answering_the_other_partner_is_not_told_they_disagreed_with_the_therapist() -> None:
    suggestions = suggest_check_ins(
        couple(
            ("T", "What happened with the car?", {"stance": "exploring"}),
            ("Alex", "I wanted to use our savings.", {"marker": "none"}),
            (
                "Morgan",
                "It doesn't matter. Do what you want.",
                {"marker": "withdrawal", "subtype": "deferential"},
            ),
            ("T", "Let's write down the options.", {"repair": "none"}),
        )
    )
    first = suggestions[0]
    assert first.text.startswith("When you said “It doesn't matter. Do what you want” to Alex, ")
    assert "disagree with me" not in first.text
    assert first.strategy == "name_the_shift"
    assert "It answered Alex (turn 1)" in first.self_reflection
    assert "” to Alex." in suggestions[-1].text


def test_a_partner_answering_the_therapist_gets_the_wording_of_their_marker() -> None:
    first = suggest_check_ins(
        couple(
            ("Alex", "I felt alone.", {"marker": "none"}),
            ("T", "You both need a planning time on Sundays.", {"stance": "pressing"}),
            ("Morgan", "Sure, whatever you say.", {"marker": "withdrawal", "subtype": "deferential"}),
        )
    )[0]
    assert first.strategy == "invite_disagreement"
    assert "disagree with me" in first.text


def test_every_subtype_has_a_strategy_and_quotes_the_client() -> None:
    from safeenough.analysis.keys import CONFRONTATION_SUBTYPES, WITHDRAWAL_SUBTYPES

    for marker, subtypes in (("withdrawal", WITHDRAWAL_SUBTYPES), ("confrontation", CONFRONTATION_SUBTYPES)):
        for subtype in subtypes:
            first = suggest_check_ins(moment("words of my own", {"marker": marker, "subtype": subtype}))[0]
            assert first.strategy in STRATEGIES
            assert "“words of my own”" in first.text, subtype


def test_the_quote_prefers_the_evidence_span_when_it_is_in_the_turn() -> None:
    labels: Labels = {
        "marker": "confrontation",
        "subtype": "complaint_therapist",
        "evidence_span": "you never listen",
    }
    said = "Honestly, you never listen to a word I say, and it's exhausting, week after week."
    first = suggest_check_ins(moment(said, labels))[0]
    assert first.quote == "“you never listen”"


def test_a_quote_that_ends_a_clause_keeps_one_stop_not_two() -> None:
    result = analysed(
        ("C", "Okay.", {"marker": "withdrawal", "subtype": "deferential"}),
        ("T", "Can I check how that landed?", {"repair": "metacommunication"}),
    )
    opening = suggest_check_ins(result)[-1]
    assert "when you said “Okay”. How has that sat" in opening.text
    assert punctuated("You said “Why are we here?”. What") == "You said “Why are we here?” What"


def test_a_long_turn_is_quoted_short_and_cut_at_a_word_boundary() -> None:
    said = "I " + "really do not think that this is going anywhere at all " * 5
    first = suggest_check_ins(moment(said, {"marker": "confrontation", "subtype": "complaint_progress"}))[0]
    assert first.quote is not None
    inner = first.quote.strip("“”")
    assert inner.endswith("…")
    assert len(inner) <= QUOTE_MAX_CHARACTERS
    assert said.startswith(inner.removesuffix("…"))
    assert said[len(inner.removesuffix("…"))] == " "


def test_repaired_moments_get_no_check_in_of_their_own() -> None:
    result = analysed(
        ("C", "You're not helping.", {"marker": "confrontation", "subtype": "complaint_therapist"}),
        ("T", "I think I pushed too hard; I'm sorry.", {"repair": "own_part"}),
    )
    suggestions = suggest_check_ins(result)
    assert [s.purpose for s in suggestions] == [OPENING]
    assert "How has that sat with you since?" in suggestions[0].text


def test_the_opening_suggestion_takes_up_an_unrepaired_confrontation_first() -> None:
    result = analysed(
        ("C", "Mm.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        ("T", "OK.", {}),
        ("C", "This is a waste of my money.", {"marker": "confrontation", "subtype": "complaint_parameters"}),
    )
    suggestions = suggest_check_ins(result)
    assert [s.turn for s in suggestions] == [0, 2, 2]
    assert suggestions[-1].purpose == OPENING
    assert "“This is a waste of my money”." in suggestions[-1].text


def _with_confidence(result: AnalysisResult, by_turn: dict[int, float]) -> RelationalSummary:
    summary = summarise_relational(result)
    moments = tuple(replace(m, confidence=by_turn.get(m.turn)) for m in summary.moments)
    return replace(summary, moments=moments)


def test_the_opening_takes_up_the_unrepaired_moment_the_model_is_surest_of_within_a_kind() -> None:
    result = analysed(
        ("C", "Mm.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        ("T", "OK.", {}),
        ("C", "Sure, whatever you think.", {"marker": "withdrawal", "subtype": "deferential"}),
    )
    opening = suggestions_from(_with_confidence(result, {0: 0.2, 2: 0.7}))[-1]
    assert opening.purpose == OPENING
    assert opening.turn == 2


def test_a_confrontation_still_comes_before_a_surer_withdrawal() -> None:
    result = analysed(
        ("C", "Mm.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        ("T", "OK.", {}),
        ("C", "This is a waste of my money.", {"marker": "confrontation", "subtype": "complaint_parameters"}),
    )
    assert suggestions_from(_with_confidence(result, {0: 0.9, 2: 0.3}))[-1].turn == 2


def test_when_every_moment_was_repaired_the_opening_recalls_the_surest_one() -> None:
    result = analysed(
        ("C", "Fine.", {"marker": "withdrawal", "subtype": "denial"}),
        ("T", "It sounds like it isn't, quite.", {"repair": "validation"}),
        ("C", "You're not helping.", {"marker": "confrontation", "subtype": "complaint_therapist"}),
        ("T", "I think I pushed too hard; I'm sorry.", {"repair": "own_part"}),
    )
    assert suggestions_from(_with_confidence(result, {0: 0.25, 2: 0.6}))[-1].turn == 2
    assert suggestions_from(_with_confidence(result, {}))[-1].turn == 0  # no confidences: the earliest


def test_a_session_without_moments_still_gets_an_opening_that_invites_feedback() -> None:
    suggestions = suggest_check_ins(analysed(("T", "Hi.", {}), ("C", "Hello.", {})))
    assert len(suggestions) == 1
    assert suggestions[0].turn is None
    assert suggestions[0].quote is None
    assert suggestions[0].strategy == "invite_feedback"


def test_suggestions_carry_an_id_turn_and_strategy_name_for_copy_edit_and_dismiss() -> None:
    suggestions = suggest_check_ins(moment("Fine.", {"marker": "withdrawal", "subtype": "denial"}))
    assert [s.id for s in suggestions] == ["turn-1", "opening"]
    for suggestion in suggestions:
        assert suggestion.strategy_name == STRATEGIES[suggestion.strategy].name
        assert "3RS" in suggestion.source
        assert "my part" in suggestion.self_reflection


def test_the_self_reflection_points_at_the_therapist_turn_before_the_moment() -> None:
    first = suggest_check_ins(moment("No.", {"marker": "confrontation", "subtype": "rejects_intervention"}))[
        0
    ]
    assert "turn 0" in first.self_reflection


@given(st.text(max_size=300), st.integers(min_value=5, max_value=200))
def test_an_excerpt_is_never_longer_than_its_limit(text: str, limit: int) -> None:
    assert len(excerpt(text, limit)) <= limit
