"""Tickets and deploys linked to the page they are about, as real exports write them.

PagerDuty REST v2 pages and a Slack ``#inc-identity`` channel opened by ``[FIRING:1] auth-gateway: …``
come from :mod:`tests.analytics.realshape`; beside them, a Jira REST search response (ADF
``fields.description``, components), GitHub issues as the REST API lists them (``html_url``, ``body``)
and a deploy log CSV with a free-text notes column, the way teams keep one.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.analytics.linking import DEPLOY_LEAD, record_links
from ingest.db import Activity
from ingest.pipeline import ingest_paths

from . import realshape
from .realshape import T0

H = timedelta(hours=1)
M = timedelta(minutes=1)
PD_URL = "https://corp.pagerduty.com/incidents/"


def _page(n: int) -> datetime:
    """When the n-th page of realshape (0-based, six hours apart) triggered."""
    return T0 + (n + 1) * 6 * H


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _adf(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": list(parts)}]}


def _jira_issue(key: str, summary: str, created: datetime, component: str, **fields: Any) -> dict[str, Any]:
    who = {"accountId": "5f1kim", "displayName": "Kim Tanaka", "emailAddress": "kim@corp.example"}
    return {
        "id": key,
        "key": key,
        "fields": {
            "summary": summary,
            "issuetype": {"name": fields.pop("issuetype", "Task")},
            "status": {"name": "Open"},
            "priority": {"name": "High"},
            "components": [{"name": component}],
            "labels": fields.pop("labels", []),
            "project": {"key": key.split("-")[0]},
            "created": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "reporter": who,
            "assignee": who,
            "comment": {"comments": []},
            **fields,
        },
    }


def _write_org(root: Path) -> Path:
    realshape.write(root)
    issues = [
        # names the page by its URL in the description (an inline card, as Jira Cloud stores a pasted link)
        _jira_issue(
            "OPS-41",
            "Follow up: auth-gateway escalation",
            _page(1) + 3 * H,
            "platform",
            description=_adf(
                {"type": "text", "text": "Page: "},
                {"type": "inlineCard", "attrs": {"url": PD_URL + "PESC001"}},
            ),
        ),
        # opened ten minutes into a page, filed under the paged service's component, naming no id
        _jira_issue("OPS-42", "Users cannot log in", _page(3) + 10 * M, "auth-gateway"),
        # opened during a page, but about another system
        _jira_issue("OPS-43", "Refund export is slow", _page(3) + 12 * M, "billing"),
        # an incident ticket of its own, named by a deploy row below
        _jira_issue(
            "INC-9", "Rotate the gateway signing key", _page(8) + 20 * H, "auth-gateway", labels=["incident"]
        ),
    ]
    (root / "jira").mkdir()
    (root / "jira" / "search.json").write_text(
        json.dumps({"startAt": 0, "maxResults": 50, "total": len(issues), "issues": issues})
    )
    gh = [
        {
            "url": "https://api.github.com/repos/corp/auth-gateway/issues/7",
            "repository_url": "https://api.github.com/repos/corp/auth-gateway",
            "html_url": "https://github.com/corp/auth-gateway/issues/7",
            "number": 7,
            "title": "Level-2 page went unanswered for 15 minutes",
            "user": {"login": "kimt", "type": "User"},
            "labels": [{"name": "ops"}],
            "state": "open",
            "assignees": [],
            "body": f"See {PD_URL}PTMO000 for the timeline.",
            "created_at": _iso(_page(5) + 5 * H),
        }
    ]
    (root / "github").mkdir()
    (root / "github" / "issues.json").write_text(json.dumps(gh))
    rows = [
        # a release 25 minutes before the first advice page of the same service
        (_page(8) - 25 * M, "auth-gateway", "ada@corp.example", "deploy", "success", "v2.14.0"),
        # a rollback ten minutes into the second advice page
        (_page(9) + 10 * M, "auth-gateway", "ben@corp.example", "rollback", "success", ""),
        # another service's deploy at the same moment: no link
        (_page(9) + 10 * M, "billing", "lou@corp.example", "deploy", "success", ""),
        # far from any page, but its notes name the incident ticket
        (
            _page(10) + 21 * H,
            "auth-gateway",
            "kim@corp.example",
            "hotfix",
            "success",
            "key rotation for INC-9",
        ),
    ]
    (root / "deploys").mkdir()
    with (root / "deploys" / "deploys.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "service", "actor", "action", "outcome", "notes"])
        for t, *rest in rows:
            w.writerow([_iso(t), *rest])
    return root


@pytest.fixture
def linked_ws(plain_ws, tmp_path: Path):
    ingest_paths(plain_ws, [_write_org(tmp_path / "export")], facts_only=True)
    return plain_ws


def test_ingest_stores_what_tickets_and_deploy_rows_name(linked_ws) -> None:
    with linked_ws.session() as s:
        refs = {
            (source, ref)
            for source, detail in s.execute(select(Activity.source, Activity.detail))
            for ref in (detail or {}).get("refs") or []
        }
    assert ("jira", "pagerduty:PESC001") in refs
    assert ("github", "pagerduty:PTMO000") in refs
    assert ("deploys", "jira:INC-9") in refs
    assert ("github", "github:corp/auth-gateway#7") not in refs  # an issue's own URL names itself


def test_tickets_and_deploys_link_to_the_page_by_id_then_by_time(linked_ws) -> None:
    with linked_ws.session() as s:
        links = record_links(s)
        deploys = {
            (scope, ts): i
            for i, scope, ts in s.execute(
                select(Activity.id, Activity.scope, Activity.ts).where(Activity.source == "deploys")
            )
        }
    by_item = {lk.item: lk for lk in links}

    def deploy(scope: str, t: datetime) -> str:
        return f"deploy:{next(i for (sc, ts), i in deploys.items() if sc == scope and ts == t)}"

    ops41 = by_item["issue:OPS-41"]
    assert (ops41.incident, ops41.rule) == ("pagerduty:PESC001", "explicit-id")
    assert "pagerduty:PESC001" in ops41.why
    gh7 = by_item["issue:corp/auth-gateway#7"]
    assert (gh7.incident, gh7.rule, gh7.scope) == ("pagerduty:PTMO000", "explicit-id", "service:auth-gateway")
    ops42 = by_item["issue:OPS-42"]
    assert (ops42.incident, ops42.rule) == ("pagerduty:PRAS000", "ticket-during")
    assert "10 min after the page" in ops42.why and "service:auth-gateway" in ops42.why
    assert "issue:OPS-43" not in by_item  # another component, its summary names no paged service

    before = by_item[deploy("task:deploy:auth-gateway", _page(8) - 25 * M)]
    assert (before.incident, before.rule) == ("pagerduty:PADV000", "deploy-before-page")
    assert "25 min before" in before.why
    during = by_item[deploy("task:rollback:auth-gateway", _page(9) + 10 * M)]
    assert (during.incident, during.rule) == ("pagerduty:PADV001", "deploy-during")
    assert deploy("task:deploy:billing", _page(9) + 10 * M) not in by_item
    named = by_item[deploy("task:hotfix:auth-gateway", _page(10) + 21 * H)]
    assert (named.incident, named.rule) == ("jira:INC-9", "explicit-id")
    assert all(lk.activity_ids for lk in links)


def test_a_deploy_long_before_the_page_is_not_linked(plain_ws, tmp_path: Path) -> None:
    root = _write_org(tmp_path / "export")
    with (root / "deploys" / "deploys.csv").open("a", newline="") as fh:
        csv.writer(fh).writerow(
            [
                _iso(_page(6) - DEPLOY_LEAD - 5 * M),
                "auth-gateway",
                "lou@corp.example",
                "migration",
                "success",
                "",
            ]
        )
    ingest_paths(plain_ws, [root], facts_only=True)
    with plain_ws.session() as s:
        scopes = {lk.item: lk for lk in record_links(s) if lk.source == "deploys"}
        mig = s.execute(
            select(Activity.id).where(Activity.scope == "task:migration:auth-gateway")
        ).scalar_one()
    assert f"deploy:{mig}" not in scopes


def test_patterns_json_shows_every_link_with_its_rule(ws, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli import app

    ingest_paths(ws, [_write_org(tmp_path / "export")], facts_only=True)
    res = CliRunner().invoke(app, ["--home", str(ws.home), "patterns", "--json"])
    assert res.exit_code == 0, res.output
    links = json.loads(res.stdout)["links"]
    rules = {(lk["item"].split(":")[0], lk["rule"]) for lk in links}
    assert {("thread", "alert"), ("issue", "explicit-id"), ("issue", "ticket-during")} <= rules
    assert {("deploy", "deploy-before-page"), ("deploy", "deploy-during"), ("deploy", "explicit-id")} <= rules
    threads = [lk for lk in links if lk["item"].startswith("thread:")]
    assert len(threads) == 3 and all(lk["scope"] == "service:auth-gateway" for lk in threads)
    assert all(lk["why"] for lk in links)
    text = CliRunner().invoke(app, ["--home", str(ws.home), "patterns"])
    assert text.exit_code == 0 and "Linked to incidents" in text.output and "ticket-during" in text.output


def test_a_team_channel_thread_naming_the_page_counts_on_the_paged_service(plain_ws, tmp_path: Path) -> None:
    from agent.analytics import compute_map

    root = realshape.write(tmp_path / "export")
    slack = root / "slack"
    channels = json.loads((slack / "channels.json").read_text())
    (slack / "channels.json").write_text(json.dumps([*channels, {"id": "CSRE0001", "name": "sre"}]))
    at = _page(0) + 5 * M
    base = at.timestamp()
    kim, ada = realshape.USERS["kim"][3], realshape.USERS["ada"][3]
    thread = [
        {
            "type": "message",
            "user": ada,
            "ts": f"{base:.6f}",
            "text": f"stuck on {PD_URL}PESC000, <@{kim}> any idea?",
        },
        {
            "type": "message",
            "user": kim,
            "ts": f"{base + 60:.6f}",
            "thread_ts": f"{base:.6f}",
            "text": "try this: `kubectl -n auth rollout restart deploy/auth-gateway` the cert reload hangs",
        },
    ]
    (slack / "sre").mkdir()
    (slack / "sre" / f"{at:%Y-%m-%d}.json").write_text(json.dumps(thread))
    ingest_paths(plain_ws, [root], facts_only=True)
    with plain_ws.session() as s:
        stored = {
            scope
            for (scope,) in s.execute(select(Activity.scope).where(Activity.incident == "pagerduty:PESC000"))
        }
        on_service = s.execute(select(Activity.id).where(Activity.scope == "service:auth-gateway")).all()
    assert "channel:sre" in stored  # ingest keeps where it was said
    scopes = {sc.scope: sc for sc in compute_map(plain_ws).scopes}
    assert "channel:sre" not in scopes
    assert scopes["service:auth-gateway"].events == len(on_service) + 2
