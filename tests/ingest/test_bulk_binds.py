"""``bulk_insert``'s fast bind processors write exactly what SQLAlchemy's own processors write (or raise what they raise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON
from sqlalchemy.dialects import sqlite

from ingest.db import Activity, RecordRow, UTCDateTime, _bind_processor

DIALECT = sqlite.dialect()


def _original(column_type):  # type: ignore[no-untyped-def]
    return column_type.dialect_impl(DIALECT).bind_processor(DIALECT)


DATETIMES = [
    None,
    datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2024, 2, 29, 23, 59, 0, 1, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(1, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5))),
    datetime(999, 12, 31, 23, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 10, 0, 0, 500, tzinfo=timezone(timedelta(hours=13))),
    datetime(2025, 6, 1, 0, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Kolkata")),
]


@pytest.mark.parametrize("value", DATETIMES)
def test_utc_datetime_text_is_sqlalchemys(value: datetime | None) -> None:
    column_type = Activity.__table__.c.ts.type
    assert isinstance(column_type, UTCDateTime)
    fast = _bind_processor(column_type, DIALECT)
    assert fast is not _original(column_type)
    assert fast(value) == _original(column_type)(value)


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, 9, 30), "2026-01-01", 17])
def test_utc_datetime_errors_are_sqlalchemys(value: object) -> None:
    column_type = Activity.__table__.c.ts.type
    with pytest.raises(Exception) as expected:
        _original(column_type)(value)
    with pytest.raises(expected.type):
        _bind_processor(column_type, DIALECT)(value)


class _Unserialisable:
    pass


JSON_VALUES = [
    None,
    {},
    [],
    {"sha": "a" * 40, "role": "author", "files": 3},
    {"text": "Zoë über 東京 🚀 \x7f \u2028", "n": 1.5, "nan": float("nan"), "inf": float("-inf")},
    {"nested": {"b": [1, 2, {"c": None}], "a": True}, 3: "int key", None: "none key", 2.5: "float key"},
    ["alice", "bob"],
    {"small": 1e-07, "big": 1e16, "huge": 2**70},
    "a bare string",
    7,
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_json_text_is_sqlalchemys(value: object) -> None:
    column_type = Activity.__table__.c.detail.type
    assert isinstance(column_type, JSON)
    assert _bind_processor(column_type, DIALECT)(value) == _original(column_type)(value)
    authors = RecordRow.__table__.c.authors.type
    assert _bind_processor(authors, DIALECT)(value) == _original(authors)(value)


def test_json_errors_are_sqlalchemys() -> None:
    column_type = Activity.__table__.c.detail.type
    circular: dict[str, object] = {}
    circular["self"] = circular
    for value in ({"x": _Unserialisable()}, circular, {("a", "b"): 1}):
        with pytest.raises(Exception) as expected:
            _original(column_type)(value)
        with pytest.raises(expected.type, match=str(expected.value)[:20] or None):
            _bind_processor(column_type, DIALECT)(value)
    # a failed value leaves the shared encoder as it was
    assert _bind_processor(column_type, DIALECT)({"a": [1]}) == '{"a": [1]}'
