from datetime import UTC, date, datetime

import pytest

from safeenough.domain.formulation import EpistemicStatus, FormulationDomain, FormulationEntry, Provenance
from safeenough.domain.session import Session
from safeenough.stats.curiosity import (
    TEST_QUESTIONS,
    AssumingTurn,
    PromptKind,
    TurnRef,
    assuming_language,
    content_words,
    curiosity_prompts,
    goal_similarity,
    keyword_domains,
    shared_goals,
    unexplored_domains,
    untested_hypotheses,
)

RECORDED = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def entry(
    entry_id: int,
    domain: FormulationDomain,
    status: EpistemicStatus,
    text: str = "Something about the client.",
) -> FormulationEntry:
    return FormulationEntry(
        id=entry_id,
        case_id=1,
        client_id=1,
        domain=domain,
        text=text,
        status=status,
        provenance=Provenance.therapist(),
        created_at=RECORDED,
        created_by=1,
        updated_at=RECORDED,
        updated_by=1,
    )


def weekly_sessions(*days: int) -> list[Session]:
    return [
        Session(id=n, case_id=1, number=n, held_on=date(2026, 3, day), attendee_ids=(1,))
        for n, day in enumerate(days, start=1)
    ]


HYPOTHESIS = entry(7, FormulationDomain.VALUES, EpistemicStatus.THERAPIST_HYPOTHESIS)


def test_every_domain_without_an_entry_is_prompted_with_an_open_question() -> None:
    prompts = unexplored_domains([HYPOTHESIS])
    assert len(prompts) == 8
    assert FormulationDomain.VALUES not in {prompt.domain for prompt in prompts}
    assert all(prompt.kind is PromptKind.UNEXPLORED_DOMAIN for prompt in prompts)
    assert all(prompt.question.endswith("?") for prompt in prompts)
    assert "Nothing is recorded yet about goals." in {prompt.reason for prompt in prompts}


def test_a_hypothesis_is_prompted_as_untested_three_sessions_after_it_was_recorded() -> None:
    sessions = weekly_sessions(2, 9, 16, 23, 30)  # session 1 is the day it was recorded
    assert untested_hypotheses([HYPOTHESIS], sessions, today=date(2026, 3, 16)) == []
    [prompt] = untested_hypotheses([HYPOTHESIS], sessions, today=date(2026, 3, 23))
    assert prompt.kind is PromptKind.UNTESTED_HYPOTHESIS
    assert prompt.entry_ids == (7,)
    assert "3 sessions since" in prompt.reason
    assert prompt.question == TEST_QUESTIONS[FormulationDomain.VALUES]


def test_sessions_not_yet_held_do_not_count_towards_an_untested_hypothesis() -> None:
    sessions = weekly_sessions(9, 16, 23)
    assert untested_hypotheses([HYPOTHESIS], sessions, today=date(2026, 3, 20)) == []


def test_the_number_of_sessions_before_a_hypothesis_is_prompted_can_be_chosen() -> None:
    sessions = weekly_sessions(9)
    assert untested_hypotheses([HYPOTHESIS], sessions, today=date(2026, 3, 9), after_sessions=1)
    with pytest.raises(ValueError, match="1 or more"):
        untested_hypotheses([HYPOTHESIS], sessions, today=date(2026, 3, 9), after_sessions=0)


def test_a_checked_hypothesis_is_no_longer_prompted() -> None:
    checked = entry(7, FormulationDomain.VALUES, EpistemicStatus.CHECKED_DISCONFIRMED)
    assert untested_hypotheses([checked], weekly_sessions(9, 16, 23), today=date(2026, 3, 30)) == []


def test_the_keyword_map_reads_which_domain_a_sentence_is_about() -> None:
    assert dict(keyword_domains("Your father was clearly very critical of you.")) == {"family_history": 1.0}
    assert "relationships" in dict(keyword_domains("You don't trust your partner."))
    assert keyword_domains("Mm-hm.") == []


def test_assuming_language_about_a_domain_the_client_has_not_spoken_to_is_prompted() -> None:
    turns = [
        AssumingTurn(5, 3, 12, "Your father was clearly very critical of you."),
        AssumingTurn(4, 2, 8, "That's because your mother never listened."),
    ]
    [prompt] = assuming_language([HYPOTHESIS], turns)
    assert prompt.kind is PromptKind.ASSUMING_LANGUAGE
    assert prompt.domain is FormulationDomain.FAMILY_HISTORY
    assert prompt.turns == (TurnRef(5, 3, 12), TurnRef(4, 2, 8))
    assert prompt.reason.startswith("In session 3 you stated something about family and history as fact")
    assert "(and 1 more)" in prompt.reason


def test_assuming_language_is_not_prompted_where_the_client_has_already_spoken() -> None:
    said = entry(8, FormulationDomain.FAMILY_HISTORY, EpistemicStatus.CLIENT_SAID)
    turns = [AssumingTurn(5, 3, 12, "Your father was clearly very critical of you.")]
    assert assuming_language([said], turns) == []


def test_a_classifier_can_replace_the_keyword_map_and_low_confidence_is_ignored() -> None:
    turns = [AssumingTurn(5, 3, 12, "You are clearly someone who needs control.")]

    def classify(text: str) -> list[tuple[str, float]]:
        return [("values", 0.9), ("goals", 0.2), ("not_a_domain", 0.99)]

    [prompt] = assuming_language([], turns, classify=classify)
    assert prompt.domain is FormulationDomain.VALUES


def test_all_prompts_come_untested_hypotheses_first_then_assumptions_then_gaps() -> None:
    prompts = curiosity_prompts(
        [HYPOTHESIS],
        weekly_sessions(9, 16, 23),
        [AssumingTurn(5, 3, 12, "Your father was clearly very critical of you.")],
        today=date(2026, 3, 23),
    )
    kinds = [prompt.kind for prompt in prompts]
    assert kinds[:2] == [PromptKind.UNTESTED_HYPOTHESIS, PromptKind.ASSUMING_LANGUAGE]
    assert set(kinds[2:]) == {PromptKind.UNEXPLORED_DOMAIN}


def test_content_words_drop_stopwords_and_plain_endings() -> None:
    assert content_words("We want to stop the arguments about money") == {"stop", "argu", "money"}


def test_partners_goals_agree_where_their_content_words_overlap() -> None:
    first = [
        entry(1, FormulationDomain.GOALS, EpistemicStatus.CLIENT_SAID, "Stop arguing about money"),
        entry(2, FormulationDomain.GOALS, EpistemicStatus.CLIENT_SAID, "Feel closer to my kids"),
        entry(3, FormulationDomain.GOALS, EpistemicStatus.THERAPIST_HYPOTHESIS, "Wants more time alone"),
    ]
    second = [
        entry(4, FormulationDomain.GOALS, EpistemicStatus.CHECKED_CONFIRMED, "Less arguing about money"),
        entry(5, FormulationDomain.GOALS, EpistemicStatus.CLIENT_SAID, "Move back near my sister"),
    ]
    goals = shared_goals(first, second)
    [agreement] = goals.agree
    assert (agreement.first.id, agreement.second.id) == (1, 4)
    assert agreement.shared_words == ("argu", "money")
    assert [goal.id for goal in goals.only_first] == [2]
    assert [goal.id for goal in goals.only_second] == [5]


def test_goals_with_nothing_in_common_have_no_similarity() -> None:
    assert goal_similarity("Sleep through the night", "Find a new job") == 0.0
    assert goal_similarity("", "Find a new job") == 0.0
