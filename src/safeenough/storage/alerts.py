"""Alerts with their status. Recomputing alerts never duplicates one or resets what the therapist did.

What an alert is about (its kind and severity, the clients, the instrument and item: "PHQ-9 item 9" is a
client's answer about thoughts of self-harm) is sealed with the rule and its evidence. The row keeps in
the clear only its case, session, status and times, and a fingerprint that is a keyed hash (HMAC-SHA256)
of the alert's identity: unique per alert, so storing one twice is refused, but meaningless without the
key.
"""

import hashlib
import hmac
import json
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from safeenough.domain.alert import Alert, AlertKind, AlertSeverity, AlertStatus, Evidence
from safeenough.domain.alert_record import AlertRecord
from safeenough.storage.database import as_utc
from safeenough.storage.encryption import FieldCipher
from safeenough.storage.tables import alerts, sessions

FINGERPRINT_PURPOSE = "alerts-fingerprint"
"""What the fingerprint key is derived for (`FieldCipher.derive_secret`); migration 0010 uses the same."""


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def identity(alert: Alert) -> str:
    """One alert per rule and moment: its kind, clients, session, instrument and item."""
    kind, client_ids, session_id, instrument_id, item_id = alert.key
    clients = ",".join(str(client_id) for client_id in client_ids)
    return f"{kind}|{clients}|{session_id}|{instrument_id or ''}|{item_id or ''}"


def fingerprint(identity_text: str, secret: bytes) -> str:
    """The keyed hash stored for an alert's `identity`: equal identities, equal fingerprints."""
    return hmac.new(secret, identity_text.encode("utf-8"), hashlib.sha256).hexdigest()


def _about_json(alert: Alert) -> str:
    return json.dumps(
        {
            "kind": alert.kind.value,
            "severity": alert.severity.value,
            "client_ids": list(alert.client_ids),
            "instrument_id": alert.instrument_id,
            "item_id": alert.item_id,
        }
    )


_EVIDENCE_FIELDS = tuple(field.name for field in fields(Evidence))


def _evidence_json(evidence: tuple[Evidence, ...]) -> str:
    def encode(value: object) -> object:
        return value.isoformat() if isinstance(value, date | datetime) else value

    return json.dumps([{name: encode(getattr(item, name)) for name in _EVIDENCE_FIELDS} for item in evidence])


def _evidence(text: str) -> tuple[Evidence, ...]:
    items: list[dict[str, Any]] = json.loads(text)
    result = []
    for item in items:
        if item.get("submitted_at"):
            item["submitted_at"] = datetime.fromisoformat(item["submitted_at"])
        if item.get("held_on"):
            item["held_on"] = date.fromisoformat(item["held_on"])
        result.append(Evidence(**item))
    return tuple(result)


_INSERT = insert(alerts)


class AlertRepository:
    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self.connection = connection
        self.cipher = cipher

    def add_new(self, case_id: int, found: list[Alert]) -> list[int]:
        """Store the alerts not stored before; returns the ids of the new ones.

        The caller holds the case's lock (`CaseRepository.begin_alert_review`), so no other transaction
        stores the case's alerts between the look-up of those known and the insert."""
        known = set(
            self.connection.execute(select(alerts.c.fingerprint).where(alerts.c.case_id == case_id)).scalars()
        )
        rows = []
        now = datetime.now(UTC)
        secret = self.cipher.derive_secret(FINGERPRINT_PURPOSE) if found else b""
        for alert in found:
            print_ = fingerprint(identity(alert), secret)
            if print_ in known:
                continue
            known.add(print_)
            rows.append(
                {
                    "case_id": case_id,
                    "session_id": alert.session_id,
                    "fingerprint": print_,
                    "about_sealed": self.cipher.seal(_about_json(alert), field="alerts.about"),
                    "rule_sealed": self.cipher.seal(alert.rule, field="alerts.rule"),
                    "evidence_sealed": self.cipher.seal(
                        _evidence_json(alert.evidence), field="alerts.evidence"
                    ),
                    "suggestion_sealed": self.cipher.seal(
                        alert.suggested_next_step, field="alerts.suggestion"
                    ),
                    "status": AlertStatus.OPEN.value,
                    "created_at": now,
                }
            )
        if not rows:
            return []
        # One statement for them all: a first look at an imported history can raise thousands at once.
        inserted = self.connection.execute(
            _INSERT.returning(alerts.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        return list(inserted)

    def for_cases(self, case_ids: list[int]) -> list[AlertRecord]:
        if not case_ids:
            return []
        rows = self.connection.execute(
            select(alerts).where(alerts.c.case_id.in_(case_ids)).order_by(alerts.c.id.desc())
        )
        records = [self._record(row) for row in rows]
        return self._with_live_session_numbers(records, case_ids)

    def get(self, alert_id: int) -> AlertRecord | None:
        row = self.connection.execute(select(alerts).where(alerts.c.id == alert_id)).one_or_none()
        if row is None:
            return None
        return self._with_live_session_numbers([self._record(row)], [row.case_id])[0]

    def _with_live_session_numbers(
        self, records: list[AlertRecord], case_ids: list[int]
    ) -> list[AlertRecord]:
        """Evidence keeps the session number it had when the alert was raised; a session entered later
        for an earlier date renumbers the ones after it, so the number shown is looked up again."""
        numbers: dict[int, int] = {
            session_id: number
            for session_id, number in self.connection.execute(
                select(sessions.c.id, sessions.c.number).where(sessions.c.case_id.in_(case_ids))
            )
        }

        def live(item: Evidence) -> Evidence:
            if item.session_id is None or item.session_id not in numbers:
                return item
            return replace(item, session_number=numbers[item.session_id])

        def refreshed(record: AlertRecord) -> AlertRecord:
            evidence = tuple(live(item) for item in record.alert.evidence)
            return replace(record, alert=replace(record.alert, evidence=evidence))

        return [refreshed(record) for record in records]

    def open_counts(self, case_ids: list[int]) -> dict[int, int]:
        counts = dict.fromkeys(case_ids, 0)
        if case_ids:
            for case_id in self.connection.execute(
                select(alerts.c.case_id).where(
                    alerts.c.case_id.in_(case_ids), alerts.c.status == AlertStatus.OPEN.value
                )
            ).scalars():
                counts[case_id] += 1
        return counts

    def set_status(self, alert_id: int, status: AlertStatus, note: str | None, actor_id: int) -> None:
        self.connection.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(
                status=status.value,
                status_note_sealed=self.cipher.seal_optional(note, field="alerts.status_note"),
                status_changed_by=actor_id,
                status_changed_at=datetime.now(UTC),
            )
        )

    def _record(self, row: Row[tuple[object, ...]]) -> AlertRecord:
        about: dict[str, Any] = json.loads(self.cipher.open(row.about_sealed, field="alerts.about"))
        alert = Alert(
            kind=AlertKind(about["kind"]),
            client_ids=tuple(int(client_id) for client_id in about["client_ids"]),
            session_id=row.session_id,
            instrument_id=about["instrument_id"],
            rule=self.cipher.open(row.rule_sealed, field="alerts.rule"),
            evidence=_evidence(self.cipher.open(row.evidence_sealed, field="alerts.evidence")),
            suggested_next_step=self.cipher.open(row.suggestion_sealed, field="alerts.suggestion"),
            severity=AlertSeverity(about["severity"]),
            item_id=about["item_id"],
        )
        created_at = _aware(row.created_at)
        assert created_at is not None
        return AlertRecord(
            id=row.id,
            case_id=row.case_id,
            alert=alert,
            status=AlertStatus(row.status),
            created_at=created_at,
            status_note=self.cipher.open_optional(row.status_note_sealed, field="alerts.status_note"),
            status_changed_at=_aware(row.status_changed_at),
            status_changed_by=row.status_changed_by,
        )
