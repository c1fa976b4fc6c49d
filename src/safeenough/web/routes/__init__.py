"""One routes module per screen family.

Record ids in paths use the `id` convertor registered here (before any route module is imported): 1 to
18 digits, so every id it lets through fits the databases' 64-bit integers. A longer number matches no
route and is a plain 404, not an overflow deep in the database driver.
"""

from starlette.convertors import IntegerConvertor, register_url_convertor

RECORD_ID_DIGITS = 18


class RecordIdConvertor(IntegerConvertor):
    regex = f"[0-9]{{1,{RECORD_ID_DIGITS}}}"


register_url_convertor("id", RecordIdConvertor())


def parse_record_id(text: str, *, digits: int = RECORD_ID_DIGITS) -> int | None:
    """A record id sent in a form or query (ASCII digits only, at most `digits` of them), else None.

    `str.isdigit` alone would let "²" through to `int()`, which refuses it."""
    text = text.strip()
    if text.isascii() and text.isdecimal() and len(text) <= digits:
        return int(text)
    return None
