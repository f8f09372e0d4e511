"""A small organisation written in real export formats, for pipeline tests."""

from __future__ import annotations

import json
from pathlib import Path

USERS = [
    {
        "id": "U01GRANT",
        "name": "grant",
        "real_name": "Grant Slater",
        "tz": "Europe/Berlin",
        "is_bot": False,
        "profile": {"real_name": "Grant Slater", "email": "Grant.Slater@Example.org"},
    },
    {
        "id": "U02MAYA",
        "name": "maya",
        "real_name": "Maya Ortiz",
        "tz": "America/New_York",
        "is_bot": False,
        "profile": {"real_name": "Maya Ortiz", "email": "maya@example.org"},
    },
    {"id": "U03BOT", "name": "pagerbot", "is_bot": True, "profile": {"real_name": "PagerDuty"}},
]


def write_slack(root: Path, extra_text: str = "") -> Path:
    exp = root / "slack"
    (exp / "inc-payments-api").mkdir(parents=True)
    (exp / "users.json").write_text(json.dumps(USERS))
    (exp / "channels.json").write_text(
        json.dumps([{"id": "C1", "name": "inc-payments-api", "created": 1700000000}])
    )
    msgs = [
        {
            "type": "message",
            "user": "U02MAYA",
            "text": "payments-api is throwing 500s, pool exhausted again. <@U01GRANT> can you take a look?",
            "ts": "1767268800.000100",
            "thread_ts": "1767268800.000100",
            "reply_count": 2,
        },
        {
            "type": "message",
            "user": "U01GRANT",
            "text": "restart the pool with `kubectl rollout restart deploy/payments-api` then check pgbouncer"
            + extra_text,
            "ts": "1767269100.000200",
            "thread_ts": "1767268800.000100",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B1",
            "text": "Alert resolved",
            "ts": "1767269400.000300",
            "thread_ts": "1767268800.000100",
        },
        {
            "type": "message",
            "user": "U01GRANT",
            "text": "db password is hunter2hunter2 and token xoxb-1234567890-0987654321-abcdefghijklmnopqrstuvwx",
            "ts": "1767272400.000100",
        },
    ]
    (exp / "inc-payments-api" / "2026-01-01.json").write_text(json.dumps(msgs))
    return exp


def write_pagerduty(root: Path) -> Path:
    pd = root / "pagerduty"
    pd.mkdir(parents=True)
    users = {
        "users": [
            {
                "id": "PGRANT",
                "name": "Grant Slater",
                "email": "grant.slater@example.org",
                "time_zone": "Europe/Berlin",
            },
            {
                "id": "PMAYA",
                "name": "Maya Ortiz",
                "email": "MAYA@example.org",
                "time_zone": "America/New_York",
            },
        ]
    }
    (pd / "users.json").write_text(json.dumps(users))
    incidents = []
    logs = []
    for n in range(1, 5):
        iid = f"PINC{n:03d}"
        created = f"2026-01-0{n}T02:1{n}:00+01:00"
        incidents.append(
            {
                "id": iid,
                "incident_number": 100 + n,
                "title": f"payments-api connection pool exhausted ({n})",
                "status": "resolved",
                "urgency": "high",
                "priority": {"summary": "P1"},
                "service": {"id": "SVC1", "summary": "Payments API"},
                "assignments": [
                    {
                        "at": created,
                        "assignee": {"id": "PMAYA", "summary": "Maya Ortiz", "type": "user_reference"},
                    }
                ],
                "acknowledgements": [],
                "escalation_policy": {"id": "EP1", "summary": "Payments"},
                "teams": [],
                "created_at": created,
                "last_status_change_at": f"2026-01-0{n}T03:00:00+01:00",
                "last_status_change_by": {
                    "id": "PGRANT",
                    "summary": "Grant Slater",
                    "type": "user_reference",
                },
                "resolved_at": f"2026-01-0{n}T03:00:00+01:00",
            }
        )
        logs += [
            {
                "id": f"L{n}a",
                "type": "trigger_log_entry",
                "created_at": created,
                "incident": {"id": iid},
                "agent": {"id": "SVC1", "summary": "Payments API", "type": "service_reference"},
            },
            {
                "id": f"L{n}b",
                "type": "assign_log_entry",
                "created_at": created,
                "incident": {"id": iid},
                "agent": {"id": "SVC1", "type": "service_reference"},
                "assignees": [{"id": "PMAYA", "summary": "Maya Ortiz", "type": "user_reference"}],
            },
            {
                "id": f"L{n}c",
                "type": "resolve_log_entry",
                "created_at": f"2026-01-0{n}T03:00:00+01:00",
                "incident": {"id": iid},
                "agent": {"id": "PGRANT", "summary": "Grant Slater", "type": "user_reference"},
            },
        ]
    (pd / "incidents-1.json").write_text(
        json.dumps({"incidents": incidents[:2], "limit": 2, "offset": 0, "more": True})
    )
    (pd / "incidents-2.json").write_text(
        json.dumps({"incidents": incidents[2:], "limit": 2, "offset": 2, "more": False})
    )
    (pd / "log_entries-1.json").write_text(json.dumps({"log_entries": logs}))
    return pd


def write_markdown(root: Path) -> Path:
    md = root / "runbooks"
    md.mkdir(parents=True)
    (md / "payments-api-runbook.md").write_text(
        "---\ntitle: Payments API runbook\nservice: payments-api\nauthors: [grant]\n---\n"
        "# Payments API runbook\n\n## Diagnosis\nCheck the pool metrics on the dashboard.\n\n"
        "## Steps\n1. Restart the deployment with `kubectl rollout restart deploy/payments-api`.\n2. Watch the error rate.\n"
    )
    return md


def write_deploys(root: Path) -> Path:
    d = root / "deploys"
    d.mkdir(parents=True)
    (d / "deploys.csv").write_text(
        "timestamp,service,actor,action,outcome\n"
        "2026-01-05T10:00:00+01:00,payments-api,grant.slater@example.org,deploy,success\n"
        "2026-01-06T10:00:00+01:00,payments-api,maya@example.org,rollback,success\n"
        "2026-01-07T10:00:00+01:00,payments-api,ci-bot[bot],deploy,success\n"
    )
    return d


def write_org(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_slack(root)
    write_pagerduty(root)
    write_markdown(root)
    write_deploys(root)
    return root
