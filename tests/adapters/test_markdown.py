"""The markdown adapter against postmortem and runbook files shaped like real ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ingest.adapters.base import ReadContext
from ingest.adapters.markdown import MarkdownAdapter
from ingest.records import ActivityIn, Problem, Record

FIXTURES = Path(__file__).parent.parent / "fixtures" / "markdown"
PAYMENTS_PM = FIXTURES / "postmortems" / "2024-03-10-payments-api-outage.md"
CHECKOUT_PM = FIXTURES / "postmortems" / "checkout-latency.md"
FAILOVER_RB = FIXTURES / "runbooks" / "payments-api-failover.md"
CACHE_RB = FIXTURES / "docs" / "cache-flush.md"
README = FIXTURES / "docs" / "README.md"
BAD_UTF8 = FIXTURES / "postmortems" / "bad-utf8.md"
BAD_YAML = FIXTURES / "postmortems" / "bad-front-matter.md"


def read_one(path: Path, ctx: ReadContext | None = None) -> Record:
    out = list(MarkdownAdapter().read([path], ctx or ReadContext()))
    assert len(out) == 1 and isinstance(out[0], Record), out
    return out[0]


def who(a: ActivityIn) -> str:
    return a.person.handle or a.person.name or ""


def acts(rec: Record, action: str) -> list[ActivityIn]:
    return [a for a in rec.activities if a.action == action]


def test_sniff_and_document_kinds() -> None:
    adapter = MarkdownAdapter()
    for path in (PAYMENTS_PM, CHECKOUT_PM, FAILOVER_RB, CACHE_RB, BAD_UTF8, BAD_YAML, README):
        assert adapter.sniff(path, None), path
    assert not adapter.sniff(FIXTURES.parent / "deploys" / "deploys.csv", None)
    kinds = {
        p.name: MarkdownAdapter.doc_kind_of(p)
        for p in (PAYMENTS_PM, CHECKOUT_PM, FAILOVER_RB, CACHE_RB, README)
    }
    assert kinds == {
        PAYMENTS_PM.name: "postmortem",  # front matter type
        CHECKOUT_PM.name: "postmortem",  # folder name
        FAILOVER_RB.name: "runbook",
        CACHE_RB.name: "runbook",  # title "Runbook: ..."
        README.name: "note",
    }
    assert MarkdownAdapter.doc_kind_of(BAD_YAML) == "postmortem"


def test_postmortem_with_front_matter() -> None:
    rec = read_one(PAYMENTS_PM)
    assert rec.key == f"doc:{PAYMENTS_PM.as_posix()}"
    assert rec.document is not None and rec.document.doc_kind == "postmortem"
    assert rec.document.scope == "service:payments-api"
    assert [a.label() for a in rec.document.authors] == ["Alice Smith", "carol"]

    [inc] = rec.incidents
    assert inc.key == "pagerduty:PABC123" and inc.severity == "critical" and inc.status == "resolved"
    # the date is a bare day in America/New_York: the incident starts at the first timeline entry,
    # before the DST change (-05:00), and is resolved after it (-04:00)
    assert inc.created_at.isoformat() == "2024-03-10T01:20:00-05:00"
    assert inc.resolved_at is not None and inc.resolved_at.isoformat() == "2024-03-10T03:55:00-04:00"
    assert inc.resolved_at - inc.created_at == timedelta(hours=1, minutes=35)

    [ic] = acts(rec, "incident_commander")[:1]
    assert (
        ic.person.handle == "alice" and ic.person.name == "Alice Smith"
    )  # front matter joined handle and name
    assert {who(a) for a in acts(rec, "incident_commander")} == {"alice"}
    assert {who(a) for a in acts(rec, "responder")} == {"bob", "Dana Lee"}
    assert {who(a) for a in acts(rec, "attendee")} == {"alice", "Erin Park", "frank"}
    assert [(who(a), a.ts.isoformat()) for a in acts(rec, "notified")] == [
        ("bob", "2024-03-10T01:20:00-05:00")
    ]
    assert [who(a) for a in acts(rec, "acknowledged")] == ["bob"]
    assert [who(a) for a in acts(rec, "escalated")] == ["alice"]
    # task verbs keep their action but count in the incident's service (task scopes come from deploy logs)
    assert [(who(a), a.scope) for a in acts(rec, "restart")] == [("Dana Lee", "service:payments-api")]
    assert [(who(a), a.scope) for a in acts(rec, "rollback")] == [("alice", "service:payments-api")]
    assert [who(a) for a in acts(rec, "failover")] == ["bob"]  # "Primary failed over by @bob"
    [resolved] = acts(rec, "resolved")
    assert who(resolved) == "alice" and resolved.scope == "service:payments-api"
    assert resolved.ts.utcoffset() == timedelta(hours=-4)
    assert all(a.incident == "pagerduty:PABC123" for a in rec.activities if a.action != "authored_doc")
    assert resolved.chunk_locator == f"{rec.key}#timeline"

    assert [c.title for c in rec.chunks] == [
        f"Payments API outage during DST change — {h}"
        for h in ("Summary", "Impact", "Timeline", "Root cause", "Action items", "Attendees")
    ]
    assert all(c.kind == "postmortem" and c.scope == "service:payments-api" for c in rec.chunks)
    assert "Retry storms" in next(c.text for c in rec.chunks if c.locator.endswith("#root-cause"))


def test_postmortem_without_front_matter() -> None:
    rec = read_one(CHECKOUT_PM)
    assert rec.document is not None and rec.document.doc_kind == "postmortem"
    assert rec.document.scope == "service:checkout-service"
    assert [a.name for a in rec.document.authors] == ["Heidi Klum"]
    [inc] = rec.incidents
    assert inc.key == "postmortem:checkout-latency" and inc.severity == "high"
    assert inc.created_at.isoformat() == "2024-11-02T23:40:00+00:00"  # the first timeline line, nobody named
    assert inc.resolved_at is not None and inc.resolved_at.isoformat() == "2024-11-03T00:25:00+00:00"
    assert {who(a) for a in acts(rec, "incident_commander")} == {"Grace Hopper"}
    assert [who(a) for a in acts(rec, "acknowledged")] == ["Grace Hopper"]  # from a table row
    # times after midnight roll over to the next day
    [restart] = acts(rec, "restart")
    assert who(restart) == "Bob Smith" and restart.ts == datetime.fromisoformat("2024-11-03T00:10:00+00:00")
    assert {who(a) for a in acts(rec, "responder")} == {"ivan", "Bob Smith"}
    assert [who(a) for a in acts(rec, "resolved")] == ["Grace Hopper"]
    assert [c.title.split(" — ")[1] for c in rec.chunks if c.title] == [
        "Overview",
        "Timeline",
        "Root cause",
        "Lessons learned",
    ]


def test_runbook_with_front_matter_authors_and_editor() -> None:
    rec = read_one(FAILOVER_RB)
    doc = rec.document
    assert doc is not None and doc.doc_kind == "runbook" and rec.incidents == []
    assert doc.authors[0].email == "alice@example.org" and doc.authors[0].name == "Alice Smith"
    assert doc.last_editor is not None and doc.last_editor.handle == "bob"
    assert doc.updated_at is not None and doc.updated_at.utcoffset() == timedelta(hours=2)
    assert [(a.action, who(a), a.scope) for a in rec.activities] == [
        ("authored_doc", "Alice Smith", "service:payments-api"),
        ("edited_doc", "bob", "service:payments-api"),
    ]
    # shell comments inside a code fence are not headings
    assert [c.locator.split("#")[1] for c in rec.chunks] == ["when-to-use", "steps", "verification"]
    assert "# promote" in rec.chunks[1].text and all(c.kind == "runbook" for c in rec.chunks)


def test_runbook_without_front_matter() -> None:
    rec = read_one(CACHE_RB)
    assert rec.document is not None and rec.document.doc_kind == "runbook"
    assert rec.document.scope == "service:search-api"
    assert [(a.action, who(a)) for a in rec.activities] == [("authored_doc", "erin")]
    assert rec.activities[0].detail["ts_source"] == "file_mtime"


def test_unclassified_document_is_a_note() -> None:
    rec = read_one(README)
    assert rec.document is not None and rec.document.doc_kind == "note"
    assert {c.kind for c in rec.chunks} == {"note"}


def test_bad_files_are_problems_and_the_rest_come_out() -> None:
    out = list(MarkdownAdapter().read([BAD_UTF8, PAYMENTS_PM, BAD_YAML, CACHE_RB], ReadContext()))
    problems = {Path(p.path).name: p.reason for p in out if isinstance(p, Problem)}
    assert set(problems) == {"bad-utf8.md", "bad-front-matter.md"}
    assert "UTF-8" in problems["bad-utf8.md"] and "line 5" in problems["bad-utf8.md"]
    assert "front matter" in problems["bad-front-matter.md"]
    assert len([r for r in out if isinstance(r, Record)]) == 2


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "timezone: Europe/Berlin\ndate: 2024-03-31",
            ["2024-03-31T01:30:00+01:00", "2024-03-31T03:30:00+02:00"],
        ),
        ("date: 2024-03-31T00:00:00+05:30", ["2024-03-31T01:30:00+05:30", "2024-03-31T03:30:00+05:30"]),
        ("date: 2024-03-31", ["2024-03-31T01:30:00+00:00", "2024-03-31T03:30:00+00:00"]),
    ],
)
def test_timeline_time_zones(tmp_path: Path, front: str, expected: list[str]) -> None:
    path = tmp_path / "incident-db.md"
    path.write_text(
        f"---\n{front}\nservice: ledger\n---\n# Ledger outage\n\n## Timeline\n\n"
        "- 01:30 @ann restarted the ledger\n- 03:30 @ann fixed the index\n- 04:00 12:00 UTC @ann noted\n"
    )
    rec = read_one(path)
    got = [a.ts.isoformat() for a in rec.activities if a.action in ("restart", "resolved")]
    assert got == expected


def test_explicit_utc_times_and_day_headings(tmp_path: Path) -> None:
    path = tmp_path / "postmortem-queue.md"
    path.write_text(
        "---\ndate: 2024-06-01\ntimezone: America/Los_Angeles\nservices: [queue, billing]\n---\n"
        "# Queue backlog\n\n## Timeline\n\n### 2024-06-02\n\n- 09:00 UTC @kim acknowledged\n"
        "- 2024-06-03 10:15 @kim resolved the backlog\n"
    )
    rec = read_one(path)
    [ack_q, ack_b] = acts(rec, "acknowledged")
    assert ack_q.ts.isoformat() == "2024-06-02T09:00:00+00:00"
    assert {ack_q.scope, ack_b.scope} == {"service:queue", "service:billing"}
    assert acts(rec, "resolved")[0].ts.isoformat() == "2024-06-03T10:15:00-07:00"


def test_key_value_lines_outside_metadata_are_content(tmp_path: Path) -> None:
    path = tmp_path / "postmortem-2024-02-01.md"
    path.write_text(
        "# Ledger incident\n\nAuthor: @ann\n\n## Action items\n\n- Owner: @bob\n- Severity: low\n\n"
        "## Timeline\n\n- 10:00 @ann resolved it\n"
    )
    rec = read_one(path)
    assert rec.document is not None and [a.handle for a in rec.document.authors] == ["ann"]
    assert rec.incidents[0].severity is None
    assert rec.incidents[0].created_at.isoformat() == "2024-02-01T10:00:00+00:00"  # date from the file name


def test_classified_by_headings(tmp_path: Path) -> None:
    pm = tmp_path / "2024-05-05-db.md"
    pm.write_text("# DB slowness\n\n## Impact\n\nSlow.\n\n## Root cause\n\nLocks.\n")
    rb = tmp_path / "db.md"
    rb.write_text("# DB\n\n## Symptoms\n\nSlow.\n\n## Steps\n\n1. Kill locks.\n")
    assert MarkdownAdapter.doc_kind_of(pm) == "postmortem"
    assert MarkdownAdapter.doc_kind_of(rb) == "runbook"


def test_timeline_heading_declares_the_zone(tmp_path) -> None:
    """'## Timeline (America/New_York)' puts the timeline's local times in that zone, DST included."""
    from ingest.adapters.base import ReadContext
    from ingest.adapters.markdown import MarkdownAdapter

    pm = tmp_path / "postmortems" / "2026-07-02-payments.md"
    pm.parent.mkdir(parents=True)
    pm.write_text(
        "# Postmortem: payments-api pool exhausted\n\nDate: 2026-07-02\nService: payments-api\n\n"
        "## Timeline (America/New_York)\n\n- 10:30 @dana acknowledged\n- 10:58 @dana resolved the incident\n"
    )
    (record,) = [r for r in MarkdownAdapter().read([pm], ReadContext()) if hasattr(r, "activities")]
    times = {a.action: a.ts for a in record.activities}
    assert times["acknowledged"].isoformat() == "2026-07-02T10:30:00-04:00"  # EDT in July
