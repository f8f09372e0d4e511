"""The offline engine answers the manager's core questions from tools only; expectations come from ground truth."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.ask import answer, verify
from agent.ask.tools import RATE_WINDOW_DAYS


def hero(truth: Any, kind: str) -> Any:
    return next(h for h in truth.heroes if h.kind == kind)


def service_of(scope: str) -> str:
    return scope.split(":")[-1]


def grounded(result: Any) -> None:
    """The answer cites evidence and invents nothing."""
    assert result.citations, result.answer
    assert verify(result, result.tool_results) == [], (result.answer, verify(result, result.tool_results))
    assert result.unverified == []


def test_who_do_we_depend_on(ws, truth) -> None:
    h = hero(truth, "rescuer")
    res = answer(ws, f"Who do we depend on for {service_of(h.scopes[0])}?")
    assert f"we depend on {truth.person(h.person).name} ({h.person})" in res.answer
    assert h.scopes[0] in res.answer
    assert any(c.chunk_id for c in res.citations) and any(
        c.ref == f"map:{h.scopes[0]}" for c in res.citations
    )
    assert "hero_map" in res.tools_used
    grounded(res)


def _pd_incidents(org: Path, service: str) -> list[datetime]:
    out = []
    for page in (org / "pagerduty").glob("incidents*.json"):
        for inc in json.loads(page.read_text())["incidents"]:
            if inc["service"]["summary"] == service:
                out.append(datetime.fromisoformat(inc["created_at"].replace("Z", "+00:00")))
    return out


def _deploy_runs(org: Path, action: str, service: str, bots: set[str]) -> list[datetime]:
    with (org / "deploys" / "deploys.csv").open(newline="") as f:
        return [
            datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))
            for r in csv.DictReader(f)
            if r["action"] == action and r["service"] == service and r["actor"] not in bots
        ]


def test_what_if_the_database_expert_is_away_for_two_weeks(ws, truth, org_dir) -> None:
    h = hero(truth, "offhours-db")
    name = truth.person(h.person).name
    res = answer(ws, f"What happens if {name} is away for two weeks?")
    assert res.answer.startswith(f"If {name} ({h.person}) is away for 14 days")
    impact = next(c["result"] for c in res.tool_results if c["tool"] == "away_impact")
    rows = {s["scope"]: s for s in impact["scopes"] if s["scope"] in h.scopes}
    assert rows, (h.scopes, [s["scope"] for s in impact["scopes"]])
    # the data ends with the last PagerDuty incident; the rate is over the quarter before it
    until = max(t for svc in {s.name for s in truth.services} for t in _pd_incidents(org_dir, svc))
    since = until - timedelta(days=RATE_WINDOW_DAYS)
    for scope, row in rows.items():
        assert scope in res.answer
        if scope.startswith("task:"):
            _, action, service = scope.split(":")
            bots = {b.name for b in truth.bots} | {b.id for b in truth.bots}
            raw = [t for t in _deploy_runs(org_dir, action, service, bots) if since <= t <= until]
        else:
            raw = [t for t in _pd_incidents(org_dir, service_of(scope)) if since <= t <= until]
        assert row["recent_count"] == len(raw), (scope, row, len(raw))
        assert row["expected_in_period"] == round(len(raw) / RATE_WINDOW_DAYS * 14, 1)
        assert f"expect about {row['expected_in_period']} {row['unit']} in 14 days" in res.answer
    grounded(res)


def test_where_is_dependence_highest(ws, truth) -> None:
    res = answer(ws, "Where is dependence highest?")
    planted = {s for h in truth.heroes for s in h.scopes}
    listed = re.findall(r"^\d\. (\S+) from .+? \(risk", res.answer, re.M)
    assert listed and set(listed) & planted, res.answer
    grounded(res)


def test_is_it_independent_yet(ws, truth) -> None:
    h = hero(truth, "rescuer")
    res = answer(ws, f"Is {service_of(h.scopes[0])} independent yet, and what is missing?")
    # nothing has been approved or practised in this workspace: the scope is dependent
    assert res.answer.startswith(f"Not yet: {h.scopes[0]} is dependent")
    assert "Missing: an approved knowledge pack or runbook" in res.answer
    grounded(res)


def test_what_changed_since_the_last_scan(ws, truth) -> None:
    forming = next(h for h in truth.heroes if h.forms_at_date is not None)
    res = answer(ws, "What changed since the last scan?")
    assert forming.person in res.answer and truth.person(forming.person).name in res.answer
    assert any(c.ref and c.ref.startswith("scan:") for c in res.citations)
    grounded(res)


def test_what_should_we_transfer_first(ws, truth) -> None:
    res = answer(ws, "What should we transfer first?")
    first = re.search(r"^1\. (\S+) from .+? \((\S+)\) \(risk", res.answer, re.M)
    assert first, res.answer
    planted = {(h.person, s) for h in truth.heroes for s in h.scopes}
    people = {p for p, _ in planted}
    assert first.group(2) in people, res.answer
    grounded(res)


def test_who_could_learn_it_next(ws, truth) -> None:
    h = hero(truth, "rescuer")
    service = service_of(h.scopes[0])
    res = answer(ws, f"Who could learn {service} next?")
    named = re.findall(r"^- .+? \(([a-z\-]+)\): (\d+)% of the work", res.answer, re.M)
    assert named, res.answer
    team = next(s.team for s in truth.services if s.name == service)
    assert all(pid != h.person for pid, _ in named)
    assert named[0][0] in truth.teams[team], (named, truth.teams[team])
    grounded(res)


def test_a_question_beyond_the_offline_engine_says_so(ws) -> None:
    res = answer(ws, "What is the capital of France?")
    assert "outside the data" in res.answer
    assert verify(res, res.tool_results) == []


def test_verify_catches_invented_names_and_numbers(ws, truth) -> None:
    h = hero(truth, "rescuer")
    res = answer(ws, f"Who do we depend on for {service_of(h.scopes[0])}?")
    forged = res.answer + " Also Zelda Quintana fixed 987 incidents at 73% share."
    problems = verify(forged, res.tool_results)
    assert (
        "Zelda Quintana" in problems and "987" in problems and "73%" in problems or "73" in " ".join(problems)
    )


def test_ask_cli_answers_the_away_question_offline_in_seconds(asked_home, truth) -> None:
    h = hero(truth, "offhours-db")
    name = truth.person(h.person).name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNDERSTUDY_", "ANTHROPIC_"))}
    start = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "--home",
            str(asked_home),
            "ask",
            f"what happens if {name} is away for two weeks?",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) >= {"answer", "citations", "tools_used"}
    assert name in out["answer"] and any(s in out["answer"] for s in h.scopes) and "14 days" in out["answer"]
    assert any(c.get("chunk_id") and c.get("path") for c in out["citations"])
    assert out["unverified"] == []
    print(f"ask CLI took {took:.1f}s")
    assert took < 60
