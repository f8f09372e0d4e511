"""The map over a million activities: every one counted, in the right scope, with the planted favourites on top.

How long it takes is measured by `make bench` (BENCHMARKS.md), not asserted here."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from agent.analytics import compute_map
from ingest.db import Activity, Incident, Person, RecordRow, Shift
from ingest.workspace import Workspace

ROWS = 1_000_000
"""Activities in the benchmark organisation."""

ZONES = [None, "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
ACTIONS = [
    "notified",
    "acknowledged",
    "assigned",
    "resolved",
    "chat_message",
    "commit",
    "deploy",
    "annotated",
]


def _populate(ws: Workspace, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 86400
    people = [f"p{i:03d}" for i in range(200)]
    scopes = [f"service:s{i:02d}" for i in range(60)] + [f"repo:r{i:02d}" for i in range(40)]
    with ws.session() as s:
        rec = RecordRow(kind="bench", key="bench", record_hash="x", path="/bench", complete=True)
        s.add(rec)
        s.flush()
        rid = rec.id
        s.execute(
            insert(Person),
            [{"id": p, "name": p, "timezone": ZONES[i % len(ZONES)]} for i, p in enumerate(people)],
        )
        s.execute(
            insert(Shift),
            [
                {
                    "record_id": rid,
                    "person_id": people[i % 200],
                    "schedule": "s",
                    "scope": scopes[i % 60],
                    "level": 1,
                    "start": start + timedelta(days=7 * i),
                    "end": start + timedelta(days=7 * i + 7),
                }
                for i in range(104)
            ],
        )
        incidents = []
        for i in range(20_000):
            created = start + timedelta(seconds=rng.randrange(span))
            incidents.append(
                {
                    "key": f"pd:{i}",
                    "record_id": rid,
                    "scope": scopes[i % 60],
                    "title": "t",
                    "severity": "high",
                    "created_at": created,
                    "source": "bench",
                }
            )
        s.execute(insert(Incident), incidents)
    batch = 100_000
    for b in range(0, rows, batch):
        acts = []
        for _ in range(b, min(rows, b + batch)):
            scope_i = rng.randrange(100)
            # every scope has a favourite person doing a third of its work
            person = people[scope_i] if rng.random() < 0.33 else people[rng.randrange(200)]
            inc = f"pd:{rng.randrange(20_000)}" if scope_i < 60 and rng.random() < 0.3 else None
            action = ACTIONS[rng.randrange(len(ACTIONS))]
            acts.append(
                {
                    "record_id": rid,
                    "person_id": person,
                    "scope": scopes[scope_i],
                    "action": action,
                    "ts": start + timedelta(seconds=rng.randrange(span)),
                    "tz_offset": 0,
                    "weight": 1.0,
                    "incident": inc,
                    "source": "bench",
                }
            )
        with ws.session() as s:
            s.execute(insert(Activity), acts)


@pytest.mark.slow
def test_map_over_a_million_activities(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    _populate(ws, ROWS)
    result = compute_map(ws)
    assert sum(s.events for s in result.scopes) == ROWS
    assert len(result.scopes) == 100
    assert all(0 < s.off_hours_share < 1 for s in result.scopes)
    # the planted favourite of each scope is its top person
    tops = {s.scope: s.top_person for s in result.scopes}
    assert tops["service:s07"] == "p007" and tops["repo:r05"] == "p065"
