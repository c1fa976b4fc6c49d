from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeenough.domain.conversation import Conversation
from safeenough.transcripts import TranscriptError, TranscriptFormat, detect_format, read_transcript
from safeenough.transcripts.source import Source

DATA = Path(__file__).parent / "data"
FIXTURES = ["teams_voice.vtt", "zoom_prefix.vtt", "session.srt", "session.txt", "session.json"]
EXTENSIONS = ["x.vtt", "x.srt", "x.txt", "x.docx", "x.json", "x.csv", "x"]


@pytest.mark.parametrize("name", FIXTURES)
def test_read_transcript_uses_the_file_stem_as_conversation_id(name):
    [conversation] = read_transcript(DATA / name)

    assert conversation.id == Path(name).stem


@pytest.mark.parametrize("name", FIXTURES)
def test_read_transcript_takes_uploaded_bytes_with_a_filename(name):
    from_path = read_transcript(DATA / name)

    assert read_transcript((DATA / name).read_bytes(), f"upload/{name}") == from_path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"WEBVTT\n\n", TranscriptFormat.VTT),
        (b'{"segments": []}', TranscriptFormat.ASR_JSON),
        (b"transcript_id,utterance_id,interlocutor,utterance_text\n", TranscriptFormat.ANNOMI_CSV),
        (b"1\n00:00:01,000 --> 00:00:02,000\nA: b\n", TranscriptFormat.SRT),
        (b"Ana: hello\n", TranscriptFormat.TEXT),
        (b"PK\x03\x04rest", TranscriptFormat.DOCX),
    ],
)
def test_format_is_sniffed_from_content_when_the_extension_is_unknown(content, expected):
    assert detect_format(Source("upload.bin", content)) is expected


@pytest.mark.parametrize("filename", ["notes.pdf", "session.mp3"])
def test_files_that_are_not_transcripts_are_named_for_what_they_are(filename):
    with pytest.raises(TranscriptError, match=r"expected a transcript file: \.vtt, \.srt, \.txt, \.docx"):
        read_transcript(b"%PDF-1.7 ...", filename)


def test_explicit_therapist_overrides_the_guess():
    [conversation] = read_transcript(DATA / "session.txt", therapist="Alex")

    assert conversation.turns[1].role.value == "therapist"


def test_merge_consecutive_joins_back_to_back_turns_of_one_speaker():
    text = b"Ana: One.\nAna: Two.\nBo: Three.\n"

    [conversation] = read_transcript(text, "m.txt", therapist="Ana", merge_consecutive=True)

    assert [(turn.index, turn.text) for turn in conversation.turns] == [(0, "One. Two."), (1, "Three.")]


def assert_reads_or_refuses_clearly(data: bytes, filename: str) -> None:
    try:
        conversations = read_transcript(data, filename)
    except TranscriptError as error:
        message = str(error)
    else:
        assert conversations
        assert all(isinstance(conversation, Conversation) for conversation in conversations)
        return
    assert message.startswith(filename)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(data=st.binary(max_size=400), filename=st.sampled_from(EXTENSIONS))
def test_no_bytes_crash_a_reader_with_anything_but_a_transcript_error(data, filename):
    assert_reads_or_refuses_clearly(data, filename)


transcript_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "WEBVTT",
                "",
                "1",
                "00:00:01.000 --> 00:00:02.000",
                "00:00:02,000 --> 00:00:01,000",
                "<v Ana>",
                "<v.x Bo>hi</v>",
                "Ana: hi",
                "NOTE",
                "{",
                '"segments": [',
                '{"speaker": "A", "start": 0, "end": 1, "text": "x"}',
                "]}",
                '{"results": {"items": [',
                '{"start_time": "0.1", "alternatives": [{"content": "hi"}], "speaker_label": "spk_0"},',
                '{"type": "punctuation", "alternatives": [{"content": "."}]}',
                "transcript_id,utterance_id,interlocutor,utterance_text",
                '1,0,therapist,"hi',
                "1,1,client,yo",
                "STYLE",
                "REGION",
                "-->",
                "00:00:06.000 00:00:08.000",
                "00:00:06,000 -> 00:00:08,000",
                "<v Mara &amp; Jo>Yes &gt; no.",
                "Date: 12 March 2026",
                "Transcript of session 3",
                "And my boss said: you are late.",
                "[00:01:02] Dr. Smith, PhD: hi",
                "1 Dr. Smith: hi",
                "transcript_id;utterance_id;interlocutor;utterance_text",
                "1;0;therapist;hi",
                "%PDF-1.4",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=25,
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    lines=transcript_like,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    filename=st.sampled_from(EXTENSIONS),
    encoding=st.sampled_from(["utf-8", "utf-8", "utf-16-le", "utf-16-be"]),
)
def test_no_transcript_like_text_crashes_a_reader(lines, newline, filename, encoding):
    data = newline.join(lines).encode(encoding, errors="surrogatepass")

    assert_reads_or_refuses_clearly(data, filename)


@pytest.mark.parametrize("filename", ["session.txt", "session.vtt", "session.docx", "session.csv", "session"])
def test_a_pdf_is_named_as_a_pdf_whatever_its_extension(filename):
    with pytest.raises(TranscriptError) as raised:
        read_transcript(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename)

    assert str(raised.value).startswith(
        f"{filename}: this is a PDF file, not a transcript; expected a transcript file: .vtt, .srt"
    )


def test_a_word_document_renamed_txt_is_named_as_a_word_document():
    with pytest.raises(TranscriptError, match=r"^session\.txt: this is a Word document .* name it \.docx"):
        read_transcript(b"PK\x03\x04" + b"\x00" * 64, "session.txt")


def test_an_old_word_file_renamed_srt_is_named_as_an_office_file():
    with pytest.raises(TranscriptError, match=r"^session\.srt: this is an old Word 97-2003"):
        read_transcript(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "session.srt")


@pytest.mark.parametrize("name", ["teams_voice.vtt", "session.srt"])
def test_captions_saved_as_txt_are_read_as_captions_not_as_lines_of_text(name):
    [as_captions] = read_transcript(DATA / name)

    [as_text] = read_transcript((DATA / name).read_bytes(), "saved.txt")

    assert [(turn.speaker, turn.text, turn.start_seconds) for turn in as_text.turns] == [
        (turn.speaker, turn.text, turn.start_seconds) for turn in as_captions.turns
    ]
