import pickle

import pytest

from safeenough.errors import InvalidInput
from safeenough.transcripts import MAX_BYTES, TranscriptError, read_transcript
from safeenough.transcripts.source import Source, decode_text, load_source


def test_empty_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "monday.txt"
    path.write_bytes(b"")

    with pytest.raises(TranscriptError, match=r"^monday\.txt: the file is empty"):
        read_transcript(path)


def test_whitespace_only_upload_is_empty():
    with pytest.raises(TranscriptError, match="the file is empty"):
        read_transcript(b" \r\n\t\n", "blank.vtt")


def test_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.vtt"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)

    with pytest.raises(
        TranscriptError, match=r"^huge\.vtt: the file is 20\.0 MB; transcripts of up to 20 MB"
    ):
        read_transcript(path)


def test_missing_file_is_an_invalid_input_naming_it(tmp_path):
    with pytest.raises(InvalidInput, match=r"^gone\.txt: cannot open the file"):
        read_transcript(tmp_path / "gone.txt")


def test_decoding_falls_back_to_windows_1252():
    assert decode_text(Source("a.txt", b"Ana: na\xefve \x93quote\x94")) == "Ana: naïve “quote”"


def test_decoding_removes_a_utf8_byte_order_mark():
    assert decode_text(Source("a.txt", b"\xef\xbb\xbfAna: hi")) == "Ana: hi"


def test_binary_junk_is_refused_as_not_text_with_its_line():
    with pytest.raises(TranscriptError, match=r"^junk\.txt, line 2: expected text but found binary data"):
        read_transcript(b"Ana: hi\n\x00\x01\x02\xff", "junk.txt")


def test_bytes_undecodable_even_as_windows_1252_are_refused():
    with pytest.raises(TranscriptError, match="not text in a known encoding"):
        decode_text(Source("odd.txt", b"Ana: \x81\xff"))


def test_load_source_names_bytes_without_a_filename_generically():
    assert load_source(b"Ana: hi").filename == "transcript"


def test_transcript_error_survives_pickling_for_worker_processes():
    error = TranscriptError("s.docx", "expected words", line=4, place="paragraph")

    copy = pickle.loads(pickle.dumps(error))

    assert (str(copy), copy.filename, copy.line, copy.place) == (str(error), "s.docx", 4, "paragraph")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_recognised_by_its_nul_bytes(encoding):
    data = "Ana: Grüße aus Köln.\r\nBo: Danke.\r\n".encode(encoding)

    assert decode_text(Source("nobom.txt", data)) == "Ana: Grüße aus Köln.\r\nBo: Danke.\r\n"


def test_utf16_without_a_byte_order_mark_reads_as_a_transcript():
    [conversation] = read_transcript("Ana: Hi.\nBo: Hello.\n".encode("utf-16-le"), "nobom.txt")

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [("Ana", "Hi."), ("Bo", "Hello.")]
