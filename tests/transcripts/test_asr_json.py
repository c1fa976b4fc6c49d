import json
from pathlib import Path

import pytest

from safeenough.transcripts import TranscriptError
from safeenough.transcripts.asr_json import read_asr_json
from safeenough.transcripts.source import Source

DATA = Path(__file__).parent / "data"


def read(document: object, filename: str = "asr.json"):
    return read_asr_json(Source(filename, json.dumps(document).encode()))


def test_asr_json_reader_reads_segments_with_speakers_and_times():
    conversation = read_asr_json(Source("session.json", (DATA / "session.json").read_bytes()))

    assert [(turn.speaker, turn.text) for turn in conversation.turns] == [
        ("SPEAKER_00", "How are you feeling about the plan we made?"),
        ("SPEAKER_01", "Honestly, I haven't started it."),
        ("SPEAKER_00", "What got in the way?"),
    ]
    assert (conversation.turns[1].start_seconds, conversation.turns[1].end_seconds) == (2.9, 6.1)
    assert [turn.source_id for turn in conversation.turns] == ["0", "1", "2"]


def test_asr_json_numbers_speakers_given_as_integers():
    conversation = read({"segments": [{"speaker": 1, "start": 0, "end": 1, "text": "Hi"}]})

    assert conversation.turns[0].speaker == "Speaker 1"


def test_asr_json_segment_without_speaker_names_the_segment():
    document = {"segments": [{"speaker": "A", "text": "Hi"}, {"start": 1.0, "end": 2.0, "text": "Yo"}]}

    with pytest.raises(TranscriptError, match=r'^asr\.json, segment 2: expected a "speaker" name'):
        read(document)


def test_asr_json_segment_ending_before_it_starts_is_refused():
    with pytest.raises(
        TranscriptError, match=r"segment 1: expected a well-formed turn: this turn ends before"
    ):
        read({"segments": [{"speaker": "A", "start": 5, "end": 1, "text": "Hi"}]})


@pytest.mark.parametrize("start", [-1, "soon", True, float("inf")])
def test_asr_json_bad_start_time_is_refused(start):
    with pytest.raises(TranscriptError, match=r'segment 1: expected "start" to be a number of seconds'):
        read_asr_json(
            Source(
                "asr.json",
                json.dumps({"segments": [{"speaker": "A", "start": start, "text": "Hi"}]}).encode(),
            )
        )


def test_asr_json_syntax_error_names_the_line():
    with pytest.raises(TranscriptError, match=r"^broken\.json, line 3: expected JSON of the form"):
        read_asr_json(Source("broken.json", b'{\n "segments": [\n  {"speaker": }\n ]}'))


def test_asr_json_without_segments_list_says_what_shape_is_expected():
    with pytest.raises(TranscriptError, match='expected a JSON object with a "segments" list'):
        read({"results": []})


def test_a_whisperx_segment_without_a_speaker_takes_the_speaker_most_of_its_words_have():
    document = {
        "segments": [
            {"speaker": "SPEAKER_00", "start": 0.0, "end": 1.0, "text": " How are you?"},
            {
                "start": 1.2,
                "end": 2.0,
                "text": " Tired, mostly.",
                "words": [
                    {"word": "Tired,", "start": 1.2, "end": 1.6, "score": 0.9, "speaker": "SPEAKER_01"},
                    {"word": "mostly.", "start": 1.7, "end": 2.0, "score": 0.8, "speaker": "SPEAKER_01"},
                ],
            },
        ]
    }

    assert [turn.speaker for turn in read(document).turns] == ["SPEAKER_00", "SPEAKER_01"]


def test_a_whisperx_segment_with_no_speaker_at_all_asks_for_it_to_be_added():
    document = {
        "segments": [
            {"speaker": "SPEAKER_00", "start": 0.0, "end": 1.0, "text": " How are you?"},
            {"start": 1.2, "end": 2.0, "text": " Mm.", "words": [{"word": "Mm."}]},
        ]
    }

    with pytest.raises(TranscriptError, match=r"^asr\.json, segment 2: .*add the speaker to this segment"):
        read(document)


def test_whisper_output_without_any_speakers_says_to_transcribe_with_diarisation():
    document = {
        "text": " How are you? Tired.",
        "segments": [
            {"id": 0, "seek": 0, "start": 0.0, "end": 1.0, "text": " How are you?", "tokens": [1, 2]},
            {"id": 1, "seek": 0, "start": 1.2, "end": 2.0, "text": " Tired.", "tokens": [3]},
        ],
        "language": "en",
    }

    with pytest.raises(TranscriptError) as raised:
        read(document)

    assert str(raised.value).startswith('asr.json: none of the segments names a "speaker"')
    assert "WhisperX: --diarize" in str(raised.value)


@pytest.mark.parametrize(
    ("document", "service"),
    [
        (
            {"id": "x", "status": "completed", "utterances": [{"speaker": "A", "start": 40, "text": "Hi"}]},
            "AssemblyAI",
        ),
        ({"metadata": {}, "results": {"channels": [], "utterances": []}}, "Deepgram"),
    ],
)
def test_json_of_services_not_read_yet_is_refused_with_their_name_and_what_to_do(document, service):
    with pytest.raises(TranscriptError, match=rf"this looks like {service} output, which is not read yet"):
        read(document)
