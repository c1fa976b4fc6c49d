"""The rupture–repair summary, from labels built by hand (standing in for the relational models)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.analysis import keys
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.relational import summarise_relational
from safeenough.domain.annotation import Annotation, AnnotationSet
from tests.builders import Labels, analysed, with_speakers

ADVICE: Labels = {"behaviour": "therapist_input", "input": "advice", "stance": "pressing"}


def confront(subtype: str) -> Labels:
    return {"marker": "confrontation", "subtype": subtype}


def test_a_client_turn_with_a_marker_is_a_rupture_moment_and_marker_none_is_not() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "How was the week?", {"stance": "exploring"}),
            ("C", "Fine.", {"marker": "none"}),
            ("T", "Just fine?", {"stance": "neutral"}),
            ("C", "Whatever.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        )
    )
    assert [m.turn for m in summary.moments] == [3]
    assert summary.moments[0].kind == "withdrawal"
    assert summary.moments[0].subtype_label == "minimal response"


def test_a_repair_by_the_therapist_within_two_turns_repairs_the_moment() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "You should stop.", ADVICE),
            ("C", "Don't tell me what to do.", confront("rejects_intervention")),
            ("T", "You're right, that wasn't mine to decide.", {"repair": "validation"}),
        )
    )
    moment = summary.moments[0]
    assert moment.repaired
    assert (moment.repair_turn, moment.repair_strategy) == (2, "validation")
    assert summary.summary()["repaired"] == 1


def test_a_check_in_counts_as_repair_until_the_client_has_spoken_twice_more_as_in_the_guide() -> None:
    within = summarise_relational(
        analysed(
            ("C", "I guess.", {"marker": "withdrawal", "subtype": "deferential"}),
            ("T", "OK.", {"repair": "none"}),
            ("C", "Yes.", {}),
            ("T", "Right.", {"repair": "none"}),
            ("C", "Mm.", {}),
            ("T", "What happened for you just then?", {"check_in": True, "repair": "none"}),
        )
    )
    assert within.moments[0].repaired
    assert within.moments[0].repair_strategy == "check_in"
    assert within.check_ins[0].after_moment == 0
    late = summarise_relational(
        analysed(
            ("C", "I guess.", {"marker": "withdrawal", "subtype": "deferential"}),
            ("T", "OK.", {"repair": "none"}),
            ("C", "Yes.", {}),
            ("C", "Mm.", {}),
            ("C", "Anyway.", {}),
            ("T", "What happened for you just then?", {"check_in": True}),
        )
    )
    assert not late.moments[0].repaired
    assert late.check_ins[0].after_moment is None


def test_a_check_in_made_while_pressing_the_point_does_not_repair_the_moment() -> None:
    summary = summarise_relational(
        analysed(
            ("C", "I don't want to talk about him.", {"marker": "withdrawal", "subtype": "denial"}),
            (
                "T",
                "I think it's important that we talk about the grief. Can we?",
                {"check_in": True, "stance": "pressing", "repair": "none"},
            ),
        )
    )
    assert not summary.moments[0].repaired


def test_repair_none_and_not_applicable_do_not_count_as_repair() -> None:
    summary = summarise_relational(
        analysed(
            ("C", "This isn't helping.", confront("complaint_progress")),
            ("T", "Let's carry on.", {"repair": "none"}),
            ("T", "Next question.", {"repair": "n/a"}),
        )
    )
    assert summary.unrepaired == summary.moments


def test_what_preceded_the_rupture_is_recorded_from_the_therapist_turn_before() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "You need to stop drinking.", ADVICE),
            ("C", "I'm not an alcoholic.", confront("defends_self")),
            ("T", "You're clearly in denial.", {"stance": "assuming"}),
            ("C", "Fine, whatever you say.", {"marker": "withdrawal", "subtype": "deferential"}),
        )
    )
    assert summary.moments[0].preceded_by == ("advice", "pressing")
    assert summary.moments[0].preceding_turn == 0
    assert summary.moments[1].preceded_by == ("assuming",)


def test_anticipated_judgement_without_a_marker_is_a_moment_but_not_a_rupture() -> None:
    summary = summarise_relational(
        analysed(("C", "You probably think I'm pathetic.", {"marker": "none", "anticipates_judgement": True}))
    )
    assert summary.moments[0].kind == "anticipated_judgement"
    assert summary.ruptures == ()
    assert summary.summary()["ruptures"] == 0


def test_reading_says_two_confrontations_both_after_advice_one_repaired_by_validating() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "You should try journaling.", ADVICE),
            ("C", "That won't work for me.", confront("rejects_intervention")),
            ("T", "It makes sense that it doesn't fit.", {"repair": "validation"}),
            ("C", "Yeah.", {}),
            ("T", "You really must exercise more.", ADVICE),
            ("C", "You sound like my mother.", confront("complaint_therapist")),
            ("T", "Anyway, next.", {"repair": "none", "stance": "neutral"}),
        )
    )
    first = summary.reading[0]
    assert first.startswith("Two confrontation moments (turns 1 and 5)")
    assert "both after advice was given" in first
    assert "one (turn 1) repaired by validating" in first
    assert "The therapist did not check in during this session." in summary.reading


def test_reading_names_which_moment_came_after_what_when_not_all_of_them_did() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "You need to stop drinking.", ADVICE),
            ("C", "I'm not an alcoholic.", confront("defends_self")),
            ("T", "You're clearly in denial.", {"stance": "assuming"}),
            ("C", "That's not fair.", confront("complaint_therapist")),
        )
    )
    first = summary.reading[0]
    # Not "one after advice was given and the therapist pressed a point and … stated an assumption":
    # no single moment came after all three.
    assert "one (turn 1) after advice was given and the therapist pressed a point" in first
    assert "one (turn 3) after the therapist stated an assumption as fact" in first


def test_a_rupture_that_also_braces_for_judgement_is_counted_once_and_the_reading_says_it_braced() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "What was the weekend like?", {"stance": "exploring"}),
            (
                "C",
                "You probably think I'm pathetic.",
                {"marker": "withdrawal", "subtype": "minimal_response", "anticipates_judgement": True},
            ),
            ("T", "Tell me more.", {"stance": "exploring"}),
            (
                "C",
                "I know you'll say I'm comparing again.",
                {"marker": "none", "anticipates_judgement": True},
            ),
        )
    )
    assert summary.reading[0].startswith("One withdrawal moment (turn 1)")
    assert summary.reading[1] == "In turn 1 the client also braced for judgement."
    assert summary.reading[2].startswith("One moment of anticipated judgement (turn 3)")


def test_in_a_couple_session_the_reading_says_whose_moments_they_were() -> None:
    result = analysed(
        ("T", "How was it to hear that?", {"stance": "exploring"}),
        ("C", "Fine. Whatever.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        ("C", "I felt alone.", {"marker": "none"}),
        ("T", "Let's plan Sundays.", {"stance": "neutral"}),
        (
            "C",
            "Do what you want.",
            {"marker": "withdrawal", "subtype": "deferential", "anticipates_judgement": True},
        ),
        ("C", "Okay.", {"marker": "withdrawal", "subtype": "minimal_response"}),
    )
    summary = summarise_relational(with_speakers(result, {1: "Morgan", 2: "Alex", 4: "Morgan", 5: "Alex"}))
    assert summary.reading[0].startswith("Three withdrawal moments (Morgan: turns 1 and 4; Alex: turn 5), ")
    assert summary.reading[1] == "In turn 4 Morgan also braced for judgement."


def couple(*turns: tuple[str, str, Labels], speakers: dict[int, str]) -> AnalysisResult:
    """A couple session built by hand: `speakers` names the client turns (Morgan, Alex)."""
    return with_speakers(analysed(*turns), speakers)


def test_in_a_couple_validating_one_partner_does_not_repair_the_other_partners_withdrawal() -> None:
    summary = summarise_relational(
        couple(
            ("T", "What would help on Sundays?", {"stance": "exploring"}),
            ("C", "Whatever.", {"marker": "withdrawal", "subtype": "minimal_response"}),
            ("C", "I just want us to talk.", {"marker": "none"}),
            ("T", "That makes sense, wanting to be heard.", {"repair": "validation"}),
            speakers={1: "Morgan", 2: "Alex"},
        )
    )
    assert not summary.moments[0].repaired
    assert summary.summary()["repaired"] == 0


def test_in_a_couple_turning_to_the_partner_by_name_or_after_they_spoke_repairs_their_moment() -> None:
    by_name = summarise_relational(
        couple(
            ("C", "Whatever.", {"marker": "withdrawal", "subtype": "minimal_response"}),
            ("C", "See? This is what happens.", {"marker": "none"}),
            ("T", "Morgan, I noticed you went quiet. What was that like?", {"check_in": True}),
            speakers={0: "Morgan Lee", 1: "Alex"},
        )
    )
    assert (by_name.moments[0].repaired, by_name.moments[0].repair_turn) == (True, 2)
    right_after = summarise_relational(
        couple(
            ("C", "Alex", {"marker": "none"}),
            ("C", "Whatever.", {"marker": "withdrawal", "subtype": "minimal_response"}),
            ("T", "It sounds like this is hard to hear.", {"repair": "validation"}),
            speakers={0: "Alex", 1: "Morgan"},
        )
    )
    assert right_after.moments[0].repaired


def test_a_very_short_transcript_is_read_as_one_with_little_to_go_on() -> None:
    short = summarise_relational(analysed(("T", "How are you?", {"stance": "neutral"}), ("C", "Fine.", {})))
    assert short.reading[-1].startswith("This transcript is short (two turns)")
    full = summarise_relational(analysed(*[("T", "Mm.", {}), ("C", "Yes.", {})] * 5))
    assert not any("short" in sentence for sentence in full.reading)


def test_reading_never_calls_the_client_resistant_or_diagnoses() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "Do it.", ADVICE),
            ("C", "No.", confront("rejects_intervention")),
            (
                "C",
                "Pointless.",
                {"marker": "withdrawal", "subtype": "hopeless", "anticipates_judgement": True},
            ),
        )
    )
    text = summary.reading_text.lower()
    for word in ("resistan", "disorder", "defensive client", "borderline", "noncomplian", "fault"):
        assert word not in text


def test_a_session_without_moments_says_so_without_claiming_there_were_none() -> None:
    summary = summarise_relational(analysed(("T", "Hi.", {"stance": "neutral"}), ("C", "Hi.", {})))
    assert summary.moments == ()
    assert "not proof" in summary.reading_text


def test_stance_shares_cover_the_four_stances_and_ignore_client_turns() -> None:
    summary = summarise_relational(
        analysed(
            ("T", "a", {"stance": "exploring"}),
            ("T", "b", {"stance": "exploring"}),
            ("T", "c", {"stance": "pressing"}),
            ("C", "d", {"stance": "assuming"}),
            ("T", "e", {"stance": "neutral"}),
        )
    )
    assert summary.stance_shares == {"exploring": 0.5, "neutral": 0.25, "assuming": 0.0, "pressing": 0.25}
    assert "exploring 50%" in summary.reading_text


def test_no_stance_labels_give_empty_shares_not_a_division_by_zero() -> None:
    assert summarise_relational(analysed(("T", "a", {}))).stance_shares == {}


stance_labels = st.sampled_from(["exploring", "neutral", "assuming", "pressing"]).map(
    lambda stance: {"stance": stance}
)
client_labels = st.fixed_dictionaries(
    {"marker": st.sampled_from(["none", "withdrawal", "confrontation"])},
    optional={"anticipates_judgement": st.booleans()},
)
therapist_turn = st.tuples(
    st.just("T"),
    st.just("t"),
    st.fixed_dictionaries(
        {},
        optional={
            "stance": st.sampled_from(["exploring", "neutral", "assuming", "pressing"]),
            "check_in": st.booleans(),
            "repair": st.sampled_from(["validation", "none", "n/a", "own_part"]),
        },
    ),
)


@given(st.lists(st.one_of(therapist_turn, st.tuples(st.just("C"), st.just("c"), client_labels)), max_size=25))
def test_stance_shares_sum_to_one_and_repaired_never_exceeds_ruptures(
    turns: list[tuple[str, str, Labels]],
) -> None:
    summary = summarise_relational(analysed(*turns))
    if summary.stance_shares:
        assert sum(summary.stance_shares.values()) == pytest.approx(1.0)
        assert all(0.0 <= share <= 1.0 for share in summary.stance_shares.values())
    figures = summary.summary()
    assert 0 <= len([m for m in summary.ruptures if m.repaired]) == figures["repaired"]
    assert figures["repaired"] <= len(summary.ruptures) == figures["ruptures"]
    assert len(summary.repaired) + len(summary.unrepaired) == len(summary.moments)
    assert all(sentence.endswith(".") for sentence in summary.reading)


def _flagged_by(component: str, confidence: float) -> AnalysisResult:
    """A withdrawal marked by `component` with `confidence`, the way a stored analysis carries it."""
    conversation = analysed(
        ("T", "Would you try a sleep diary?", {"stance": "neutral"}),
        ("C", "Okay. Sure.", {}),
    ).conversation
    annotations = AnnotationSet(
        (
            Annotation(1, keys.MARKER, "withdrawal", confidence, (), component),
            Annotation(1, keys.SUBTYPE, "deferential", None, (), component),
        )
    )
    return AnalysisResult(conversation, annotations, (component,))


def test_a_moment_carries_its_calibrated_confidence_as_about_n_in_ten() -> None:
    moment = summarise_relational(_flagged_by("rupture_markers.v3", 0.34)).moments[0]
    assert moment.confidence == 0.34
    assert moment.confidence_in_ten == 3


def test_an_analysis_from_before_calibration_shows_no_confidence() -> None:
    moment = summarise_relational(_flagged_by("rupture_markers.v2", 0.71)).moments[0]
    assert moment.confidence is None
    assert moment.confidence_in_ten is None


@pytest.mark.parametrize(("confidence", "in_ten"), [(0.01, 1), (0.5, 5), (0.99, 9)])
def test_about_n_in_ten_is_never_none_in_ten_nor_ten_in_ten(confidence: float, in_ten: int) -> None:
    assert (
        summarise_relational(_flagged_by("rupture_markers.v3", confidence)).moments[0].confidence_in_ten
        == in_ten
    )


def _moments_with(*confidences: float) -> AnalysisResult:
    """Withdrawals at turns 1, 3, 5… flagged by the calibrated component with these confidences."""
    rows: list[tuple[str, str, Labels]] = []
    for _ in confidences:
        rows += [("T", "Would you try a sleep diary?", {"stance": "neutral"}), ("C", "Okay. Sure.", {})]
    conversation = analysed(*rows).conversation
    annotations = AnnotationSet(
        tuple(
            Annotation(2 * n + 1, keys.MARKER, "withdrawal", confidence, (), "rupture_markers.v4")
            for n, confidence in enumerate(confidences)
        )
    )
    return AnalysisResult(conversation, annotations, ("rupture_markers.v4",))


def test_reading_says_which_moment_to_start_with_when_the_model_is_surer_of_some() -> None:
    reading = summarise_relational(_moments_with(0.22, 0.71, 0.38)).reading
    assert (
        "The model is surer of turn 3 (about 7 in 10) than of the others (about 2 to 4 in 10): read that one "
        "first." in reading
    )


def test_reading_names_every_surer_moment_and_a_single_other() -> None:
    reading = summarise_relational(_moments_with(0.62, 0.81, 0.3)).reading
    assert (
        "The model is surer of turns 1 and 3 (about 6 to 8 in 10) than of the other (about 3 in 10): read "
        "those first." in reading
    )


def test_reading_says_when_the_model_is_sure_of_none_of_the_moments() -> None:
    reading = summarise_relational(_moments_with(0.22, 0.31)).reading
    assert (
        "The model is not sure of any of these moments (about 2 to 3 in 10 each): read them as places to "
        "look, not findings." in reading
    )


@pytest.mark.parametrize("confidences", [(0.3,), (0.6, 0.8)])
def test_reading_adds_nothing_about_sureness_for_one_moment_or_when_all_are_sure(
    confidences: tuple[float, ...],
) -> None:
    reading = summarise_relational(_moments_with(*confidences)).reading
    assert not any("The model is" in sentence for sentence in reading)


def test_reading_adds_nothing_about_sureness_for_analyses_without_confidences() -> None:
    result = _moments_with(0.2, 0.8)
    old = AnalysisResult(
        result.conversation,
        AnnotationSet(
            tuple(
                Annotation(a.target_turn, a.key, a.value, a.confidence, a.evidence, "rupture_markers.v2")
                for a in result.annotations
            )
        ),
        ("rupture_markers.v2",),
    )
    assert not any("The model is" in sentence for sentence in summarise_relational(old).reading)
