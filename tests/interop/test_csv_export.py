"""The researchers' CSV: tidy rows of item scores and totals, by pseudonymous code only."""

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from safeenough.domain.case import Case, CaseKind
from safeenough.domain.checkin import CheckIn, ScoredCheckIn
from safeenough.domain.client import Client
from safeenough.domain.instrument import Instrument
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput
from safeenough.instruments import GAD_7, PHQ_9, SAFETY_CHECKIN, builtin_instruments
from safeenough.instruments.loader import parse_instrument
from safeenough.interop.csv_export import COLUMNS, ScoreRow, case_scores_csv, score_rows, scores_csv
from safeenough.stats.scoring import score_checkin

ALEX = Client(id=1, case_id=7, code="C-7K2Q", display_name="Alexandra Quinnsworth")
CASE = Case(
    id=7,
    clinician_id=1,
    title="Quinnsworth",
    kind=CaseKind.INDIVIDUAL,
    opened_on=date(2026, 1, 1),
    clients=(ALEX,),
)
SESSIONS = (
    Session(id=70, case_id=7, number=1, held_on=date(2026, 1, 5), attendee_ids=(1,)),
    Session(id=71, case_id=7, number=2, held_on=date(2026, 1, 12), attendee_ids=(1,)),
)
SECRET = "Something did not sit right."


def instrument(instrument_id: str) -> Instrument:
    return next(found for found in builtin_instruments() if found.id == instrument_id)


PHQ = instrument(PHQ_9)
GAD = instrument(GAD_7)
SAFETY = instrument(SAFETY_CHECKIN)


def scored(
    inst: Instrument,
    answers: dict[str, float | None],
    *,
    check_in_id: int,
    session: Session = SESSIONS[0],
    free_text: str | None = None,
) -> ScoredCheckIn:
    made = CheckIn(
        id=check_in_id,
        session_id=session.id,
        client_id=ALEX.id,
        instrument_id=inst.id,
        submitted_at=datetime(2026, 1, 5 + 7 * (session.number - 1), 19, 30, tzinfo=UTC),
        answers=answers,
        free_text=free_text,
    )
    return ScoredCheckIn(check_in=made, score=score_checkin(made, inst), session_number=session.number)


PHQ_ANSWERS = [2, 2, 1, 1, 1, 1, 1, 1, 0]
TRACKS = (
    (ALEX, PHQ, [scored(PHQ, dict(zip(PHQ.item_ids, PHQ_ANSWERS, strict=True)), check_in_id=101)]),
    (ALEX, GAD, [scored(GAD, dict.fromkeys(GAD.item_ids, 1.0), check_in_id=102, session=SESSIONS[1])]),
    (ALEX, SAFETY, [scored(SAFETY, dict.fromkeys(SAFETY.item_ids, 6.0), check_in_id=103, free_text=SECRET)]),
)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_starts_with_the_documented_header() -> None:
    text = case_scores_csv(CASE, SESSIONS, TRACKS)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert COLUMNS == (
        "case_id",
        "client_code",
        "session_number",
        "session_date",
        "instrument_id",
        "instrument_version",
        "submitted_at",
        "item_id",
        "value",
        "scorable",
        "band",
    )


def test_there_is_one_row_per_checkin_item_and_one_per_total() -> None:
    rows = read(case_scores_csv(CASE, SESSIONS, TRACKS))
    assert len(rows) == (9 + 1) + (7 + 1) + (5 + 1)
    phq = [row for row in rows if row["instrument_id"] == "phq-9"]
    assert [row["item_id"] for row in phq] == [*PHQ.item_ids, "total"]
    assert [row["value"] for row in phq] == [*map(str, PHQ_ANSWERS), "10"]
    total = phq[-1]
    assert total == {
        "case_id": "7",
        "client_code": "C-7K2Q",
        "session_number": "1",
        "session_date": "2026-01-05",
        "instrument_id": "phq-9",
        "instrument_version": "1.0",
        "submitted_at": "2026-01-05T19:30:00+00:00",
        "item_id": "total",
        "value": "10",
        "scorable": "true",
        "band": "moderate",
    }
    assert all(row["band"] == "" for row in phq[:-1])


def test_rows_are_ordered_by_session_then_instrument() -> None:
    rows = read(case_scores_csv(CASE, SESSIONS, TRACKS))
    keys = [(row["session_number"], row["instrument_id"]) for row in rows if row["item_id"] == "total"]
    assert keys == [("1", "phq-9"), ("1", "safeenough-safety"), ("2", "gad-7")]
    gad_total = next(row for row in rows if row["instrument_id"] == "gad-7" and row["item_id"] == "total")
    assert (gad_total["session_date"], gad_total["value"], gad_total["band"]) == ("2026-01-12", "7", "mild")


def test_no_names_case_titles_or_free_text_appear_in_the_csv() -> None:
    text = case_scores_csv(CASE, SESSIONS, TRACKS)
    for secret in ("Alexandra", "Quinnsworth", SECRET, "didnt_sit_right"):
        assert secret not in text


def test_an_unscorable_checkin_has_empty_values_for_missing_items_and_its_total() -> None:
    answers: dict[str, float | None] = dict.fromkeys(PHQ.item_ids, 1.0)
    answers["1"] = answers["2"] = None
    rows = read(case_scores_csv(CASE, SESSIONS, [(ALEX, PHQ, [scored(PHQ, answers, check_in_id=104)])]))
    assert {row["scorable"] for row in rows} == {"false"}
    assert [row["value"] for row in rows[:3]] == ["", "", "1"]
    assert (rows[-1]["item_id"], rows[-1]["value"], rows[-1]["band"]) == ("total", "", "")


def test_a_fractional_total_keeps_four_decimals() -> None:
    # A prorated PHQ-9 total is a whole point (scoring rounds it); a mean score or a total on a
    # visual-analogue line stays fractional.
    row = ScoreRow(
        case_id=1,
        client_code="C-7K2Q",
        session_number=1,
        session_date=date(2026, 1, 5),
        instrument_id="x",
        instrument_version="1",
        submitted_at=datetime(2026, 1, 5, 19, 30, tzinfo=UTC),
        item_id="total",
        value=10.125,
        scorable=True,
        band=None,
    )
    (read_back,) = read(scores_csv([row]))
    assert read_back["value"] == "10.125"


def test_a_prorated_phq9_total_is_written_as_the_whole_point_the_case_page_shows() -> None:
    answers: dict[str, float | None] = dict.fromkeys(PHQ.item_ids, 1.0)
    answers["1"] = 2.0
    answers["9"] = None
    rows = read(case_scores_csv(CASE, SESSIONS, [(ALEX, PHQ, [scored(PHQ, answers, check_in_id=105)])]))
    assert rows[-1]["value"] == "10"  # 9 over 8 items: 10.125, to the nearest whole point


def test_a_band_label_that_looks_like_a_formula_is_defused() -> None:
    row = ScoreRow(
        case_id=1,
        client_code="C-7K2Q",
        session_number=1,
        session_date=date(2026, 1, 5),
        instrument_id="x",
        instrument_version="1",
        submitted_at=datetime(2026, 1, 5, 19, 30, tzinfo=UTC),
        item_id="total",
        value=-1.0,
        scorable=True,
        band="=HYPERLINK(1)",
    )
    (read_back,) = read(scores_csv([row]))
    assert read_back["band"] == "'=HYPERLINK(1)"
    assert read_back["value"] == "-1"


def test_rows_of_several_cases_can_be_written_as_one_csv() -> None:
    rows = score_rows(CASE, SESSIONS, TRACKS)
    text = scores_csv([*rows, *rows])
    assert len(read(text)) == 2 * len(rows)
    assert text.count("case_id") == 1


def test_a_checkin_for_a_session_outside_the_case_is_refused() -> None:
    elsewhere = Session(id=99, case_id=8, number=1, held_on=date(2026, 1, 5), attendee_ids=(9,))
    check_in = scored(PHQ, dict.fromkeys(PHQ.item_ids, 0.0), check_in_id=106, session=elsewhere)
    with pytest.raises(InvalidInput, match="outside case 7"):
        score_rows(CASE, (*SESSIONS, elsewhere), [(ALEX, PHQ, [check_in])])


def test_an_instrument_with_subscales_gets_a_row_per_subscale_between_its_items_and_its_total() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "instrument-format.md"
    text = doc.read_text(encoding="utf-8")
    start = text.index("```json") + len("```json")
    alliance = parse_instrument(text[start : text.index("```", start)], source_name="example.json")
    # Items 1–3 answered 4; item 4 is reverse scored (1–5), so its answer 2 scores 4 as well.
    answers: dict[str, float | None] = {"1": 4, "2": 4, "3": 5, "4": 2}
    scored_check_in = scored(alliance, answers, check_in_id=201)
    rows = read(case_scores_csv(CASE, SESSIONS, [(ALEX, alliance, [scored_check_in])]))
    assert [row["item_id"] for row in rows] == [
        "1",
        "2",
        "3",
        "4",
        "subscale:goal",
        "subscale:task",
        "subscale:bond",
        "total",
    ]
    by_id = {row["item_id"]: row["value"] for row in rows}
    assert (by_id["subscale:goal"], by_id["subscale:task"], by_id["subscale:bond"]) == ("4", "4", "5")
    assert by_id["total"] == "4.25"
