"""Rescues as paging tools record them: escalations and reassignments to a named person who resolves."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from agent.analytics import compute_map, escalation_graph, find_rescues
from ingest.adapters.base import ReadContext
from ingest.adapters.jira import JiraAdapter
from ingest.pipeline import ingest_paths
from ingest.records import Record
from ingest.workspace import Workspace

from . import realshape

AUTH = "service:auth-gateway"


@pytest.fixture(scope="module")
def org_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The real-shape organisation, ingested once (facts and vectors)."""
    root = tmp_path_factory.mktemp("realshape")
    org = realshape.write(root / "org")
    ws = Workspace.open(root / "ws")
    ws.ingested = ingest_paths(ws, [org / "pagerduty", org / "slack"])  # type: ignore[attr-defined]
    return ws


def _by_kind(ws: Workspace) -> dict[str, set[tuple[str, str]]]:
    with ws.session() as s:
        found = find_rescues(s)
    out: dict[str, set[tuple[str, str]]] = {}
    for r in found:
        for kind in r.kind.split("+"):
            out.setdefault(kind, set()).add((r.incident.split(":", 1)[1], r.person))
    return out


def test_trimmed_pagerduty_users_list_is_identity_evidence_merged_by_email(org_ws: Workspace) -> None:
    """``{"users": [{id, name, email}]}`` is read (not quarantined) and merges with Slack by email."""
    assert org_ws.ingested.quarantined == []  # type: ignore[attr-defined]
    result = compute_map(org_ws)
    people = {p.name: p for p in result.people}
    assert set(people) == {"Ada Byron", "Ben Okafor", "Kim Tanaka", "Lou Reyes"}
    assert {"kim@corp.example", "UKIM0003"} <= set(people["Kim Tanaka"].aliases) | {
        a.lower() for a in people["Kim Tanaka"].aliases
    }


def test_manual_escalation_and_reassignment_to_a_named_resolver_are_rescues(org_ws: Workspace) -> None:
    kinds = _by_kind(org_ws)
    assert kinds["escalated-to"] == {(f"PESC{i:03d}", "kim-tanaka") for i in range(3)}
    assert kinds["reassigned-to"] == {(f"PRAS{i:03d}", "kim-tanaka") for i in range(2)}


def test_policy_timeout_to_level_two_is_an_escalation_not_a_rescue(org_ws: Workspace) -> None:
    rescued = {inc for pairs in _by_kind(org_ws).values() for inc, _ in pairs}
    assert not any(inc.startswith("PTMO") for inc in rescued)
    with org_ws.session() as s:
        edges, indeg = escalation_graph(s)
    pairs = {(e.source, e.target): e.kinds for e in edges}
    assert pairs[("ada-byron", "lou-reyes")] == {"escalated": 3}  # the same second level, again and again
    assert indeg[(AUTH, "lou-reyes")] == 3
    # hand escalations and reassignments start at the on-call who was paged (no assign entry logged)
    assert pairs[("ada-byron", "kim-tanaka")]["escalated"] == 2
    assert pairs[("ben-okafor", "kim-tanaka")]["reassigned"] == 1


def test_map_counts_escalations_and_rescues_on_the_paged_service(org_ws: Workspace) -> None:
    scope = next(s for s in compute_map(org_ws).scopes if s.scope == AUTH)
    assert scope.rescues >= 5 and scope.escalations >= 8
    assert scope.hero == "kim-tanaka"


FIX = Path(__file__).parent.parent / "fixtures" / "jira"


def test_jira_reassignment_records_from_to_and_who(tmp_path: Path) -> None:
    page = json.loads((FIX / "search_page2.json").read_text())
    issue = next(i for i in page["issues"] if i["key"] == "PAY-3")
    history = copy.deepcopy(issue["changelog"]["histories"][0])
    history["id"] = "9"
    history["created"] = "2024-03-31T04:10:00.000+0200"
    history["items"][0].update(
        {"from": history["items"][0]["to"], "fromString": "Alice Smith", "to": "acc-kim", "toString": "Kim"}
    )
    issue["changelog"]["histories"].append(history)
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"issues": [issue]}))
    [rec] = [r for r in JiraAdapter().read([path], ReadContext()) if isinstance(r, Record)]
    moved = [a for a in rec.activities if a.action == "reassigned"]
    assert [(a.person.key, a.detail["from"], a.detail["by_key"], a.detail["manual"]) for a in moved] == [
        ("acc-kim", ["5b10a2844c20165700ede21g"], "5c2e9a1b7a0f4a3b9d8e7f6a", True)
    ]


def test_advisor_pinged_in_the_team_incident_thread_who_hands_over_the_fix_is_the_rescuer(
    org_ws: Workspace,
) -> None:
    """On-call says "stuck", pings Kim by <@U…>, Kim replies "try this: …", the on-call resolves in PagerDuty."""
    with org_ws.session() as s:
        advice = [r for r in find_rescues(s) if "advice" in r.kind.split("+")]
    assert {(r.incident, r.person) for r in advice} == {
        (f"pagerduty:PADV{i:03d}", "kim-tanaka") for i in range(3)
    }
    assert {r.pulled_by for r in advice} == {"ada-byron", "ben-okafor"}
    assert all(r.scope == AUTH for r in advice)
    assert all(len(r.links) == 1 and "(alert: alert '[FIRING:1] auth-gateway" in r.links[0] for r in advice)


def test_team_incident_channel_activity_counts_on_the_paged_service(org_ws: Workspace) -> None:
    scopes = {s.scope: s for s in compute_map(org_ws).scopes}
    assert "service:identity" not in scopes  # the team channel's name is not a service
    assert scopes[AUTH].rescues == 8


def test_patterns_json_shows_the_rescue_kinds_and_which_rule_linked_each_thread(org_ws: Workspace) -> None:
    from agent.analytics.patterns import patterns

    result = patterns(org_ws).model_dump(mode="json")
    kim = next(p for p in result["rescue_patterns"] if p["person"] == "kim-tanaka" and p["scope"] == AUTH)
    assert {"escalated-to", "reassigned-to", "advice"} <= set(kim["kinds"])
    assert len(kim["links"]) == 3 and all("(alert: " in x for x in kim["links"])
