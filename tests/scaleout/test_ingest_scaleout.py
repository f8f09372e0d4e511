"""Ingest into PostgreSQL and a Chroma server, through the public API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.scaleout


def _pagerduty(tmp_path: Path) -> Path:
    """A small PagerDuty export in the REST API v2 wire format: two incidents and their log entries."""
    folder = tmp_path / "pd"
    folder.mkdir(exist_ok=True)
    users = [
        {
            "id": "PU1",
            "type": "user",
            "name": "Grant Slater",
            "email": "grant@example.org",
            "html_url": "x",
            "time_zone": "UTC",
        },
        {
            "id": "PU2",
            "type": "user",
            "name": "Ana Lima",
            "email": "ana@example.org",
            "html_url": "y",
            "time_zone": "UTC",
        },
    ]
    incidents, entries = [], []
    for n in (1, 2):
        iid = f"PI{n}"
        incidents.append(
            {
                "id": iid,
                "incident_number": n,
                "title": f"payments-api latency spike {n}",
                "status": "resolved",
                "urgency": "high",
                "service": {"id": "PS1", "summary": "payments-api", "type": "service_reference"},
                "assignments": [
                    {
                        "at": f"2025-03-0{n}T02:00:00Z",
                        "assignee": {"id": "PU2", "type": "user_reference", "summary": "Ana Lima"},
                    }
                ],
                "escalation_policy": {"id": "EP1", "summary": "payments"},
                "created_at": f"2025-03-0{n}T02:00:00Z",
                "last_status_change_at": f"2025-03-0{n}T03:00:00Z",
            }
        )
        entries += [
            {
                "id": f"L{n}a",
                "type": "trigger_log_entry",
                "created_at": f"2025-03-0{n}T02:00:00Z",
                "agent": {"id": "PS1", "type": "service_reference"},
                "channel": {"type": "api"},
                "incident": {"id": iid},
            },
            {
                "id": f"L{n}b",
                "type": "resolve_log_entry",
                "created_at": f"2025-03-0{n}T03:00:00Z",
                "agent": {"id": "PU1", "type": "user_reference", "summary": "Grant Slater"},
                "channel": {"type": "web_trigger"},
                "incident": {"id": iid},
            },
        ]
    (folder / "users.json").write_text(json.dumps({"users": users}))
    (folder / "incidents.json").write_text(json.dumps({"incidents": incidents}))
    (folder / "log_entries.json").write_text(json.dumps({"log_entries": entries}))
    return folder


def test_ingest_lands_in_postgres_and_chroma_server(servers, tmp_path: Path, embedder) -> None:
    from sqlalchemy import func, select

    from ingest.db import Activity, Chunk
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws", embedder=embedder)
    assert ws.engine.dialect.name == "postgresql"
    summary = ingest_paths(ws, [_pagerduty(tmp_path)])
    assert summary.quarantined == []
    assert summary.activities > 0 and summary.chunks > 0
    with ws.session() as s:
        assert s.execute(select(func.count()).select_from(Activity)).scalar_one() == summary.activities
        n_chunks = s.execute(select(func.count()).select_from(Chunk)).scalar_one()
        assert (
            s.execute(select(func.count()).select_from(Chunk).where(Chunk.embedded.is_(False))).scalar_one()
            == 0
        )
    assert type(ws.index.collection._client).__name__ != "PersistentClient"
    assert ws.index.count() == n_chunks
    hits = ws.index.query("payments-api latency", n=2)
    assert hits and "payments-api" in hits[0].text
    again = ingest_paths(Workspace.open(tmp_path / "ws", embedder=embedder), [_pagerduty(tmp_path)])
    assert (again.records, again.activities, again.chunks) == (0, 0, 0)
