"""The PagerDuty adapter: incidents and log entries from separate page files, joined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest import actions
from ingest.adapters._common import parse_ts
from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.pagerduty import PagerDutyAdapter
from ingest.records import Problem, Record

FIX = Path(__file__).parent.parent / "fixtures" / "pagerduty"
DATASET = [
    FIX / "incidents_page1.json",
    FIX / "incidents_page2.json",
    FIX / "log_entries_page1.json",
    FIX / "log_entries_page2.json",
    FIX / "users.json",
]


def read(paths: list[Path]) -> tuple[dict[str, Record], list[Problem]]:
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in PagerDutyAdapter().read(paths, ReadContext()):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records[item.key] = item
    return records, problems


def by_action(record: Record) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in record.activities:
        out.setdefault(a.action, []).append(a.person.key or "")
    return out


def test_sniff_claims_incidents_logs_and_users_but_not_oncalls() -> None:
    adapter = PagerDutyAdapter()
    for p in DATASET:
        assert adapter.sniff(p, json_shape(p)), p.name
    assert not adapter.sniff(FIX / "oncalls.json", json_shape(FIX / "oncalls.json"))
    slack_users = FIX.parent / "slack" / "export" / "users.json"
    assert not adapter.sniff(slack_users, json_shape(slack_users))
    jira = FIX.parent / "jira" / "search_page1.json"
    assert not adapter.sniff(jira, json_shape(jira))


def test_pages_are_one_dataset_joined_by_incident_id() -> None:
    records, problems = read(DATASET)
    assert problems == []
    assert set(records) == {
        "directory:users",
        "incident:PABC123",
        "incident:PGHI789",
        "incident:PDEF456",
        "incident:PJKL012",
    }
    inc = records["incident:PABC123"]  # incidents_page1.json, its log entries in log_entries_page1.json
    assert by_action(inc) == {
        actions.ASSIGNED: ["PUSER01"],
        actions.NOTIFIED: ["PUSER01", "PUSER02"],
        actions.ESCALATED: ["PUSER02"],
        actions.ACKNOWLEDGED: ["PUSER02"],
        actions.ANNOTATED: ["PUSER03"],
        actions.RESOLVED: ["PUSER03"],
    }
    # the log was newest-first in the file; activities come out in time order
    assert [a.ts for a in inc.activities] == sorted(a.ts for a in inc.activities)
    # reading the log files before the incident files gives the same records
    again, _ = read(list(reversed(DATASET)))
    assert again["incident:PABC123"].content_hash() == inc.content_hash()


def test_resolve_carries_who_was_assigned_for_rescue_detection() -> None:
    records, _ = read(DATASET)
    resolved = next(a for a in records["incident:PABC123"].activities if a.action == actions.RESOLVED)
    assert resolved.person.key == "PUSER03"  # Grant resolved while Bob held the incident
    assert resolved.detail["assignees"] == ["PUSER02"]
    assert resolved.detail["assignee_emails"] == ["bob@example.com"]
    assert resolved.detail["escalation_level"] == 2
    assert resolved.incident == "pagerduty:PABC123"
    delegated = records["incident:PDEF456"]
    assert by_action(delegated)[actions.REASSIGNED] == ["PUSER03"]
    resolve2 = next(a for a in delegated.activities if a.action == actions.RESOLVED)
    assert resolve2.person.key == "PUSER01" and resolve2.detail["assignees"] == ["PUSER03"]


def test_incident_facts_keep_source_offsets_across_dst() -> None:
    records, _ = read(DATASET)
    [inc] = records["incident:PABC123"].incidents
    assert inc.key == "pagerduty:PABC123"
    assert inc.scope == "service:payments-api"
    assert inc.severity == "critical"  # priority P1
    assert inc.created_at.utcoffset() == timedelta(hours=2)
    assert inc.resolved_at == datetime.fromisoformat("2024-03-01T10:45:00+02:00")
    [dst] = records["incident:PDEF456"].incidents  # created before the switch, resolved after
    assert dst.severity == "low"  # no priority: urgency low
    assert dst.created_at.utcoffset() == timedelta(hours=1)
    assert dst.resolved_at is not None and dst.resolved_at.utcoffset() == timedelta(hours=2)
    assert dst.resolved_at - dst.created_at == timedelta(minutes=45)


def test_integrations_are_not_people() -> None:
    records, _ = read(DATASET)
    auto = records["incident:PJKL012"]  # triggered and resolved by Datadog
    assert auto.activities == []
    assert auto.incidents[0].resolved_at == datetime.fromisoformat("2024-04-02T09:30:00+02:00")
    assert "resolved by Datadog" in auto.chunks[0].text
    keys = {a.person.key for r in records.values() for a in r.activities}
    assert keys == {"PUSER01", "PUSER02", "PUSER03"}


def test_users_give_emails_and_the_directory() -> None:
    records, _ = read(DATASET)
    people = {p.key: p for p in records["directory:users"].people}
    assert people["PUSER03"].email == "grant.slater@example.com"
    assert people["PUSER03"].timezone == "America/New_York"
    annotated = next(a for a in records["incident:PABC123"].activities if a.action == actions.ANNOTATED)
    assert annotated.person.email == "grant.slater@example.com" and annotated.person.source == "pagerduty"
    # without the users file the same activity has no email, only the id and name
    bare, _ = read(DATASET[:4])
    ann = next(a for a in bare["incident:PABC123"].activities if a.action == actions.ANNOTATED)
    assert ann.person.email is None and ann.person.name == "Grant Slater"


def test_chunk_summarises_the_log_with_notes() -> None:
    records, _ = read(DATASET)
    text = records["incident:PABC123"].chunks[0].text
    assert text.startswith("PagerDuty incident #101 (PABC123): Payments API 500s")
    assert "note by Grant Slater: pgbouncer pool exhausted; restarted it (runbook step 3)" in text
    assert "escalated to Bob Jones" in text and "(level 2)" in text


def test_incident_fields_are_used_when_no_log_entries() -> None:
    records, _ = read(DATASET)
    inc = records["incident:PGHI789"]
    assert by_action(inc) == {
        actions.ASSIGNED: ["PUSER02"],
        actions.ACKNOWLEDGED: ["PUSER02"],
        actions.RESOLVED: ["PUSER02"],
    }
    resolved = next(a for a in inc.activities if a.action == actions.RESOLVED)
    assert resolved.ts == datetime.fromisoformat("2024-03-06T00:20:00-05:00")
    assert resolved.ts.utcoffset() == timedelta(hours=-5)
    assert inc.incidents[0].severity == "high"  # urgency high, no priority


def test_log_entries_without_incident_file_rebuild_the_incident() -> None:
    records, _ = read([FIX / "log_entries_page1.json"])
    inc = records["incident:PABC123"]
    assert inc.incidents[0].title == "[#101] Payments API 500s"
    assert inc.incidents[0].scope == "service:payments-api"
    assert inc.incidents[0].created_at == datetime.fromisoformat("2024-03-01T10:00:00+02:00")
    assert actions.RESOLVED in by_action(inc)


def test_malformed_and_truncated_files_are_problems_not_exceptions() -> None:
    records, problems = read([FIX / "malformed.json", FIX / "truncated_incidents.json", *DATASET])
    paths = sorted(Path(p.path).name for p in problems)
    assert paths == ["malformed.json", "truncated_incidents.json"]
    # the whole incident before the cut is kept
    assert records["incident:PTRU001"].incidents[0].severity == "high"
    assert "incident:PABC123" in records


def test_oncalls_file_yields_nothing_when_handed_over() -> None:
    records, problems = read([FIX / "oncalls.json"])
    assert records == {} and problems == []


def test_parse_ts_keeps_offsets_and_reads_epochs() -> None:
    assert parse_ts("2024-03-31T03:30:00.000+0200").utcoffset() == timedelta(hours=2)
    assert parse_ts("2024-03-01T10:00:00Z").utcoffset() == timedelta(0)
    assert parse_ts(1709287200123) == datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert parse_ts("1709287200.000100") == datetime(2024, 3, 1, 10, 0, 0, 100, tzinfo=UTC)
    # a naive time gets the zone it is read in, with that day's DST offset
    assert parse_ts("2024-07-01 10:00", "Europe/Berlin").utcoffset() == timedelta(hours=2)
    assert parse_ts("2024-01-01 10:00", "Europe/Berlin").utcoffset() == timedelta(hours=1)
    assert parse_ts("not a date") is None and parse_ts(None) is None
