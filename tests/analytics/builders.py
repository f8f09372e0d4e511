"""Builders that put facts straight into a real workspace database through the ORM models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ingest.actions import weight_of
from ingest.db import Activity, Alias, Chunk, Incident, Person, RecordRow, Shift
from ingest.workspace import Workspace

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
"""A Monday, 10:00 UTC (business hours in UTC and in Berlin)."""


@dataclass
class Facts:
    """Collects rows and writes them in one session."""

    ws: Workspace
    n: int = 0
    records: dict[str, int] = field(default_factory=dict)

    def record(self, key: str, kind: str = "pagerduty", **kw: object) -> int:
        if key in self.records:
            return self.records[key]
        with self.ws.session() as s:
            row = RecordRow(kind=kind, key=key, record_hash="x", path=f"/{key}", complete=True, **kw)
            s.add(row)
            s.flush()
            self.records[key] = row.id
        return row.id

    def person(
        self, pid: str, name: str | None = None, tz: str | None = None, aliases: tuple[str, ...] = ()
    ) -> str:
        with self.ws.session() as s:
            s.add(Person(id=pid, name=name or pid.title(), timezone=tz))
            s.flush()
            s.add(
                Alias(
                    person_id=pid, kind="handle", space="chat", value=pid, display="@" + pid, source="slack"
                )
            )
            for a in aliases:
                s.add(Alias(person_id=pid, kind="email", space="", value=a.lower(), display=a, source="git"))
        return pid

    def act(
        self,
        person: str,
        scope: str,
        action: str,
        ts: datetime,
        incident: str | None = None,
        detail: dict | None = None,
        chunk_id: str | None = None,
        record: str = "r",
        source: str = "pagerduty",
    ) -> int:
        rid = self.record(record)
        with self.ws.session() as s:
            a = Activity(
                record_id=rid,
                person_id=person,
                scope=scope,
                action=action,
                ts=ts,
                weight=weight_of(action),
                incident=incident,
                source=source,
                detail=detail,
                chunk_id=chunk_id,
            )
            s.add(a)
            s.flush()
            return a.id

    def acts(self, rows: list[tuple[str, str, str, datetime]]) -> None:
        rid = self.record("r")
        with self.ws.session() as s:
            s.add_all(
                Activity(
                    record_id=rid, person_id=p, scope=sc, action=ac, ts=ts, weight=weight_of(ac), source="x"
                )
                for p, sc, ac, ts in rows
            )

    def incident(
        self,
        key: str,
        scope: str,
        created: datetime,
        title: str = "incident",
        severity: str | None = "high",
        resolved: datetime | None = None,
        chunk_id: str | None = None,
    ) -> str:
        rid = self.record("inc:" + key)
        with self.ws.session() as s:
            s.add(
                Incident(
                    key=key,
                    record_id=rid,
                    scope=scope,
                    title=title,
                    severity=severity,
                    status="resolved",
                    created_at=created,
                    resolved_at=resolved or created + timedelta(hours=1),
                    source="pagerduty",
                    chunk_id=chunk_id,
                )
            )
        return key

    def shift(
        self, person: str, scope: str | None, start: datetime, end: datetime, schedule: str = "primary"
    ) -> None:
        rid = self.record("oncall")
        with self.ws.session() as s:
            s.add(
                Shift(record_id=rid, person_id=person, schedule=schedule, scope=scope, start=start, end=end)
            )

    def chunk(
        self,
        cid: str,
        text: str,
        kind: str = "incident",
        scope: str | None = None,
        title: str | None = None,
        record: str | None = None,
    ) -> str:
        rid = self.record(record or "chunk:" + cid)
        with self.ws.session() as s:
            s.add(
                Chunk(
                    id=cid,
                    record_id=rid,
                    kind=kind,
                    scope=scope,
                    title=title,
                    text=text,
                    content_hash=cid,
                    source="markdown",
                    path="/" + cid,
                    locator=cid,
                )
            )
        return cid
