from datetime import UTC, date, datetime

import pytest

from safeenough.domain.relational_pattern import (
    ANTICIPATED_JUDGEMENT,
    Enactment,
    EnactmentCandidate,
    EnactmentStatus,
    RelationalPattern,
)
from safeenough.domain.validation import DomainError

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def pattern(**changes: object) -> RelationalPattern:
    values: dict[str, object] = {
        "id": 1,
        "case_id": 1,
        "client_id": 1,
        "wish": "to be accepted",
        "response_of_other": "expects criticism from people in authority",
        "response_of_self": "withdraws or defends",
        "examples": ("  With her manager. ", "", "With her father."),
        "created_at": NOW,
        "created_by": 1,
        "updated_at": NOW,
        "updated_by": 1,
    }
    values.update(changes)
    return RelationalPattern(**values)  # type: ignore[arg-type]


def test_a_pattern_reads_wish_then_response_of_other_then_response_of_self() -> None:
    made = pattern()
    assert made.summary == (
        "to be accepted → expects criticism from people in authority → withdraws or defends"
    )
    assert made.examples == ("With her manager.", "With her father.")


def test_a_pattern_needs_all_three_parts() -> None:
    with pytest.raises(DomainError, match="wish must not be empty"):
        pattern(wish=" ")
    with pytest.raises(DomainError, match="response of self"):
        pattern(response_of_self="")


def test_a_pattern_holds_a_bounded_number_of_examples() -> None:
    with pytest.raises(DomainError, match="at most 20 examples"):
        pattern(examples=tuple(f"example {n}" for n in range(21)))


def test_an_enactment_needs_a_quote_and_a_known_kind_of_moment() -> None:
    made = Enactment(
        1, 1, 3, 5, " You probably think I'm lazy. ", ANTICIPATED_JUDGEMENT, None,
        EnactmentStatus.LINKED, True, NOW, 1,
    )  # fmt: skip
    assert made.quote == "You probably think I'm lazy."
    assert made.anticipated_judgement
    with pytest.raises(DomainError, match="quoted turn"):
        Enactment(1, 1, 3, 5, " ", ANTICIPATED_JUDGEMENT, None, EnactmentStatus.LINKED, None, NOW, 1)
    with pytest.raises(DomainError, match="marker"):
        Enactment(1, 1, 3, 5, "Hm.", "sulking", None, EnactmentStatus.LINKED, None, NOW, 1)


def test_a_candidate_says_why_it_is_offered() -> None:
    def candidate(subtype: str | None, marker: str) -> EnactmentCandidate:
        return EnactmentCandidate(3, 2, date(2026, 3, 1), 5, "Sam", "quote", marker, subtype, False, False)

    assert "defended" in candidate("defends_self", "confrontation").reason
    assert "complained" in candidate("complaint_therapist", "confrontation").reason
    assert "anticipated judgement" in candidate(None, ANTICIPATED_JUDGEMENT).reason
