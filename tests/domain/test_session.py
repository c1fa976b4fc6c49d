from datetime import date

import pytest

from safeenough.domain.session import Session
from safeenough.domain.validation import DomainError


def test_a_session_needs_someone_attending() -> None:
    with pytest.raises(DomainError, match="at least one"):
        Session(id=1, case_id=1, number=1, held_on=date(2026, 1, 1), attendee_ids=())


def test_session_numbers_start_at_one() -> None:
    with pytest.raises(DomainError, match="start at 1"):
        Session(id=1, case_id=1, number=0, held_on=date(2026, 1, 1), attendee_ids=(1,))


def test_a_session_booked_for_a_later_day_is_upcoming_until_that_day() -> None:
    session = Session(id=1, case_id=1, number=1, held_on=date(2026, 12, 6), attendee_ids=(1,))
    assert session.is_upcoming(date(2026, 12, 5))
    assert not session.is_upcoming(date(2026, 12, 6))
