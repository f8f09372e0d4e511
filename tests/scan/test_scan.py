"""Scans: a concentration forming between two scans is reported, drafted and fails the build; nothing new passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent.ledger import list_drafts
from agent.scan import run_scan
from agent.scan.lock import scan_lock
from agent.scan.models import ScanSnapshot
from ingest.workspace import Workspace

CLI = [sys.executable, "-m", "agent.cli"]


def cli(home: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNDERSTUDY_", "ANTHROPIC_"))}
    return subprocess.run(
        [*CLI, "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def forming_hero(truth: Any) -> Any:
    return next(h for h in truth.heroes if h.forms_at_date is not None)


def test_first_scan_reports_the_heroes_already_there_but_not_the_forming_one(early_scanned) -> None:
    truth = early_scanned.org.truth
    forming = forming_hero(truth)
    first = early_scanned.first
    assert first.previous_scan is None and first.new
    new = {(f["person"], f["scope"]) for f in first.findings if f["kind"] == "new-hero"}
    planted = {(h.person, s) for h in truth.heroes if h.forms_at_date is None for s in h.scopes}
    assert new & planted, f"no planted hero found in the early data: {sorted(new)}"
    names = {s.split(":")[-1] for s in forming.scopes}
    assert not any(p == forming.person and any(n in s for n in names) for p, s in new)
    assert Path(first.report_json).is_file() and Path(first.report_md).is_file()


def test_full_scan_names_the_new_concentration_drafts_it_and_exits_3(early_scanned, scanned_home) -> None:
    truth = early_scanned.org.truth
    forming = forming_hero(truth)
    names = {s.split(":")[-1] for s in forming.scopes}
    done = cli(
        scanned_home, "scan", str(early_scanned.org.full), "--json", "--fail-on-new", "--by", "alice-ops"
    )
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    hits = [
        f
        for f in report["findings"]
        if f["person"] == forming.person
        and f["kind"] in ("new-hero", "rising-share")
        and any(n in (f["scope"] or "") for n in names)
    ]
    assert hits, f"{forming.person} on {names} not reported: {[f['text'] for f in report['findings']]}"
    finding = hits[0]
    scope = finding["scope"]
    assert 0 < finding["share"] <= 1
    assert f"{finding['share']:.0%}" in finding["text"] and forming.person in finding["text"]
    assert report["previous_scan"] == early_scanned.first.scan_id
    md = Path(report["report_md"]).read_text()
    assert scope in md and forming.person in md
    ws = Workspace.open(scanned_home)
    pending, _ = list_drafts(ws, status="pending", scope=scope)
    assert pending, f"no pending draft for {scope}"
    assert set(finding["drafts"]) & {d["id"] for d in pending}

    again = cli(
        scanned_home, "scan", str(early_scanned.org.full), "--json", "--fail-on-new", "--by", "bob-ops"
    )
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["findings"] == [] and second["new"] is False
    assert second["ingest"]["records"] == 0
    assert "Nothing new." in Path(second["report_md"]).read_text()


def test_a_second_scan_while_one_runs_exits_clearly_and_leaves_state_intact(scanned_home) -> None:
    ws = Workspace.open(scanned_home)
    with ws.session() as s:
        before = s.query(ScanSnapshot).count()
    with scan_lock(scanned_home, "carol-ops"):
        busy = cli(scanned_home, "scan", str(scanned_home / "nothing-here.md"), timeout=120)
        assert busy.returncode == 2  # a missing PATH is a usage error, checked before the lock
        src = scanned_home.parent / "note.md"
        src.write_text("# Runbook: restart the widget\n\nRestart it with `widgetctl restart`.\n")
        busy = cli(scanned_home, "scan", str(src), "--by", "dave-ops", timeout=120)
    assert busy.returncode == 1
    assert "another scan is running" in busy.stderr and "carol-ops" in busy.stderr
    with ws.session() as s:
        assert s.query(ScanSnapshot).count() == before
        assert s.query(ScanSnapshot).filter(ScanSnapshot.status != "done").count() == 0
    after = cli(scanned_home, "scan", str(src), "--json", "--by", "dave-ops", timeout=300)
    assert after.returncode == 0, after.stderr
    with ws.session() as s:
        assert s.query(ScanSnapshot).filter(ScanSnapshot.status == "done").count() == before + 1


def test_a_waiting_scan_runs_once_the_first_finishes(scanned_home, embedder) -> None:
    import threading

    ws = Workspace.open(scanned_home, embedder=embedder)
    src = scanned_home.parent / "note.md"
    src.write_text("# Runbook: drain the queue\n\nDrain it with `queuectl drain`.\n")
    release = threading.Event()

    def hold() -> None:
        with scan_lock(scanned_home, "holder"):
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        import time

        time.sleep(0.3)
        timer = threading.Timer(1.0, release.set)
        timer.start()
        report = run_scan(ws, [src], by="erin-ops", wait_seconds=30)
    finally:
        release.set()
        t.join()
    assert report.scan_id and report.previous_scan is not None


def _person(ws, pid: str, name: str, handle: str) -> None:
    from ingest.db import Alias, Person

    with ws.session() as s:
        s.add(Person(id=pid, name=name))
        s.flush()
        s.add(Alias(person_id=pid, kind="handle", space="chat", value=handle, display=handle, source="test"))


def test_a_scheduled_jobs_account_running_every_scan_is_not_a_person(tmp_path: Path, embedder) -> None:
    ws = Workspace.open(tmp_path / "cron", embedder=embedder)
    src = tmp_path / "runbook.md"
    src.write_text("# Runbook: rotate keys\n\nRotate with `keyctl rotate`.\n")
    reports = [run_scan(ws, [src], by="understudy-cron") for _ in range(3)]
    assert not [f for r in reports for f in r.findings if f["scope"] == "understudy:scans"]
    assert reports[2].findings == [] and not reports[2].new  # unchanged data: nothing new, exit 0


def test_one_person_running_every_scan_is_a_concentration(tmp_path: Path, embedder) -> None:
    ws = Workspace.open(tmp_path / "solo", embedder=embedder)
    _person(ws, "p-frank", "Frank Ops", "frank-ops")
    src = tmp_path / "runbook.md"
    src.write_text("# Runbook: rotate keys\n\nRotate with `keyctl rotate`.\n")
    reports = [run_scan(ws, [src], by="frank-ops") for _ in range(3)]
    assert not [f for f in reports[1].findings if f["scope"] == "understudy:scans"]
    solo = [f for f in reports[2].findings if f["scope"] == "understudy:scans"]
    assert solo and solo[0]["person"] == "p-frank" and solo[0]["count"] == 3
    assert not reports[2].drafts  # Understudy's own scopes are reported, never drafted
    fourth = run_scan(ws, [src], by="frank-ops")
    assert fourth.findings == []  # the same concentration is not new twice
