"""A record's content hash is the SHA-256 of its canonical JSON, whichever encoder writes it."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from ingest.records import ActivityIn, PersonRef, Record


def _canonical(record: Record) -> str:
    blob = json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@pytest.mark.parametrize(
    "detail",
    [
        {"text": "plain ascii", "n": 3, "x": 0.25, "nested": {"b": [1, 2], "a": None}},
        {"text": "Josefina Álvarez über 東京"},  # non-ASCII: orjson writes UTF-8, json escapes
        {"text": "a DEL \x7f and controls \x00\x1f\t"},
        {"small": 1e-07, "big": 1e16, "neg": -0.0},  # orjson writes 1e-7
        {"huge": 2**70},  # beyond orjson's integers
        {"surrogate": "\ud800"},  # not encodable as UTF-8
        {"emoji": "deploy 🚀 done 😀", "astral": "\U0001d11e", "sep": "a\u2028b\u2029c", "bom": "\ufeff"},
        {"ключ": "значение", "é": 1, "e": 2, "z": "…", "ü": {"ß": ["—", "\x7f\x80\xff"]}},  # non-ASCII keys
        {"quote": 'say "hé" \\ back\\slash', "mix": 'é"\\\n\x01ü'},  # escapes beside raw characters
        {"text": "café", "small": 1e-05},  # non-ASCII and a small float together
    ],
)
@pytest.mark.parametrize("title", ["Überblick", "plain title", "tab\there \x7f"])
def test_content_hash_is_the_canonical_json_hash(detail: dict, title: str) -> None:
    record = Record(
        kind="slack",
        key="thread:1",
        path="export/general/2026-01-01.json",
        title=title,
        activities=[
            ActivityIn(
                person=PersonRef(source="slack", key="U1", name="Zoë"),
                scope="service:x",
                action="message",
                ts=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
                detail=detail,
            )
        ],
    )
    assert record.content_hash() == _canonical(record)


def test_ascii_escaped_writes_what_json_writes() -> None:
    """orjson's output, escaped, is Python's ``json.dumps`` byte for byte, on strings and keys of every kind."""
    import random

    import orjson

    from ingest.records import ascii_escaped

    rng = random.Random(13)
    alphabet = [chr(c) for c in range(0x80)] + ["\x7f", "\x80", "\xff", "\u2028", "\u2029", "\ufeff", "…"]
    alphabet += [chr(c) for c in range(0x100, 0xD800, 211)] + [chr(c) for c in range(0xE000, 0x110000, 4099)]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
        value = {key: text, "a": [text, {"é" + key: text, "n": 1}], "z": None}
        expected = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        assert ascii_escaped(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)) == expected


@dataclasses.dataclass
class _Pair:
    z: int = 1
    a: int = 2


class _Level(enum.Enum):
    HIGH = "high"


def _record_with(detail: dict, ts: datetime | None = None) -> Record:
    return Record(
        kind="pagerduty",
        key="incident:P1",
        path="export.json",
        occurred_at=ts,
        activities=[
            ActivityIn(
                person=PersonRef(source="pagerduty", key="PU1"),
                scope="service:x",
                action="acknowledged",
                ts=ts or datetime(2026, 1, 1, tzinfo=UTC),
                detail=detail,
            )
        ],
    )


@pytest.mark.parametrize(
    "detail, ts",
    [
        ({"tags": {"b", "a"}}, None),  # a set: orjson cannot write it, pydantic writes a list
        ({"raw": b"bytes"}, None),
        ({"file": Path("runbooks/db.md")}, None),
        ({"item": _Pair()}, None),  # a dataclass: pydantic sorts its fields like any dict
        ({"n": 1}, datetime(1850, 6, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))),  # offset +00:19:32
        ({"n": 1}, datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(0)))),  # zero offset, not UTC itself
        ({"n": 1}, datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=ZoneInfo("Asia/Kolkata"))),
        (
            {"when": datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("America/New_York")), "day": date(2026, 6, 1)},
            None,
        ),
        ({"id": UUID(int=7), "level": _Level.HIGH, "pair": (1, "a")}, None),
    ],
)
def test_values_orjson_cannot_read_as_they_are_still_hash_canonically(
    detail: dict, ts: datetime | None
) -> None:
    """Values of the record models that pydantic converts for JSON (or that orjson writes otherwise) go
    through pydantic, so the hash stays the canonical JSON's."""
    record = _record_with(detail, ts)
    assert record.content_hash() == _canonical(record)


def test_every_record_of_the_sample_organisation_hashes_canonically(sample_org: Path) -> None:
    """Every adapter's records, read from the sample organisation: the fast hash is the canonical one."""
    from ingest.adapters.base import ReadContext, load_all
    from ingest.pipeline import discover

    adapters = load_all()
    units, _ = discover([sample_org], "auto", adapters)
    groups: dict[str, list[Path]] = {}
    for u in units:
        groups.setdefault(u.kind, []).append(u.path)
    seen: dict[str, int] = {}
    for kind, paths in groups.items():
        for item in adapters[kind].read(paths, ReadContext()):
            if isinstance(item, Record):
                assert item.content_hash() == _canonical(item), (kind, item.key)
                seen[kind] = seen.get(kind, 0) + 1
    assert {"slack", "pagerduty", "git", "markdown", "oncall", "deploys"} <= set(seen), seen
