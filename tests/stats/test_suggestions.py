import dataclasses

from safeenough.domain.alert import AlertKind
from safeenough.stats.suggestions import suggest_next_step
from tests.stats.helpers import phq9, safety


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
