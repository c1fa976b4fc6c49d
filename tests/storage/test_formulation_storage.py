"""The formulation repositories: entries with history, patterns, enactments, dismissals; sealed at rest."""

from sqlalchemy import event, select

from safeenough.domain.formulation import EpistemicStatus, FormulationDomain, Provenance, ProvenanceKind
from safeenough.domain.relational_pattern import EnactmentStatus
from safeenough.practice import Practice
from safeenough.storage.formulation import ENACTMENT_CANDIDATE, FORMULATION_SUGGESTION, PatternParts
from safeenough.storage.tables import (
    enactments,
    formulation_changes,
    formulation_entries,
    relational_patterns,
)

SECRET = "Her grandmother raised her in Lisbon"


def first_case_ids(practice: Practice) -> tuple[int, int, int, int]:
    """(case id, client id, first session id, owner id) of the demo's case with Theo (an empty map)."""
    with practice.store.transaction() as work:
        case = next(c for c in work.cases.many(work.cases.all_ids()) if c.title.startswith("Theo"))
        session = work.sessions.for_cases([case.id])[case.id][0]
        return case.id, case.clients[0].id, session.id, case.clinician_id


def test_an_entry_is_stored_with_its_provenance_and_its_creation_in_the_history(
    demo_practice: Practice,
) -> None:
    case_id, client_id, session_id, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        entry = work.formulation.add(
            case_id=case_id,
            client_id=client_id,
            domain=FormulationDomain.FAMILY_HISTORY,
            text=SECRET,
            status=EpistemicStatus.CLIENT_SAID,
            provenance=Provenance.session_turn(session_id, 3, "My gran raised me, in Lisbon."),
            actor_id=owner_id,
        )
    with demo_practice.store.transaction() as work:
        [stored] = work.formulation.for_case(case_id)
        [created] = work.formulation.history(entry.id)
        assert work.formulation.case_of_client(client_id) == case_id
        assert work.formulation.case_of_client(999_999) is None
    assert stored == entry
    assert stored.provenance.kind is ProvenanceKind.SESSION_TURN
    assert stored.provenance.quote == "My gran raised me, in Lisbon."
    assert created.is_creation
    assert created.new_text == SECRET
    assert created.changed_by == owner_id


def test_an_update_changes_the_entry_and_adds_a_history_step_with_the_note(demo_practice: Practice) -> None:
    case_id, client_id, _, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        entry = work.formulation.add(
            case_id=case_id,
            client_id=client_id,
            domain=FormulationDomain.VALUES,
            text="Values independence over closeness",
            status=EpistemicStatus.THERAPIST_HYPOTHESIS,
            provenance=Provenance.therapist(),
            actor_id=owner_id,
        )
        updated = work.formulation.update(
            entry.id,
            text=entry.text,
            status=EpistemicStatus.CHECKED_DISCONFIRMED,
            note="She said closeness matters more.",
            actor_id=owner_id,
        )
        history = work.formulation.history(entry.id)
    assert updated.status is EpistemicStatus.CHECKED_DISCONFIRMED
    assert updated.status_note == "She said closeness matters more."
    assert [step.new_status for step in history] == [
        EpistemicStatus.THERAPIST_HYPOTHESIS,
        EpistemicStatus.CHECKED_DISCONFIRMED,
    ]
    assert history[1].old_status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert history[1].note == "She said closeness matters more."


def test_every_free_text_of_the_map_and_patterns_is_sealed_at_rest(demo_practice: Practice) -> None:
    case_id, client_id, session_id, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        entry = work.formulation.add(
            case_id=case_id,
            client_id=client_id,
            domain=FormulationDomain.FAMILY_HISTORY,
            text=SECRET,
            status=EpistemicStatus.CLIENT_SAID,
            provenance=Provenance.session_turn(session_id, 3, SECRET),
            actor_id=owner_id,
        )
        work.formulation.update(
            entry.id, text=SECRET + ".", status=entry.status, note=SECRET, actor_id=owner_id
        )
        pattern = work.patterns.add(
            case_id=case_id,
            client_id=client_id,
            parts=PatternParts(SECRET, SECRET, SECRET, (SECRET,)),
            actor_id=owner_id,
        )
        work.patterns.link(
            pattern_id=pattern.id,
            session_id=session_id,
            turn_index=3,
            quote=SECRET,
            marker="anticipated_judgement",
            subtype=None,
            repaired=True,
            note=SECRET,
            actor_id=owner_id,
        )
    with demo_practice.store.engine.connect() as connection:
        stored = [
            value
            for table in (formulation_entries, formulation_changes, relational_patterns, enactments)
            for row in connection.execute(select(table))
            for value in row
            if isinstance(value, str)
        ]
    sealed = [value for value in stored if value.startswith("v1:")]
    assert len(sealed) >= 12
    assert not any("Lisbon" in value or "grandmother" in value for value in stored)


def test_a_moment_is_linked_once_per_pattern_and_can_be_dismissed_and_linked_again(
    demo_practice: Practice,
) -> None:
    case_id, client_id, session_id, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        pattern = work.patterns.add(
            case_id=case_id,
            client_id=client_id,
            parts=PatternParts("to be accepted", "expects criticism", "defends", ()),
            actor_id=owner_id,
        )
        link = {
            "pattern_id": pattern.id,
            "session_id": session_id,
            "turn_index": 5,
            "quote": "You probably think I'm lazy.",
            "marker": "anticipated_judgement",
            "subtype": None,
            "repaired": False,
            "note": None,
            "actor_id": owner_id,
        }
        first = work.patterns.link(**link)  # type: ignore[arg-type]
        work.patterns.set_enactment_status(first.id, EnactmentStatus.DISMISSED, "Not this one.", owner_id)
        again = work.patterns.link(**link)  # type: ignore[arg-type]
        assert again.id == first.id
        assert again.status is EnactmentStatus.LINKED
        assert len(work.patterns.enactments([pattern.id])) == 1
        changed = work.patterns.update(
            pattern.id, PatternParts("to be accepted", "expects criticism", "withdraws", ("at work",)), None
        )
    assert changed.response_of_self == "withdraws"
    assert changed.examples == ("at work",)


def test_a_dismissal_is_stored_once_and_kept_apart_by_kind(demo_practice: Practice) -> None:
    case_id, client_id, session_id, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        for _ in range(2):
            work.dismissals.dismiss(
                kind=FORMULATION_SUGGESTION,
                case_id=case_id,
                client_id=None,
                session_id=session_id,
                turn_index=3,
                domain="values",
                actor_id=owner_id,
            )
        work.dismissals.dismiss(
            kind=ENACTMENT_CANDIDATE,
            case_id=case_id,
            client_id=client_id,
            session_id=session_id,
            turn_index=5,
            domain=None,
            actor_id=owner_id,
        )
        suggestions = work.dismissals.for_case(case_id, FORMULATION_SUGGESTION)
        candidates = work.dismissals.for_case(case_id, ENACTMENT_CANDIDATE)
    assert [(item.turn_index, item.domain) for item in suggestions] == [(3, "values")]
    assert [(item.client_id, item.turn_index) for item in candidates] == [(client_id, 5)]


def test_an_entrys_domain_is_sealed_at_rest_and_its_map_is_grouped_after_opening(
    demo_practice: Practice,
) -> None:
    case_id, client_id, _, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        for domain in (FormulationDomain.SAFETY_MEANING, FormulationDomain.FAMILY_HISTORY):
            work.formulation.add(
                case_id=case_id,
                client_id=client_id,
                domain=domain,
                text=SECRET,
                status=EpistemicStatus.CLIENT_SAID,
                provenance=Provenance.therapist(),
                actor_id=owner_id,
            )
        found = [entry.domain for entry in work.formulation.for_case(case_id)]
    with demo_practice.store.engine.connect() as connection:
        stored = connection.execute(select(formulation_entries.c.domain_sealed)).scalars().all()
    assert found == [FormulationDomain.SAFETY_MEANING, FormulationDomain.FAMILY_HISTORY]
    assert all(value.startswith("v1:") for value in stored)
    assert not any(domain.value in value for value in stored for domain in FormulationDomain)


def test_a_removed_entry_keeps_its_row_and_history_and_is_left_out_of_the_case_unless_asked_for(
    demo_practice: Practice,
) -> None:
    case_id, client_id, session_id, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        entry = work.formulation.add(
            case_id=case_id,
            client_id=client_id,
            domain=FormulationDomain.VALUES,
            text=SECRET,
            status=EpistemicStatus.CLIENT_SAID,
            provenance=Provenance.session_turn(session_id, 3, "My gran raised me."),
            actor_id=owner_id,
        )
        work.formulation.change_source(
            entry.id,
            provenance=Provenance.therapist(),
            status=EpistemicStatus.THERAPIST_HYPOTHESIS,
            note=None,
            actor_id=owner_id,
        )
        removed = work.formulation.remove(entry.id, note="Wrong client.", actor_id=owner_id)
        on_map = work.formulation.for_case(case_id)
        everything = work.formulation.for_case(case_id, include_removed=True)
        history = work.formulation.history(entry.id)
    with demo_practice.store.engine.connect() as connection:
        sources = (
            connection.execute(
                select(formulation_changes.c.old_source_sealed).where(
                    formulation_changes.c.entry_id == entry.id
                )
            )
            .scalars()
            .all()
        )
    assert removed.is_removed
    assert on_map == []
    assert everything == [removed]
    assert [step.action.value for step in history] == ["created", "source_changed", "removed"]
    assert history[1].old_source == Provenance.session_turn(session_id, 3, "My gran raised me.")
    assert next(value for value in sources if value is not None).startswith("v1:")


def test_the_removed_entries_of_a_map_with_hundreds_of_entries_are_read_in_one_query(
    demo_practice: Practice,
) -> None:
    case_id, client_id, _, owner_id = first_case_ids(demo_practice)
    with demo_practice.store.transaction() as work:
        added = [
            work.formulation.add(
                case_id=case_id,
                client_id=client_id,
                domain=FormulationDomain.VALUES,
                text=f"Entry {number}.",
                status=EpistemicStatus.THERAPIST_HYPOTHESIS,
                provenance=Provenance.therapist(),
                actor_id=owner_id,
            )
            for number in range(300)
        ]
        for entry in added[::3]:
            work.formulation.remove(entry.id, note=f"Why {entry.id}.", actor_id=owner_id)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = demo_practice.store.engine
    with demo_practice.store.transaction() as work:
        event.listen(engine, "before_cursor_execute", count)
        try:
            removed = work.formulation.removed(case_id, client_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert len(removed) == 100
    assert {item.reason for item in removed} == {f"Why {entry.id}." for entry in added[::3]}
    assert all(item.entry.is_removed and item.removed_by_name for item in removed)
