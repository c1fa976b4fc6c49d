from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.transcripts import TranscriptError
from safeenough.transcripts.source import Source
from safeenough.transcripts.text import match_speaker_line, parse_lines, read_text

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
        read("\n\n\n\n\n\nthis line has no speaker\nAna: hi\n")

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


names = st.from_regex(r"\A[A-Za-z][A-Za-z.'-]{0,11}( [A-Za-z][A-Za-z.'-]{0,11}){0,2}\Z")
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


continuation = st.from_regex(r"\A[a-z][a-z ,]{0,30}[a-z.]\Z").filter(lambda line: ":" not in line)


@given(names, st.lists(continuation, min_size=1, max_size=6))
def test_text_continuation_lines_become_one_turn(name, pieces):
    lines = [f"{name}: {pieces[0]}", *pieces[1:]]

    conversation = parse_lines(Source("t.txt", b"x"), lines, conversation_id="t")

    assert len(conversation.turns) == 1
    assert conversation.turns[0].text == " ".join(piece.strip() for piece in pieces)
