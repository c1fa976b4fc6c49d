from datetime import date

import pytest

from safeenough.domain.case import Case, CaseKind
from safeenough.domain.client import Client
from safeenough.domain.validation import DomainError


def client(client_id: int, case_id: int = 1) -> Client:
    return Client(id=client_id, case_id=case_id, code=f"C-AAA{client_id}", display_name=f"Client {client_id}")


def test_a_couple_case_has_exactly_two_clients() -> None:
    case = Case(1, 1, "Couple", CaseKind.COUPLE, date(2026, 1, 1), (client(1), client(2)))
    assert len(case.clients) == 2
    with pytest.raises(DomainError, match="couple case has 2 clients"):
        Case(1, 1, "Couple", CaseKind.COUPLE, date(2026, 1, 1), (client(1),))


def test_an_individual_case_has_one_client() -> None:
    with pytest.raises(DomainError, match=r"^an individual case has one client; 2 names were entered$"):
        Case(1, 1, "Solo", CaseKind.INDIVIDUAL, date(2026, 1, 1), (client(1), client(2)))


def test_a_case_cannot_hold_another_cases_client() -> None:
    with pytest.raises(DomainError, match="belong to that case"):
        Case(1, 1, "Solo", CaseKind.INDIVIDUAL, date(2026, 1, 1), (client(1, case_id=2),))


def test_a_case_cannot_close_before_it_opened() -> None:
    with pytest.raises(DomainError, match="close before"):
        Case(1, 1, "Solo", CaseKind.INDIVIDUAL, date(2026, 2, 1), (client(1),), closed_on=date(2026, 1, 1))


def test_client_codes_are_pseudonymous_and_well_formed() -> None:
    with pytest.raises(DomainError, match="client code"):
        Client(id=1, case_id=1, code="Mara Ellison", display_name="Mara")
