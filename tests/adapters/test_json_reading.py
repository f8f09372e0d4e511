"""JSON files parsed whole by orjson give exactly what ``json`` and ijson gave: values, items and errors."""

from __future__ import annotations

import json
import math
import random
import re

import ijson
import pytest

from ingest.adapters import base
from ingest.adapters._common import items_or_problem, load_or_problem
from ingest.records import Problem

TRICKY = [
    b'{"a": 1, "a": 2}',
    b"[123456789012345678901234567890, 18446744073709551616, -9223372036854775809]",
    b"[9223372036854775807, 0.1, -0.0, 1E5, 5e-324, 1.7976931348623157e308]",
    b"[1e400, NaN, Infinity]",
    b'\xef\xbb\xbf{"utf8": "with a byte-order mark"}',
    '{"utf16": "text"}'.encode("utf-16"),
    b'["\\ud800 a lone surrogate", "\\u00e9t\\u00e9", "caf\xc3\xa9"]',
    b'{"id": "P1", "number": 20240101000000000001}',
]


def _same(a: object, b: object) -> bool:
    """Equal, with NaN equal to NaN and types compared (an integer must not come back a float)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize("data", TRICKY)
def test_json_value_is_json_loads(data):
    assert _same(base.json_value(data), json.loads(data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"1" * 18,
        b"1" * 19,
        b"x" + b"9" * 18 + b"x" + b"0" * 19,
        b"0" * 19,
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩".encode(),  # Arabic-Indic digits: not [0-9]
        b"12345678901234567890.5",
        b'{"ts": "1690000000.123456", "id": 18446744073709551615}',
    ],
)
def test_long_digit_runs_are_found_as_the_regex_finds_them(data):
    assert base.has_long_digits(data) == (re.search(rb"[0-9]{19,}", data) is not None)


def test_long_digit_runs_over_random_bytes():
    rng = random.Random(13)
    alphabet = b"0123456789" * 6 + b'.-e ",:[]{}\xff\x00a'
    for _ in range(2000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        assert base.has_long_digits(data) == (re.search(rb"[0-9]{19,}", data) is not None), data


@pytest.mark.parametrize("data", [b'{"a": [1, 2', b'{"a": "\xff"}', b"[1,]", b""])
def test_broken_json_raises_what_json_raises(data):
    with pytest.raises(ValueError) as ours:
        base.json_value(data)
    with pytest.raises(ValueError) as theirs:
        json.loads(data)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


DOCS = {
    "list.json": (b'[{"id": 1}, {"id": 2, "n": 123456789012345678901234}]', "item"),
    "map.json": (b'{"limit": 2, "incidents": [{"id": "A"}, {"id": "B"}], "more": false}', "incidents.item"),
    "item-key.json": (b'{"item": {"odd": true}, "other": [1]}', "item"),
    "nested.json": (b'{"data": {"item": [1, 2]}, "incidents": {"item": {"x": 1}}}', "incidents.item"),
    "not-a-list.json": (b'{"incidents": "none"}', "incidents.item"),
    "wrong-top.json": (b"[1, 2, 3]", "incidents.item"),
    "floats.json": (b'{"log_entries": [{"v": 0.5}, {"v": 1e5}, {"v": -0.0}]}', "log_entries.item"),
}


def _drain(items: object) -> tuple[list[object], str | None]:
    """The items an iterator yields before it ends, and the error that ended it (class and message)."""
    got: list[object] = []
    try:
        for item in items:  # type: ignore[attr-defined]
            got.append(item)
    except Exception as exc:  # noqa: BLE001 - the error is part of what is compared
        return got, f"{type(exc).__name__}: {exc}"
    return got, None


@pytest.mark.parametrize("name", sorted(DOCS))
def test_items_are_the_ones_ijson_streams(tmp_path, name):
    data, prefix = DOCS[name]
    path = tmp_path / name
    path.write_bytes(data)
    with path.open("rb") as fh:
        streamed = _drain(ijson.items(fh, prefix, use_float=True))
    ours = _drain(base.iter_json_items(path, prefix))
    assert _same(ours[0], streamed[0]) and ours[1] == streamed[1]


def test_a_file_above_the_limit_streams_with_the_same_items(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"incidents": [{"id": i, "title": "x" * 50} for i in range(200)]}))
    whole = list(base.iter_json_items(path, "incidents.item"))
    monkeypatch.setattr(base, "WHOLE_FILE_MAX_BYTES", 100)
    opened: list[str] = []
    real_items = ijson.items
    monkeypatch.setattr(
        base.ijson, "items", lambda fh, *a, **k: opened.append(fh.name) or real_items(fh, *a, **k)
    )
    assert list(base.iter_json_items(path, "incidents.item")) == whole and len(whole) == 200
    assert opened == [str(path)], "a file above the limit must stream through ijson"


def test_a_truncated_file_yields_its_complete_items_then_one_problem(tmp_path):
    path = tmp_path / "incidents-3.json"
    path.write_bytes(b'{"incidents": [{"id": "A"}, {"id": "B"}, {"id": "C", "title": "cut he')
    got = list(items_or_problem(path, "incidents.item"))
    assert got[:2] == [{"id": "A"}, {"id": "B"}]
    assert len(got) == 3 and isinstance(got[2], Problem) and got[2].path == str(path)
    assert got[2].reason.startswith("invalid JSON: ")


def test_load_or_problem_reads_values_and_names_a_broken_file(tmp_path):
    good, bad = tmp_path / "users.json", tmp_path / "channels.json"
    good.write_bytes(b'[{"id": "U1", "n": 123456789012345678901}]')
    bad.write_bytes(b'[{"id": "C1",')
    assert _same(load_or_problem(good), [{"id": "U1", "n": 123456789012345678901}])
    problem = load_or_problem(bad)
    assert isinstance(problem, Problem) and problem.path == str(bad) and "invalid JSON" in problem.reason
