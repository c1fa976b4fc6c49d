import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeenough.transcripts import TranscriptError, read_transcript
from safeenough.transcripts.asr_json import read_asr_json
from safeenough.transcripts.source import Source

DATA = Path(__file__).parent / "data"
# A fictional job's output in Amazon Transcribe's older shape: speakers only in speaker_labels.segments.
OUTPUT = json.loads((DATA / "aws_transcribe.json").read_text())
EXPECTED = [
    ("spk_0", "How are you?", 0.04, 0.8),
    ("spk_1", "Tired, mostly.", 1.2, 2.3),
    ("spk_0", "Tell me more.", 2.9, 3.6),
]


def read(document: object, filename: str = "job.json"):
    return read_asr_json(Source(filename, json.dumps(document).encode()))


def turns_of(conversation):
    return [(turn.speaker, turn.text, turn.start_seconds, turn.end_seconds) for turn in conversation.turns]


def test_amazon_transcribe_output_reads_speaker_turns_from_speaker_label_segments():
    conversation = read(OUTPUT)

    assert turns_of(conversation) == EXPECTED
    assert [turn.source_id for turn in conversation.turns] == ["1", "5", "9"]


def test_amazon_transcribe_output_reads_speaker_labels_on_each_word():
    document = copy.deepcopy(OUTPUT)
    del document["results"]["speaker_labels"]
    speakers = ["spk_0"] * 4 + ["spk_1"] * 4 + ["spk_0"] * 4
    for item, speaker in zip(document["results"]["items"], speakers, strict=True):
        if item["type"] == "pronunciation":
            item["speaker_label"] = speaker

    assert turns_of(read(document)) == EXPECTED


def test_amazon_transcribe_audio_segments_are_the_turns_when_present():
    document = copy.deepcopy(OUTPUT)
    document["results"]["audio_segments"] = [
        {"id": 0, "transcript": "How are you?", "start_time": "0.04", "end_time": "0.8",
         "speaker_label": "spk_0", "items": [0, 1, 2, 3]},
        {"id": 1, "transcript": "Tired, mostly.", "start_time": "1.2", "end_time": "2.3",
         "speaker_label": "spk_1", "items": [4, 5, 6, 7]},
        {"id": 2, "transcript": "Tell me more.", "start_time": "2.9", "end_time": "3.6",
         "speaker_label": "spk_0", "items": [8, 9, 10, 11]},
    ]  # fmt: skip

    conversation = read(document)

    assert turns_of(conversation) == EXPECTED
    assert [turn.source_id for turn in conversation.turns] == ["0", "1", "2"]


def test_amazon_transcribe_output_without_speaker_labels_says_to_switch_partitioning_on():
    document = copy.deepcopy(OUTPUT)
    del document["results"]["speaker_labels"]

    with pytest.raises(TranscriptError, match=r"^job\.json: this Amazon Transcribe output has no speaker"):
        read(document)


def test_an_amazon_transcribe_word_whose_time_is_not_a_number_names_the_item():
    document = copy.deepcopy(OUTPUT)
    document["results"]["items"][4]["start_time"] = "soon"

    with pytest.raises(TranscriptError, match=r'^job\.json, item 5: expected "start_time" to be a number'):
        read(document)


def test_amazon_transcribe_output_is_read_by_read_transcript_from_a_json_file():
    [conversation] = read_transcript(DATA / "aws_transcribe.json", therapist="spk_0")

    assert conversation.id == "aws_transcribe"
    assert [turn.role.value for turn in conversation.turns] == ["therapist", "client", "therapist"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "start_time": st.sampled_from(["0.1", "1", "-1", "x", "nan", "1e999"]) | json_values,
        "end_time": st.sampled_from(["0.2", "0.05", "2"]) | json_values,
        "type": st.sampled_from(["pronunciation", "punctuation"]) | json_values,
        "alternatives": st.lists(st.fixed_dictionaries({"content": st.text(max_size=6)}), max_size=2)
        | json_values,
        "speaker_label": st.sampled_from(["spk_0", "spk_1", ""]) | json_values,
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    items=st.lists(item_like | json_values, max_size=8),
    speaker_labels=json_values,
    audio_segments=json_values,
)
def test_no_amazon_transcribe_like_output_crashes_the_reader(items, speaker_labels, audio_segments):
    document = {
        "results": {"items": items, "speaker_labels": speaker_labels, "audio_segments": audio_segments}
    }

    try:
        conversation = read(document)
    except TranscriptError as error:
        message = str(error)
    else:
        assert conversation.turns
        return
    assert message.startswith("job.json")
