import pytest

from safeenough.domain.clinician import Clinician, Role
from safeenough.domain.validation import DomainError


def test_only_admins_hold_no_caseload() -> None:
    assert Role.CLINICIAN.holds_caseload
    assert Role.SUPERVISOR.holds_caseload
    assert not Role.ADMIN.holds_caseload


def test_usernames_are_lower_case_and_simple() -> None:
    with pytest.raises(DomainError, match="username"):
        Clinician(id=1, username="Ada Quill", display_name="Ada", role=Role.CLINICIAN)


def test_a_clinician_cannot_supervise_themselves() -> None:
    with pytest.raises(DomainError, match="supervise themselves"):
        Clinician(id=1, username="ada", display_name="Ada", role=Role.SUPERVISOR, supervisor_id=1)


def test_a_username_has_at_most_64_characters() -> None:
    Clinician(id=1, username="a" * 64, display_name="A", role=Role.CLINICIAN)
    with pytest.raises(DomainError, match="at most 64"):
        Clinician(id=1, username="a" * 65, display_name="A", role=Role.CLINICIAN)
