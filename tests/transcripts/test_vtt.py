from pathlib import Path

import pytest

from safeenough.domain.conversation import SpeakerRole
from safeenough.transcripts import TranscriptError, read_transcript
from safeenough.transcripts.source import Source
from safeenough.transcripts.vtt import read_vtt

DATA = Path(__file__).parent / "data"


def read(text: str, filename: str = "session.vtt"):
    return read_vtt(Source(filename, text.encode()))


def test_vtt_reader_takes_speaker_from_voice_span():
    conversation = read_vtt(Source("teams_voice.vtt", (DATA / "teams_voice.vtt").read_bytes()))

    assert [turn.speaker for turn in conversation.turns] == [
        "Dr Mira Osei",
        "Sam Reyes",
        "Dr Mira Osei",
        "Sam Reyes",
    ]
    assert conversation.turns[1].text == "I've been sleeping badly. Work has been a lot."


def test_vtt_reader_strips_cue_tags_and_keeps_timings_and_cue_ids():
    conversation = read_vtt(Source("teams_voice.vtt", (DATA / "teams_voice.vtt").read_bytes()))
    turn = conversation.turns[2]

    assert turn.text == "It sounds like work is weighing on you."
    assert (turn.start_seconds, turn.end_seconds) == (8.5, 12.0)
    assert turn.source_id == "a1b2/3-0"


def test_vtt_reader_keeps_overlapping_cues_in_file_order():
    conversation = read_vtt(Source("teams_voice.vtt", (DATA / "teams_voice.vtt").read_bytes()))

    assert conversation.turns[1].end_seconds == 9.0
    assert conversation.turns[2].start_seconds == 8.5
    assert [turn.index for turn in conversation.turns] == [0, 1, 2, 3]


def test_vtt_reader_takes_speaker_from_name_prefix_and_joins_unnamed_cues():
    conversation = read_vtt(Source("zoom_prefix.vtt", (DATA / "zoom_prefix.vtt").read_bytes()))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Counsellor", "Welcome back. How has the week been?"),
        ("Jo Park", "Better than last week. I went for a walk twice."),
        ("Counsellor", "You made time for yourself."),
    ]
    assert conversation.turns[1].end_seconds == 8.0
    assert conversation.id == "zoom_prefix"


def test_vtt_reader_splits_a_cue_with_two_voices():
    conversation = read("WEBVTT\n\n00:01.000 --> 00:03.000\n<v Ana>Hi.\n<v Bo>Hello.\n")

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [("Ana", "Hi."), ("Bo", "Hello.")]


def test_vtt_reader_reads_bom_and_crlf():
    data = (DATA / "teams_voice.vtt").read_bytes().replace(b"\n", b"\r\n")

    conversation = read_vtt(Source("teams_voice.vtt", b"\xef\xbb\xbf" + data))

    assert len(conversation.turns) == 4
    assert conversation.turns[0].text == "Hello Sam. What would you like to talk about today?"


def test_vtt_without_header_names_file_and_line_one():
    with pytest.raises(TranscriptError, match=r'^notes\.vtt, line 1: expected a WebVTT file: "WEBVTT"'):
        read("Ana: hello\n", "notes.vtt")


def test_vtt_with_broken_timing_names_the_line_of_the_cue():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ana>Hi.\n\n00:0x.000 --> 00:03.000\n<v Bo>Yo.\n"

    with pytest.raises(TranscriptError, match=r"^session\.vtt, line 6: expected a WebVTT file"):
        read(text)


def test_vtt_whose_first_cue_has_no_speaker_names_the_line():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nhello there\n"

    with pytest.raises(TranscriptError) as raised:
        read(text)

    assert str(raised.value).startswith(
        'session.vtt, line 4: expected the first cue to name its speaker with "<v Name>" or "Name:"'
    )


def test_vtt_with_no_cues_says_it_found_no_speakers():
    with pytest.raises(TranscriptError, match="found no speakers"):
        read("WEBVTT\n\nNOTE nothing here\n")


def test_vtt_cue_ending_before_it_starts_is_refused_with_its_line():
    with pytest.raises(TranscriptError, match=r"line 3: expected the cue to end after it starts"):
        read("WEBVTT\n\n00:05.000 --> 00:02.000\n<v Ana>Hi.\n")


def test_read_transcript_picks_vtt_reader_by_extension_and_guesses_the_therapist():
    [conversation] = read_transcript(DATA / "teams_voice.vtt")

    roles = {turn.speaker: turn.role for turn in conversation.turns}
    assert roles == {"Dr Mira Osei": SpeakerRole.THERAPIST, "Sam Reyes": SpeakerRole.CLIENT}


def test_vtt_cue_whose_timing_line_lost_its_arrow_is_refused_with_its_line():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nDr. Lee: Hi Mara.\n\n"
        "00:00:04.000 00:00:06.000\nMara: Hi.\n\n00:00:06.000 --> 00:00:08.000\nDr. Lee: How are you?\n"
    )

    with pytest.raises(TranscriptError) as raised:
        read(text)

    assert str(raised.value) == (
        'session.vtt, line 6: expected a cue timing line "00:00:01.000 --> 00:00:04.000" '
        "(the start, \"-->\", the end) but found '00:00:04.000 00:00:06.000'"
    )


def test_vtt_cue_ids_are_cue_numbers_when_cues_have_no_identifiers():
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ana>Hi.\n\n00:02.000 --> 00:03.000\n\n"
        "00:03.000 --> 00:04.000\n<v Bo>Hello.\n"
    )

    conversation = read(text)

    assert [(turn.source_id, turn.speaker) for turn in conversation.turns] == [("1", "Ana"), ("3", "Bo")]


def test_vtt_reader_decodes_character_references_in_names_and_words():
    text = (
        "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Dr. Lee>You &amp; your kids &lt;3 &#8212; right?</v>\n\n"
        "00:04.000 --> 00:06.000\n<v Mara &amp; Jo>Yes &gt; no.</v>\n\n"
        "00:06.000 --> 00:07.000\nDr. Lee: Tom &amp; Jerry &lt;b&gt;\n"
    )

    conversation = read(text)

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Dr. Lee", "You & your kids <3 — right?"),
        ("Mara & Jo", "Yes > no."),
        ("Dr. Lee", "Tom & Jerry <b>"),
    ]


def test_vtt_cue_whose_first_text_line_is_only_spaces_keeps_its_line_and_id():
    conversation = read(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n   \n<v Ana>Hi.\n\n00:02.000 --> 00:03.000\n<v Bo>Yo.\n"
    )

    assert [(turn.source_id, turn.speaker) for turn in conversation.turns] == [("1", "Ana"), ("2", "Bo")]


def test_a_teams_transcript_with_guid_cue_ids_style_and_note_blocks_keeps_every_turn():
    conversation = read_vtt(Source("teams.vtt", (DATA / "teams_guid_cues.vtt").read_bytes()))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Dana Reyes", "Hi Sam, how has the week been?"),
        ("Sam Okafor", "Honestly: not great."),
        ("Sam Okafor", "Time: 3pm on Tuesday it all fell apart."),
        ("Dana Reyes", "Mm. Say more."),
    ]
    assert conversation.turns[0].source_id == "3f2a9c1e-7b4d-4e8a-9c2b-1d5e6f7a8b9c/12-0"
    assert (conversation.turns[2].start_seconds, conversation.turns[2].end_seconds) == (8.0, 10.0)
