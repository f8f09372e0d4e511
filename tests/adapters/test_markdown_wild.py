"""The markdown adapter on postmortems written the way public write-ups are (titles, timelines, zones)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ingest.adapters.base import ReadContext
from ingest.adapters.markdown import MarkdownAdapter
from ingest.records import Record

BODY = """
## Summary

Customers could not sign in for 40 minutes.

## Root cause

The certificate was not renewed.

## Lessons learned

Alert before expiry.
"""


def read(path: Path, text: str) -> Record:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out = list(MarkdownAdapter().read([path], ReadContext()))
    assert len(out) == 1 and isinstance(out[0], Record), out
    return out[0]


@pytest.mark.parametrize(
    ("name", "title", "service", "source"),
    [
        (
            "2026-01-08-auth-gateway.md",
            "# 2026-01-08: auth-gateway — TLS cert expiry",
            "auth-gateway",
            "title",
        ),
        ("pm-17.md", "# 2026-01-08 09:00 UTC — Auth Gateway outage", "auth-gateway", "title"),
        ("pm-18.md", "# Incident: ledger-db replication lag", "ledger-db", "title"),
        ("pm-19.md", "# [search] Slow queries after the reindex", "search", "title"),
        ("pm-20.md", "# [RESOLVED] [billing-api] Invoices not sent", "billing-api", "title"),
        ("pm-21.md", "# Postmortem: Payments API outage on 2024-03-05", "payments-api", "title"),
        ("pm-22.md", "# January 8, 2026 - Checkout degraded", "checkout", "title"),
        ("pm-23.md", "# INC-4211: `queue-worker` backlog", "queue-worker", "title"),
        # the title says only when: the file name says what
        ("2026-01-08-auth-gateway-2.md", "# 2026-01-08", "auth-gateway", "file-name"),
        ("2026-03-26_notification-service.md", "# Monday, March 26", "notification-service", "file-name"),
        ("2024-03-10-payments-api-outage.md", "# Postmortem: Elevated errors", "payments-api", "file-name"),
        # neither: the linked incident's service (recorded as unknown, from the incident)
        ("2026-01-08.md", "# Postmortem 2026-01-08", "unknown", "incident"),
    ],
)
def test_service_from_title_then_file_name_never_a_date(
    tmp_path: Path, name: str, title: str, service: str, source: str
) -> None:
    rec = read(
        tmp_path / "postmortems" / name, f"{title}\n{BODY}\n## Timeline\n\n- 09:10 @asmith resolved it\n"
    )
    assert rec.document is not None and rec.document.doc_kind == "postmortem"
    assert rec.document.scope == f"service:{service}"
    assert rec.activities and {a.scope for a in rec.activities} == {f"service:{service}"}
    assert {a.detail["service_from"] for a in rec.activities} == {source}


def test_front_matter_service_wins_over_a_dated_title(tmp_path: Path) -> None:
    rec = read(
        tmp_path / "postmortems" / "2026-01-08-auth.md",
        "---\nservice: identity-provider\n---\n# 2026-01-08: auth-gateway — TLS cert expiry\n" + BODY,
    )
    assert rec.document is not None and rec.document.scope == "service:identity-provider"


def test_a_folder_of_dated_postmortems_makes_no_date_services(tmp_path: Path) -> None:
    services = ["auth-gateway", "ledger-db", "search-api"]
    scopes = set()
    for day in range(1, 20):
        svc = services[day % 3]
        when = datetime(2026, 1, day).date().isoformat()
        rec = read(
            tmp_path / "postmortems" / f"{when}-{svc}.md",
            f"# {when}: {svc} — outage number {day}\n{BODY}",
        )
        assert rec.document is not None
        scopes.add(rec.document.scope)
    assert scopes == {f"service:{s}" for s in services}
