"""Builders for check-in histories: tiny, explicit, and easy to read in a test."""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from safeenough.domain.checkin import CheckIn, ScoredCheckIn, SessionReturn
from safeenough.domain.instrument import Instrument
from safeenough.instruments import GAD_7, PHQ_9, SAFETY_CHECKIN, load_catalogue
from safeenough.stats.scoring import score_checkin

START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def instrument(instrument_id: str) -> Instrument:
    return load_catalogue().get(instrument_id)


def safety() -> Instrument:
    return instrument(SAFETY_CHECKIN)


def phq9() -> Instrument:
    return instrument(PHQ_9)


def gad7() -> Instrument:
    return instrument(GAD_7)


def check_in(
    inst: Instrument,
    answers: Mapping[str, float | None],
    *,
    session: int = 1,
    client_id: int = 1,
    check_in_id: int | None = None,
    free_text: str | None = None,
) -> ScoredCheckIn:
    """A scored check-in for session number `session` (session id = client_id * 1000 + session)."""
    made = CheckIn(
        id=check_in_id if check_in_id is not None else client_id * 1000 + session,
        session_id=session,
        client_id=client_id,
        instrument_id=inst.id,
        submitted_at=START + timedelta(weeks=session - 1),
        answers=answers,
        free_text=free_text,
    )
    return ScoredCheckIn(check_in=made, score=score_checkin(made, inst), session_number=session)


def even_answers(inst: Instrument, total: int) -> dict[str, float | None]:
    """Answers that add up to `total`.

    Higher-is-better: spread as evenly as the items allow, so no single item dips. Lower-is-better:
    fill items in order, so the last items (PHQ-9 item 9, with its own alert) stay at 0 while they can.
    """
    items = inst.items
    answers: dict[str, float | None] = {}
    if inst.higher_is_better:
        base, extra = divmod(total, len(items))
        for index, item in enumerate(items):
            answers[item.id] = float(base + (1 if index < extra else 0))
        return answers
    left = total
    for item in items:
        value = min(int(item.maximum), left)
        answers[item.id] = float(value)
        left -= value
    return answers


def history(
    inst: Instrument, totals: Sequence[int], *, client_id: int = 1, first_session: int = 1
) -> list[ScoredCheckIn]:
    """One check-in per session with these totals (answers spread evenly)."""
    return [
        check_in(inst, even_answers(inst, total), session=first_session + i, client_id=client_id)
        for i, total in enumerate(totals)
    ]


def sessions(returned: Sequence[bool]) -> list[SessionReturn]:
    return [
        SessionReturn(
            session_id=i + 1, session_number=i + 1, held_on=date(2026, 1, 5) + timedelta(weeks=i), returned=r
        )
        for i, r in enumerate(returned)
    ]


# In a couple or family case: what may be said with everyone there, and what must not be.
TOGETHER = "speak only in general terms that point at no one:"
DISCLOSING = (
    "your answer",
    "you wrote",
    "writing that",
    "you said",
    "you marked",
    "told me",
    "thank you for",
)


def said_with_everyone_there(text: str) -> str:
    """The part of a suggestion meant for the joint session ('' when there is none)."""
    return text.split(TOGETHER, 1)[1] if TOGETHER in text else ""


def assert_keeps_the_partners_answers_private(text: str) -> None:
    """A suggestion about one partner: raised with them alone, and with everyone only in general terms."""
    assert "in front of their partner or family" in text
    first_quote = text.index('"')
    alone = max(text.find("one-to-one"), text.find("Speak with them alone"))
    assert 0 <= alone < first_quote, "a quote about their answers is meant for them alone"
    together = said_with_everyone_there(text).lower()
    assert not any(phrase in together for phrase in DISCLOSING), together
    assert not together or "each of you" in together
