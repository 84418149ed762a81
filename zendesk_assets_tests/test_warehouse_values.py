"""Lenient value conversion and identifier sanitising, without a database.

Contract: timestamps parse from ISO 8601 (``Z`` or any offset, converted to UTC) and epoch
seconds; dates from their mixed forms; integers from numbers or numeric strings, within range;
text from strings or JSON text of objects; anything that does not fit becomes None; NULs are
stripped; identifiers are lowercase ``[a-z0-9_]``, never start with a digit, fit 63 characters.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from zendesk_assets.batches import FieldDef
from zendesk_assets.collections import SqlType
from zendesk_assets.warehouse.coerce import coerce, extract, json_text, version_of
from zendesk_assets.warehouse.naming import mask_url, quote, sanitize_identifier, with_suffix
from zendesk_assets.warehouse.tables import CustomFieldPlan


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01T12:30:00Z", datetime(2024, 7, 1, 12, 30)),
        ("2024-07-01T12:30:00+00:00", datetime(2024, 7, 1, 12, 30)),
        ("2024-07-01T14:30:00+02:00", datetime(2024, 7, 1, 12, 30)),
        ("2024-07-01T12:30:00.250Z", datetime(2024, 7, 1, 12, 30, 0, 250000)),
        (1719837000, datetime(2024, 7, 1, 12, 30)),
        ("1719837000", datetime(2024, 7, 1, 12, 30)),
        ("yesterday", None),
        ("", None),
        (True, None),
        ({"at": 1}, None),
    ],
)
def test_timestamps(value: object, expected: datetime | None) -> None:
    assert coerce(value, SqlType.TIMESTAMP) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-07-23T00:00:00Z", date(2012, 7, 23)),
        ("2018-11-04T00:00:00+00:00", date(2018, 11, 4)),
        ("2018-11-04", date(2018, 11, 4)),
        (1541289600, date(2018, 11, 4)),
        ("04/11/2018x", None),
    ],
)
def test_dates(value: object, expected: date | None) -> None:
    assert coerce(value, SqlType.DATE) == expected


def test_numbers_booleans_text_json() -> None:
    assert coerce("9007199254740993", SqlType.BIGINT) == 9007199254740993  # 2^53 + 1, exact
    assert coerce(12.0, SqlType.BIGINT) == 12
    assert coerce(2**64, SqlType.BIGINT) is None
    assert coerce(True, SqlType.BIGINT) is None
    assert coerce("1.5", SqlType.BIGINT) is None
    assert coerce(2**31, SqlType.INTEGER) is None
    assert coerce("4.5", SqlType.DOUBLE) == 4.5 and coerce("nan", SqlType.DOUBLE) is None
    assert coerce("true", SqlType.BOOLEAN) is True and coerce(0, SqlType.BOOLEAN) is False
    assert coerce("maybe", SqlType.BOOLEAN) is None
    assert coerce({"channel": "web"}, SqlType.TEXT) == '{"channel":"web"}'
    assert coerce(["x"], SqlType.JSON) == ["x"]
    assert version_of("2024-01-01T00:00:00Z") == 1704067200 and version_of(17) == 17
    assert version_of(None) is None and version_of("soon") is None
    assert extract({"a": {"b": 3}}, ("a", "b")) == 3 and extract({"a": "x"}, ("a", "b")) is None


def test_nul_in_text_columns_is_u_fffd_and_json_values_round_trip() -> None:
    """PostgreSQL holds NUL neither in text nor in jsonb: a text column shows U+FFFD where it was; a
    JSON value with one is stored as a JSON string of its JSON text, which parses back exactly."""
    assert coerce("a\x00b\x00", SqlType.TEXT) == "a\ufffdb\ufffd"
    assert coerce({"k": "a\x00b"}, SqlType.TEXT) == '{"k":"a\\u0000b"}'  # the escape: plain text
    record = {"k": "a\x00b", "n": 2**70, "k\x00ey": ["\x00"], "plain": "\\u0000 is not NUL"}
    stored = json_text(record)
    assert "\x00" not in stored and json.loads(json.loads(stored)) == record
    assert json_text({"plain": "\\u0000 is not NUL"}) == '{"plain":"\\\\u0000 is not NUL"}'  # no NUL: as is
    assert json_text(["x"]) == '["x"]'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"; drop table users; --', "drop_table_users"),
        ("Ünïcode Título", "unicode_titulo"),
        ("2nd reason", "_2nd_reason"),
        ("🎉", ""),
        ("A" * 80, "a" * 63),
    ],
)
def test_sanitize_identifier(text: str, expected: str) -> None:
    assert sanitize_identifier(text) == expected


def test_names_fit_and_quote() -> None:
    assert len(with_suffix("x" * 63, "360001234567")) == 63
    assert quote('a"b') == '"a""b"'
    assert mask_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


def test_custom_field_plan_keeps_columns_by_id() -> None:
    plan = CustomFieldPlan("tickets", [])
    plan.define(FieldDef(1, "Plan", "tagger"))
    plan.define(FieldDef(2, "plan", "integer"))
    plan.observe(3)
    first = {c.field_id: (c.column_name, c.sql_type) for c in plan.columns}
    assert first == {1: ("plan", SqlType.TEXT), 2: ("plan_2", SqlType.BIGINT), 3: ("field_3", SqlType.TEXT)}
    again = CustomFieldPlan("tickets", plan.columns)
    again.define(FieldDef(3, "Region", "dropdown"))  # a late definition names nothing anew
    again.define(FieldDef(1, "Tier", "tagger"))  # a rename
    assert not again.new
    assert {c.field_id: (c.column_name, c.title) for c in again.changed} == {3: ("field_3", "Region"), 1: ("plan", "Tier")}
