from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.transcripts import TranscriptError
from safeenough.transcripts.source import Source
from safeenough.transcripts.text import (
    Entry,
    is_header_key,
    looks_like_a_name,
    match_speaker_line,
    parse_entries,
    parse_lines,
    read_text,
    reads_like_a_sentence,
)

DATA = Path(__file__).parent / "data"


def read(text: str, filename: str = "session3.txt"):
    return read_text(Source(filename, text.encode()))


def test_text_reader_joins_continuation_lines_to_the_previous_turn():
    conversation = read_text(Source("session.txt", (DATA / "session.txt").read_bytes()))

    assert [turn.speaker for turn in conversation.turns] == ["Therapist", "Alex", "Therapist", "Alex"]
    assert conversation.turns[1].text == (
        "I keep arguing with my sister. It started after our dad got ill, and now every call ends badly."
    )
    assert conversation.id == "session"


def test_text_reader_keeps_consecutive_lines_of_one_speaker_as_separate_turns():
    conversation = read("Ana: One.\nAna: Two.\n")

    assert [turn.text for turn in conversation.turns] == ["One.", "Two."]


def test_text_reader_records_the_line_number_as_source_id():
    conversation = read("Ana: Hi.\n\nBo: Hello.\n")

    assert [turn.source_id for turn in conversation.turns] == ["1", "3"]


def test_text_reader_reads_timestamps_before_the_name():
    conversation = read("[00:01:02] Ana: Hi.\n01:03 Bo: Hello.\n")

    assert [(turn.speaker, turn.start_seconds) for turn in conversation.turns] == [
        ("Ana", 62.0),
        ("Bo", 63.0),
    ]


@pytest.mark.parametrize(
    "line",
    ["We met at 10:30 as planned.", "See https://example.org for more", "The ratio was 2:1", "Note:no space"],
)
def test_text_reader_does_not_take_times_links_or_ratios_for_speakers(line):
    assert match_speaker_line(line) is None


def test_text_line_with_no_speaker_before_it_names_file_line_and_expectation():
    with pytest.raises(TranscriptError) as raised:
        read("\n\n\n\n\n\nthis line has no speaker, but it is talk.\nAna: hi\n")

    assert str(raised.value).startswith(
        'session3.txt, line 7: expected "Name: words" but found a line with no speaker before it'
    )
    assert raised.value.line == 7


def test_text_with_only_names_and_no_words_is_refused():
    with pytest.raises(TranscriptError, match="found no talk"):
        read("Ana:\nBo:\n")


def test_text_reader_reads_utf16_from_windows_notepad():
    data = "Ana: Grüße\r\nBo: Hallo\r\n".encode("utf-16")

    conversation = read_text(Source("notepad.txt", data))

    assert conversation.turns[0].text == "Grüße"


def test_text_reader_normalises_spacing_in_names():
    conversation = read("Dr  Ana   Lee: Hi.\nDr Ana Lee: Again.\n")

    assert conversation.speakers == ("Dr Ana Lee",)


names = st.from_regex(r"\A[A-Z][a-z.'-]{1,11}( [A-Z][a-z.'-]{1,11}){0,2}\Z").filter(looks_like_a_name)
words = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80
).filter(lambda text: text.strip() != "")


@given(st.lists(st.tuples(names, words), min_size=1, max_size=12))
def test_text_round_trip_of_name_words_lines(turns):
    lines = [f"{name}: {said}" for name, said in turns]

    conversation = parse_lines(Source("t.txt", b"x"), lines, conversation_id="t")

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        (name, said.strip()) for name, said in turns
    ]


labels = st.from_regex(r"\A[a-z][a-z.'-]{0,11}( [a-z][a-z.'-]{0,11}){0,2}\Z").filter(
    lambda label: not reads_like_a_sentence(label) and not is_header_key(label)
)


@given(st.lists(st.tuples(labels, words), min_size=1, max_size=12))
def test_text_labels_that_label_two_lines_are_speakers_even_in_lowercase(turns):
    lines = [f"{label}: {said}" for label, said in turns + turns]

    conversation = parse_lines(Source("t.txt", b"x"), lines, conversation_id="t")

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        (label, said.strip()) for label, said in turns + turns
    ]


continuation = st.from_regex(r"\A[a-z][a-z ,]{0,30}[a-z.]\Z").filter(lambda line: ":" not in line)


@given(names, st.lists(continuation, min_size=1, max_size=6))
def test_text_continuation_lines_become_one_turn(name, pieces):
    lines = [f"{name}: {pieces[0]}", *pieces[1:]]

    conversation = parse_lines(Source("t.txt", b"x"), lines, conversation_id="t")

    assert len(conversation.turns) == 1
    assert conversation.turns[0].text == " ".join(piece.strip() for piece in pieces)


reported_speech = st.tuples(
    st.sampled_from(["And my boss said", "The thing is", "What I mean is", "so she told me", "Honestly"]),
    continuation,
).map(lambda parts: f"{parts[0]}: {parts[1]}")


@given(
    names, names, st.lists(reported_speech, min_size=1, max_size=4, unique_by=lambda line: line.split(":")[0])
)
def test_text_one_off_labels_that_read_like_sentences_stay_in_the_turn(first, second, quoted):
    lines = [f"{first}: Hello.", f"{second}: Well.", *quoted, f"{first}: Go on."]

    conversation = parse_lines(Source("t.txt", b"x"), lines, conversation_id="t")

    assert [turn.text for turn in conversation.turns][1] == " ".join(["Well.", *quoted])


def test_text_continuation_line_with_reported_speech_stays_in_the_turn():
    conversation = read(
        "Dr. Lee: How was work?\nMara: The thing is: I just can't.\n"
        "And my boss said: you are late again.\nDr. Lee: Say more.\nMara: Fine.\n"
    )

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Dr. Lee", "How was work?"),
        ("Mara", "The thing is: I just can't. And my boss said: you are late again."),
        ("Dr. Lee", "Say more."),
        ("Mara", "Fine."),
    ]


def test_text_header_lines_before_the_first_speaker_are_skipped():
    conversation = read(
        "Transcript of session 3, 12 March 2026\nDate: 12 March 2026\n"
        "Participants: Dr. Lee and Mara\nSession 3: follow-up\n\n"
        "Dr. Lee: Hi Mara.\nMara: Hi.\nDr. Lee: How are you?\n"
    )

    assert [(turn.source_id, turn.speaker) for turn in conversation.turns] == [
        ("6", "Dr. Lee"),
        ("7", "Mara"),
        ("8", "Dr. Lee"),
    ]


def test_text_header_keys_after_the_conversation_started_stay_in_the_turn():
    conversation = read("Dr. Lee: Hi.\nMara: Hi.\nNote: she laughs.\nDr. Lee: Good.\n")

    assert conversation.turns[1].text == "Hi. Note: she laughs."


@pytest.mark.parametrize(
    ("line", "speaker", "seconds"),
    [
        ("Dr. Smith, PhD: Hello.", "Dr. Smith, PhD", None),
        ("1 Dr. Smith: Hello.", "Dr. Smith", None),
        ("12. Dr. Smith: Hello.", "Dr. Smith", None),
        ("[00:01:02] Dr. Smith: Hello.", "Dr. Smith", 62.0),
        ("00:01:02 Dr. Smith: Hello.", "Dr. Smith", 62.0),
        ("(00:01:02) - Dr. Smith: Hello.", "Dr. Smith", 62.0),
        ("Speaker 1 (Dr. Smith): Hello.", "Speaker 1 (Dr. Smith)", None),
        ("I: Hello.", "I", None),
    ],
)
def test_text_reader_reads_names_with_punctuation_line_numbers_and_timestamps(line, speaker, seconds):
    conversation = read(f"{line}\nMara: Hi.\n")

    assert (conversation.turns[0].speaker, conversation.turns[0].text) == (speaker, "Hello.")
    assert conversation.turns[0].start_seconds == seconds


@pytest.mark.parametrize("label", ["Mara", "Dr. Smith, PhD", "Speaker 2", "Ana de Souza", "T", "THERAPIST"])
def test_names_and_roles_look_like_names(label):
    assert looks_like_a_name(label)


@pytest.mark.parametrize(
    "label",
    ["And my boss said", "The thing is", "Honestly", "Date", "Participants", "Session 3", "lower case"],
)
def test_sentence_openings_and_header_keys_do_not_look_like_names(label):
    assert not looks_like_a_name(label)


def test_a_lone_speaker_with_a_name_like_label_is_still_read():
    conversation = read("Receptionist: Sorry to interrupt.\n")

    assert [turn.speaker for turn in conversation.turns] == ["Receptionist"]


def test_a_long_block_of_text_before_the_first_speaker_is_refused():
    header = "".join(f"Title line {number}\n" for number in range(12))

    with pytest.raises(TranscriptError, match=r"line 11: expected \"Name: words\""):
        read(header + "Ana: Hi.\n")


def test_a_one_off_lowercase_label_before_any_speaker_is_refused_rather_than_skipped():
    with pytest.raises(TranscriptError) as raised:
        read("Date: 12 March\ntherapist: Hi.\nClient: Hello.\nClient: Yes.\n")

    assert str(raised.value).startswith(
        "session3.txt, line 2: expected \"Name: words\" but found the label 'therapist' on this line only"
    )


def test_a_table_row_before_any_speaker_is_called_a_row():
    entries = [
        Entry(text="We were late, sorry.", number=1, place="table 1, row", speaker=""),
        Entry(text="Hi.", number=2, place="table 1, row", speaker="Ana"),
    ]

    with pytest.raises(TranscriptError, match=r"^t\.docx, table 1, row 1: .* found a row with no speaker"):
        parse_entries(Source("t.docx", b"x"), entries, conversation_id="t")


def test_research_labels_opened_by_a_header_word_are_speakers_when_they_recur() -> None:
    data = (
        b"Participant 1: I have not slept properly for weeks.\n"
        b"Interviewer: Thank you for coming. What brings you here today?\n"
        b"Participant 1: My wife sent me, honestly.\n"
        b"Interviewer: How do you see it yourself?\n"
        b"Participant 1: I think she is right.\n"
    )
    conversation = read_text(Source("interview.txt", data))
    assert [turn.speaker for turn in conversation.turns] == [
        "Participant 1",
        "Interviewer",
        "Participant 1",
        "Interviewer",
        "Participant 1",
    ]


def test_a_header_line_opened_by_a_header_word_is_still_skipped_when_it_appears_once() -> None:
    data = b"Session 3: follow-up\nDana: How are you?\nSam: Tired.\nDana: Tell me more.\n"
    assert [turn.speaker for turn in read_text(Source("s.txt", data)).turns] == ["Dana", "Sam", "Dana"]


def speakers_times_and_texts(conversation):
    return [(turn.speaker, turn.start_seconds, turn.text) for turn in conversation.turns]


def test_an_otter_export_reads_heading_lines_with_their_paragraphs_and_drops_otters_footer():
    conversation = read_text(Source("otter_export.txt", (DATA / "otter_export.txt").read_bytes()))

    assert speakers_times_and_texts(conversation) == [
        ("Speaker 1", 3.0, "Hi Sam, good to see you. How has the week been?"),
        ("Sam Okafor", 9.0, "Not great, honestly. Work: it never stops. And then Monday came."),
        ("Speaker 1", 3735.0, "Let's stop there for today."),
    ]
    assert [turn.source_id for turn in conversation.turns] == ["1", "4", "8"]


def test_a_rev_export_reads_the_timestamp_after_the_name():
    conversation = read_text(Source("rev_export.txt", (DATA / "rev_export.txt").read_bytes()))

    assert speakers_times_and_texts(conversation) == [
        ("Dana Reyes", 3.0, "Hi Sam, good to see you."),
        ("Sam Okafor", 9.0, "Not great, honestly. Time: 3pm on Tuesday, that's when it fell apart."),
        ("Dana Reyes", 75.0, "Tell me about Tuesday."),
    ]


def test_zooms_saved_captions_read_the_bracketed_name_and_keep_the_clock_time():
    conversation = read_text(Source("captions.txt", (DATA / "zoom_saved_captions.txt").read_bytes()))

    assert [(turn.speaker, turn.start_seconds) for turn in conversation.turns] == [
        ("Dana Reyes", 14 * 3600 + 2 * 60 + 11.0),
        ("Sam Okafor", 14 * 3600 + 2 * 60 + 15.0),
        ("Dana Reyes", 14 * 3600 + 2 * 60 + 20.0),
    ]


@pytest.mark.parametrize(
    ("heading", "speaker", "seconds"),
    [
        ("[00:00:03] Dana Reyes", "Dana Reyes", 3.0),
        ("00:00:03.120 Dana Reyes", "Dana Reyes", 3.12),
        ("Dana Reyes (00:03)", "Dana Reyes", 3.0),
        ("Dr. Lee [01:02:03]", "Dr. Lee", 3723.0),
        ("Dana Reyes\u00a0\u00a0\u00a00:03", "Dana Reyes", 3.0),
    ],
)
def test_heading_lines_of_transcription_services_start_a_turn_with_their_time(heading, speaker, seconds):
    conversation = read(f"{heading}\nHi Sam.\n\n[00:00:09] Sam\nHi.\n")

    assert speakers_times_and_texts(conversation)[0] == (speaker, seconds, "Hi Sam.")


def test_in_a_file_of_name_words_lines_a_line_of_a_name_and_a_time_stays_in_the_turn():
    conversation = read("Dr. Lee: When suits you?\nMara: Let me see.\nMonday 10:30\nDr. Lee: Good.\n")

    assert [turn.text for turn in conversation.turns] == [
        "When suits you?",
        "Let me see. Monday 10:30",
        "Good.",
    ]


def test_teams_notices_that_transcription_started_or_stopped_are_not_talk():
    conversation = read(
        "Dana Reyes started transcription\nDana Reyes  0:03\nHi Sam.\nSam Okafor  0:09\nHi.\n"
        "Dana Reyes stopped transcription\n"
    )

    assert [turn.text for turn in conversation.turns] == ["Hi Sam.", "Hi."]


def test_a_zoom_chat_log_is_refused_as_a_chat_rather_than_read_as_talk():
    with pytest.raises(TranscriptError) as raised:
        read_text(Source("chat.txt", (DATA / "zoom_chat.txt").read_bytes()))

    assert str(raised.value).startswith("chat.txt, line 1: this looks like a Zoom chat log")
    assert "download the audio transcript (.vtt)" in str(raised.value)


def test_an_older_zoom_chat_log_is_not_read_as_a_speaker_called_from():
    with pytest.raises(TranscriptError, match="Zoom chat log"):
        read("14:02:11\t From  Dana Reyes : Hi Sam\n14:02:40\t From  Sam Okafor : Thanks!\n")


def test_a_caption_timing_line_in_a_text_transcript_is_refused_with_what_to_do():
    with pytest.raises(TranscriptError) as raised:
        read("Ana: Hi.\n\n2\n00:00:04.800 --> 00:00:07.000\nBo: Hello.\n")

    assert str(raised.value).startswith(
        'session3.txt, line 4: expected "Name: words" but found a caption timing line (\'00:00:04.800'
    )
    assert "save the transcript as .vtt" in str(raised.value)


def test_names_alone_on_their_lines_are_refused_with_advice_to_export_with_timestamps():
    with pytest.raises(TranscriptError) as raised:
        read("Dana Reyes\nHi Sam, good to see you.\n\nSam Okafor\nNot great.\n")

    assert str(raised.value).startswith(
        'session3.txt, line 1: expected "Name: words" but found a line with no speaker before it '
        "('Dana Reyes')"
    )
    assert "export the transcript with timestamps" in str(raised.value)


def test_text_with_no_speaker_anywhere_says_which_speaker_lines_are_read():
    with pytest.raises(TranscriptError, match=r'speakers are read from "Name: words" lines or from heading'):
        read("We talked about work and sleep for most of the hour.\n")


def test_windows_1252_curly_quotes_and_dashes_are_read_as_written():
    data = "Dr. Lee: \u201cHow\u2019s it going?\u201d\r\nMara: Fine \u2013 really.\r\n".encode("cp1252")

    conversation = read_text(Source("old.txt", data))

    assert [turn.text for turn in conversation.turns] == [
        "\u201cHow\u2019s it going?\u201d",
        "Fine \u2013 really.",
    ]


def test_a_very_long_line_is_one_turn():
    conversation = read("Dr. Lee: " + "word " * 50_000 + "\nMara: Yes.\n")

    assert len(conversation.turns[0].text.split()) == 50_000


def test_words_before_the_first_heading_line_are_refused_rather_than_skipped_as_a_title():
    with pytest.raises(TranscriptError) as raised:
        read("Mara: hi there\nDana Reyes  0:03\nHi Mara.\nMara  0:09\nHi.\n")

    assert str(raised.value).startswith(
        "session3.txt, line 1: expected \"Name  0:03\" with the words below but found 'Mara' and words"
    )


def test_a_heading_line_that_is_not_a_speaker_before_the_first_one_is_skipped_as_a_title():
    conversation = read("Weekly review 10:02\nDana Reyes  0:03\nHi Mara.\nMara  0:09\nHi.\n")

    assert [turn.speaker for turn in conversation.turns] == ["Dana Reyes", "Mara"]
