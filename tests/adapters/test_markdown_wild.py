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


def times(rec: Record) -> list[tuple[str, str, str]]:
    return sorted(
        (a.person.handle or a.person.name or "", a.action, a.ts.isoformat())
        for a in rec.activities
        if a.action not in ("authored_doc", "edited_doc")
    )


def test_bracketed_times_under_a_stated_zone(tmp_path: Path) -> None:
    rec = read(
        tmp_path / "postmortems" / "2024-03-26-notification-service.md",
        "# Notification service outage\n\nDate: 2024-03-26\n\n## Timeline\n\nAll times in PST.\n\n"
        "* [08:57] @mkim acknowledged the page\n"
        "* [09:20] @jlopez restarted the notification workers\n"
        "* [09:41] @mkim resolved the incident\n" + BODY,
    )
    # 26 March 2024 is after the US switch to daylight time: Pacific is -07:00
    assert ("mkim", "acknowledged", "2024-03-26T08:57:00-07:00") in times(rec)
    assert ("jlopez", "restart", "2024-03-26T09:20:00-07:00") in times(rec)
    assert ("mkim", "resolved", "2024-03-26T09:41:00-07:00") in times(rec)


def test_month_day_rows_take_the_documents_year(tmp_path: Path) -> None:
    rec = read(
        tmp_path / "postmortems" / "queue.md",
        "---\ndate: 2025-03-25\nservice: queue\n---\n# Queue backlog\n\n## Timeline\n\nAll times are UTC\n\n"
        "- [03-25 23:50] @pat paged\n"
        "- [03-26 02:50] @sam rolled back the consumer release\n" + BODY,
    )
    assert ("sam", "rollback", "2025-03-26T02:50:00+00:00") in times(rec)


def test_bold_times_with_a_zone_of_their_own(tmp_path: Path) -> None:
    rec = read(
        tmp_path / "postmortems" / "ledger.md",
        "# Incident: ledger-db replication lag\n\nDate: 2025-01-15\n\n## Timeline\n\n"
        "**08:57 PST** @ana acknowledged\n\n**17:10 UTC** @ana failed over to the replica\n" + BODY,
    )
    assert ("ana", "acknowledged", "2025-01-15T08:57:00-08:00") in times(rec)
    assert ("ana", "failover", "2025-01-15T17:10:00+00:00") in times(rec)


def test_times_in_cet_table_and_verbs_that_start_rows_are_not_people(tmp_path: Path) -> None:
    # the shape of a public postmortem (nais.io): a table timeline under "All times in CET."
    rec = read(
        tmp_path / "postmortems" / "2019-11-30-ip-starvation.md",
        "# Kubernetes network infrastructure IP starvation\n\n## Summary\n\nTBD.\n\n## Timeline\n\n"
        "All times in CET.\n\n| Time | Event |\n| ----------------- | --- |\n"
        "| 2019-11-29 12:00+ | Proactively scaling up the cluster from 7 to 10 nodes |\n"
        "| 2019-11-30 08:24 | Automated warning from AWS about free IP addresses |\n"
        "| 2019-11-30 09:00 | Started working on a long-term solution |\n"
        "| 2019-11-30 10:30 | Scaling down cluster by 2 nodes (to 8) to free up IP addresses |\n"
        "| 2019-11-30 11:00 | Restarted the ingress controllers |\n"
        "| 2019-11-30 11:30 | Rolled back the subnet change |\n"
        "| 2019-11-30 11:45 | Deployed the new subnets |\n"
        "| 2019-11-30 11:50 | Issue mitigated with manual attaching of instances |\n"
        "| 2019-11-30 11:55 | Developer notified us of failing deploys |\n"
        "| 2019-11-30 12:10 | Kelly Nash resolved the incident |\n\n## Root cause\n\nSubnets.\n",
    )
    assert times(rec) == [
        ("Kelly Nash", "resolved", "2019-11-30T12:10:00+01:00"),
        ("Kelly Nash", "responder", "2019-11-30T12:10:00+01:00"),
    ]


def test_write_up_names_people_by_their_bare_handle(tmp_path: Path) -> None:
    # the shape of flutter.dev's public postmortem: zone in the heading, day subheadings, bare handles
    rec = read(
        tmp_path / "postmortems" / "flutter-dev-dns.md",
        "# flutter.dev outage\n\nStatus: final<br>\nOwners: @Hixie\n\n## Summary\n\nOffline for hours.\n\n"
        "## Timeline (all times in PST/PDT)\n\n### 2023-08-25\n\n"
        "15:27 - Hixie and tvolkert submit a change to the DNS configuration\n\n"
        "### 2023-08-26\n\n21:14 - Hixie restored the MX records\n" + BODY,
    )
    assert ("Hixie", "responder", "2023-08-25T15:27:00-07:00") in times(rec)
    assert ("Hixie", "resolved", "2023-08-26T21:14:00-07:00") in times(rec)


def test_times_in_a_sentence_that_states_no_zone(tmp_path: Path) -> None:
    rec = read(
        tmp_path / "postmortems" / "api.md",
        "# Incident: api latency\n\nDate: 2025-01-15\n\n## Summary\n\nResponse times in Japan rose "
        "tenfold; all times are approximate.\n\n## Timeline\n\n- 08:57 @ana acknowledged\n" + BODY,
    )
    assert ("ana", "acknowledged", "2025-01-15T08:57:00+00:00") in times(rec)
