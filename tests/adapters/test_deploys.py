"""The deploys adapter against a deploy-log CSV and GitHub deployments JSON."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.deploys import DeploysAdapter, is_deploy_bot, normalise_action, normalise_outcome
from ingest.records import Problem, Record

FIXTURES = Path(__file__).parent.parent / "fixtures" / "deploys"
CSV = FIXTURES / "deploys.csv"
DEPLOYMENTS = FIXTURES / "deployments.json"
STATUSES = FIXTURES / "deployment-1003-statuses.json"


def read(paths: list[Path], tz: str = "UTC") -> tuple[dict[str, Record], list[Problem]]:
    out = list(DeploysAdapter().read(paths, ReadContext(org_timezone=tz)))
    return {r.key: r for r in out if isinstance(r, Record)}, [p for p in out if isinstance(p, Problem)]


def test_sniff() -> None:
    adapter = DeploysAdapter()
    assert adapter.sniff(CSV, None)
    assert adapter.sniff(DEPLOYMENTS, json_shape(DEPLOYMENTS))
    assert adapter.sniff(STATUSES, json_shape(STATUSES))
    oncall = Path(__file__).parent.parent / "fixtures" / "oncall"
    assert not adapter.sniff(oncall / "shifts.csv", None)
    assert not adapter.sniff(oncall / "oncalls-page1.json", json_shape(oncall / "oncalls-page1.json"))


def test_csv_rows_grouped_by_service_and_day() -> None:
    records, problems = read([CSV])
    assert sorted((p.record, p.reason) for p in problems) == [
        ("line 8", "unreadable timestamp 'bad-time'"),
        ("line 9", "3 fields where the header has 7"),
    ]
    assert problems[0].line().endswith("deploys.csv [line 8]: unreadable timestamp 'bad-time'")
    assert set(records) == {"deploy:payments-api:2024-03-10", "deploy:search-api:2024-03-11"}
    pay = records["deploy:payments-api:2024-03-10"]
    # deploy-bot is not a person; "Roll back" is a rollback; scopes are task:<action>:<service>
    assert [(a.action, a.scope, a.person.label(), a.detail["outcome"]) for a in pay.activities] == [
        ("deploy", "task:deploy:payments-api", "alice", "success"),
        ("rollback", "task:rollback:payments-api", "Alice Smith", "failure"),
        ("rollback", "task:rollback:payments-api", "bob@example.org", "success"),
    ]
    assert pay.activities[0].detail["version"] == "v41"  # extra columns kept
    assert pay.activities[0].ts.utcoffset() == timedelta(hours=-5)
    assert pay.activities[1].ts.utcoffset() == timedelta(hours=-4)
    assert pay.activities[1].ts - pay.activities[0].ts == timedelta(minutes=30)  # across the DST change
    # rollbacks get a chunk; a plain successful deploy does not
    assert [c.locator for c in pay.chunks] == [f"{pay.key}#1", f"{pay.key}#2"]
    assert "failure" in pay.chunks[0].text and all(c.kind == "deploy" for c in pay.chunks)
    assert pay.activities[1].chunk_locator == pay.chunks[0].locator

    search = records["deploy:search-api:2024-03-11"]
    assert [(a.action, a.detail["outcome"]) for a in search.activities] == [
        ("cache-warmup", "success"),  # unknown actions kept, slugged
        ("failover", "success-with-lag"),
    ]


def test_same_rows_in_two_files_count_once(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("timestamp,service,actor,action,outcome\n2024-01-02T10:00:00Z,api,ann,deploy,ok\n")
    b.write_text(
        "outcome,action,actor,service,timestamp\nok,deploy,ann,api,2024-01-02T10:00:00Z\n"
        "failed,hotfix,ben,api,2024-01-02T11:00:00Z\n"
    )
    records, problems = read([a, b])
    assert problems == []
    [rec] = records.values()
    assert [(x.action, x.person.handle, x.detail["outcome"]) for x in rec.activities] == [
        ("deploy", "ann", "success"),
        ("hotfix", "ben", "failure"),
    ]


def test_github_deployments_with_embedded_and_separate_statuses() -> None:
    records, problems = read([DEPLOYMENTS, STATUSES])
    assert problems == []
    assert set(records) == {"deployment:1001", "deployment:1002", "deployment:1003"}
    first = records["deployment:1001"]
    [act] = first.activities
    assert (act.action, act.scope, act.person.handle, act.person.source) == (
        "deploy",
        "task:deploy:payments-api",
        "alice-gh",
        "github",
    )
    assert act.detail["outcome"] == "failure" and act.detail["environment"] == "production"
    assert act.ts.isoformat() == "2024-03-10T06:50:00+00:00"
    assert len(first.chunks) == 1  # failed deploy summarised
    # a bot's migration is recorded without an activity
    assert records["deployment:1002"].activities == []
    assert records["deployment:1002"].title == "migration payments-api to production"
    [rollback] = records["deployment:1003"].activities
    assert rollback.action == "rollback" and rollback.scope == "task:rollback:payments-api"
    assert rollback.detail["outcome"] == "success"  # from the separate statuses file


def test_invalid_utf8_and_broken_json(tmp_path: Path) -> None:
    bad = tmp_path / "deploys.csv"
    bad.write_bytes(
        b"timestamp,service,actor,action,outcome\n2024-01-02T10:00:00Z,api,\xff\xfeann,deploy,ok\n"
        b"2024-01-02T12:00:00Z,api,ben,restart,ok\n"
    )
    broken = tmp_path / "deployments.json"
    broken.write_text('[{"id": 5, "environment": "prod", "creator": {"login": "x"}, "created_at": "2024-01-')
    records, problems = read([bad, broken])
    assert [p.record for p in problems] == ["line 2", None]
    assert "UTF-8" in problems[0].reason and "invalid JSON" in problems[1].reason
    [rec] = records.values()
    assert [(a.action, a.scope) for a in rec.activities] == [("restart", "task:restart:api")]


def test_vocabulary() -> None:
    assert normalise_action("Roll back") == "rollback"
    assert normalise_action("DB Migration") == "migration"
    assert normalise_action("Fail-over") == "failover"
    assert normalise_action("Cache Warmup") == "cache-warmup"
    assert normalise_outcome("Succeeded") == "success"
    assert normalise_outcome("error") == "failure"
    assert normalise_outcome("") is None
    assert is_deploy_bot("deploy-bot") and is_deploy_bot("ci") and is_deploy_bot("argocd")
    assert is_deploy_bot("github-actions[bot]")
    assert not is_deploy_bot("alice") and not is_deploy_bot("Cicely Tyson") and not is_deploy_bot("Abbott")
