"""The facade's shared parts: the store, the settings, and the access rules in one place.

Access rules:
- a clinician sees and changes only their own cases;
- a supervisor also reads (never changes) the cases of the clinicians they supervise;
- an admin manages accounts and reads the audit trail, but never clinical content.
A case the actor may not see is reported as not found, so its existence is not revealed.
"""

from datetime import UTC, date, datetime

from argon2 import PasswordHasher

from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician, Role
from safeenough.domain.session import Session
from safeenough.errors import (
    NotFound,
    PermissionDenied,
)
from safeenough.instruments.catalogue import Catalogue, load_catalogue
from safeenough.settings import Settings
from safeenough.storage.instruments import InstrumentStamp
from safeenough.storage.store import Store, UnitOfWork


class PracticeBase:
    """What every part of the facade shares: the store, the settings and the access rules."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._hasher = PasswordHasher()
        self._stand_in_hash: str | None = None
        # The parsed catalogue and the stamps of the installed definitions it was built from.
        self._catalogue: tuple[tuple[InstrumentStamp, ...], Catalogue] | None = None

    def today(self) -> date:
        """Today on the practice's calendar (SAFEENOUGH_TIME_ZONE), which sessions are dated by, whatever
        zone the server's clock is set to."""
        return datetime.now(self.settings.zone).date()

    def local_date(self, moment: datetime) -> date:
        """The practice's calendar date of a stored moment (stored in UTC; a naive value is UTC)."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.settings.zone).date()

    def instruments(self) -> Catalogue:
        """Built-in instruments and those the practice installed (stored in the database, so every app
        server on it sees the same). One small query per call; definitions are parsed again only when
        an install or replacement changed them, here or on another server."""
        with self.store.reading_instruments() as installed:
            stamps = installed.stamps()
            cached = self._catalogue
            if cached is not None and cached[0] == stamps:
                return cached[1]
            definitions = installed.all()
        # Problems name `<id>.json`, as they did when installed definitions were files of that name.
        catalogue = load_catalogue((f"{found.id}.json", found.definition) for found in definitions)
        self._catalogue = (tuple(found.stamp for found in definitions), catalogue)
        return catalogue

    @staticmethod
    def _visible_owners(work: UnitOfWork, actor: Clinician) -> list[Clinician]:
        if not actor.role.holds_caseload:
            return []
        owners = [actor]
        if actor.role is Role.SUPERVISOR:
            owners += work.clinicians.supervisees(actor.id)
        return owners

    def _visible_case(self, work: UnitOfWork, actor: Clinician, case_id: int) -> tuple[Case, Clinician]:
        owners = {owner.id: owner for owner in self._visible_owners(work, actor)}
        owner_id = work.cases.owner_id(case_id)
        if owner_id is None or owner_id not in owners:
            raise NotFound("There is no such case in your caseload.")
        return work.cases.get(case_id), owners[owner_id]

    def _writable_case(self, work: UnitOfWork, actor: Clinician, case_id: int) -> Case:
        case, owner = self._visible_case(work, actor, case_id)
        if owner.id != actor.id:
            raise PermissionDenied("Supervisors can read their supervisees' cases but not change them.")
        return case

    def _writable_session(self, work: UnitOfWork, actor: Clinician, session_id: int) -> Session:
        session = work.sessions.find(session_id)
        if session is None:
            raise NotFound("There is no such session in your caseload.")
        self._writable_case(work, actor, session.case_id)
        return session


def actor_id(actor: Clinician | None) -> int | None:
    return None if actor is None else actor.id
