"""Facts written straight into a workspace, for hand-checked eval cases and tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def add_resolved_incident(
    session: Any,
    *,
    key: str,
    scope: str,
    person: str,
    title: str,
    when: datetime,
    path: str,
    duration: timedelta = timedelta(minutes=30),
) -> None:
    """A high-severity PagerDuty incident on ``scope`` that ``person`` resolved at ``when``."""
    from ingest.db import Activity, Incident, RecordRow

    rec = RecordRow(kind="incident", key=key, record_hash=key, path=path, complete=True)
    session.add(rec)
    session.flush()
    session.add(
        Incident(
            key=key,
            record_id=rec.id,
            scope=scope,
            title=title,
            severity="high",
            created_at=when,
            resolved_at=when + duration,
            source="pagerduty",
        )
    )
    session.add(
        Activity(
            record_id=rec.id,
            person_id=person,
            scope=scope,
            action="resolved",
            ts=when,
            weight=3.0,
            incident=key,
            source="pagerduty",
        )
    )
