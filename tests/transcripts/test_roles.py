from pathlib import Path

import pytest

from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.transcripts import (
    RoleSource,
    TranscriptError,
    assign_roles,
    guess_roles,
    read_transcript,
    read_transcript_with_roles,
)

SHARED_ANNOMI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "annomi"


def conversation(*lines: str) -> Conversation:
    turns = []
    for index, line in enumerate(lines):
        speaker, text = line.split(": ", 1)
        turns.append(Turn(index=index, speaker=speaker, role=SpeakerRole.OTHER, text=text))
    return Conversation(id="c", turns=tuple(turns))


SESSION = conversation(
    "Speaker 1: What brings you in today?",
    "Speaker 2: I have been feeling low and I can't sleep.",
    "Speaker 1: It sounds like you're exhausted. How long has it been like this?",
    "Speaker 2: Since my mum died. I miss her.",
    "Speaker 1: You miss her a lot.",
)


def test_explicit_therapist_is_matched_ignoring_case_and_spacing():
    roles = assign_roles(SESSION, therapist="  speaker   2 ")

    assert roles.therapist == "Speaker 2"
    assert roles.as_dict() == {"Speaker 1": SpeakerRole.CLIENT, "Speaker 2": SpeakerRole.THERAPIST}
    assert (roles.confidence, roles.source, roles.needs_confirmation) == (1.0, RoleSource.EXPLICIT, False)


def test_explicit_therapist_who_is_not_a_speaker_lists_the_speakers():
    with pytest.raises(
        TranscriptError,
        match=r'^s\.txt: expected the therapist "Dr Who" to be one of the speakers, '
        r'who are "Speaker 1", "Speaker 2"',
    ):
        assign_roles(SESSION, therapist="Dr Who", filename="s.txt")


def test_guess_picks_the_speaker_who_asks_and_reflects_and_asks_to_confirm():
    roles = guess_roles(SESSION)

    assert roles.therapist == "Speaker 1"
    assert roles.needs_confirmation
    assert 0.5 < roles.confidence < 1.0
    assert "speaks first" in roles.reasons


def test_guess_trusts_a_therapist_name_over_who_speaks_first():
    session = conversation("Jo: I don't know why I'm here.", "Counsellor: Shall we find out together?")

    assert guess_roles(session).therapist == "Counsellor"


def test_guess_makes_everyone_else_a_client_in_couple_sessions():
    session = conversation(
        "Dr Lee: What would you each like from today?",
        "Ana: I want him to listen.",
        "Bo: I do listen.",
    )

    assert guess_roles(session).as_dict() == {
        "Dr Lee": SpeakerRole.THERAPIST,
        "Ana": SpeakerRole.CLIENT,
        "Bo": SpeakerRole.CLIENT,
    }


def test_guess_with_one_speaker_leaves_roles_open_with_zero_confidence():
    roles = guess_roles(conversation("Ana: I am talking to myself."))

    assert (roles.therapist, roles.confidence) == (None, 0.0)
    assert roles.as_dict() == {"Ana": SpeakerRole.OTHER}


def test_guess_is_unsure_when_two_unknown_speakers_talk_alike():
    session = conversation("Speaker 1: Fine.", "Speaker 2: Fine.")

    assert guess_roles(session).confidence < 0.6


def test_read_transcript_with_roles_reports_the_guess_for_confirmation():
    [read] = read_transcript_with_roles(b"Speaker 1: What brings you here?\nSpeaker 2: My sleep.\n", "s.txt")

    assert read.roles.therapist == "Speaker 1"
    assert read.roles.source is RoleSource.GUESSED
    assert read.conversation.turns[0].role is SpeakerRole.THERAPIST


@pytest.mark.shared
def test_guess_finds_the_therapist_in_almost_every_annomi_session_with_names_hidden():
    path = SHARED_ANNOMI / "AnnoMI-simple.dev.csv"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is only on the development machines)")
    correct = 0
    sessions = read_transcript(path)
    for session in sessions:
        hidden = {"Therapist": "Speaker A", "Client": "Speaker B"}
        if session.turns[0].speaker == "Client":
            hidden = {"Therapist": "Speaker B", "Client": "Speaker A"}
        anonymous = Conversation(
            id=session.id,
            turns=tuple(
                Turn(index=turn.index, speaker=hidden[turn.speaker], role=SpeakerRole.OTHER, text=turn.text)
                for turn in session.turns
            ),
        )
        correct += guess_roles(anonymous).therapist == hidden["Therapist"]

    assert correct / len(sessions) >= 0.95
