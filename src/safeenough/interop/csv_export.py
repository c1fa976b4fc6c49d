"""Tidy CSV of scores for researchers: one row per check-in item, and one per check-in total.

Columns (`COLUMNS`): case_id, client_code, session_number, session_date, instrument_id,
instrument_version, submitted_at, item_id ("total" for the total row; "subscale:<id>" for a subscale of an
instrument that has them, e.g. the goal, task and bond scales of the WAI-SR), value, scorable, band.

- `value` is the item score (after reverse scoring, so that the items add up to the total), the
  subscale score or the total; empty for an unanswered item or an unscorable subscale or total. Whole
  numbers are written without a decimal point, others with up to four decimals.
- `scorable` says whether the check-in as a whole could be scored ("true"/"false"), on every row of
  the check-in, so a researcher can filter on it.
- `band` is the severity band of the total (total rows only).

Clients appear only by their pseudonymous code: no names, no case titles, no free-text answers.
Text that a spreadsheet would run as a formula (starting with =, +, - or @) is quoted with a leading
apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from safeenough.domain.case import Case
from safeenough.domain.checkin import ScoredCheckIn
from safeenough.domain.client import Client
from safeenough.domain.instrument import Instrument
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput

COLUMNS = (
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

TOTAL = "total"
SUBSCALE_PREFIX = "subscale:"
"""Item ids cannot hold a colon, so a subscale row never reads as an item's."""
"""The item_id of a total row."""

Track = tuple[Client, Instrument, Sequence[ScoredCheckIn]]
"""One client's check-ins on one instrument."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One row of the scores CSV (see the module docstring for what each field means)."""

    case_id: int
    client_code: str
    session_number: int
    session_date: date
    instrument_id: str
    instrument_version: str
    submitted_at: datetime
    item_id: str
    value: float | None
    scorable: bool
    band: str | None = None

    def cells(self) -> list[str]:
        """The row as CSV cells, in `COLUMNS` order."""
        return [
            str(self.case_id),
            self.client_code,
            str(self.session_number),
            self.session_date.isoformat(),
            self.instrument_id,
            self.instrument_version,
            _datetime(self.submitted_at),
            self.item_id,
            "" if self.value is None else _number(self.value),
            "true" if self.scorable else "false",
            spreadsheet_safe(self.band or ""),
        ]


def score_rows(case: Case, sessions: Sequence[Session], tracks: Sequence[Track]) -> list[ScoreRow]:
    """Rows for one case: per check-in its items in instrument order, then its total.

    Ordered by client code, session number, instrument id and submission time. `sessions` are the
    case's sessions; every check-in must belong to one of them. Raises `InvalidInput` otherwise, or
    when a client is not part of the case or a check-in is not the client's or not for the instrument.
    """
    held_on = {session.id: session.held_on for session in sessions if session.case_id == case.id}
    client_ids = {client.id for client in case.clients}
    found: list[ScoreRow] = []
    for client, instrument, check_ins in sorted(tracks, key=lambda t: (t[0].code, t[1].id)):
        if client.id not in client_ids:
            raise InvalidInput(f"client {client.code} is not part of case {case.id}")
        for scored in sorted(check_ins, key=lambda s: (s.session_number, s.submitted_at, s.id)):
            check_in = scored.check_in
            if check_in.client_id != client.id:
                raise InvalidInput(f"check-in {check_in.id} is not from client {client.code}")
            if check_in.instrument_id != instrument.id:
                raise InvalidInput(f"check-in {check_in.id} is not for {instrument.id!r}")
            if check_in.session_id not in held_on:
                raise InvalidInput(f"check-in {check_in.id} is for a session outside case {case.id}")
            found.extend(_check_in_rows(case.id, client, instrument, scored, held_on[check_in.session_id]))
    found.sort(key=lambda r: (r.client_code, r.session_number, r.instrument_id, r.submitted_at))
    return found


def _check_in_rows(
    case_id: int, client: Client, instrument: Instrument, scored: ScoredCheckIn, session_date: date
) -> list[ScoreRow]:
    score = scored.score

    def row(item_id: str, value: float | None, band: str | None = None) -> ScoreRow:
        return ScoreRow(
            case_id=case_id,
            client_code=client.code,
            session_number=scored.session_number,
            session_date=session_date,
            instrument_id=instrument.id,
            # The version the client answered: a definition replaced since keeps its id, not its version.
            instrument_version=scored.check_in.instrument_version or instrument.version,
            submitted_at=scored.submitted_at,
            item_id=item_id,
            value=value,
            scorable=score.scorable,
            band=band,
        )

    return [
        *(row(item.id, score.item_scores.get(item.id)) for item in instrument.items),
        *(
            row(SUBSCALE_PREFIX + subscale.id, score.subscale_scores.get(subscale.id))
            for subscale in instrument.scoring.subscales
        ),
        row(TOTAL, score.total, score.band),
    ]


def scores_csv(rows: Iterable[ScoreRow]) -> str:
    """The CSV text (header first, `\\r\\n` line ends as RFC 4180 asks) of the given rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()


def case_scores_csv(case: Case, sessions: Sequence[Session], tracks: Sequence[Track]) -> str:
    """Shortcut: the CSV of one case."""
    return scores_csv(score_rows(case, sessions, tracks))


def _datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _number(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def spreadsheet_safe(value: str) -> str:
    """The text as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value
