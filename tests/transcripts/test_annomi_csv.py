from pathlib import Path

import pytest

from safeenough.domain.conversation import SpeakerRole
from safeenough.transcripts import TranscriptError, read_transcript
from safeenough.transcripts.annomi_csv import read_annomi_csv
from safeenough.transcripts.source import Source

DATA = Path(__file__).parent / "data"
# Our own fictional utterances, laid out as AnnoMI lays out its CSV.
TABLE = "utterance_table.csv"
SHARED_ANNOMI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "annomi"


def read(text: str, filename: str = "annomi.csv"):
    return read_annomi_csv(Source(filename, text.encode()))


def test_annomi_csv_gives_one_conversation_per_transcript_in_utterance_order():
    conversations = read_annomi_csv(Source(TABLE, (DATA / TABLE).read_bytes()))

    assert [conversation.id for conversation in conversations] == ["7", "12"]
    first = conversations[0]
    assert [turn.source_id for turn in first.turns] == ["0", "1", "2"]
    assert [turn.role for turn in first.turns] == [
        SpeakerRole.THERAPIST,
        SpeakerRole.CLIENT,
        SpeakerRole.THERAPIST,
    ]
    assert first.turns[0].speaker == "Therapist"
    assert first.turns[1].start_seconds == 5.0


def test_annomi_csv_keeps_quoted_text_that_spans_lines():
    conversations = read_annomi_csv(Source(TABLE, (DATA / TABLE).read_bytes()))

    assert conversations[1].turns[1].text == "I've heard that before.\nMany times."


def test_annomi_csv_reads_a_repeated_utterance_once():
    text = (
        "transcript_id,utterance_id,interlocutor,utterance_text\n"
        "1,0,therapist,Hi\n1,0,therapist,Hi\n1,1,client,Hello\n"
    )

    [conversation] = read(text)

    assert [turn.text for turn in conversation.turns] == ["Hi", "Hello"]


def test_annomi_csv_repeated_utterance_with_other_text_names_both_lines():
    text = "transcript_id,utterance_id,interlocutor,utterance_text\n1,0,therapist,Hi\n1,0,therapist,Bye\n"

    with pytest.raises(TranscriptError, match=r"^annomi\.csv, line 3: utterance 0 of transcript 1 already "):
        read(text)


def test_annomi_csv_missing_columns_are_named():
    with pytest.raises(
        TranscriptError, match=r"^annomi\.csv, line 1: expected a header row .* missing interlocutor"
    ):
        read("transcript_id,utterance_id,utterance_text\n1,0,Hi\n")


def test_annomi_csv_unknown_interlocutor_names_the_line():
    text = "transcript_id,utterance_id,interlocutor,utterance_text\n1,0,therapist,Hi\n1,1,narrator,Once\n"

    with pytest.raises(TranscriptError, match=r'line 3: expected interlocutor "therapist" or "client"'):
        read(text)


def test_annomi_csv_utterance_id_that_is_not_a_number_names_the_line():
    text = "transcript_id,utterance_id,interlocutor,utterance_text\n1,first,therapist,Hi\n"

    with pytest.raises(TranscriptError, match=r"line 2: expected utterance_id to be a whole number"):
        read(text)


def test_annomi_csv_ignores_a_therapist_name_because_roles_are_given():
    conversations = read_transcript(DATA / TABLE, therapist="Someone")

    assert conversations[0].turns[0].role is SpeakerRole.THERAPIST


@pytest.mark.shared
def test_annomi_dev_csv_gives_93_conversations():
    path = SHARED_ANNOMI / "AnnoMI-simple.dev.csv"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is only on the development machines)")

    conversations = read_transcript(path)

    assert len(conversations) == 93
    assert sum(len(conversation.turns) for conversation in conversations) == 6997


@pytest.mark.shared
def test_annomi_full_csv_with_one_row_per_annotator_gives_the_same_turns():
    simple, full = SHARED_ANNOMI / "AnnoMI-simple.dev.csv", SHARED_ANNOMI / "AnnoMI-full.dev.csv"
    if not (simple.exists() and full.exists()):
        pytest.skip(f"{SHARED_ANNOMI} is not here (../shared is only on the development machines)")

    by_id = {conversation.id: conversation for conversation in read_transcript(full)}

    assert by_id == {conversation.id: conversation for conversation in read_transcript(simple)}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_annomi_csv_separated_by_semicolons_or_tabs_is_read_like_one_with_commas(delimiter):
    rows = [
        ["transcript_id", "utterance_id", "interlocutor", "utterance_text"],
        ["s1", "0", "therapist", '"Hi Mara; good to see you."'],
        ["s1", "1", "client", '"Honestly; not great."'],
    ]
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"

    [conversation] = read(text, "semi.csv")

    assert [(turn.role, turn.text) for turn in conversation.turns] == [
        (SpeakerRole.THERAPIST, "Hi Mara; good to see you."),
        (SpeakerRole.CLIENT, "Honestly; not great."),
    ]
