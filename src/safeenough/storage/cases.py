"""Cases and their clients. Titles and client names are sealed at rest."""

import secrets
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, or_, select, union, update

from safeenough.domain.case import Case, CaseKind
from safeenough.domain.client import Client
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import cases, checkin_links, checkins, clients

# Unambiguous characters only: codes get read aloud and copied by hand (no 0/O, 1/I).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_client_code() -> str:
    return "C-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))


class CaseRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add(
        self,
        *,
        practice_id: int,
        clinician_id: int,
        title: str,
        kind: CaseKind,
        opened_on: date,
        client_names: list[str],
    ) -> Case:
        case_id = self.connection.execute(
            insert(cases)
            .values(
                practice_id=practice_id,
                clinician_id=clinician_id,
                title_sealed=self.cipher.seal(title, field="cases.title"),
                kind=kind.value,
                opened_on=opened_on,
            )
            .returning(cases.c.id)
        ).scalar_one()
        for position, name in enumerate(client_names):
            self.connection.execute(
                insert(clients).values(
                    case_id=case_id,
                    code=self._unused_code(),
                    display_name_sealed=self.cipher.seal(name, field="clients.display_name"),
                    position=position,
                )
            )
        return self.get(case_id)

    def _unused_code(self) -> str:
        while True:
            code = new_client_code()
            taken = self.connection.execute(select(clients.c.id).where(clients.c.code == code)).first()
            if taken is None:
                return code

    def get(self, case_id: int) -> Case:
        found = self.many([case_id])
        return found[0]

    def find(self, case_id: int) -> Case | None:
        found = self.many([case_id])
        return found[0] if found else None

    def owned_by(self, clinician_ids: list[int]) -> list[Case]:
        ids = self.connection.execute(
            select(cases.c.id).where(cases.c.clinician_id.in_(clinician_ids)).order_by(cases.c.id)
        ).scalars()
        return self.many(list(ids))

    def needing_alert_review(self, case_ids: list[int], now: datetime) -> list[int]:
        """Cases whose alerts are out of date: they hold a check-in newer than the one their alerts were
        last evaluated against, or a check-in link lapsed unanswered since then."""
        if not case_ids:
            return []
        newest = (
            select(clients.c.case_id, func.max(checkins.c.id).label("newest"))
            .join(checkins, checkins.c.client_id == clients.c.id)
            .where(clients.c.case_id.in_(case_ids))
            .group_by(clients.c.case_id)
            .subquery()
        )
        with_new_check_ins = (
            select(cases.c.id)
            .join(newest, newest.c.case_id == cases.c.id)
            .where(newest.c.newest > cases.c.alerts_checked_through)
        )
        with_lapsed_links = (
            select(cases.c.id)
            .join(clients, clients.c.case_id == cases.c.id)
            .join(checkin_links, checkin_links.c.client_id == clients.c.id)
            .where(
                cases.c.id.in_(case_ids),
                checkin_links.c.used_at.is_(None),
                checkin_links.c.expires_at <= now,
                or_(
                    cases.c.alerts_checked_at.is_(None),
                    checkin_links.c.expires_at > cases.c.alerts_checked_at,
                ),
            )
        )
        rows = self.connection.execute(union(with_new_check_ins, with_lapsed_links))
        return sorted(set(rows.scalars()))

    def begin_alert_review(self, case_id: int) -> int:
        """Lock the case's row until the transaction ends and return the newest check-in id its alerts
        were evaluated against (0: none yet).

        Two requests that open the same case at once would otherwise both find the same alerts missing
        and both store them; with the lock the second waits, then reads what the first stored. On
        PostgreSQL it is `SELECT … FOR NO KEY UPDATE` (rows that only point at the case, such as a new
        session, are not held up); SQLite's writing transactions take turns anyway, so it is a plain
        read there."""
        value = self.connection.execute(
            select(cases.c.alerts_checked_through)
            .where(cases.c.id == case_id)
            .with_for_update(key_share=True)
        ).scalar_one_or_none()
        return int(value or 0)

    def mark_alerts_checked(self, case_id: int, through_check_in_id: int, at: datetime) -> None:
        self.connection.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(alerts_checked_through=through_check_in_id, alerts_checked_at=at)
        )

    def set_checkin_instruments(self, case_id: int, instrument_ids: tuple[str, ...]) -> None:
        """What the case's check-in links ask from now on; () = the practice's default."""
        stored = ",".join(instrument_ids) or None
        self.connection.execute(update(cases).where(cases.c.id == case_id).values(checkin_instruments=stored))

    def all_ids(self) -> list[int]:
        return list(self.connection.execute(select(cases.c.id).order_by(cases.c.id)).scalars())

    def owner_id(self, case_id: int) -> int | None:
        value = self.connection.execute(
            select(cases.c.clinician_id).where(cases.c.id == case_id)
        ).scalar_one_or_none()
        return None if value is None else int(value)

    def many(self, case_ids: list[int]) -> list[Case]:
        if not case_ids:
            return []
        client_rows = self.connection.execute(
            select(clients).where(clients.c.case_id.in_(case_ids)).order_by(clients.c.position)
        )
        clients_by_case: dict[int, list[Client]] = defaultdict(list)
        for row in client_rows:
            clients_by_case[row.case_id].append(
                Client(
                    id=row.id,
                    case_id=row.case_id,
                    code=row.code,
                    display_name=self.cipher.open(row.display_name_sealed, field="clients.display_name"),
                )
            )
        rows = self.connection.execute(select(cases).where(cases.c.id.in_(case_ids)).order_by(cases.c.id))
        return [
            Case(
                id=row.id,
                clinician_id=row.clinician_id,
                title=self.cipher.open(row.title_sealed, field="cases.title"),
                kind=CaseKind(row.kind),
                opened_on=row.opened_on,
                closed_on=row.closed_on,
                clients=tuple(clients_by_case[row.id]),
                checkin_instrument_ids=tuple(filter(None, (row.checkin_instruments or "").split(","))),
            )
            for row in rows
        ]
