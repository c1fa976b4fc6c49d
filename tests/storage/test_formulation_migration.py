"""Migration 0011: an entry's domain sealed at rest, removal and changes of quote kept in the history.

Upgrading seals the domains the earlier schema stored in the clear and keeps every entry's history (on
SQLite the entries table is rebuilt, and its history points at it); downgrading opens them again.
"""

import pytest
from sqlalchemy import inspect, text

from safeenough.domain.clinician import Clinician
from safeenough.domain.formulation import ChangeAction, FormulationDomain
from safeenough.errors import KeyMissing
from safeenough.practice import Practice
from safeenough.storage import database


def mara_entries(practice: Practice, ada: Clinician) -> tuple[int, list[tuple[FormulationDomain, str]]]:
    mara = next(s.case for s in practice.caseload(ada) if s.case.title.startswith("Mara"))
    cmap = practice.client_map(ada, mara.clients[0].id)
    return mara.clients[0].id, [(entry.domain, entry.text) for entry in cmap.entries]


def history_steps(practice: Practice) -> int:
    with practice.store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM formulation_changes")).scalar_one())


def entry_columns(practice: Practice) -> set[str]:
    return {column["name"] for column in inspect(practice.store.engine).get_columns("formulation_entries")}


def test_downgrading_opens_each_domain_again_and_upgrading_seals_it_keeping_every_entrys_history(
    demo_practice: Practice, ada: Clinician
) -> None:
    client_id, before = mara_entries(demo_practice, ada)
    steps = history_steps(demo_practice)
    assert before
    assert steps >= len(before)
    engine, cipher = demo_practice.store.engine, demo_practice.store.cipher

    database.downgrade(engine, "0010", cipher=cipher)
    with engine.connect() as connection:
        plain = connection.execute(text("SELECT domain FROM formulation_entries")).scalars().all()
    assert "domain_sealed" not in entry_columns(demo_practice)
    assert sorted(plain) == sorted(domain.value for domain, _ in before)
    assert history_steps(demo_practice) == steps

    database.upgrade(engine, cipher=cipher)
    with engine.connect() as connection:
        sealed = connection.execute(text("SELECT domain_sealed FROM formulation_entries")).scalars().all()
        actions = connection.execute(text("SELECT action FROM formulation_changes")).scalars().all()
    assert "domain" not in entry_columns(demo_practice)
    assert sealed
    assert all(value.startswith("v1:") for value in sealed)
    assert not any(domain.value in value for value in sealed for domain in FormulationDomain)
    assert history_steps(demo_practice) == steps
    assert set(actions) <= {ChangeAction.CREATED.value, ChangeAction.EDITED.value}
    assert mara_entries(demo_practice, ada) == (client_id, before)


def test_downgrading_deletes_removed_entries_which_the_older_schema_would_show_on_the_map(
    demo_practice: Practice, ada: Clinician
) -> None:
    client_id, before = mara_entries(demo_practice, ada)
    removed = demo_practice.client_map(ada, client_id).entries[0]
    demo_practice.remove_entry(ada, removed.id, note="Added to the wrong client.")

    database.downgrade(demo_practice.store.engine, "0010", cipher=demo_practice.store.cipher)
    with demo_practice.store.engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM formulation_entries")).scalars().all()
        orphans = connection.execute(
            text("SELECT count(*) FROM formulation_changes WHERE entry_id = :id"), {"id": removed.id}
        ).scalar_one()
    assert removed.id not in ids
    assert len(ids) == len(before) - 1
    assert orphans == 0


def test_upgrading_entries_without_the_key_says_what_to_do_and_changes_nothing(
    demo_practice: Practice,
) -> None:
    engine = demo_practice.store.engine
    database.downgrade(engine, "0010", cipher=demo_practice.store.cipher)
    with pytest.raises(KeyMissing, match="SAFEENOUGH_SECRET_KEY_FILE"):
        database.upgrade(engine)
    assert database.current_revision(engine) == "0010"
    assert "domain" in entry_columns(demo_practice)
