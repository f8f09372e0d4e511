"""The GitHub adapter: issues with comments from a separate file, bots, and forced deployments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.analytics.judgement import judge_message
from ingest import actions
from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.github import GitHubAdapter
from ingest.records import Problem, Record

FIX = Path(__file__).parent.parent / "fixtures" / "github"
I12 = "issue:acme/payments-api#12"


def read(paths: list[Path]) -> tuple[dict[str, Record], list[Problem]]:
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in GitHubAdapter().read(paths, ReadContext()):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records[item.key] = item
    return records, problems


def test_sniff_claims_issues_and_comments_but_never_deployments() -> None:
    adapter = GitHubAdapter()
    for name in ("issues.json", "issue_comments.json"):
        assert adapter.sniff(FIX / name, json_shape(FIX / name)), name
    assert not adapter.sniff(FIX / "deployments.json", json_shape(FIX / "deployments.json"))
    og = FIX.parent / "opsgenie" / "alerts_page2.json"
    assert not adapter.sniff(og, json_shape(og))


def test_comments_from_a_separate_file_join_their_issue() -> None:
    records, problems = read([FIX / "issue_comments.json", FIX / "issues.json"])
    assert problems == []
    rec = records[I12]
    comments = [a.person.key for a in rec.activities if a.action == actions.TICKET_COMMENT]
    assert comments == ["bjones", "gslater"]  # embedded one, then the file's; the bot's is not a person
    text = rec.chunks[0].text
    assert text.index("Looking, pool looks exhausted") < text.index("Restarted pgbouncer")
    assert "github-actions[bot]: Deployed hotfix" in text


def test_issue_activities_incident_and_scope() -> None:
    records, _ = read([FIX / "issues.json", FIX / "issue_comments.json"])
    rec = records[I12]
    got = [(a.action, a.person.key) for a in rec.activities if a.action != actions.TICKET_COMMENT]
    assert got == [
        (actions.TICKET_REPORTED, "alice-s"),
        (actions.TICKET_ASSIGNED, "bjones"),
        (actions.TICKET_RESOLVED, "gslater"),
    ]
    # the comment is stored with its mention; judgement finds "@gslater can you take a look?" a pull-in
    asking = next(a for a in rec.activities if "@gslater" in (a.detail or {}).get("text", ""))
    assert asking.action == actions.TICKET_COMMENT and asking.person.key == "bjones"
    assert judge_message(asking.detail["text"], asking.detail["mentions"], []) == (False, ["gslater"])
    resolved = next(a for a in rec.activities if a.action == actions.TICKET_RESOLVED)
    assert resolved.detail["assignees"] == ["bjones"]
    assert resolved.ts == datetime(2024, 3, 1, 9, 10, tzinfo=UTC)
    [inc] = rec.incidents
    assert inc.key == "github:acme/payments-api#12" and inc.severity == "critical"
    assert inc.scope == "service:payments-api"  # from the service: label
    assert {a.incident for a in rec.activities} == {"github:acme/payments-api#12"}


def test_bots_ignored_and_not_planned_is_not_resolved() -> None:
    records, _ = read([FIX / "issues.json"])
    assert records["issue:acme/payments-api#13"].activities == []  # dependabot[bot]
    flaky = records["issue:acme/payments-api#14"]
    assert [a.action for a in flaky.activities] == [actions.TICKET_REPORTED]
    assert flaky.chunks[0].scope == "repo:payments-api"
    assert flaky.activities[0].ts.utcoffset() == timedelta(hours=2)


def test_deployments_when_forced() -> None:
    records, problems = read([FIX / "deployments.json"])
    assert problems == []
    prod = records["deployment:acme/payments-api:9001"]
    [act] = prod.activities
    assert (act.action, act.person.key, act.scope) == (actions.DEPLOY, "gslater", "task:deploy:production")
    assert act.detail["state"] == "success"
    assert records["deployment:acme/payments-api:9002"].activities == []  # created by a Bot account


def test_malformed_is_a_problem_and_the_rest_comes_out() -> None:
    records, problems = read([FIX / "malformed.json", FIX / "issues.json"])
    assert problems and all(Path(p.path).name == "malformed.json" for p in problems)
    assert I12 in records
