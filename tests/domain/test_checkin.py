from datetime import UTC, datetime

import pytest

from safeenough.domain.checkin import CheckIn, Score, ScoredCheckIn
from safeenough.domain.validation import DomainError

WHEN = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)


def check_in(answers: dict[str, object], free_text: str | None = None) -> CheckIn:
    return CheckIn(1, 10, 100, "safeenough-safety", WHEN, answers, free_text)  # type: ignore[arg-type]


def test_answers_are_numbers_or_blank() -> None:
    made = check_in({"heard": 9, "overall": None})
    assert made.answers == {"heard": 9.0, "overall": None}
    assert made.answered_item_ids == ("heard",)
    with pytest.raises(DomainError, match="must be a number"):
        check_in({"heard": "nine"})
    with pytest.raises(DomainError, match="must be a number"):
        check_in({"heard": True})
    with pytest.raises(DomainError, match="finite"):
        check_in({"heard": float("nan")})


def test_a_check_in_keeps_its_own_copy_of_the_answers() -> None:
    answers: dict[str, object] = {"heard": 9}
    made = check_in(answers)
    answers["heard"] = 1
    assert made.answers["heard"] == 9


def test_only_a_non_blank_free_text_answer_counts_as_a_comment() -> None:
    assert check_in({}, "The homework felt like a test.").has_comment
    assert not check_in({}, "   ").has_comment
    assert not check_in({}).has_comment


def test_an_unscorable_score_says_why() -> None:
    with pytest.raises(DomainError, match="say why"):
        Score("x", None, {}, {})
    score = Score("x", None, {}, {}, unscorable_reason="3 of 5 items unanswered")
    assert not score.scorable


def test_a_scored_check_in_must_be_scored_on_its_own_instrument() -> None:
    with pytest.raises(DomainError, match="own instrument"):
        ScoredCheckIn(check_in({}), Score("phq-9", 3.0, {}, {}), session_number=1)
    entry = ScoredCheckIn(check_in({}), Score("safeenough-safety", 40.0, {}, {}), session_number=2)
    assert (entry.id, entry.client_id, entry.session_id, entry.total) == (1, 100, 10, 40.0)
