"""The research export: one JSON object per turn, then one summary object per conversation (JSONL).

A stable contract (issues 4 and 5): existing keys keep their meaning; later issues only add keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from safeenough.analysis.models.predictor import ConversationPrediction, TurnPrediction
from safeenough.domain.conversation import Conversation, SpeakerRole

_SUB_FIELD = {"reflection": "reflection", "question": "question", "therapist_input": "input"}


def turn_record(conversation: Conversation, index: int, pred: TurnPrediction) -> dict[str, Any]:
    turn = conversation.turns[index]
    therapist = turn.role == SpeakerRole.THERAPIST
    client = turn.role == SpeakerRole.CLIENT
    record: dict[str, Any] = {
        "conversation": conversation.id,
        "turn": turn.index,
        "source_id": turn.source_id,
        "speaker": turn.speaker,
        "role": turn.role.value,
        "behaviour": pred.behaviour if therapist else None,
        "question": None,
        "reflection": None,
        "input": None,
        "talk_type": pred.talk_type if client else None,
        "marker": (pred.marker or "none") if client else "none",
        "subtype": pred.subtype if client else None,
        "anticipates_judgement": bool(pred.anticipates_judgement) if client else False,
        "stance": pred.stance if therapist else None,
        "check_in": bool(pred.check_in) if therapist else None,
        "repair": (pred.repair or "n/a") if therapist else None,
    }
    if therapist and pred.behaviour in _SUB_FIELD:
        record[_SUB_FIELD[pred.behaviour]] = pred.sub_label
    return record


def summary(conversation: Conversation, prediction: ConversationPrediction) -> dict[str, Any]:
    preds = prediction.turns
    therapist = [p for p in preds if p.role == SpeakerRole.THERAPIST]
    reflections = [p for p in therapist if p.behaviour == "reflection"]
    questions = [p for p in therapist if p.behaviour == "question"]
    words = {role: 0 for role in SpeakerRole}
    for turn in conversation.turns:
        words[turn.role] += len(turn.text.split())
    spoken = words[SpeakerRole.THERAPIST] + words[SpeakerRole.CLIENT]
    ruptures = [p for p in preds if p.role == SpeakerRole.CLIENT and p.marker not in (None, "none")]
    repaired = 0
    for rupture in ruptures:
        following = [
            p
            for p in therapist
            if p.index > rupture.index
            and sum(1 for q in preds[rupture.index + 1 : p.index] if q.role == SpeakerRole.CLIENT) <= 2
        ]
        if any(p.repair not in (None, "none", "n/a") for p in following):
            repaired += 1
    stances = [p.stance for p in therapist if p.stance]
    return {
        "turns": len(preds),
        "quality": prediction.quality,
        "reflection_to_question": round(len(reflections) / len(questions), 3) if questions else None,
        "open_question_share": round(sum(p.sub_label == "open" for p in questions) / len(questions), 3)
        if questions
        else None,
        "complex_reflection_share": round(
            sum(p.sub_label == "complex" for p in reflections) / len(reflections), 3
        )
        if reflections
        else None,
        "therapist_talk_share": round(words[SpeakerRole.THERAPIST] / spoken, 3) if spoken else None,
        "change_talk": sum(p.talk_type == "change" for p in preds),
        "sustain_talk": sum(p.talk_type == "sustain" for p in preds),
        "ruptures": len(ruptures),
        "repaired": repaired,
        "check_ins": sum(bool(p.check_in) for p in therapist),
        "stance_shares": {
            s: round(stances.count(s) / len(stances), 3) if stances else 0.0
            for s in ("exploring", "neutral", "assuming", "pressing")
        },
    }


def records(conversation: Conversation, prediction: ConversationPrediction) -> Iterator[dict[str, Any]]:
    """The turn objects of one conversation, then its summary object."""
    for pred in prediction.turns:
        yield turn_record(conversation, pred.index, pred)
    yield {"conversation": conversation.id, "summary": summary(conversation, prediction)}


def write_jsonl(items: Iterable[tuple[Conversation, ConversationPrediction]], out: IO[str]) -> int:
    """Write the export for several conversations; returns the number of lines written."""
    lines = 0
    for conversation, prediction in items:
        for record in records(conversation, prediction):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            lines += 1
    return lines
