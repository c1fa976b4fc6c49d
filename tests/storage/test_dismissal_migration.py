"""Migration 0012: a dismissed suggestion's domain sealed at rest; map entries' lost check-in links found.

Before 0007 was fixed, a SQLite database upgraded through it lost which check-in each "client said" entry
quoting a check-in answer came from; 0012 finds it again where only one check-in can be meant.
"""

import pytest
from sqlalchemy import inspect, text, update

from safeenough.domain.clinician import Clinician
from safeenough.domain.formulation import EpistemicStatus, FormulationDomain, Provenance, ProvenanceKind
from safeenough.errors import KeyMissing
from safeenough.practice import Practice
from safeenough.storage import database
from safeenough.storage.formulation import FORMULATION_SUGGESTION, Dismissal
from safeenough.storage.tables import formulation_entries


def mara(practice: Practice, ada: Clinician) -> tuple[int, int, int]:
    """Mara's case, client and first session."""
    case = next(s.case for s in practice.caseload(ada) if s.case.title.startswith("Mara"))
    session = practice.case_detail(ada, case.id).sessions[0]
    return case.id, case.clients[0].id, session.id


def dismissals(practice: Practice, case_id: int) -> list[Dismissal]:
    with practice.store.transaction() as work:
        return work.dismissals.for_case(case_id, FORMULATION_SUGGESTION)


def dismiss_two(practice: Practice, ada: Clinician) -> tuple[int, int, int]:
    case_id, client_id, session_id = mara(practice, ada)
    with practice.store.transaction() as work:
        for domain in ("safety_meaning", None):
            work.dismissals.dismiss(
                kind=FORMULATION_SUGGESTION,
                case_id=case_id,
                client_id=client_id,
                session_id=session_id,
                turn_index=3,
                domain=domain,
                actor_id=ada.id,
            )
    return case_id, client_id, session_id


def test_a_dismissed_suggestions_domain_is_stored_sealed_and_matched_opened(
    demo_practice: Practice, ada: Clinician
) -> None:
    case_id, client_id, session_id = dismiss_two(demo_practice, ada)
    with demo_practice.store.engine.connect() as connection:
        stored = connection.execute(text("SELECT domain_sealed FROM dismissed_suggestions")).scalars().all()
    assert "safety_meaning" not in " ".join(value or "" for value in stored)
    assert [d.domain for d in dismissals(demo_practice, case_id)] == ["safety_meaning", None]

    with demo_practice.store.transaction() as work:
        gone = work.dismissals.restore(
            kind=FORMULATION_SUGGESTION,
            case_id=case_id,
            client_id=client_id,
            session_id=session_id,
            turn_index=3,
            domain="safety_meaning",
        )
    assert gone == 1
    assert [d.domain for d in dismissals(demo_practice, case_id)] == [None]


def test_downgrading_opens_each_dismissals_domain_again_and_upgrading_seals_it(
    demo_practice: Practice, ada: Clinician
) -> None:
    case_id, _, _ = dismiss_two(demo_practice, ada)
    before = dismissals(demo_practice, case_id)
    engine, cipher = demo_practice.store.engine, demo_practice.store.cipher

    database.downgrade(engine, "0011", cipher=cipher)
    with engine.connect() as connection:
        plain = (
            connection.execute(text("SELECT domain FROM dismissed_suggestions ORDER BY id")).scalars().all()
        )
    assert plain == ["safety_meaning", None]

    database.upgrade(engine, cipher=cipher)
    columns = {column["name"] for column in inspect(engine).get_columns("dismissed_suggestions")}
    with engine.connect() as connection:
        sealed = (
            connection.execute(text("SELECT domain_sealed FROM dismissed_suggestions ORDER BY id"))
            .scalars()
            .all()
        )
    assert "domain" not in columns
    assert sealed[0].startswith("v1:")
    assert sealed[1] is None
    assert dismissals(demo_practice, case_id) == before


def test_upgrading_dismissals_without_the_key_says_what_to_do_and_changes_nothing(
    demo_practice: Practice, ada: Clinician
) -> None:
    dismiss_two(demo_practice, ada)
    engine = demo_practice.store.engine
    database.downgrade(engine, "0011", cipher=demo_practice.store.cipher)
    with pytest.raises(KeyMissing, match="SAFEENOUGH_SECRET_KEY_FILE"):
        database.upgrade(engine)
    assert database.current_revision(engine) == "0011"


def test_upgrading_finds_the_check_in_an_entry_quotes_again_where_only_one_can_be_meant(
    demo_practice: Practice, ada: Clinician
) -> None:
    _, client_id, _ = mara(demo_practice, ada)
    with demo_practice.store.transaction() as work:
        answered = [c for c in work.checkins.for_clients([client_id]) if c.free_text]
    assert len(answered) == 1
    quoted, unknown = (
        demo_practice.add_entry(
            ada,
            client_id,
            domain=FormulationDomain.PAST_HELP,
            text=words,
            status=EpistemicStatus.CLIENT_SAID,
            provenance=Provenance.checkin_answer(answered[0].id, quote),
        )
        for words, quote in (
            ("Homework feels like school.", "being  given HOMEWORK"),
            ("Something she wrote elsewhere.", "words no check-in holds"),
        )
    )
    engine = demo_practice.store.engine
    database.downgrade(engine, "0011", cipher=demo_practice.store.cipher)
    # As a SQLite upgrade through 0007 left them before it was fixed.
    with engine.begin() as connection:
        connection.execute(update(formulation_entries).values(source_check_in_id=None))

    database.upgrade(engine, cipher=demo_practice.store.cipher)

    entries = {e.id: e for e in demo_practice.client_map(ada, client_id).entries}
    assert entries[quoted.id].provenance == Provenance.checkin_answer(answered[0].id, "being  given HOMEWORK")
    lost = entries[unknown.id].provenance
    assert lost.kind is ProvenanceKind.CHECKIN_ANSWER
    assert lost.check_in_id is None
    assert lost.quote == "words no check-in holds"
    assert entries[unknown.id].status is EpistemicStatus.CLIENT_SAID
