"""Migration 0014: the audit trail no longer names a map entry's domain, which 0011 sealed."""

from datetime import UTC, datetime

from sqlalchemy import insert, select

from safeenough.practice import Practice
from safeenough.storage import database
from safeenough.storage.tables import audit_events


def test_upgrading_drops_the_domain_from_old_entry_creations_in_the_audit_trail_and_keeps_the_rest(
    demo_practice: Practice,
) -> None:
    engine = demo_practice.store.engine
    database.downgrade(engine, "0013", cipher=demo_practice.store.cipher)
    old = [
        ("create", "formulation_entry", "safety_meaning client_said"),
        ("create", "formulation_entry", "family_history therapist_hypothesis"),
        ("update", "formulation_entry", "client_said -> therapist_hypothesis"),
        ("create", "case", "goals client_said"),
    ]
    with engine.begin() as connection:
        first = connection.execute(select(audit_events.c.id).order_by(audit_events.c.id.desc())).first()
        connection.execute(
            insert(audit_events),
            [
                {"at": datetime.now(UTC), "action": a, "target_kind": k, "target_id": 1, "detail": d}
                for a, k, d in old
            ],
        )

    database.upgrade(engine, cipher=demo_practice.store.cipher)
    with engine.connect() as connection:
        after = (
            connection.execute(
                select(audit_events.c.detail)
                .where(audit_events.c.id > (first[0] if first else 0))
                .order_by(audit_events.c.id)
            )
            .scalars()
            .all()
        )
        details = connection.execute(select(audit_events.c.detail)).scalars().all()
    assert after == [
        "client_said",
        "therapist_hypothesis",
        "client_said -> therapist_hypothesis",
        "goals client_said",
    ]
    assert not any("safety_meaning" in detail or "family_history" in detail for detail in details)
