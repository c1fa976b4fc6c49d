"""The audit trail as CSV: one line per event, accounts by username, nothing a spreadsheet would run."""

import csv
import io
from datetime import UTC, datetime

from safeenough.domain.audit import AuditAction, AuditEvent
from safeenough.interop.audit_csv import AUDIT_COLUMNS, audit_csv_lines

AT = datetime(2026, 11, 29, 14, 5, tzinfo=UTC)


def event(event_id: int, actor_id: int | None, detail: str = "") -> AuditEvent:
    return AuditEvent(event_id, AT, actor_id, AuditAction.READ, "case", 12, detail)


def test_each_event_is_a_line_with_the_accounts_username_and_the_app_itself_as_system() -> None:
    pages = [[event(3, 1), event(2, None)], [event(1, 9)]]
    rows = list(csv.reader(io.StringIO("".join(audit_csv_lines(pages, {1: "ada"})))))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert rows[1] == ["3", "2026-11-29T14:05:00+00:00", "ada", "read", "case", "12", ""]
    assert [row[2] for row in rows[2:]] == ["system", "#9"]


def test_a_detail_a_spreadsheet_would_run_as_a_formula_is_quoted_as_text() -> None:
    lines = audit_csv_lines(
        [[event(1, None, "=HYPERLINK(1)"), event(2, None, "+1"), event(3, None, "-x")]], {}
    )
    details = [row[6] for row in list(csv.reader(io.StringIO("".join(lines))))[1:]]
    assert details == ["'=HYPERLINK(1)", "'+1", "'-x"]
