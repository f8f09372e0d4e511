"""The Jira adapter: search pages joined, ADF flattened, incidents recognised."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from agent.analytics.judgement import judge_message
from ingest import actions
from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.jira import JiraAdapter, adf_text
from ingest.records import Problem, Record

FIX = Path(__file__).parent.parent / "fixtures" / "jira"
PAGES = [FIX / "search_page1.json", FIX / "search_page2.json"]
GRANT = "5b10ac8d82e05b22cc7d4ef5"


def read(paths: list[Path]) -> tuple[dict[str, Record], list[Problem]]:
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in JiraAdapter().read(paths, ReadContext()):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            assert item.key not in records, f"duplicate {item.key}"
            records[item.key] = item
    return records, problems


def acts(record: Record) -> list[tuple[str, str | None]]:
    return [(a.action, a.person.name) for a in record.activities]


def test_sniff() -> None:
    adapter = JiraAdapter()
    assert all(adapter.sniff(p, json_shape(p)) for p in PAGES)
    gh = FIX.parent / "github" / "issues.json"
    pd = FIX.parent / "pagerduty" / "incidents_page1.json"
    assert not adapter.sniff(gh, json_shape(gh)) and not adapter.sniff(pd, json_shape(pd))


def test_two_pages_are_one_dataset_without_duplicates() -> None:
    records, problems = read(PAGES)
    assert problems == []
    assert set(records) == {"issue:PAY-1", "issue:PAY-2", "issue:PAY-3"}  # total 3; PAY-2 on both pages


def test_activities_scope_and_incident() -> None:
    records, _ = read(PAGES)
    pay1 = records["issue:PAY-1"]
    assert acts(pay1) == [
        (actions.TICKET_REPORTED, "Alice Smith"),
        (actions.TICKET_ASSIGNED, "Grant Slater"),
        (actions.TICKET_RESOLVED, "Grant Slater"),
        (actions.TICKET_COMMENT, "Bob Jones"),
        (actions.TICKET_COMMENT, "Grant Slater"),
    ]
    # "@Grant Slater can you look?" in an ADF comment: stored with the mention, judged a pull-in
    asking = next(a for a in pay1.activities if a.detail.get("mentions"))
    assert asking.person.name == "Bob Jones"
    assert judge_message(asking.detail["text"], asking.detail["mentions"], []) == (False, [GRANT])
    assert {a.scope for a in pay1.activities} == {"service:payments-api"}  # component
    assert {a.incident for a in pay1.activities} == {"jira:PAY-1"}  # labelled incident
    [inc] = pay1.incidents
    assert inc.severity == "critical" and inc.resolved_at == datetime.fromisoformat(
        "2024-03-01T12:30:00+02:00"
    )
    assert pay1.activities[0].person.email == "alice@example.com"


def test_bot_reporter_ignored_and_project_scope_fallback() -> None:
    records, _ = read(PAGES)
    pay2 = records["issue:PAY-2"]
    assert pay2.activities == []  # reported by Automation for Jira (an app), unassigned
    assert pay2.incidents == [] and pay2.chunks[0].kind == "ticket"
    assert pay2.chunks[0].scope == "service:pay"  # no component: project key


def test_issue_type_incident_changelog_and_dst_offset() -> None:
    records, _ = read(PAGES)
    pay3 = records["issue:PAY-3"]
    [inc] = pay3.incidents
    assert inc.key == "jira:PAY-3" and inc.severity == "high"
    assert inc.created_at.utcoffset() == timedelta(hours=2)  # 03:30 CEST, just after the switch
    assigned = next(a for a in pay3.activities if a.action == actions.TICKET_ASSIGNED)
    assert assigned.ts == datetime.fromisoformat("2024-03-31T03:40:00+02:00")  # from the changelog
    resolved = next(a for a in pay3.activities if a.action == actions.TICKET_RESOLVED)
    assert resolved.person.name == "Alice Smith" and resolved.person.email == "alice@example.com"


def test_chunk_holds_summary_description_and_comments_as_text() -> None:
    records, _ = read(PAGES)
    text = records["issue:PAY-1"].chunks[0].text
    assert text.startswith("PAY-1: Payments API returns 500 under load")
    assert "Error rate above 5% after the 09:50 deploy." in text
    assert "kubectl -n payments get pods" in text
    assert "Bob Jones: pgbouncer pool is full, @Grant Slater can you look?" in text
    assert "Restarted pgbouncer and raised pool_size to 200." in text
    assert "{'type'" not in text and '"type"' not in text


def test_adf_flattening() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "drain"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "restart"}]}],
                    },
                ],
            },
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "a"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "b"},
                ],
            },
        ],
    }
    assert adf_text(doc).strip().split("\n") == ["Steps", "- drain", "- restart", "a", "b"]
    assert adf_text("plain") == "plain"


def test_malformed_page_is_a_problem() -> None:
    records, problems = read([FIX / "malformed.json", *PAGES])
    assert [Path(p.path).name for p in problems] == ["malformed.json"]
    assert len(records) == 3
