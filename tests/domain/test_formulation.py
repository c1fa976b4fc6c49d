from datetime import UTC, datetime, timedelta

import pytest

from safeenough.domain.formulation import (
    ChangeAction,
    EntryChange,
    EpistemicStatus,
    FormulationDomain,
    FormulationEntry,
    MapCoverage,
    Provenance,
    ProvenanceKind,
)
from safeenough.domain.validation import DomainError

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def entry(**changes: object) -> FormulationEntry:
    values: dict[str, object] = {
        "id": 1,
        "case_id": 1,
        "client_id": 1,
        "domain": FormulationDomain.VALUES,
        "text": "  Independence matters more to her than closeness.  ",
        "status": EpistemicStatus.THERAPIST_HYPOTHESIS,
        "provenance": Provenance.therapist(),
        "created_at": NOW,
        "created_by": 1,
        "updated_at": NOW,
        "updated_by": 1,
    }
    values.update(changes)
    return FormulationEntry(**values)  # type: ignore[arg-type]


def test_the_map_has_the_nine_domains_of_the_primer_in_order_with_labels() -> None:
    assert [domain.value for domain in FormulationDomain] == [
        "presenting_concerns",
        "goals",
        "values",
        "relationships",
        "family_history",
        "culture_identity",
        "strengths_resources",
        "safety_meaning",
        "past_help",
    ]
    assert FormulationDomain.SAFETY_MEANING.label == "What safety means to them"


def test_an_entry_keeps_its_text_stripped_and_knows_it_is_an_open_hypothesis() -> None:
    made = entry()
    assert made.text == "Independence matters more to her than closeness."
    assert made.is_open_hypothesis
    assert not made.is_shared


def test_only_a_hypothesis_is_something_the_client_has_not_spoken_to() -> None:
    assert not EpistemicStatus.THERAPIST_HYPOTHESIS.client_spoke
    assert EpistemicStatus.CLIENT_SAID.client_spoke
    assert EpistemicStatus.CHECKED_DISCONFIRMED.client_spoke


def test_an_entry_without_a_client_belongs_to_the_shared_map() -> None:
    assert entry(client_id=None).is_shared


def test_an_empty_or_overlong_entry_text_is_refused() -> None:
    with pytest.raises(DomainError, match="entry text must not be empty"):
        entry(text="   ")
    with pytest.raises(DomainError, match="at most 2000"):
        entry(text="x" * 2001)


def test_an_entry_cannot_be_updated_before_it_was_created() -> None:
    with pytest.raises(DomainError, match="before it was created"):
        entry(updated_at=NOW - timedelta(seconds=1))


def test_a_session_turn_provenance_needs_the_turn_and_keeps_the_quote() -> None:
    source = Provenance.session_turn(4, 7, "  My father never once said he was proud of me. ")
    assert source.kind is ProvenanceKind.SESSION_TURN
    assert source.quote == "My father never once said he was proud of me."
    with pytest.raises(DomainError, match="turn index"):
        Provenance(ProvenanceKind.SESSION_TURN, session_id=4)


def test_a_check_in_provenance_points_at_no_session_and_keeps_its_quote_when_the_check_in_is_lost() -> None:
    assert Provenance.checkin_answer(9, "It felt rushed").check_in_id == 9
    lost = Provenance(ProvenanceKind.CHECKIN_ANSWER, quote="It felt rushed")
    assert (lost.check_in_id, lost.quote) == (None, "It felt rushed")
    with pytest.raises(DomainError, match="cannot also point"):
        Provenance(ProvenanceKind.CHECKIN_ANSWER, check_in_id=9, session_id=3)


def test_a_therapist_provenance_points_to_no_source() -> None:
    with pytest.raises(DomainError, match="no session"):
        Provenance(ProvenanceKind.THERAPIST, quote="something")


def test_a_history_step_says_whether_status_or_text_changed() -> None:
    created = EntryChange(1, 1, NOW, 1, None, EpistemicStatus.THERAPIST_HYPOTHESIS, None, "text")
    assert created.is_creation
    assert not created.status_changed
    checked = EntryChange(
        2,
        1,
        NOW,
        1,
        EpistemicStatus.THERAPIST_HYPOTHESIS,
        EpistemicStatus.CHECKED_DISCONFIRMED,
        "text",
        "text",
        note="  She said it is the other way round. ",
    )
    assert checked.status_changed
    assert not checked.text_changed
    assert checked.note == "She said it is the other way round."


def test_coverage_counts_domains_with_at_least_one_entry() -> None:
    coverage = MapCoverage.of([entry(), entry(id=2), entry(id=3, domain=FormulationDomain.GOALS)])
    assert coverage.explored == (FormulationDomain.GOALS, FormulationDomain.VALUES)
    assert len(coverage.unexplored) == 7
    assert coverage.fraction == pytest.approx(2 / 9)


def test_a_removed_entry_says_so_and_leaves_its_domain_unexplored() -> None:
    removed = entry(removed_at=NOW + timedelta(days=1), removed_by=1)
    assert removed.is_removed
    assert MapCoverage.of([removed, entry(id=2, domain=FormulationDomain.GOALS)]).explored == (
        FormulationDomain.GOALS,
    )
    with pytest.raises(DomainError, match="removed before it was created"):
        entry(removed_at=NOW - timedelta(days=1))


def test_a_history_step_says_what_it_did_and_a_change_of_source_keeps_both_sources() -> None:
    edited = EntryChange(2, 1, NOW, 1, EpistemicStatus.CLIENT_SAID, EpistemicStatus.CLIENT_SAID, "t", "t")
    assert edited.action is ChangeAction.EDITED
    removal = EntryChange(
        3,
        1,
        NOW,
        1,
        EpistemicStatus.CLIENT_SAID,
        EpistemicStatus.CLIENT_SAID,
        "t",
        "t",
        action=ChangeAction.REMOVED,
    )
    assert removal.is_removal
    assert not removal.status_changed
    with pytest.raises(DomainError, match="source before and after"):
        EntryChange(
            4,
            1,
            NOW,
            1,
            EpistemicStatus.CLIENT_SAID,
            EpistemicStatus.CLIENT_SAID,
            "t",
            "t",
            action=ChangeAction.SOURCE_CHANGED,
        )
