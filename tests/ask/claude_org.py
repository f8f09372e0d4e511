"""A tiny organisation for the Claude-path test: one scope, one hero, one postmortem chunk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.actions import weight_of
from ingest.db import Activity, Alias, Chunk, Incident, Person, RecordRow

SCOPE = "service:payments-api"
T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
CHUNK = "c0ffee00c0ffee00c0ffee00c0ffee00"


def build(ws: Any) -> None:
    """Grant resolves ten of twelve incidents on payments-api; Ana resolves two."""
    with ws.session() as s:
        for pid, name, handle in (("grant-slater", "Grant Slater", "gslater"), ("ana-lee", "Ana Lee", "ana")):
            s.add(Person(id=pid, name=name))
            s.flush()
            s.add(
                Alias(
                    person_id=pid,
                    kind="handle",
                    space="chat",
                    value=handle,
                    display="@" + handle,
                    source="slack",
                )
            )
        rec = RecordRow(
            kind="markdown", key="pm-1", record_hash="x", path="/org/postmortems/pm-1.md", complete=True
        )
        s.add(rec)
        s.flush()
        s.add(
            Chunk(
                id=CHUNK,
                record_id=rec.id,
                kind="postmortem",
                scope=SCOPE,
                title="pool exhausted",
                text="@gslater restarted pgbouncer; the pool recovered in 4 minutes.",
                content_hash="h1",
                source="markdown",
                path="/org/postmortems/pm-1.md",
                locator="timeline",
            )
        )
        for i in range(12):
            key = f"P{i:03d}"
            rid = RecordRow(
                kind="pagerduty",
                key=key,
                record_hash="x",
                path="/org/pagerduty/incidents.json",
                complete=True,
            )
            s.add(rid)
            s.flush()
            ts = T0 + timedelta(days=3 * i)
            s.add(
                Incident(
                    key=key,
                    record_id=rid.id,
                    scope=SCOPE,
                    title="pool exhausted",
                    severity="high",
                    status="resolved",
                    created_at=ts,
                    resolved_at=ts + timedelta(hours=1),
                    source="pagerduty",
                )
            )
            who = "grant-slater" if i < 10 else "ana-lee"
            s.add(
                Activity(
                    record_id=rid.id,
                    person_id=who,
                    scope=SCOPE,
                    action="resolved",
                    ts=ts + timedelta(hours=1),
                    weight=weight_of("resolved"),
                    incident=key,
                    source="pagerduty",
                )
            )
