from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.transcripts import TranscriptError, read_transcript
from safeenough.transcripts.source import Source
from safeenough.transcripts.srt import read_srt

DATA = Path(__file__).parent / "data"


def test_srt_reader_takes_speaker_from_name_prefix_with_times():
    conversation = read_srt(Source("session.srt", (DATA / "session.srt").read_bytes()))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Therapist", "What brings you here today?"),
        ("Client", "My partner thinks I drink too much."),
        ("Therapist", "And what do you think?"),
    ]
    assert (conversation.turns[1].start_seconds, conversation.turns[1].end_seconds) == (3.5, 6.0)
    assert [turn.source_id for turn in conversation.turns] == ["1", "2", "3"]


def test_srt_reader_reads_crlf_and_cp1252_text():
    data = "1\r\n00:00:01,000 --> 00:00:02,000\r\nAna: Caf\xe9 talk\r\n".encode("cp1252")

    conversation = read_srt(Source("old.srt", data))

    assert conversation.turns[0].text == "Café talk"


def test_srt_that_is_not_srt_names_file_and_line():
    with pytest.raises(TranscriptError, match=r"^notes\.srt, line 1: expected an SRT file"):
        read_srt(Source("notes.srt", b"just some words\n"))


def test_srt_is_detected_by_content_when_the_extension_is_unknown():
    [conversation] = read_transcript((DATA / "session.srt").read_bytes(), "export.sub", therapist="therapist")

    assert conversation.id == "export"
    assert conversation.turns[0].speaker == "Therapist"


def test_srt_reader_reads_dialogue_dashes_before_names():
    data = b"1\n00:00:01,000 --> 00:00:03,000\n- Ana: Ready?\n- Bo: Yes.\n"

    conversation = read_srt(Source("dash.srt", data))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [("Ana", "Ready?"), ("Bo", "Yes.")]


def test_srt_cue_with_a_mistyped_arrow_is_refused_rather_than_glued_to_the_cue_before():
    data = (
        b"1\n00:00:01,000 --> 00:00:04,000\nDr. Lee: Hi Mara.\n\n"
        b"2\n00:00:04,000 --> 00:00:06,000\nMara: Hi there.\nI am fine.\n\n"
        b"3\n00:00:06,000 -> 00:00:08,000\nDr. Lee: Good.\n\n"
        b"4\n00:00:08,000 --> 00:00:09,000\nMara: ok\n"
    )

    with pytest.raises(TranscriptError) as raised:
        read_srt(Source("typo.srt", data))

    assert str(raised.value) == (
        'typo.srt, line 11: expected a cue timing line "00:00:01,000 --> 00:00:04,000" '
        "(the start, \"-->\", the end) but found '00:00:06,000 -> 00:00:08,000'"
    )


def test_srt_cue_without_its_number_is_refused_rather_than_dropped():
    data = (
        b"1\n00:00:01,000 --> 00:00:02,000\nAna: Hi.\n\n"
        b"00:00:02,000 --> 00:00:03,000\nBo: Lost?\n\n"
        b"3\n00:00:03,000 --> 00:00:04,000\nAna: Hello.\n"
    )

    with pytest.raises(TranscriptError, match=r"^gap\.srt, line 5: expected a cue: .* with its number"):
        read_srt(Source("gap.srt", data))


def test_srt_cue_ids_are_the_cue_numbers_even_after_an_empty_cue():
    data = (
        b"1\n00:00:01,000 --> 00:00:02,000\nAna: Hi.\n\n"
        b"2\n00:00:02,000 --> 00:00:03,000\n\n"
        b"3\n00:00:03,000 --> 00:00:04,000\nBo: Hello.\n"
    )

    conversation = read_srt(Source("empty.srt", data))

    assert [(turn.source_id, turn.speaker, turn.start_seconds) for turn in conversation.turns] == [
        ("1", "Ana", 1.0),
        ("3", "Bo", 3.0),
    ]


def test_srt_reader_strips_font_tags_and_decodes_character_references():
    data = b'1\n00:00:01,000 --> 00:00:04,000\n<font color="#fff">Ana: Tom &amp; me</font>\n'

    conversation = read_srt(Source("tags.srt", data))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [("Ana", "Tom & me")]


cue_words = st.from_regex(r"\A[A-Za-z][A-Za-z ,.?!']{0,30}\Z").filter(lambda text: text.strip() != "")


@given(
    st.lists(
        st.tuples(st.sampled_from(["Ana", "Bo", "Dr. Lee"]), st.one_of(st.just(""), cue_words)), max_size=8
    )
)
def test_srt_cues_are_never_lost_and_keep_their_numbers(cues):
    blocks = []
    for number, (name, said) in enumerate(cues, start=1):
        text = f"{name}: {said}\n" if said else ""
        blocks.append(f"{number}\n00:00:{number:02},000 --> 00:00:{number:02},500\n{text}")
    blocks.append(f"{len(cues) + 1}\n00:01:00,000 --> 00:01:01,000\nAna: End.\n")

    conversation = read_srt(Source("cues.srt", "\n".join(blocks).encode()))

    spoken = [(str(number), name, said.strip()) for number, (name, said) in enumerate(cues, start=1) if said]
    assert [(turn.source_id, turn.speaker, turn.text) for turn in conversation.turns] == [
        *spoken,
        (str(len(cues) + 1), "Ana", "End."),
    ]
