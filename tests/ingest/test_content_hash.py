"""A record's content hash is the SHA-256 of its canonical JSON, whichever encoder writes it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

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
