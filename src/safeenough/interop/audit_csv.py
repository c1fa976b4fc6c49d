"""The audit trail as CSV, for the admin to keep or to search in a spreadsheet.

Columns (`AUDIT_COLUMNS`): event_id, at (ISO 8601, UTC), account (username; "system" for the app itself,
e.g. a failed login before anyone is known), action, record_kind, record_id, detail. The trail holds no
clinical content, only which record was read or changed; a detail can hold what someone typed (a
username at a failed login), so text a spreadsheet would run as a formula is quoted.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence

from safeenough.domain.audit import AuditEvent
from safeenough.interop.csv_export import spreadsheet_safe

AUDIT_COLUMNS = ("event_id", "at", "account", "action", "record_kind", "record_id", "detail")


def audit_csv_lines(pages: Iterable[Sequence[AuditEvent]], usernames: Mapping[int, str]) -> Iterator[str]:
    """The header, then one CSV line per event, page by page, so a long trail is never held at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Sequence[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(AUDIT_COLUMNS)
    for page in pages:
        for event in page:
            account = (
                "system" if event.actor_id is None else usernames.get(event.actor_id, f"#{event.actor_id}")
            )
            yield line(
                (
                    str(event.id),
                    event.at.isoformat(timespec="seconds"),
                    spreadsheet_safe(account),
                    event.action.value,
                    spreadsheet_safe(event.target_kind),
                    "" if event.target_id is None else str(event.target_id),
                    spreadsheet_safe(event.detail),
                )
            )
