"""The Opsgenie adapter: alerts as incidents, emails as people, integrations ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest import actions
from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.opsgenie import OpsgenieAdapter
from ingest.records import Problem, Record

FIX = Path(__file__).parent.parent / "fixtures" / "opsgenie"
PAGES = [FIX / "alerts_page1.json", FIX / "alerts_page2.json"]
A1 = "alert:70413a06-38d6-4c85-92b8-5ebc900d42e2"
A2 = "alert:8a3bd2c1-0000-4c85-92b8-5ebc900d42e3"
A3 = "alert:9c1d0000-1111-4c85-92b8-5ebc900d42e4"


def read(paths: list[Path]) -> tuple[dict[str, Record], list[Problem]]:
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in OpsgenieAdapter().read(paths, ReadContext()):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records[item.key] = item
    return records, problems


def test_sniff_claims_both_list_forms_and_nothing_else() -> None:
    adapter = OpsgenieAdapter()
    assert all(adapter.sniff(p, json_shape(p)) for p in PAGES)
    for other in ("pagerduty/incidents_page1.json", "jira/search_page1.json", "github/issues.json"):
        path = FIX.parent / other
        assert not adapter.sniff(path, json_shape(path)), other


def test_alert_is_an_incident_with_ack_and_close_by_people() -> None:
    records, problems = read(PAGES)
    assert problems == [] and set(records) == {A1, A2, A3}
    rec = records[A1]
    [inc] = rec.incidents
    assert inc.scope == "service:payments-api"  # team responder's name
    assert inc.severity == "critical" and inc.status == "closed"
    assert inc.created_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert inc.resolved_at == inc.created_at + timedelta(minutes=30)
    acts = {a.action: a for a in rec.activities}
    assert acts[actions.ASSIGNED].person.email == "alice@example.com"
    assert acts[actions.ACKNOWLEDGED].ts == inc.created_at + timedelta(minutes=1)
    resolved = acts[actions.RESOLVED]
    assert resolved.person.email == "grant.slater@example.com"
    assert resolved.detail["assignee_emails"] == ["alice@example.com"]
    assert resolved.incident == "opsgenie:70413a06-38d6-4c85-92b8-5ebc900d42e2"


def test_system_alert_api_and_integrations_are_not_people() -> None:
    records, _ = read(PAGES)
    assert records[A2].activities == []  # acked by "Alert API", closed by "System"
    assert "closed by System" in records[A2].chunks[0].text
    # closed by its own integration (Datadog); the owner is a plain username
    assert [(a.action, a.person.handle) for a in records[A3].activities] == [(actions.ASSIGNED, "bob")]
    assert records[A3].activities[0].person.email is None


def test_scope_falls_back_to_service_tag_then_team_list() -> None:
    records, _ = read(PAGES)
    assert records[A2].incidents[0].scope == "service:checkout"  # team responder has no name: tag
    assert records[A3].incidents[0].scope == "service:databases"  # teams field with a name


def test_offsets_are_kept() -> None:
    records, _ = read(PAGES)
    assert records[A2].incidents[0].created_at.utcoffset() == timedelta(hours=2)
    assert records[A3].incidents[0].created_at.utcoffset() == timedelta(hours=-5)
    assert records[A3].incidents[0].resolved_at == datetime.fromisoformat("2024-03-05T23:12:00-05:00")


def test_malformed_is_a_problem_and_duplicates_across_pages_count_once() -> None:
    records, problems = read([FIX / "malformed.json", *PAGES, FIX / "alerts_page1.json"])
    assert [Path(p.path).name for p in problems] == ["malformed.json"]
    assert set(records) == {A1, A2, A3}
