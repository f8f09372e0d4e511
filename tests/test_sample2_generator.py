"""The second-style generator: deterministic, real formats, and every planted shape present in its files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ingest.sample2 import VARIANTS, generate


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("s2")
    return out, generate(out, seed=5, variant="mixed")


def _logs(out: Path) -> list[dict]:
    entries: list[dict] = []
    for f in sorted((out / "pagerduty").glob("log_entries-*.json")):
        entries += json.loads(f.read_text())["log_entries"]
    return entries


def _incidents(out: Path) -> dict[str, dict]:
    items: dict[str, dict] = {}
    for f in sorted((out / "pagerduty").glob("incidents-*.json")):
        items.update({i["id"]: i for i in json.loads(f.read_text())["incidents"]})
    return items


def _messages(out: Path) -> list[dict]:
    msgs: list[dict] = []
    for f in sorted((out / "slack").glob("*/*.json")):
        msgs += json.loads(f.read_text())
    return msgs


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=9, variant="advisors")
    b = generate(tmp_path / "b", seed=9, variant="advisors")
    assert a == b
    for f in (tmp_path / "a").rglob("*"):
        if f.is_file():
            assert f.read_bytes() == (tmp_path / "b" / f.relative_to(tmp_path / "a")).read_bytes(), f


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        generate(tmp_path, variant="nope")


def test_pagerduty_rescue_is_escalation_or_reassignment_with_assignees(mixed) -> None:
    out, truth = mixed
    logs, incidents = _logs(out), _incidents(out)
    pd = {p.id: p.pd_id for p in truth.people}
    shapes = set()
    for r in (r for r in truth.rescues if r.mention in ("escalate", "reassign")):
        mine = [e for e in logs if e["incident"]["id"] == r.incident]
        routed = [
            e
            for e in mine
            if e["type"] in ("escalate_log_entry", "assign_log_entry") and e["channel"]["type"] == "web_ui"
        ]
        assert routed and routed[-1]["assignees"][0]["id"] == pd[r.person]
        first_ack = next(e for e in mine if e["type"] == "acknowledge_log_entry")
        assert first_ack["agent"]["id"] != pd[r.person], "the on-call acknowledges first"
        resolve = next(e for e in mine if e["type"] == "resolve_log_entry")
        assert resolve["agent"]["id"] == pd[r.person]
        assert incidents[r.incident]["assignments"][0]["assignee"]["id"] == pd[r.person]
        shapes.add(routed[-1]["type"])
    assert shapes == {"escalate_log_entry", "assign_log_entry"}


def test_advice_is_a_pull_in_by_id_and_the_on_call_resolves(mixed) -> None:
    out, truth = mixed
    msgs, logs = _messages(out), _logs(out)
    person = {p.id: p for p in truth.people}
    assert truth.chat_fixes and any(h.kind == "advisor" for h in truth.heroes)
    for fix in truth.chat_fixes:
        thread = [m for m in msgs if m.get("thread_ts") == fix.thread_ts]
        assert thread[0]["text"].startswith("[FIRING:1] ")
        assert any(f"<@{person[fix.person].slack_id}>" in m["text"] for m in thread)
        assert any(m.get("user") == person[fix.person].slack_id and "`" in m["text"] for m in thread)
        resolver = next(
            e for e in logs if e["incident"]["id"] == fix.incident and e["type"] == "resolve_log_entry"
        )
        assert resolver["agent"]["id"] != person[fix.person].pd_id


def test_alert_opens_the_thread_seconds_after_the_trigger(mixed) -> None:
    out, truth = mixed
    msgs = _messages(out)
    incidents = _incidents(out)
    firing = [m for m in msgs if m["text"].startswith("[FIRING:1]")]
    assert len(firing) >= 0.8 * len(incidents)
    created = sorted(
        int(__import__("datetime").datetime.fromisoformat(i["created_at"].replace("Z", "+00:00")).timestamp())
        for i in incidents.values()
    )
    for m in firing[:20]:
        ts = float(m["ts"])
        assert any(0 <= ts - c <= 60 for c in created)


def test_chatty_manager_posts_in_every_incident_thread_and_is_no_hero(mixed) -> None:
    out, truth = mixed
    (manager,) = truth.chatty_managers
    sid = truth.person(manager).slack_id
    msgs = _messages(out)
    threads = {m["ts"] for m in msgs if m["text"].startswith("[FIRING:1]")}
    spoke = {m["thread_ts"] for m in msgs if m.get("user") == sid and m.get("thread_ts") in threads}
    assert spoke == threads
    assert manager not in {h.person for h in truth.heroes}


def test_postmortems_use_wild_title_forms_and_zones(tmp_path: Path) -> None:
    heads: set[str] = set()
    zones = 0
    for seed in (1, 2):
        generate(tmp_path / str(seed), seed=seed, variant="mixed")
        for f in (tmp_path / str(seed) / "postmortems").glob("*.md"):
            text = f.read_text()
            head = next(line for line in text.splitlines() if line.startswith("# "))
            heads.add(re.sub(r"[A-Za-z0-9-]+", "x", head)[:8])
            zones += "All times in PST." in text
    assert re.compile(r"^\d{4}-\d\d-\d\d-").match(next((tmp_path / "1" / "postmortems").glob("2*.md")).name)
    assert len(heads) >= 3 and zones


def test_gatekeeper_runs_most_deploys(mixed) -> None:
    out, truth = mixed
    (gk,) = [h for h in truth.heroes if h.kind == "deploy-gatekeeper"]
    svc = gk.scopes[0].split(":")[-1]
    rows = [
        r
        for r in csv.DictReader((out / "deploys" / "deploys.csv").open())
        if r["service"] == svc and r["action"] == "deploy"
    ]
    p = truth.person(gk.person)
    assert sum(r["actor"] in p.emails for r in rows) / len(rows) > 0.7


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_plants_its_truth(tmp_path: Path, variant: str) -> None:
    truth = generate(tmp_path, seed=4, variant=variant, scale=0.5)
    saved = json.loads((tmp_path / "ground_truth.json").read_text())
    assert saved["variant"] == variant and saved["counts"]["incidents"] == truth.counts["incidents"]
    assert bool(truth.heroes) == (variant != "balanced")
    assert {b.id for b in truth.bots} >= {"B0ALERTMGR", "U0DEPLOYBOT"}
    assert any(a.needs_aliases_file for a in truth.aliases) and truth.aliases_file == "aliases.yaml"
