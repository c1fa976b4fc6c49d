import dataclasses

import pytest

from safeenough.domain.alert import AlertKind
from safeenough.stats.suggestions import suggest_next_step
from tests.stats.helpers import (
    assert_keeps_the_partners_answers_private,
    phq9,
    safety,
    said_with_everyone_there,
)


def test_a_low_safe_to_speak_item_invites_talk_about_what_made_it_harder_to_speak() -> None:
    text = suggest_next_step(AlertKind.LOW_ITEM, safety(), "safe_to_speak")
    assert "what made it harder" in text


def test_each_safety_item_gets_its_own_suggestion() -> None:
    texts = {suggest_next_step(AlertKind.LOW_ITEM, safety(), item.id) for item in safety().items}
    assert len(texts) == len(safety().items)


def test_a_split_alliance_suggestion_invites_the_quieter_partner_without_blame() -> None:
    text = suggest_next_step(AlertKind.SPLIT_ALLIANCE, safety())
    assert "both views matter" in text
    assert "without implying the other" in text


def test_phq_9_item_9_points_to_the_risk_procedure() -> None:
    assert "risk procedure" in suggest_next_step(AlertKind.LOW_ITEM, phq9(), "9")


def test_alliance_and_symptom_drops_get_different_suggestions() -> None:
    assert suggest_next_step(AlertKind.RELIABLE_DROP, safety()) != suggest_next_step(
        AlertKind.RELIABLE_DROP, phq9()
    )


def test_an_item_without_a_theme_is_asked_about_in_its_own_words() -> None:
    items = tuple(
        dataclasses.replace(item, theme=None) if item.id == "goals" else item for item in safety().items
    )
    instrument = dataclasses.replace(safety(), items=items)
    assert "'We spent our time on what I wanted to work on.'" in suggest_next_step(
        AlertKind.LOW_ITEM, instrument, "goals"
    )


def test_every_alert_kind_has_a_suggestion_for_every_shipped_instrument() -> None:
    for instrument in (safety(), phq9()):
        for kind in AlertKind:
            assert suggest_next_step(kind, instrument).strip()
    assert suggest_next_step(AlertKind.MISSING_CHECKINS).strip()


# --- couples and families: one partner's answers stay private ----------------------------------------

SINGLE_PARTNER_KINDS = [kind for kind in AlertKind if kind is not AlertKind.SPLIT_ALLIANCE]


def shared_suggestions() -> list[tuple[str, str]]:
    found = []
    for instrument in (safety(), phq9()):
        for kind in SINGLE_PARTNER_KINDS:
            found.append((f"{instrument.id} {kind}", suggest_next_step(kind, instrument, shared_case=True)))
        for item in instrument.items:
            text = suggest_next_step(AlertKind.LOW_ITEM, instrument, item.id, shared_case=True)
            found.append((f"{instrument.id} item {item.id}", text))
    found.append(("no instrument: missing", suggest_next_step(AlertKind.MISSING_CHECKINS, shared_case=True)))
    return found


@pytest.mark.parametrize(("what", "text"), shared_suggestions())
def test_in_a_couple_every_suggestion_about_one_partner_keeps_their_answers_private(
    what: str, text: str
) -> None:
    assert_keeps_the_partners_answers_private(text)


def test_in_a_couple_low_safe_to_speak_is_asked_about_alone_and_only_in_general_terms_together() -> None:
    text = suggest_next_step(AlertKind.LOW_ITEM, safety(), "safe_to_speak", shared_case=True)
    assert "a few minutes one-to-one before or after the joint session, or a short call" in text
    assert "Your answers made me think" not in said_with_everyone_there(text)
    assert "each of you can say what really matters" in said_with_everyone_there(text)


def test_in_a_couple_a_comment_is_answered_alone_and_they_choose_whether_it_comes_into_the_room() -> None:
    text = suggest_next_step(AlertKind.CLIENT_COMMENT, safety(), shared_case=True)
    assert text.index("one-to-one") < text.index("Thank you for writing that")
    assert "Ask whether, and how, they would like it brought into the joint sessions" in text


def test_in_a_couple_phq_9_item_9_puts_the_risk_procedure_first_and_is_never_raised_jointly() -> None:
    text = suggest_next_step(AlertKind.LOW_ITEM, phq9(), "9", shared_case=True)
    assert text.startswith("Follow your service's risk procedure first")
    assert "never in front of their partner or family" in text
    assert said_with_everyone_there(text) == ""


def test_in_a_couple_an_item_without_a_theme_is_still_asked_about_alone_in_its_own_words() -> None:
    items = tuple(
        dataclasses.replace(item, theme=None) if item.id == "goals" else item for item in safety().items
    )
    instrument = dataclasses.replace(safety(), items=items)
    text = suggest_next_step(AlertKind.LOW_ITEM, instrument, "goals", shared_case=True)
    assert "'We spent our time on what I wanted to work on.'" in text
    assert_keeps_the_partners_answers_private(text)


def test_a_split_alliance_keeps_its_suggestion_for_both_partners_together() -> None:
    assert suggest_next_step(AlertKind.SPLIT_ALLIANCE, safety(), shared_case=True) == suggest_next_step(
        AlertKind.SPLIT_ALLIANCE, safety()
    )


def test_individual_suggestions_are_unchanged_and_say_nothing_of_partners() -> None:
    assert suggest_next_step(AlertKind.BELOW_CUTOFF, safety()).startswith(
        'Before anything else next time, ask about the last session: "Your answers told me'
    )
    assert "Thank you for writing that" in suggest_next_step(AlertKind.CLIENT_COMMENT, safety())
    for instrument in (safety(), phq9()):
        for kind in AlertKind:
            text = suggest_next_step(kind, instrument)
            assert text == suggest_next_step(kind, instrument, shared_case=False)
            if kind is not AlertKind.SPLIT_ALLIANCE:
                assert "partner" not in text
                assert "one-to-one" not in text


def test_an_outcome_measure_that_alerts_on_crossing_says_the_score_moved_into_the_range() -> None:
    assert "has moved into the range" in suggest_next_step(AlertKind.BELOW_CUTOFF, phq9())


@pytest.mark.parametrize("shared_case", [False, True])
def test_an_outcome_measure_set_to_alert_every_time_does_not_claim_the_score_moved(
    shared_case: bool,
) -> None:
    from safeenough.domain.instrument import CutoffAlert

    phq = phq9()
    assert phq.cutoff is not None
    every_time = dataclasses.replace(phq, cutoff=dataclasses.replace(phq.cutoff, alert=CutoffAlert.ALWAYS))
    text = suggest_next_step(AlertKind.BELOW_CUTOFF, every_time, shared_case=shared_case)
    assert "moved into" not in text
    assert "is in the range" in text
    assert "every check-in in that range" in text
