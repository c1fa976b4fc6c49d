"""Cases: the unit of work. A case holds one client (individual) or several (couple, family)."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from safeenough.domain.client import Client
from safeenough.domain.validation import DomainError, require_text


class CaseKind(StrEnum):
    INDIVIDUAL = "individual"
    COUPLE = "couple"
    FAMILY = "family"

    def check_client_count(self, count: int) -> None:
        """Couples are first-class: a couple case has exactly two clients, each checked in separately."""
        expected = {
            CaseKind.INDIVIDUAL: (1, 1),
            CaseKind.COUPLE: (2, 2),
            CaseKind.FAMILY: (2, 12),
        }[self]
        low, high = expected
        if not low <= count <= high:
            if count == 0:
                entered = "enter the client's name" if high == 1 else "enter each client's name, one per line"
            else:
                entered = f"{count} {'name was' if count == 1 else 'names were'} entered"
            raise DomainError(f"{self.article} {self.value} case has {_clients(low, high)}; {entered}")

    @property
    def article(self) -> str:
        return "an" if self.value[0] in "aeiou" else "a"


def _clients(low: int, high: int) -> str:
    if low == high:
        return "one client" if low == 1 else f"{low} clients"
    return f"{low} to {high} clients"


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    clinician_id: int
    title: str
    kind: CaseKind
    opened_on: date
    clients: tuple[Client, ...]
    closed_on: date | None = None
    # The questionnaires its check-in links ask, chosen by the therapist; empty = the practice's default.
    checkin_instrument_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_text(self.title, "case title", max_length=120)
        self.kind.check_client_count(len(self.clients))
        if any(client.case_id != self.id for client in self.clients):
            raise DomainError("every client of a case must belong to that case")
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise DomainError("a case cannot close before it opened")
        if len(set(self.checkin_instrument_ids)) != len(self.checkin_instrument_ids):
            raise DomainError("a check-in asks each questionnaire once")

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def client_of_speaker(self, speaker: str) -> int | None:
        """The client a transcript speaker is, where that can be told: the only client of the case, or the
        one client whose name shares a word with the speaker's label ("Priya", "Priya R."); else None."""
        if len(self.clients) == 1:
            return self.clients[0].id
        words = set(re.findall(r"\w+", speaker.lower()))
        matches = [c.id for c in self.clients if words & set(re.findall(r"\w+", c.display_name.lower()))]
        return matches[0] if len(matches) == 1 else None

    def client(self, client_id: int) -> Client:
        for client in self.clients:
            if client.id == client_id:
                return client
        raise DomainError(f"client {client_id} is not part of case {self.id}")
