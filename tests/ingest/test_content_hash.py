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
    ],
)
def test_content_hash_is_the_canonical_json_hash(detail: dict) -> None:
    record = Record(
        kind="slack",
        key="thread:1",
        path="export/general/2026-01-01.json",
        title="Überblick",
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
