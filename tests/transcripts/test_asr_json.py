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
