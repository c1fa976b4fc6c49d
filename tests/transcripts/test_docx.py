import io
import zipfile

import docx
import pytest

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
