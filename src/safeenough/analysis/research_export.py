"""The research export (docs/research-export.md): one JSON object per turn, then one summary object per
conversation. A stable contract: existing keys keep their meaning; later versions only add keys.

Built from an AnalysisResult's annotations, so the export says exactly what the app shows.
"""

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from safeenough.analysis import keys
from safeenough.analysis.indicators import compute_indicators
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.analysis.relational import calibrated_confidence, summarise_relational
from safeenough.domain.conversation import SpeakerRole

SUB_LABEL_KEY = {"reflection": keys.REFLECTION, "question": keys.QUESTION, "therapist_input": keys.INPUT}


def turn_records(result: AnalysisResult) -> Iterator[dict[str, Any]]:
    labels = {
        key: result.annotations.by_turn(key)
        for key in (
            keys.BEHAVIOUR,
            keys.QUESTION,
            keys.REFLECTION,
            keys.INPUT,
            keys.TALK_TYPE,
            keys.MARKER,
            keys.SUBTYPE,
            keys.ANTICIPATES_JUDGEMENT,
            keys.STANCE,
            keys.CHECK_IN,
            keys.REPAIR,
        )
    }
    found = {
        key: result.annotations.annotations_by_turn(key)
        for key in (keys.MARKER, keys.ANTICIPATES_JUDGEMENT, keys.CHECK_IN, keys.REPAIR)
    }

    def confidence(key: str, turn: int) -> float | None:
        return calibrated_confidence(found[key].get(turn))

    for turn in result.conversation.turns:
        therapist = turn.role is SpeakerRole.THERAPIST
        client = turn.role is SpeakerRole.CLIENT
        behaviour = labels[keys.BEHAVIOUR].get(turn.index) if therapist else None
        record: dict[str, Any] = {
            "conversation": result.conversation.id,
            "turn": turn.index,
            "source_id": turn.source_id,
            "speaker": turn.speaker,
            "role": turn.role.value,
            "behaviour": behaviour,
            "question": None,
            "reflection": None,
            "input": None,
            "talk_type": labels[keys.TALK_TYPE].get(turn.index) if client else None,
            "marker": (labels[keys.MARKER].get(turn.index) or "none") if client else "none",
            "subtype": labels[keys.SUBTYPE].get(turn.index) if client else None,
            "anticipates_judgement": bool(labels[keys.ANTICIPATES_JUDGEMENT].get(turn.index))
            if client
            else False,
            "stance": labels[keys.STANCE].get(turn.index) if therapist else None,
            "check_in": bool(labels[keys.CHECK_IN].get(turn.index)) if therapist else None,
            "repair": (labels[keys.REPAIR].get(turn.index) or "n/a") if therapist else None,
            "marker_confidence": confidence(keys.MARKER, turn.index) if client else None,
            "anticipates_judgement_confidence": confidence(keys.ANTICIPATES_JUDGEMENT, turn.index)
            if client
            else None,
            "check_in_confidence": confidence(keys.CHECK_IN, turn.index) if therapist else None,
            "repair_confidence": confidence(keys.REPAIR, turn.index) if therapist else None,
        }
        sub_key = SUB_LABEL_KEY.get(str(behaviour))
        if sub_key is not None:
            record[sub_key] = labels[sub_key].get(turn.index)
        yield record


def summary_record(result: AnalysisResult) -> dict[str, Any]:
    quality = result.annotations.value(keys.QUALITY)
    return {
        "conversation": result.conversation.id,
        "summary": {
            "turns": len(result.conversation.turns),
            "quality": quality,
            **compute_indicators(result).summary(),
            **summarise_relational(result).summary(),
        },
    }


def records(result: AnalysisResult) -> Iterator[dict[str, Any]]:
    yield from turn_records(result)
    yield summary_record(result)


def write_jsonl(results: Iterable[AnalysisResult], out: IO[str]) -> int:
    """Write the export of several conversations; returns the number of lines written."""
    lines = 0
    for result in results:
        for record in records(result):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            lines += 1
    return lines
