"""Clinician accounts and their password hashes."""

from datetime import UTC, datetime

from sqlalchemy import Connection, Row, func, insert, select, update

from safeenough.domain.clinician import Clinician, Role
from safeenough.storage.tables import clinicians


def _clinician(row: Row[tuple[object, ...]]) -> Clinician:
    return Clinician(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        supervisor_id=row.supervisor_id,
        active=row.active,
    )


class ClinicianRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(
        self,
        *,
        practice_id: int,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str,
        supervisor_id: int | None,
    ) -> Clinician:
        new_id = self.connection.execute(
            insert(clinicians)
            .values(
                practice_id=practice_id,
                username=username,
                display_name=display_name,
                role=role.value,
                supervisor_id=supervisor_id,
                password_hash=password_hash,
                active=True,
                created_at=datetime.now(UTC),
            )
            .returning(clinicians.c.id)
        ).scalar_one()
        return self.get(new_id)

    def get(self, clinician_id: int) -> Clinician:
        row = self.connection.execute(select(clinicians).where(clinicians.c.id == clinician_id)).one()
        return _clinician(row)

    def find(self, username: str) -> Clinician | None:
        row = self.connection.execute(
            select(clinicians).where(clinicians.c.username == username)
        ).one_or_none()
        return None if row is None else _clinician(row)

    def password_hash(self, clinician_id: int) -> str:
        return str(
            self.connection.execute(
                select(clinicians.c.password_hash).where(clinicians.c.id == clinician_id)
            ).scalar_one()
        )

    def set_supervisor(self, clinician_id: int, supervisor_id: int | None) -> None:
        self.connection.execute(
            update(clinicians).where(clinicians.c.id == clinician_id).values(supervisor_id=supervisor_id)
        )

    def set_password_hash(self, clinician_id: int, password_hash: str) -> None:
        self.connection.execute(
            update(clinicians).where(clinicians.c.id == clinician_id).values(password_hash=password_hash)
        )

    def set_active(self, clinician_id: int, active: bool) -> None:
        self.connection.execute(
            update(clinicians).where(clinicians.c.id == clinician_id).values(active=active)
        )

    def all(self) -> list[Clinician]:
        rows = self.connection.execute(select(clinicians).order_by(clinicians.c.display_name))
        return [_clinician(row) for row in rows]

    def supervisees(self, supervisor_id: int) -> list[Clinician]:
        rows = self.connection.execute(select(clinicians).where(clinicians.c.supervisor_id == supervisor_id))
        return [_clinician(row) for row in rows]

    def count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(clinicians)).scalar_one())
