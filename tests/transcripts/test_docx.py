import io
import zipfile

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeenough.transcripts import TranscriptError, read_transcript
from safeenough.transcripts.docx import MAX_UNPACKED_BYTES, read_docx
from safeenough.transcripts.source import Source


def word_file(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def word_file_with(*blocks: str | list[list[str]]) -> bytes:
    """A Word file of paragraphs (a "\n" in one is a line break, Shift+Enter) and tables (lists of rows)."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            paragraph = document.add_paragraph()
            for number, line in enumerate(block.split("\n")):
                run = paragraph.add_run()
                if number:
                    run.add_break()
                run.add_text(line)
        else:
            table = document.add_table(rows=len(block), cols=max(len(row) for row in block))
            for row, cells in zip(table.rows, block, strict=True):
                for cell, text in zip(row.cells, cells, strict=False):
                    cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_reader_reads_paragraphs_as_name_words_lines():
    data = word_file(
        "Therapist: How was the week?", "Lee: Long.", "Very long.", "", "Therapist: Tell me more."
    )

    conversation = read_docx(Source("week.docx", data))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("Therapist", "How was the week?"),
        ("Lee", "Long. Very long."),
        ("Therapist", "Tell me more."),
    ]
    assert conversation.id == "week"


def test_docx_error_names_the_paragraph():
    data = word_file("Good to see you again.", "Therapist: Hello.")

    with pytest.raises(TranscriptError) as raised:
        read_docx(Source("s4.docx", data))

    assert str(raised.value).startswith(
        's4.docx, paragraph 1: expected "Name: words" but found a paragraph with no speaker before it'
    )


def test_docx_without_text_says_so():
    with pytest.raises(TranscriptError, match="found no text paragraphs"):
        read_docx(Source("blank.docx", word_file("", "  ")))


def test_docx_that_is_a_damaged_zip_is_refused_clearly():
    with pytest.raises(TranscriptError, match=r"^bad\.docx: expected a Word \.docx document"):
        read_docx(Source("bad.docx", b"PK\x03\x04" + b"\x00" * 64))


def test_old_word_doc_is_refused_with_advice_to_save_as_docx():
    with pytest.raises(TranscriptError, match="Save As"):
        read_transcript(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.docx")


def test_docx_is_detected_by_content_without_an_extension():
    [conversation] = read_transcript(word_file("Ana: Hi?", "Bo: Yes."), "upload", therapist="Ana")

    assert conversation.turns[0].speaker == "Ana"


def test_docx_that_would_unpack_to_more_than_the_limit_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO(word_file("Therapist: Hello."))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/padding.bin", b"\0" * (MAX_UNPACKED_BYTES + 1))
    data = buffer.getvalue()
    assert len(data) < MAX_UNPACKED_BYTES // 100  # small on disk, huge unpacked

    with pytest.raises(TranscriptError, match=r"^big\.docx: this document would unpack to"):
        read_docx(Source("big.docx", data))


def test_docx_reader_splits_paragraphs_at_line_breaks():
    data = word_file_with("Dr. Lee: Hi Mara.\nMara: Hi.\nDr. Lee: How are you?", "Mara: Tired.\nVery tired.")

    conversation = read_docx(Source("breaks.docx", data))

    assert [(turn.source_id, turn.speaker, turn.text) for turn in conversation.turns] == [
        ("1", "Dr. Lee", "Hi Mara."),
        ("1.2", "Mara", "Hi."),
        ("1.3", "Dr. Lee", "How are you?"),
        ("2", "Mara", "Tired. Very tired."),
    ]


def test_docx_reader_skips_a_title_paragraph_before_the_first_speaker():
    data = word_file("Transcript of session 3, 12 March 2026", "Dr. Lee: Hi Mara.", "Mara: Hi.")

    conversation = read_docx(Source("titled.docx", data))

    assert [(turn.source_id, turn.speaker) for turn in conversation.turns] == [
        ("2", "Dr. Lee"),
        ("3", "Mara"),
    ]


def test_docx_reader_reads_a_table_of_speakers_and_words_after_a_title():
    data = word_file_with(
        "Session transcript",
        [["Dr. Lee", "Hi Mara."], ["Mara", "Hi."], ["", "Sorry, I am late."], ["Dr. Lee", "No matter."]],
    )

    conversation = read_docx(Source("table.docx", data))

    assert [(turn.source_id, turn.speaker, turn.text) for turn in conversation.turns] == [
        ("T1.1", "Dr. Lee", "Hi Mara."),
        ("T1.2", "Mara", "Hi. Sorry, I am late."),
        ("T1.4", "Dr. Lee", "No matter."),
    ]


def test_docx_reader_reads_a_table_with_a_header_row_and_a_time_column():
    data = word_file_with(
        [
            ["Time", "Text", "Speaker"],
            ["00:00:01", "Hi Mara, good to see you again today.", "Dr. Lee"],
            ["00:00:04", "Hi.", "Mara"],
        ]
    )

    conversation = read_docx(Source("timed.docx", data))

    assert [(turn.speaker, turn.text, turn.start_seconds) for turn in conversation.turns] == [
        ("Dr. Lee", "Hi Mara, good to see you again today.", 1.0),
        ("Mara", "Hi.", 4.0),
    ]


def test_docx_reader_finds_the_speaker_and_words_columns_without_a_header_row():
    data = word_file_with(
        [
            ["1", "Hi Mara, good to see you again today.", "Dr. Lee"],
            ["2", "Hi.", "Mara"],
            ["3", "How have you been sleeping?", "Dr. Lee"],
        ]
    )

    conversation = read_docx(Source("numbered.docx", data))

    assert [turn.speaker for turn in conversation.turns] == ["Dr. Lee", "Mara", "Dr. Lee"]


def test_docx_reader_reads_a_one_column_table_of_name_words_lines_in_order_with_paragraphs():
    data = word_file_with("Dr. Lee: Hi Mara.", [["Mara: Hi."], ["Dr. Lee: How are you?"]], "Mara: Fine.")

    conversation = read_docx(Source("mixed.docx", data))

    assert [(turn.source_id, turn.speaker) for turn in conversation.turns] == [
        ("1", "Dr. Lee"),
        ("T1.1", "Mara"),
        ("T1.2", "Dr. Lee"),
        ("2", "Mara"),
    ]


def test_docx_talk_before_a_table_is_refused_naming_the_paragraph():
    data = word_file_with("We started late today, sorry.", [["Dr. Lee", "Hi."], ["Mara", "Hi."]])

    with pytest.raises(TranscriptError, match=r"^late\.docx, paragraph 1: expected \"Name: words\""):
        read_docx(Source("late.docx", data))


cell_text = st.one_of(
    st.sampled_from(["", "Dr. Lee", "Mara", "Speaker", "Text", "00:00:01", "1", "Date", "Hi.", "Ana: hi"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
)
table = st.lists(st.lists(cell_text, min_size=1, max_size=4), min_size=1, max_size=5)
paragraph = st.lists(cell_text, min_size=1, max_size=3).map("\n".join)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60, deadline=None)
@given(st.lists(st.one_of(paragraph, table), min_size=1, max_size=4))
def test_no_word_document_of_paragraphs_and_tables_crashes_the_reader(blocks):
    data = word_file_with(*blocks)

    try:
        conversation = read_docx(Source("any.docx", data))
    except TranscriptError as error:
        message = str(error)
    else:
        assert conversation.turns
        return
    assert message.startswith("any.docx")


def test_a_teams_word_transcript_reads_name_and_time_lines_with_the_words_below():
    data = word_file_with(
        "Session with Sam-20260312_100200-Meeting Recording",
        "March 12, 2026, 10:02AM",
        "32m 5s",
        "Dana Reyes started transcription",
        "Dana Reyes   0:03\nHi Sam, how has the week been?",
        "Sam Okafor   0:09\nNot great: work again.",
        "Dana Reyes   1:02:15\nLet's stop there.",
        "Dana Reyes stopped transcription",
    )

    conversation = read_docx(Source("teams.docx", data))

    assert [(turn.speaker, turn.start_seconds, turn.text) for turn in conversation.turns] == [
        ("Dana Reyes", 3.0, "Hi Sam, how has the week been?"),
        ("Sam Okafor", 9.0, "Not great: work again."),
        ("Dana Reyes", 3735.0, "Let's stop there."),
    ]
    assert [turn.source_id for turn in conversation.turns] == ["5", "6", "7"]


def test_an_old_teams_word_transcript_with_caption_timings_says_to_download_the_vtt():
    data = word_file("0:0:0.0 --> 0:0:3.450", "Dana Reyes", "Hi Sam.", "0:0:4.0 --> 0:0:8.120", "Sam", "Hi.")

    with pytest.raises(TranscriptError) as raised:
        read_docx(Source("old-teams.docx", data))

    assert str(raised.value).startswith(
        'old-teams.docx, paragraph 1: expected "Name: words" but found a caption timing line'
    )
    assert ".vtt (Zoom, Teams)" in str(raised.value)
