"""Lenient conversion of Zendesk JSON values into typed column values.

Zendesk is loose about types: ids are 64-bit integers (sometimes quoted), timestamps come as ISO
8601 with ``Z`` or ``+00:00`` or as epoch seconds (``generated_timestamp``, event ``timestamp``),
custom date fields arrive in mixed forms (date-only and full ISO 8601 have both been seen), and ticket_events' ``via`` is
a string on parents but an object on comment children. A value that does not fit its column
becomes NULL there; the record's ``_raw`` JSON keeps it, so nothing is lost.

NUL characters (U+0000), which PostgreSQL stores neither in text nor in jsonb: a typed text column
gets U+FFFD in their place (on every engine, so both answer alike); a JSON value holding one
(``_raw`` above all) is stored as a JSON string holding its JSON text, where the NUL is the
escape ``\\u0000``, so parsing it once more gives the record exactly.

Timestamps are returned as naive UTC ``datetime`` objects: both dialects store them in UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from zendesk_assets.collections import SqlType

_INT64 = (-(2**63), 2**63 - 1)
_INT32 = (-(2**31), 2**31 - 1)
_INT_TEXT = re.compile(r"^\s*[-+]?\d+\s*$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def extract(record: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at a key path (``("reply_time_in_minutes", "calendar")``), or None."""
    value: Any = record
    for key in path:
        if type(value) is not dict and not isinstance(value, Mapping):  # parsed JSON: a plain dict, checked first
            return None
        value = value.get(key)
    return value


NUL = "\x00"
REPLACEMENT = "\ufffd"  # what a NUL becomes in a typed text column


def replace_nul(text: str) -> str:
    """A text column's value: each NUL (U+0000, which PostgreSQL text cannot hold) becomes U+FFFD,
    on every engine, so the column shows that a character was there; ``_raw`` keeps the original."""
    return text.replace(NUL, REPLACEMENT) if NUL in text else text


def has_nul(value: Any) -> bool:
    """Whether a NUL character occurs anywhere in a JSON value (keys included)."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def json_dumps(value: Any) -> str:
    """Compact JSON text (a NUL is written as the escape ``\\u0000``); the stdlib takes integers beyond 64 bits."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def nul_safe(value: Any) -> Any:
    """What a JSON column stores: the value, or, when it holds a NUL (PostgreSQL's jsonb cannot),
    its JSON text as a JSON string, which parses back to exactly the value (``json.loads`` twice)."""
    return json_dumps(value) if has_nul(value) else value


def raw_record(stored: Any) -> Any:
    """A ``_raw`` value as read back -> the record exactly as Zendesk sent it. DuckDB hands JSON over
    as text, psycopg decoded; a record with a NUL is one JSON string more (``nul_safe``)."""
    import json

    value = json.loads(stored) if isinstance(stored, str) else stored
    return json.loads(value) if isinstance(value, str) else value


def json_text(value: Any) -> str:
    """A JSON column's value as JSON text (see ``nul_safe``)."""
    text = json_dumps(value)
    if "\\u0000" in text and has_nul(value):
        return json_dumps(text)
    return text


def _int(value: Any, bounds: tuple[int, int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INT_TEXT.match(value)
    ):
        number = int(value)
    else:
        return None
    return number if bounds[0] <= number <= bounds[1] else None


def _double(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    return None


def _parse_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        text = text.strip()
        if _INT_TEXT.match(text):
            return datetime.fromtimestamp(int(text), tz=UTC)
        return datetime.fromisoformat(text.replace("z", "Z"))


def to_datetime(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or offset) or epoch seconds -> naive UTC datetime."""
    try:
        if type(value) is str:
            if not value:
                return None
            if value[-1] == "Z" and len(value) >= 20 and value[10] == "T":
                # Zendesk's own form ("2024-05-01T10:11:12Z"): already UTC, parsed naive without a
                # time-zone round trip. Anything else takes the general path below.
                try:
                    naive = datetime.fromisoformat(value[:-1])
                except ValueError:
                    naive = None
                if naive is not None and naive.tzinfo is None:
                    return naive
            moment = _parse_iso(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, tz=UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _date(value: Any) -> date | None:
    # Custom date fields come as "2012-07-23", "2012-07-23T00:00:00Z" or "...+00:00": the
    # calendar date is the first ten characters; a full timestamp is not shifted by its zone.
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    moment = to_datetime(value)
    return moment.date() if moment else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return replace_nul(value)
    return json_dumps(value)  # a NUL inside is the six characters of its escape: plain text


def _bigint(value: Any) -> int | None:
    if type(value) is int and _INT64[0] <= value <= _INT64[1]:
        return value
    return _int(value, _INT64)


def _integer(value: Any) -> int | None:
    if type(value) is int and _INT32[0] <= value <= _INT32[1]:
        return value
    return _int(value, _INT32)


def _text_fast(value: Any) -> str | None:
    if type(value) is str and "\x00" not in value:
        return value
    return _text(value)


def _json(value: Any) -> Any:
    # Kept as the Python object; the dialect serialises it (``json_text`` / ``nul_safe``).
    return value


# One converter per type, looked up once per column rather than once per value.
CONVERTERS: dict[SqlType, Callable[[Any], Any]] = {
    SqlType.BIGINT: _bigint,
    SqlType.INTEGER: _integer,
    SqlType.DOUBLE: _double,
    SqlType.BOOLEAN: _boolean,
    SqlType.TEXT: _text_fast,
    SqlType.TIMESTAMP: to_datetime,
    SqlType.DATE: _date,
    SqlType.JSON: _json,
}


def coerce(value: Any, sql_type: SqlType) -> Any:
    """Convert one value for a column of ``sql_type``; None when it does not fit.

    JSON values stay Python objects; the dialect serialises them (``json_text``: NULs round-trip).
    """
    if value is None:
        return None
    return CONVERTERS[sql_type](value)


def version_of(value: Any) -> int | None:
    """A record's monotonic version as epoch seconds (epoch number or ISO 8601 string)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    moment = to_datetime(value)
    return int(moment.replace(tzinfo=UTC).timestamp()) if moment else None
