"""Score a check-in against its instrument: item scores, total, subscales, missing items, severity band.

Rules (all taken from the instrument definition):
- reverse-scored items score `min + max − answer`;
- the total is the sum or the mean of the item scores;
- missing-item rule: with at most `max_missing` items unanswered, a sum is prorated to the full
  number of items (mean of the answered items × number of items) and a mean is the mean of the
  answered items; with more missing, the check-in is unscorable (total None, and it says why);
- a prorated sum of whole-point items is rounded to the nearest whole point (halves up): the instrument's
  totals, bands and cut-offs are whole numbers (PHQ-9 0–27, "10–14 moderate"), and a made-up 14.6 would
  lie between two bands and read as more precise than the answers it was made from. The check-in is
  still marked prorated wherever its total is shown;
- subscales are scored the same way with their own `max_missing`;
- the severity band is the band whose minimum is the largest at or below the total.
"""

import math
from collections.abc import Mapping

from safeenough.domain.checkin import Answer, CheckIn, Score
from safeenough.domain.instrument import Instrument, Item, ScoringMethod, format_number
from safeenough.errors import InvalidInput


def answer_problems(instrument: Instrument, answers: Mapping[str, Answer]) -> dict[str, str]:
    """Item id → what is wrong with its answer, for a form to show next to the item.

    Unknown item ids are reported under their own id. Missing answers are not problems here (the
    missing-item rule decides what they mean); a form that requires every item checks that itself.
    """
    problems: dict[str, str] = {}
    known = set(instrument.item_ids)
    for item_id in answers:
        if item_id not in known:
            problems[item_id] = f"{instrument.title} has no question {item_id!r}"
    for item in instrument.items:
        value = answers.get(item.id)
        if value is None:
            continue
        if not item.in_range(value):
            problems[item.id] = (
                f"must be between {format_number(item.minimum)} and {format_number(item.maximum)}"
            )
        elif not item.on_step(value):
            step = format_number(item.step) if item.step is not None else ""
            problems[item.id] = f"must be a whole step of {step} on the scale {item.scale_label}"
    return problems


def _combine(values: list[float], count: int, method: ScoringMethod, *, whole_points: bool = False) -> float:
    """Sum or mean of the answered values, prorated to `count` items for a sum (to the nearest whole
    point, halves up, when `whole_points`: every full total would be a whole number)."""
    mean = sum(values) / len(values)
    if method is ScoringMethod.MEAN:
        return mean
    if len(values) == count:
        return float(sum(values))
    prorated = mean * count
    return float(math.floor(prorated + 0.5 + 1e-9)) if whole_points else prorated


def _scale(
    items: list[Item], item_scores: Mapping[str, float | None], max_missing: int, method: ScoringMethod
) -> tuple[float | None, int]:
    """Score a group of items: (score or None, number missing)."""
    answered = [item_scores[item.id] for item in items if item_scores[item.id] is not None]
    missing = len(items) - len(answered)
    if missing > max_missing or not answered:
        return None, missing
    whole_points = all(item.scores_whole_points for item in items)
    values = [value for value in answered if value is not None]
    return _combine(values, len(items), method, whole_points=whole_points), missing


def score_answers(instrument: Instrument, answers: Mapping[str, Answer]) -> Score:
    """Score answers (item id → number or None). Raises `InvalidInput` for unknown items or answers
    off the scale: those must be caught when the answers are taken, never silently scored."""
    problems = answer_problems(instrument, answers)
    if problems:
        detail = "; ".join(f"{item_id}: {message}" for item_id, message in problems.items())
        raise InvalidInput(f"answers cannot be scored on {instrument.title}: {detail}")
    item_scores: dict[str, float | None] = {}
    for item in instrument.items:
        value = answers.get(item.id)
        item_scores[item.id] = None if value is None else item.score(float(value))
    method = instrument.scoring.method
    total, missing_count = _scale(list(instrument.items), item_scores, instrument.scoring.max_missing, method)
    missing_items = tuple(item_id for item_id, value in item_scores.items() if value is None)
    subscale_scores: dict[str, float | None] = {}
    for subscale in instrument.scoring.subscales:
        members = [instrument.item(item_id) for item_id in subscale.item_ids]
        subscale_scores[subscale.id], _ = _scale(members, item_scores, subscale.max_missing, method)
    if total is None:
        allowed = instrument.scoring.max_missing
        reason = (
            f"{missing_count} of {len(instrument.items)} items unanswered; "
            f"the total can be prorated with at most {allowed} missing"
        )
        return Score(
            instrument_id=instrument.id,
            total=None,
            item_scores=item_scores,
            subscale_scores=subscale_scores,
            missing_items=missing_items,
            unscorable_reason=reason,
        )
    band = instrument.band_for(total)
    return Score(
        instrument_id=instrument.id,
        total=total,
        item_scores=item_scores,
        subscale_scores=subscale_scores,
        missing_items=missing_items,
        prorated=missing_count > 0,
        band=band.label if band else None,
    )


def score_checkin(check_in: CheckIn, instrument: Instrument) -> Score:
    """Score a stored check-in. Raises `InvalidInput` if it was not for this instrument."""
    if check_in.instrument_id != instrument.id:
        raise InvalidInput(f"check-in {check_in.id} is for {check_in.instrument_id!r}, not {instrument.id!r}")
    return score_answers(instrument, check_in.answers)
