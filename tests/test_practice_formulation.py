"""Knowing the client through the facade: the map, prompts, suggestions, patterns, couples, supervision."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeenough.domain.annotation import Annotation
from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.domain.case import Case
from safeenough.domain.client import Client
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.formulation import (
    ChangeAction,
    EpistemicStatus,
    FormulationDomain,
    Provenance,
    ProvenanceKind,
)
from safeenough.errors import InvalidInput, NotFound, PermissionDenied
from safeenough.practice import Practice
from safeenough.practice.formulation import (
    FormulationMixin,
    TranscriptSuggestion,
    _in_own_words,
    _pseudonymise,
)
from safeenough.stats.curiosity import PromptKind
from safeenough.storage.fixtures import DEMO_MAP_ENTRIES, DEMO_PATTERN
from safeenough.storage.tables import formulation_changes, formulation_entries
from safeenough.storage.transcripts import StoredTranscript


class FormulationPractice(Practice, FormulationMixin):
    """The facade with the formulation use cases (works before and after Practice mixes them in)."""


@pytest.fixture
def clinic(demo_practice: Practice) -> FormulationPractice:
    return FormulationPractice(demo_practice.store, demo_practice.settings)


def case_titled(practice: Practice, actor: Clinician, start: str) -> Case:
    return next(s.case for s in practice.caseload(actor) if s.case.title.startswith(start))


def audit_events(practice: Practice) -> list[AuditEvent]:
    with practice.store.transaction() as work:
        return work.audit.recent(50)


def placeholder_classifier(texts: list[str]) -> list[list[tuple[str, float]]]:
    """Stands in for analysis.formulation.classify_domains: fathers are family, sleep is the concern."""
    found: list[list[tuple[str, float]]] = []
    for text in texts:
        lowered = text.lower()
        if "father" in lowered:
            found.append([("family_history", 0.92), ("relationships", 0.55), ("values", 0.2)])
        elif "sleep" in lowered:
            found.append([("presenting_concerns", 0.8)])
        else:
            found.append([("values", 0.3)])
    return found


TURNS = (
    ("Dana", SpeakerRole.THERAPIST, "What would you like to focus on today?"),
    ("Mara", SpeakerRole.CLIENT, "My father never once said he was proud of me, not even at graduation."),
    ("Dana", SpeakerRole.THERAPIST, "Your father was clearly very critical of you."),
    ("Mara", SpeakerRole.CLIENT, "You probably think I'm making a fuss about nothing."),
    ("Dana", SpeakerRole.THERAPIST, "I don't think that at all. What was it like to say that just now?"),
    ("Mara", SpeakerRole.CLIENT, "I'm not being defensive, I know what I'm doing with my sleep."),
    ("Dana", SpeakerRole.THERAPIST, "Okay. Let's look at the diary."),
    ("Mara", SpeakerRole.CLIENT, "Fine."),
)


def annotation(turn: int, key: str, value: str | bool) -> Annotation:
    return Annotation(turn, key, value, None, (), "hand_coded.v1")


ANNOTATIONS = [
    annotation(2, "stance", "assuming"),
    annotation(3, "marker", "none"),
    annotation(3, "anticipates_judgement", True),
    annotation(4, "repair", "validation"),
    annotation(5, "marker", "confrontation"),
    annotation(5, "subtype", "defends_self"),
    annotation(6, "repair", "none"),
    annotation(7, "marker", "withdrawal"),
    annotation(7, "subtype", "minimal_response"),
]


def store_analysed_transcript(practice: Practice, session_id: int) -> None:
    conversation = Conversation(
        "s", tuple(Turn(i, speaker, role, text) for i, (speaker, role, text) in enumerate(TURNS))
    )
    with practice.store.transaction() as work:
        work.transcripts.save(session_id, StoredTranscript(conversation, "s.txt", "txt", True, 1.0))
        work.transcripts.replace_annotations(session_id, ANNOTATIONS)


def theo(clinic: FormulationPractice, ada: Clinician) -> tuple[Case, int]:
    """Ada's case with Theo, whose map the demo leaves empty (Mara's holds the demo's own entries)."""
    case = case_titled(clinic, ada, "Theo")
    return case, case.clients[0].id


def test_a_hypothesis_is_prompted_three_sessions_later_then_disconfirmed_with_a_note_in_its_history(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    today = date.today()
    hypothesis = clinic.add_entry(
        ada,
        client_id,
        domain=FormulationDomain.VALUES,
        text="Independence matters more to her than closeness.",
        status=EpistemicStatus.THERAPIST_HYPOTHESIS,
    )
    assert hypothesis.provenance.kind is ProvenanceKind.THERAPIST
    for days in (14, 21):  # the demo already has his next session in 3 days
        clinic.add_session(ada, case.id, held_on=today + timedelta(days=days), attendee_ids=[client_id])

    def untested(on: date) -> list[int]:
        prompts = clinic.client_map(ada, client_id, today=on).prompts
        return [i for p in prompts if p.kind is PromptKind.UNTESTED_HYPOTHESIS for i in p.entry_ids]

    assert untested(today + timedelta(days=14)) == []
    assert untested(today + timedelta(days=21)) == [hypothesis.id]

    checked = clinic.update_entry(
        ada, hypothesis.id, status="checked_disconfirmed", note="She said closeness is what she misses."
    )
    assert checked.status is EpistemicStatus.CHECKED_DISCONFIRMED
    assert checked.status_note == "She said closeness is what she misses."
    assert untested(today + timedelta(days=21)) == []
    history = clinic.entry_history(ada, hypothesis.id)
    assert [(step.old_status, step.new_status) for step in history] == [
        (None, EpistemicStatus.THERAPIST_HYPOTHESIS),
        (EpistemicStatus.THERAPIST_HYPOTHESIS, EpistemicStatus.CHECKED_DISCONFIRMED),
    ]
    assert history[1].note == "She said closeness is what she misses."
    assert all(step.changed_by == ada.id for step in history)


def test_the_client_map_shows_entries_by_domain_coverage_and_open_hypotheses(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    said = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    guess = clinic.add_entry(
        ada, client_id, domain="values", text="Fairness matters a lot.", status="therapist_hypothesis"
    )
    client_map = clinic.client_map(ada, client_id)
    assert not client_map.read_only
    assert [section.domain for section in client_map.sections] == list(FormulationDomain)
    assert client_map.entries == (said, guess)
    assert client_map.coverage.explored == (FormulationDomain.GOALS, FormulationDomain.VALUES)
    assert client_map.open_hypotheses == (guess,)
    unexplored = {p.domain for p in client_map.prompts if p.kind is PromptKind.UNEXPLORED_DOMAIN}
    assert unexplored == set(FormulationDomain) - {FormulationDomain.GOALS, FormulationDomain.VALUES}


def test_a_supervisor_reads_a_supervisees_client_map_and_the_read_is_audited(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    seen = clinic.client_map(sol, client_id)
    assert seen.read_only
    assert seen.entries == (entry,)
    latest = audit_events(clinic)[0]
    assert (latest.actor_id, latest.action, latest.target_kind, latest.target_id) == (
        sol.id,
        AuditAction.READ,
        "client_map",
        client_id,
    )
    clinic.entry_history(sol, entry.id)
    assert audit_events(clinic)[0].target_kind == "formulation_entry"


def test_a_supervisor_cannot_change_a_supervisees_map(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    with pytest.raises(PermissionDenied):
        clinic.add_entry(sol, client_id, domain="goals", text="More sleep.", status="client_said")
    with pytest.raises(PermissionDenied):
        clinic.update_entry(sol, entry.id, status="checked_confirmed")
    with pytest.raises(PermissionDenied):
        clinic.add_pattern(sol, client_id, "to be accepted", "criticism", "withdraws")


def test_another_clinician_gets_not_found_and_an_admin_never_sees_the_map(
    clinic: FormulationPractice, ada: Clinician, ben: Clinician, admin: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    for outsider in (ben, admin):
        with pytest.raises(NotFound):
            clinic.client_map(outsider, client_id)
        with pytest.raises(NotFound):
            clinic.entry_history(outsider, entry.id)
        with pytest.raises(NotFound):
            clinic.update_entry(outsider, entry.id, status="checked_confirmed")
    with pytest.raises(NotFound):
        clinic.client_map(ada, 999_999)


def test_map_entries_and_their_history_are_encrypted_at_rest(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(
        ada, client_id, domain="family_history", text="Grew up with her grandmother.", status="client_said"
    )
    clinic.update_entry(ada, entry.id, text="Raised by her grandmother.", note="Her words: my gran.")
    with clinic.store.engine.connect() as connection:
        texts = connection.execute(select(formulation_entries.c.text_sealed)).scalars().all()
        changes = connection.execute(
            select(formulation_changes.c.new_text_sealed, formulation_changes.c.note_sealed)
        ).all()
    stored = [*texts, *(value for row in changes for value in row if value is not None)]
    assert stored
    assert all(value.startswith("v1:") for value in stored)
    assert not any("grandmother" in value or "gran" in value for value in stored)


def test_nonsense_entries_and_sources_from_another_case_are_refused(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    other_session = clinic.case_detail(ada, case_titled(clinic, ada, "Mara").id).sessions[0].id
    with pytest.raises(InvalidInput, match="no map domain"):
        clinic.add_entry(ada, client_id, domain="horoscope", text="Leo.", status="client_said")
    with pytest.raises(InvalidInput, match="must not be empty"):
        clinic.add_entry(ada, client_id, domain="goals", text="  ", status="client_said")
    with pytest.raises(InvalidInput, match="not a session of this case"):
        clinic.add_entry(
            ada,
            client_id,
            domain="goals",
            text="Sleep.",
            status="client_said",
            provenance=Provenance.session_turn(other_session, 1, "Sleep."),
        )
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Sleep.", status="client_said")
    with pytest.raises(InvalidInput, match="Nothing to change"):
        clinic.update_entry(ada, entry.id, text="Sleep.")


def test_client_turns_are_suggested_for_the_map_and_an_accepted_one_keeps_its_quoted_turn(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    suggestions = clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier)
    assert [(s.turn_index, s.domain) for s in suggestions] == [
        (1, FormulationDomain.FAMILY_HISTORY),
        (1, FormulationDomain.RELATIONSHIPS),
        (5, FormulationDomain.PRESENTING_CONCERNS),
    ]
    assert suggestions[0].client_id == client_id
    assert suggestions[0].quote.startswith("My father never once said")

    entry = clinic.accept_suggestion(ada, session_id, 1, "family_history")
    assert entry.status is EpistemicStatus.CLIENT_SAID
    assert entry.provenance.kind is ProvenanceKind.SESSION_TURN
    assert (entry.provenance.session_id, entry.provenance.turn_index) == (session_id, 1)
    assert entry.provenance.quote == TURNS[1][2]
    assert entry.text == TURNS[1][2]

    edited = clinic.accept_suggestion(ada, session_id, 5, "presenting_concerns", "Poor sleep; guards it.")
    assert edited.text == "Poor sleep; guards it."
    assert edited.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    clinic.dismiss_suggestion(ada, session_id, 1, "relationships")
    assert clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier) == ()


def test_a_reworded_suggestion_is_kept_as_the_therapists_hypothesis_with_the_clients_turn_as_its_source(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    reworded = "Her controlling father is why she resists any structure"
    entry = clinic.accept_suggestion(ada, session_id, 5, "family_history", reworded)
    assert entry.text == reworded
    assert entry.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert (entry.provenance.kind, entry.provenance.turn_index) == (ProvenanceKind.SESSION_TURN, 5)
    assert entry.provenance.quote == TURNS[5][2]
    assert clinic.client_map(ada, client_id).open_hypotheses == (entry,)


def test_a_reworded_suggestion_leaves_the_assuming_language_prompt_for_its_domain_open(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    clinic.accept_suggestion(ada, session_id, 1, "family_history", "Her father's coldness shaped her.")
    prompts = clinic.client_map(ada, client_id).prompts
    assuming = [p.domain for p in prompts if p.kind is PromptKind.ASSUMING_LANGUAGE]
    assert assuming == [FormulationDomain.FAMILY_HISTORY]


def test_a_suggestion_shortened_to_part_of_the_clients_words_is_still_what_the_client_said(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, _ = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    entry = clinic.accept_suggestion(
        ada, session_id, 1, "family_history", "“my father never once said he was proud of me…”"
    )
    assert entry.status is EpistemicStatus.CLIENT_SAID


@pytest.mark.parametrize(
    ("text", "own_words"),
    [
        ("I just can't face another form.", True),
        ("  i JUST can’t   face another form ", True),
        ('"I just can\'t face another form"', True),
        ("can't face another form…", True),
        ("Her controlling father is why she resists any structure", False),
        ("I just can't face another form, ever", False),
        ("ace another", False),
        ("  ", False),
    ],
)
def test_the_clients_own_words_are_the_turn_or_a_run_of_its_whole_words(text: str, own_words: bool) -> None:
    assert _in_own_words(text, "I just can't face another form.") is own_words


def test_a_suggestion_shows_a_rough_chance_never_certainty_and_the_words_that_matched(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, _ = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    family = clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier)[0]
    assert family.domain is FormulationDomain.FAMILY_HISTORY
    assert family.matched_words == ("My father", "never once")
    assert family.chance_in_ten == 9
    chances = [
        TranscriptSuggestion(1, 1, 1, "Mara", "words", FormulationDomain.SAFETY_MEANING, confidence, 1)
        for confidence in (1.0, 0.9921, 0.62, 0.5)
    ]
    assert [suggestion.chance_in_ten for suggestion in chances] == [9, 9, 6, 5]


def test_a_dismissed_turn_is_not_suggested_again_and_a_therapist_turn_cannot_be_accepted(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    case, _ = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    clinic.dismiss_suggestion(ada, session_id, 1)
    remaining = clinic.transcript_suggestions(sol, session_id, classify=placeholder_classifier)
    assert [s.turn_index for s in remaining] == [5]
    with pytest.raises(InvalidInput, match="not a client turn"):
        clinic.accept_suggestion(ada, session_id, 2, "family_history")
    with pytest.raises(PermissionDenied):
        clinic.accept_suggestion(sol, session_id, 5, "presenting_concerns")


def test_a_session_without_a_transcript_has_no_suggestions(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, _ = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[1].id
    assert clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier) == ()


def test_assuming_language_about_an_unspoken_domain_is_prompted_with_its_turn(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session = clinic.case_detail(ada, case.id).sessions[0]
    store_analysed_transcript(clinic, session.id)
    [prompt] = [
        p for p in clinic.client_map(ada, client_id).prompts if p.kind is PromptKind.ASSUMING_LANGUAGE
    ]
    assert prompt.domain is FormulationDomain.FAMILY_HISTORY
    assert [(turn.session_id, turn.turn_index) for turn in prompt.turns] == [(session.id, 2)]
    clinic.accept_suggestion(ada, session.id, 1, "family_history")
    after = clinic.client_map(ada, client_id).prompts
    assert all(p.kind is not PromptKind.ASSUMING_LANGUAGE for p in after)


def test_enactment_candidates_come_from_stored_annotations_and_a_linked_one_shows_on_the_timeline(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session = clinic.case_detail(ada, case.id).sessions[0]
    store_analysed_transcript(clinic, session.id)
    pattern = clinic.add_pattern(
        ada,
        client_id,
        "to be accepted",
        "expects criticism from people in authority",
        "withdraws or defends",
        ["Her new manager", "  "],
    )
    assert pattern.examples == ("Her new manager",)
    candidates = clinic.enactment_candidates(ada, client_id)
    assert [(c.turn_index, c.marker, c.subtype, c.repaired) for c in candidates] == [
        (3, "anticipated_judgement", None, True),
        (5, "confrontation", "defends_self", False),
    ]
    assert candidates[0].quote == TURNS[3][2]
    assert candidates[0].session_number == session.number

    enactment = clinic.link_enactment(ada, pattern.id, session.id, 3, note="Braced for my judgement.")
    assert enactment.repaired is True
    assert enactment.anticipated_judgement
    assert [c.turn_index for c in clinic.enactment_candidates(ada, client_id)] == [5]

    timeline = clinic.pattern_timeline(sol, pattern.id)
    assert timeline.read_only
    assert [(e.session_number, e.turn_index, e.repaired, e.quote) for e in timeline.enactments] == [
        (session.number, 3, True, TURNS[3][2])
    ]
    assert timeline.repaired_count == 1
    [view] = clinic.client_map(ada, client_id).patterns
    assert [e.id for e in view.enactments] == [enactment.id]


def test_a_dismissed_candidate_is_not_offered_again_and_an_unlinked_enactment_leaves_the_timeline(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session = clinic.case_detail(ada, case.id).sessions[0]
    store_analysed_transcript(clinic, session.id)
    pattern = clinic.add_pattern(ada, client_id, "to be accepted", "criticism", "defends")
    clinic.dismiss_enactment_candidate(ada, client_id, session.id, 5)
    enactment = clinic.link_enactment(ada, pattern.id, session.id, 3)
    assert clinic.enactment_candidates(ada, client_id) == ()
    clinic.unlink_enactment(ada, enactment.id, note="On reflection, not this pattern.")
    assert clinic.pattern_timeline(ada, pattern.id).enactments == ()
    with pytest.raises(InvalidInput, match="not a moment"):
        clinic.link_enactment(ada, pattern.id, session.id, 1)
    updated = clinic.update_pattern(ada, pattern.id, response_of_self="withdraws")
    assert updated.summary == "to be accepted → criticism → withdraws"


def test_a_couples_shared_map_sets_the_partners_goals_side_by_side(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah, priya = (client.id for client in case.clients)
    clinic.add_entry(ada, jonah, domain="goals", text="Stop arguing about money.", status="client_said")
    clinic.add_entry(ada, jonah, domain="goals", text="Feel heard by Priya.", status="client_said")
    clinic.add_entry(ada, priya, domain="goals", text="Fewer arguments about money", status="client_said")
    clinic.add_entry(ada, priya, domain="goals", text="Settle into the new city.", status="client_said")
    clinic.add_entry(ada, priya, domain="goals", text="Wants to move back.", status="therapist_hypothesis")
    together = clinic.add_shared_entry(
        ada, case.id, domain="strengths_resources", text="They laugh together.", status="client_said"
    )
    shared = clinic.shared_map(sol, case.id)
    assert shared.read_only
    assert [partner.client.id for partner in shared.partners] == [jonah, priya]
    assert shared.shared_entries == (together,)
    assert shared.goals is not None
    [agreement] = shared.goals.agree
    assert (agreement.first.text, agreement.second.text) == (
        "Stop arguing about money.",
        "Fewer arguments about money",
    )
    assert [goal.text for goal in shared.goals.only_first] == ["Feel heard by Priya."]
    assert [goal.text for goal in shared.goals.only_second] == ["Settle into the new city."]
    assert {track.client.id for track in shared.alliance} == {jonah, priya}
    with pytest.raises(InvalidInput, match="one client"):
        clinic.shared_map(ada, case_titled(clinic, ada, "Mara").id)


COUPLE_TURNS = (
    ("Ada", SpeakerRole.THERAPIST, "What would you each like from today?"),
    ("Jonah", SpeakerRole.CLIENT, "I want us to stop arguing about money every single weekend."),
    (
        "Priya",
        SpeakerRole.CLIENT,
        "You'll think I'm the one who started it, but I never feel safe saying so.",
    ),
    ("Ada", SpeakerRole.THERAPIST, "I don't think that. What is it like to say it here?"),
    ("Both", SpeakerRole.CLIENT, "You'll think we are hopeless, we judge ourselves for it."),
)
COUPLE_ANNOTATIONS = [
    annotation(2, "marker", "none"),
    annotation(2, "anticipates_judgement", True),
    annotation(3, "repair", "validation"),
    annotation(4, "marker", "none"),
    annotation(4, "anticipates_judgement", True),
]


def store_couple_transcript(practice: Practice, session_id: int) -> None:
    """Jonah and Priya each speak, matched to their client by first name; "Both" matches no one."""
    conversation = Conversation(
        "s", tuple(Turn(i, speaker, role, text) for i, (speaker, role, text) in enumerate(COUPLE_TURNS))
    )
    with practice.store.transaction() as work:
        work.transcripts.save(session_id, StoredTranscript(conversation, "s.txt", "txt", True, 1.0))
        work.transcripts.replace_annotations(session_id, COUPLE_ANNOTATIONS)


def test_one_partners_words_are_refused_on_the_other_partners_map_and_nothing_is_stored(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah, priya = (client.id for client in case.clients)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_couple_transcript(clinic, session_id)
    before = clinic.client_map(ada, jonah).entries
    with pytest.raises(InvalidInput, match=r"spoken by Priya \(Priya Reyes\).* not on Jonah Reyes's"):
        clinic.accept_suggestion(ada, session_id, 2, "safety_meaning", client_id=jonah)
    assert clinic.client_map(ada, jonah).entries == before
    hers = clinic.accept_suggestion(ada, session_id, 2, "safety_meaning", client_id=priya)
    assert (hers.client_id, hers.status) == (priya, EpistemicStatus.CLIENT_SAID)
    theirs = clinic.accept_suggestion(ada, session_id, 4, "safety_meaning", client_id=jonah)
    assert theirs.client_id == jonah  # "Both" cannot be told apart: the therapist's choice stands


def test_one_partners_moment_cannot_be_linked_to_the_other_partners_pattern(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah, priya = (client.id for client in case.clients)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_couple_transcript(clinic, session_id)
    his = clinic.add_pattern(ada, jonah, "to be taken seriously", "dismissed", "goes quiet")
    hers = clinic.add_pattern(ada, priya, "to be heard", "blamed", "braces")
    with pytest.raises(InvalidInput, match="Priya Reyes's patterns, not on Jonah Reyes's"):
        clinic.link_enactment(ada, his.id, session_id, 2)
    assert clinic.pattern_timeline(ada, his.id).enactments == ()
    assert clinic.link_enactment(ada, hers.id, session_id, 2).pattern_id == hers.id
    assert clinic.link_enactment(ada, his.id, session_id, 4).pattern_id == his.id


def test_goals_the_couple_stated_together_are_among_their_shared_goals(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    together = clinic.add_shared_entry(
        ada, case.id, domain="goals", text="Weekends back, for the kids.", status="client_said"
    )
    clinic.add_shared_entry(
        ada, case.id, domain="goals", text="They want to move back.", status="therapist_hypothesis"
    )
    shared = clinic.shared_map(ada, case.id)
    assert shared.goals_stated_together == (together,)


def test_the_supervision_summary_names_clients_by_code_only(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah, priya = case.clients
    clinic.add_entry(
        ada, jonah.id, domain="family_history", text="Jonah Reyes learnt to keep the peace.",
        status="therapist_hypothesis",
    )  # fmt: skip
    session = clinic.case_detail(ada, case.id).sessions[0]
    store_analysed_transcript(clinic, session.id)
    summary = clinic.supervision_summary(sol, case.id)
    text = repr(summary)
    for name in ("Jonah", "Priya", "Reyes", "rebuilding"):
        assert name not in text
    assert summary.client_codes == (jonah.code, priya.code)
    assert {trend.client_code for trend in summary.alliance} == {jonah.code, priya.code}
    assert all(point.total is not None for trend in summary.alliance for point in trend.points)
    assert any(alert.kind == "split_alliance" for alert in summary.open_alerts)
    [rupture] = summary.rupture_repair
    assert (rupture.session_number, rupture.ruptures, rupture.ruptures_repaired) == (1, 2, 0)
    assert (rupture.anticipated_judgement, rupture.moments_repaired) == (1, 1)
    jonah_map = summary.maps[0]
    assert jonah_map.coverage == (1, 9)
    [hypothesis] = jonah_map.open_hypotheses
    assert hypothesis.text == f"{jonah.code} learnt to keep the peace."
    assert audit_events(clinic)[0].action is AuditAction.EXPORT


def test_the_analysis_domain_classifier_is_used_when_none_is_given(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, _ = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    suggestions = clinic.transcript_suggestions(ada, session_id)
    assert (1, FormulationDomain.FAMILY_HISTORY) in {(s.turn_index, s.domain) for s in suggestions}


def test_the_demo_map_of_mara_quotes_her_session_and_holds_a_pattern(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Mara")
    mara_map = clinic.client_map(ada, case.clients[0].id)
    assert len(mara_map.entries) == len(DEMO_MAP_ENTRIES)
    quoted = [entry for entry in mara_map.entries if entry.provenance.kind is ProvenanceKind.SESSION_TURN]
    assert quoted
    assert all(entry.provenance.quote for entry in quoted)
    assert [entry.status for entry in mara_map.open_hypotheses] == [EpistemicStatus.THERAPIST_HYPOTHESIS]
    (pattern,) = mara_map.patterns
    assert pattern.pattern.wish == DEMO_PATTERN.wish


def test_the_supervision_summary_replaces_a_clients_name_but_not_the_same_words_used_otherwise() -> None:
    will = Client(id=1, case_id=1, code="C-AB12", display_name="Will Hope")
    text = "Will Hope said she will not hope for much; WILL agreed, and Hope's sister too."
    assert _pseudonymise(text, [will]) == (
        "C-AB12 said she will not hope for much; C-AB12 agreed, and C-AB12's sister too."
    )


def test_an_entry_added_by_mistake_is_removed_from_the_map_but_kept_with_its_history_and_can_be_put_back(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    kept = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    mistake = clinic.add_entry(ada, client_id, domain="values", text="Meant for Mara.", status="client_said")

    removed = clinic.remove_entry(ada, mistake.id, note="Added to the wrong client.")
    cmap = clinic.client_map(ada, client_id)
    assert removed.is_removed
    assert removed.removed_by == ada.id
    assert cmap.entries == (kept,)
    assert FormulationDomain.VALUES not in cmap.coverage.explored
    assert clinic.entry(ada, mistake.id).is_removed
    steps = clinic.entry_history(ada, mistake.id)
    assert [step.action for step in steps] == [ChangeAction.CREATED, ChangeAction.REMOVED]
    assert steps[-1].note == "Added to the wrong client."
    assert any(
        (event.action, event.target_id) == (AuditAction.DELETE, mistake.id) for event in audit_events(clinic)
    )
    with pytest.raises(InvalidInput, match="removed from the map"):
        clinic.update_entry(ada, mistake.id, text="Changed after removal.")

    back = clinic.restore_entry(ada, mistake.id)
    assert not back.is_removed
    assert {entry.id for entry in clinic.client_map(ada, client_id).entries} == {kept.id, mistake.id}
    assert clinic.entry_history(ada, mistake.id)[-1].action is ChangeAction.RESTORED


def test_only_the_owner_removes_an_entry_a_supervisor_is_refused_and_another_clinician_finds_nothing(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician, ben: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    with pytest.raises(PermissionDenied):
        clinic.remove_entry(sol, entry.id)
    with pytest.raises(NotFound):
        clinic.remove_entry(ben, entry.id)
    clinic.remove_entry(ada, entry.id)
    with pytest.raises(PermissionDenied):
        clinic.restore_entry(sol, entry.id)
    with pytest.raises(NotFound):
        clinic.entry(ben, entry.id)


def test_the_removed_entries_of_a_client_are_listed_latest_first_with_who_removed_them_and_why(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    mara_id = case_titled(clinic, ada, "Mara").clients[0].id
    kept = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    first = clinic.add_entry(ada, client_id, domain="values", text="Meant for Mara.", status="client_said")
    second = clinic.add_entry(
        ada, client_id, domain="family_history", text="A guess.", status="therapist_hypothesis"
    )
    elsewhere = clinic.add_entry(ada, mara_id, domain="values", text="Mara's own.", status="client_said")
    clinic.remove_entry(ada, first.id, note="Added to the wrong client.")
    clinic.remove_entry(ada, second.id)
    clinic.remove_entry(ada, elsewhere.id)

    removed = clinic.removed_entries(ada, client_id)

    assert [item.entry.id for item in removed] == [second.id, first.id]
    assert kept.id not in {item.entry.id for item in removed}
    assert [item.reason for item in removed] == [None, "Added to the wrong client."]
    assert {item.removed_by_name for item in removed} == {ada.display_name}
    assert removed[1].entry.text == "Meant for Mara."
    assert removed[1].entry.removed_at is not None


def test_the_reason_shown_for_a_removed_entry_is_the_one_given_at_its_latest_removal(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    clinic.remove_entry(ada, entry.id, note="First thought.")
    clinic.restore_entry(ada, entry.id)
    clinic.remove_entry(ada, entry.id, note="Second thought.")
    (item,) = clinic.removed_entries(ada, client_id)
    assert item.reason == "Second thought."


def test_a_client_with_nothing_removed_has_an_empty_list_and_a_put_back_entry_leaves_it(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    assert clinic.removed_entries(ada, client_id) == ()
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    clinic.remove_entry(ada, entry.id)
    clinic.restore_entry(ada, entry.id)
    assert clinic.removed_entries(ada, client_id) == ()


def test_reading_removed_entries_is_audited_without_their_words(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="values", text="Secret words.", status="client_said")
    clinic.remove_entry(ada, entry.id, note="Private reason.")
    clinic.removed_entries(ada, client_id)
    event = audit_events(clinic)[0]
    assert (event.action, event.target_kind, event.target_id) == (AuditAction.READ, "client_map", client_id)
    assert "1 removed entries" in event.detail
    assert "Secret" not in event.detail
    assert "Private" not in event.detail


def test_a_supervisor_reads_the_removed_entries_and_another_clinician_finds_no_such_client(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician, ben: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    entry = clinic.add_entry(ada, client_id, domain="goals", text="Evenings back.", status="client_said")
    clinic.remove_entry(ada, entry.id)
    assert [item.entry.id for item in clinic.removed_entries(sol, client_id)] == [entry.id]
    with pytest.raises(NotFound):
        clinic.removed_entries(ben, client_id)


def test_a_shared_map_lists_only_the_entries_removed_from_it_not_the_partners(
    clinic: FormulationPractice, ada: Clinician, sol: Clinician, ben: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah = case.clients[0].id
    together = clinic.add_shared_entry(
        ada, case.id, domain="strengths_resources", text="They laugh together.", status="client_said"
    )
    own = clinic.add_entry(ada, jonah, domain="goals", text="Feel heard.", status="client_said")
    clinic.remove_entry(ada, together.id, note="Only Jonah said it.")
    clinic.remove_entry(ada, own.id)
    (item,) = clinic.removed_shared_entries(sol, case.id)
    assert (item.entry.id, item.reason) == (together.id, "Only Jonah said it.")
    assert [item.entry.id for item in clinic.removed_entries(ada, jonah)] == [own.id]
    with pytest.raises(NotFound):
        clinic.removed_shared_entries(ben, case.id)


def test_a_removed_suggestion_is_offered_again(clinic: FormulationPractice, ada: Clinician) -> None:
    case, _client_id = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    accepted = clinic.accept_suggestion(ada, session_id, 1, "family_history")
    offered = clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier)
    assert (1, FormulationDomain.FAMILY_HISTORY) not in {(s.turn_index, s.domain) for s in offered}
    clinic.remove_entry(ada, accepted.id)
    offered = clinic.transcript_suggestions(ada, session_id, classify=placeholder_classifier)
    assert (1, FormulationDomain.FAMILY_HISTORY) in {(s.turn_index, s.domain) for s in offered}


def test_a_client_said_entry_quotes_another_client_turn_with_the_old_and_new_quote_in_its_history(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, _client_id = theo(clinic, ada)
    session = min(clinic.case_detail(ada, case.id).sessions, key=lambda s: s.number)
    store_analysed_transcript(clinic, session.id)
    entry = clinic.accept_suggestion(ada, session.id, 3, "relationships", "Expects to be judged.")
    entry = clinic.update_entry(ada, entry.id, status="client_said", note="Her words, in turn 1.")
    [quotable] = [group for group in clinic.quotable_turns(ada, entry.id) if group.session.id == session.id]
    assert [turn.turn_index for turn in quotable.turns] == [1, 3, 5, 7]

    changed = clinic.change_entry_source(
        ada, entry.id, session_id=session.id, turn_index=1, note="Wrong turn."
    )
    assert changed.status is EpistemicStatus.CLIENT_SAID
    assert (changed.provenance.turn_index, changed.provenance.quote) == (1, TURNS[1][2])
    step = clinic.entry_history(ada, entry.id)[-1]
    assert step.action is ChangeAction.SOURCE_CHANGED
    assert step.old_source is not None
    assert step.old_source.turn_index == 3
    assert step.new_source is not None
    assert step.new_source.quote == TURNS[1][2]
    assert step.note == "Wrong turn."
    with pytest.raises(InvalidInput, match="not a client turn"):
        clinic.change_entry_source(ada, entry.id, session_id=session.id, turn_index=2)
    with pytest.raises(InvalidInput, match="quotes already"):
        clinic.change_entry_source(ada, entry.id, session_id=session.id, turn_index=1)


def test_a_client_said_entry_no_turn_supports_becomes_the_therapists_hypothesis_without_a_quote(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case, client_id = theo(clinic, ada)
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_analysed_transcript(clinic, session_id)
    entry = clinic.accept_suggestion(ada, session_id, 1, "family_history")
    changed = clinic.change_entry_source(
        ada, entry.id, session_id=None, turn_index=None, note="She never said this; I inferred it."
    )
    assert changed.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert changed.provenance == Provenance.therapist()
    assert changed in clinic.client_map(ada, client_id).open_hypotheses
    step = clinic.entry_history(ada, entry.id)[-1]
    assert (step.old_status, step.new_status) == (
        EpistemicStatus.CLIENT_SAID,
        EpistemicStatus.THERAPIST_HYPOTHESIS,
    )
    with pytest.raises(InvalidInput, match="Only an entry marked as something the client said"):
        clinic.change_entry_source(ada, entry.id, session_id=session_id, turn_index=1)


def test_one_partners_turn_cannot_become_the_quote_of_the_other_partners_entry(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah = case.clients[0].id
    session_id = clinic.case_detail(ada, case.id).sessions[0].id
    store_couple_transcript(clinic, session_id)
    entry = clinic.add_entry(ada, jonah, domain="goals", text="Fewer fights.", status="client_said")
    quotable = {turn.speaker for group in clinic.quotable_turns(ada, entry.id) for turn in group.turns}
    assert "Priya" not in quotable
    with pytest.raises(InvalidInput, match="spoken by Priya"):
        clinic.change_entry_source(ada, entry.id, session_id=session_id, turn_index=2)
    assert clinic.client_map(ada, jonah).entries[0].provenance == Provenance.therapist()


def test_the_audit_trail_does_not_name_the_domain_an_entry_is_about(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    _, client_id = theo(clinic, ada)
    clinic.add_entry(ada, client_id, domain="safety_meaning", text="Being asked first.", status="client_said")
    assert not any("safety" in event.detail for event in audit_events(clinic))


def test_an_entry_cannot_quote_a_session_its_client_was_not_at(
    clinic: FormulationPractice, ada: Clinician
) -> None:
    case = case_titled(clinic, ada, "Jonah")
    jonah, priya = (client.id for client in case.clients)
    held = max(s.held_on for s in clinic.case_detail(ada, case.id).sessions) - timedelta(days=1)
    jonah_alone = clinic.add_session(ada, case.id, held_on=held, attendee_ids=[jonah])
    store_couple_transcript(clinic, jonah_alone.id)
    entry = clinic.add_entry(ada, priya, domain="goals", text="Feeling safe to speak.", status="client_said")
    with pytest.raises(InvalidInput, match="was not at session"):
        clinic.change_entry_source(ada, entry.id, session_id=jonah_alone.id, turn_index=1)
    assert clinic.client_map(ada, priya).entries[0].provenance == Provenance.therapist()
