"""Transcripts through the facade: import, role confirmation, analysis, access."""

import pytest
from sqlalchemy import select, update

from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import SpeakerRole
from safeenough.domain.formulation import ChangeAction, EpistemicStatus, ProvenanceKind
from safeenough.errors import InvalidInput, NotFound, PermissionDenied
from safeenough.practice import Practice
from safeenough.practice import transcripts as transcripts_facade
from safeenough.storage.fixtures import DEMO_TRANSCRIPTS
from safeenough.storage.tables import sessions, suggestion_edits

TRANSCRIPT = b"""Dana: What would you like to focus on today?
Sam: I don't know. Whatever you think.
Dana: It sounds like it's hard to know where to start.
Sam: I guess. You probably think I'm wasting your time.
"""


def first_session_id(practice: Practice, ada: Clinician) -> int:
    case = practice.caseload(ada)[0].case
    return practice.case_detail(ada, case.id).sessions[0].id


def test_a_named_therapist_makes_the_transcript_ready_for_analysis(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    preview = demo_practice.import_transcript(
        ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana"
    )
    assert preview.analysed
    assert [turn.role for turn in preview.conversation.turns][:2] == [
        SpeakerRole.THERAPIST,
        SpeakerRole.CLIENT,
    ]
    analysis = demo_practice.session_analysis(ada, session_id)
    assert analysis.transcript is not None
    assert analysis.report is not None


def test_a_guessed_role_waits_for_the_therapist_to_confirm(demo_practice: Practice, ada: Clinician) -> None:
    session_id = first_session_id(demo_practice, ada)
    preview = demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT)
    assert not preview.analysed
    assert demo_practice.session_analysis(ada, session_id).report is None
    demo_practice.confirm_transcript_roles(ada, session_id, "Dana")
    analysis = demo_practice.session_analysis(ada, session_id)
    assert analysis.transcript is not None
    assert analysis.transcript.roles_confirmed
    assert analysis.report is not None


def test_the_transcript_is_encrypted_at_rest(demo_practice: Practice, ada: Clinician) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    with demo_practice.store.engine.connect() as connection:
        sealed = connection.execute(
            select(sessions.c.transcript_sealed).where(sessions.c.id == session_id)
        ).scalar_one()
    assert sealed.startswith("v1:")
    assert "wasting" not in sealed


def test_an_unreadable_file_names_the_file_and_stores_nothing(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    with pytest.raises(InvalidInput, match=r"broken\.txt"):
        demo_practice.import_transcript(ada, session_id, filename="broken.txt", data=b"no speaker here\n")
    assert demo_practice.session_analysis(ada, session_id).transcript is None


def test_a_transcript_with_one_speaker_is_refused_as_no_conversation_and_stores_nothing(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    monologue = b"Dana: Notes to self.\nDana: Ask about sleep next time.\n"
    with pytest.raises(
        InvalidInput, match=r"notes\.txt has one speaker \(Dana\), so there is no conversation"
    ):
        demo_practice.import_transcript(ada, session_id, filename="notes.txt", data=monologue)
    assert demo_practice.session_analysis(ada, session_id).transcript is None


def test_confirming_an_unknown_speaker_is_refused(demo_practice: Practice, ada: Clinician) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT)
    with pytest.raises(InvalidInput, match="Dana, Sam"):
        demo_practice.confirm_transcript_roles(ada, session_id, "Nobody")


def test_only_the_owner_imports_and_others_cannot_read(
    demo_practice: Practice, ada: Clinician, ben: Clinician, sol: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    with pytest.raises(PermissionDenied):
        demo_practice.import_transcript(sol, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    assert demo_practice.session_analysis(sol, session_id).read_only
    with pytest.raises(NotFound):
        demo_practice.session_analysis(ben, session_id)


def test_the_demo_practice_shows_a_session_report_from_its_own_transcript(
    demo_practice: Practice, ada: Clinician
) -> None:
    demo = DEMO_TRANSCRIPTS[0]
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title == demo.case_title)
    session = demo_practice.case_detail(ada, case.id).sessions[demo.session_number - 1]
    analysis = demo_practice.session_analysis(ada, session.id)
    assert analysis.transcript is not None
    assert analysis.transcript.filename == demo.filename
    assert analysis.report is not None
    therapist_turns = [t for t in analysis.transcript.conversation.turns if t.role is SpeakerRole.THERAPIST]
    assert {t.speaker for t in therapist_turns} == {demo.therapist}


def test_a_session_keeps_its_transcript_unless_the_therapist_asks_to_replace_it(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    other = b"Dana: Shall we start?\nSam: Yes.\n"
    with pytest.raises(InvalidInput, match="already has a transcript"):
        demo_practice.import_transcript(ada, session_id, filename="s2.txt", data=other, therapist="Dana")
    kept = demo_practice.session_analysis(ada, session_id).transcript
    assert kept is not None
    assert len(kept.conversation.turns) == 4
    demo_practice.import_transcript(
        ada, session_id, filename="s2.txt", data=other, therapist="Dana", replace=True
    )
    replaced = demo_practice.session_analysis(ada, session_id).transcript
    assert replaced is not None
    assert len(replaced.conversation.turns) == 2


def test_a_transcript_the_client_map_quotes_is_never_replaced(
    demo_practice: Practice, ada: Clinician
) -> None:
    demo = DEMO_TRANSCRIPTS[0]
    case = next(s.case for s in demo_practice.caseload(ada) if s.case.title == demo.case_title)
    session = demo_practice.case_detail(ada, case.id).sessions[demo.session_number - 1]
    before = demo_practice.session_analysis(ada, session.id).transcript
    with pytest.raises(InvalidInput, match=r"client map entr.*pattern moment"):
        demo_practice.import_transcript(
            ada, session.id, filename="s.txt", data=TRANSCRIPT, therapist="Dana", replace=True
        )
    assert demo_practice.session_analysis(ada, session.id).transcript == before


def test_the_audit_trail_never_names_the_uploaded_file(demo_practice: Practice, ada: Clinician) -> None:
    """File names often carry the client's name, and administrators read the audit trail."""
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(
        ada, session_id, filename="sam-jones-week-1.txt", data=TRANSCRIPT, therapist="Dana"
    )
    with demo_practice.store.transaction() as work:
        details = [event.detail or "" for event in work.audit.recent(500)]
    assert not any("sam-jones" in detail for detail in details)
    assert any("4 turns" in detail for detail in details)


def mara_session_3(practice: Practice, ada: Clinician) -> int:
    mara = next(s.case for s in practice.caseload(ada) if s.case.title.startswith("Mara"))
    return practice.case_detail(ada, mara.id).sessions[2].id


def test_a_dismissed_suggestion_stays_out_of_the_report_until_it_is_shown_again(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    ids = [suggestion.id for suggestion in report.suggestions]
    assert "opening" in ids
    assert "turn-11" in ids
    demo_practice.dismiss_report_suggestion(ada, session_id, "turn-11")
    demo_practice.dismiss_report_suggestion(ada, session_id, "opening")
    analysis = demo_practice.session_analysis(ada, session_id)
    assert analysis.report is not None
    assert [s.id for s in analysis.report.suggestions] == [i for i in ids if i not in ("turn-11", "opening")]
    assert all(hm.suggestion is None for hm in analysis.report.moments if hm.moment.turn == 11)
    assert analysis.dismissed_suggestions == 2
    assert demo_practice.restore_report_suggestions(ada, session_id, "opening") == 1
    assert demo_practice.restore_report_suggestions(ada, session_id) == 1
    restored = demo_practice.session_analysis(ada, session_id).report
    assert restored is not None
    assert [s.id for s in restored.suggestions] == ids


def test_only_the_therapist_dismisses_a_suggestion_and_only_one_that_can_exist(
    demo_practice: Practice, ada: Clinician, sol: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    with pytest.raises(PermissionDenied):
        demo_practice.dismiss_report_suggestion(sol, session_id, "opening")
    no_transcript = demo_practice.case_detail(ada, demo_practice.caseload(ada)[0].case.id).sessions[0].id
    with pytest.raises(InvalidInput, match="There is no suggestion"):
        demo_practice.dismiss_report_suggestion(ada, no_transcript, "opening")
    for wrong in ("turn-x", "turn-²", "turn-1234567", "../opening", "", "turn-5", "turn-011"):
        with pytest.raises(InvalidInput, match="There is no suggestion"):
            demo_practice.dismiss_report_suggestion(ada, session_id, wrong)
    assert demo_practice.session_analysis(ada, session_id).dismissed_suggestions == 0


def test_a_session_booked_ahead_takes_no_transcript_until_it_is_held(
    demo_practice: Practice, ada: Clinician
) -> None:
    mara = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Mara"))
    booked = max(demo_practice.case_detail(ada, mara.id).sessions, key=lambda session: session.held_on)
    with pytest.raises(InvalidInput, match=r"is booked for .*once it has been held\. Nothing was stored\."):
        demo_practice.import_transcript(ada, booked.id, filename="s.txt", data=TRANSCRIPT, therapist="Dana")
    assert demo_practice.session_analysis(ada, booked.id).transcript is None


COUPLE_TRANSCRIPT = b"""Dana: How did this week go for you both?
Jonah: Fine. Whatever.
Priya: It was hard. I felt on my own with it.
Dana: It sounds like the week landed differently for each of you.
Jonah: I guess.
"""


def test_a_couples_report_shows_each_partners_check_in_by_name(
    demo_practice: Practice, ada: Clinician
) -> None:
    couple = next(s.case for s in demo_practice.caseload(ada) if s.case.title.startswith("Jonah"))
    monitoring = demo_practice.case_monitoring(ada, couple.id)
    returned = {}
    for track in monitoring.tracks:
        for entry in track.history:
            returned.setdefault(entry.check_in.session_id, set()).add(track.client.id)
    session_id = next(s for s, clients in returned.items() if len(clients) == 2)
    demo_practice.import_transcript(
        ada, session_id, filename="couple.txt", data=COUPLE_TRANSCRIPT, therapist="Dana"
    )
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    assert [check_in.client_name for check_in in report.check_ins] == [c.display_name for c in couple.clients]
    for disagreement in report.disagreements:
        assert disagreement.title.split("'s check-in")[0] in {c.display_name for c in couple.clients}


def test_a_transcript_longer_than_any_session_is_refused_and_stores_nothing(
    demo_practice: Practice, ada: Clinician, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcripts_facade, "MAX_SESSION_TURNS", 3)
    session_id = first_session_id(demo_practice, ada)
    with pytest.raises(InvalidInput, match="has 4 turns; a session transcript here may have up to 3"):
        demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    assert demo_practice.session_analysis(ada, session_id).transcript is None


INTERPRETED = b"""Dana: What brings you here today?
Lena: She asks what brings you here today.
Sam: I can't sleep, and work is too much.
Lena: He says he cannot sleep and work is too much.
Dana: That sounds exhausting.
"""


def test_a_speaker_who_is_no_client_is_left_out_of_the_clients_turns(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=INTERPRETED)
    demo_practice.confirm_transcript_roles(ada, session_id, "Dana", not_clients=("Lena",))
    analysis = demo_practice.session_analysis(ada, session_id)
    assert analysis.result is not None
    roles = {turn.speaker: turn.role for turn in analysis.result.conversation.turns}
    assert roles == {"Dana": SpeakerRole.THERAPIST, "Lena": SpeakerRole.OTHER, "Sam": SpeakerRole.CLIENT}


def test_confirmed_roles_can_be_changed_and_the_analysis_is_redone(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT)
    demo_practice.confirm_transcript_roles(ada, session_id, "Sam")  # the wrong speaker
    demo_practice.confirm_transcript_roles(ada, session_id, "Dana")
    analysis = demo_practice.session_analysis(ada, session_id)
    assert analysis.result is not None
    assert analysis.result.conversation.turns[0].role is SpeakerRole.THERAPIST
    talk = {a.target_turn for a in analysis.result.annotations if a.key == "talk_type"}
    assert talk == {1, 3}


def test_every_speaker_but_the_therapist_cannot_be_marked_no_client(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT)
    with pytest.raises(InvalidInput, match="At least one speaker must be a client"):
        demo_practice.confirm_transcript_roles(ada, session_id, "Dana", not_clients=("Sam",))
    with pytest.raises(InvalidInput, match="no speaker “Kim”"):
        demo_practice.confirm_transcript_roles(ada, session_id, "Dana", not_clients=("Kim",))


def test_changing_who_is_who_makes_a_quoted_turn_no_longer_client_said(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Sam")
    client_id = demo_practice.session_analysis(ada, session_id).case.clients[0].id
    entry = demo_practice.accept_suggestion(ada, session_id, 0, "presenting_concerns", client_id=client_id)
    assert entry.status is EpistemicStatus.CLIENT_SAID
    demo_practice.confirm_transcript_roles(ada, session_id, "Dana")
    (after,) = [e for e in demo_practice.client_map(ada, client_id).entries if e.id == entry.id]
    assert after.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert "no longer a client's" in (after.status_note or "")


def test_changing_who_is_who_makes_a_removed_entry_quoting_that_turn_no_longer_client_said_when_put_back(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Sam")
    client_id = demo_practice.session_analysis(ada, session_id).case.clients[0].id
    entry = demo_practice.accept_suggestion(ada, session_id, 0, "presenting_concerns", client_id=client_id)
    demo_practice.remove_entry(ada, entry.id, note="Not now.")

    demo_practice.confirm_transcript_roles(ada, session_id, "Dana")
    restored = demo_practice.restore_entry(ada, entry.id)

    assert restored.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert "no longer a client's" in (restored.status_note or "")
    assert "while it was off the map" in (demo_practice.entry_history(ada, entry.id)[-2].note or "")


def test_replacing_a_transcript_only_removed_entries_quote_turns_their_quotes_into_hypotheses_with_a_note(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Sam")
    client_id = demo_practice.session_analysis(ada, session_id).case.clients[0].id
    entry = demo_practice.accept_suggestion(ada, session_id, 0, "presenting_concerns", client_id=client_id)
    quoted = entry.provenance
    demo_practice.remove_entry(ada, entry.id)

    demo_practice.import_transcript(
        ada, session_id, filename="s2.txt", data=INTERPRETED, therapist="Dana", replace=True
    )
    restored = demo_practice.restore_entry(ada, entry.id)

    assert restored.status is EpistemicStatus.THERAPIST_HYPOTHESIS
    assert restored.provenance.kind is ProvenanceKind.THERAPIST
    (let_go,) = [
        step
        for step in demo_practice.entry_history(ada, entry.id)
        if step.action is ChangeAction.SOURCE_CHANGED
    ]
    assert let_go.old_source == quoted
    assert "was replaced while the entry was off the map" in (let_go.note or "")


def test_a_suggestion_in_the_therapists_own_words_stays_in_the_report_with_the_suggested_words_kept(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    before = demo_practice.session_analysis(ada, session_id).report
    assert before is not None
    suggested = next(s.text for s in before.suggestions if s.id == "turn-11")
    mine = "Last time, when we talked about the form, I wondered how it felt.\nCould we look at that?"
    assert demo_practice.reword_report_suggestion(ada, session_id, "turn-11", f"  {mine}  \n")
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    assert next(s.text for s in report.suggestions if s.id == "turn-11") == mine
    assert (
        next(hm.suggestion.text for hm in report.moments if hm.suggestion and hm.suggestion.id == "turn-11")
        == mine
    )
    assert report.edited_suggestions == {"turn-11": suggested}
    # The downloads are built from the same report, so they carry the therapist's words too.
    exported = demo_practice.session_analysis(ada, session_id, exported_as="report.html").report
    assert exported is not None
    assert exported.edited_suggestions == {"turn-11": suggested}


def test_the_therapists_words_are_sealed_and_the_audit_trail_never_holds_them(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    demo_practice.reword_report_suggestion(
        ada, session_id, "opening", "How has the week been since the form?"
    )
    with demo_practice.store.transaction() as work:
        stored = work.connection.execute(select(suggestion_edits)).one()
        details = [event.detail or "" for event in work.audit.recent(50)]
    assert "form" not in stored.text_sealed
    assert "suggestion put in own words" in details
    assert not any("form" in detail for detail in details)


def test_going_back_to_the_suggested_words_forgets_the_therapists_words(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    demo_practice.reword_report_suggestion(ada, session_id, "opening", "My own opening.")
    suggested = demo_practice.restore_suggested_words(ada, session_id, "opening")
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    assert report.opening_suggestion is not None
    assert report.opening_suggestion.text == suggested
    assert report.edited_suggestions == {}
    # Sending the suggested words themselves is going back to them as well.
    demo_practice.reword_report_suggestion(ada, session_id, "opening", "Mine again.")
    assert not demo_practice.reword_report_suggestion(ada, session_id, "opening", suggested)
    again = demo_practice.session_analysis(ada, session_id).report
    assert again is not None
    assert again.edited_suggestions == {}


def test_empty_or_overlong_words_are_refused_and_what_was_kept_stays(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    demo_practice.reword_report_suggestion(ada, session_id, "opening", "Kept words.")
    with pytest.raises(InvalidInput, match="empty"):
        demo_practice.reword_report_suggestion(ada, session_id, "opening", " \n ")
    with pytest.raises(InvalidInput, match="up to 2,000 characters"):
        demo_practice.reword_report_suggestion(ada, session_id, "opening", "x" * 2_001)
    with pytest.raises(InvalidInput, match="There is no suggestion"):
        demo_practice.reword_report_suggestion(ada, session_id, "turn-5", "Words.")
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    assert report.opening_suggestion is not None
    assert report.opening_suggestion.text == "Kept words."


def test_only_the_therapist_puts_a_suggestion_in_their_own_words(
    demo_practice: Practice, ada: Clinician, sol: Clinician
) -> None:
    session_id = mara_session_3(demo_practice, ada)
    with pytest.raises(PermissionDenied):
        demo_practice.reword_report_suggestion(sol, session_id, "opening", "Words.")
    with pytest.raises(PermissionDenied):
        demo_practice.restore_suggested_words(sol, session_id, "opening")


def test_own_words_for_a_suggestion_the_report_no_longer_makes_are_not_shown(
    demo_practice: Practice, ada: Clinician
) -> None:
    session_id = first_session_id(demo_practice, ada)
    demo_practice.import_transcript(ada, session_id, filename="s1.txt", data=TRANSCRIPT, therapist="Dana")
    demo_practice.reword_report_suggestion(ada, session_id, "opening", "My words for the first transcript.")
    # A new analysis that suggests other words for the same turn: the edit was about other words.
    with demo_practice.store.transaction() as work:
        work.connection.execute(
            update(suggestion_edits).values(
                suggested_sealed=work.suggestion_edits.cipher.seal(
                    "Older words.", field="suggestion_edits.suggested"
                )
            )
        )
    report = demo_practice.session_analysis(ada, session_id).report
    assert report is not None
    assert report.opening_suggestion is not None
    assert report.opening_suggestion.text != "My words for the first transcript."
    # A replaced transcript lets go of them altogether.
    other = b"Dana: Shall we start?\nSam: Yes.\n"
    demo_practice.import_transcript(
        ada, session_id, filename="s2.txt", data=other, therapist="Dana", replace=True
    )
    with demo_practice.store.transaction() as work:
        assert work.suggestion_edits.for_session(session_id) == []
