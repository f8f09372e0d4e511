"""Crash safety: SIGKILL at seeded random points during ingest, decisions, publish and scan; doctor agrees after."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from agent.doctor import run_doctor
from ingest.db import Chunk
from ingest.pipeline import ingest_paths
from ingest.workspace import Workspace
from tests.ingest.minorg import write_pagerduty
from tests.ingest.test_crash import write_big_slack
from tests.reliability import figures

CRASH_SEED = 20260126
"""Seed of the kill points: a failing run reproduces."""

INGEST_KILLS = 2
"""SIGKILLs per ingest crash test: each at a different seeded moment of the run."""

REPO = Path(__file__).resolve().parents[2]


def _spawn(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "UNDERSTUDY_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds`` if it still runs; True when it was killed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _consistent(ws: Workspace) -> dict:
    report = run_doctor(ws, fix=False)
    with ws.session() as s:
        chunks = s.scalar(select(func.count()).select_from(Chunk))
        ids = s.scalar(select(func.count(func.distinct(Chunk.id))).select_from(Chunk))
    assert chunks == ids, "duplicate chunk rows"
    assert report["ok"], report["problems"]
    assert report["vectors"] == report["chunks"] == chunks, report
    return report


def test_crash_ingest_at_random_points_then_doctor_agrees(tmp_path: Path, embedder) -> None:
    """Kill ``understudy ingest`` at seeded moments; the next run plus doctor leave SQLite and Chroma agreeing."""
    data = tmp_path / "data"
    write_big_slack(data)
    write_pagerduty(data)
    rng = random.Random(CRASH_SEED)
    home = tmp_path / "home"
    killed = 0
    for _ in range(INGEST_KILLS):
        proc = _spawn(home, "ingest", str(data))
        killed += _kill_after(proc, rng.uniform(2.0, 14.0))
    ws = Workspace.open(home, embedder=embedder)
    ingest_paths(ws, [data])
    report = _consistent(ws)
    assert report["chunks"] > 0
    assert killed >= 1, "no kill landed while ingest ran"
    figures.add("crashes", "ingest_kills", killed)
    figures.add("crashes", "survived", killed)


def test_doctor_repairs_orphans_and_missing_vectors(ws, tmp_path: Path) -> None:
    """An orphaned vector and a chunk whose vector vanished: doctor finds both, repairs, then reports ok."""
    write_pagerduty(tmp_path / "d")
    ingest_paths(ws, [tmp_path / "d"])
    with ws.session() as s:
        cid = s.scalar(select(Chunk.id).limit(1))
    ws.index.upsert(["orphan-1"], ["ghost"], [{"kind": "x"}], [[0.0] * 384])
    ws.index.delete([cid])
    before = run_doctor(ws, fix=False)
    checks = {p["check"] for p in before["problems"]}
    assert {"orphaned-vectors", "missing-vectors"} <= checks, before
    after = run_doctor(ws, fix=True)
    assert after["ok"], after
    assert run_doctor(ws, fix=False)["ok"]
    env = {**os.environ, "UNDERSTUDY_HOME": str(ws.home), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "agent.cli", "doctor", "--json", "--no-fix"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ok"] is True


DECIDE_SCRIPT = """
import sys
from agent.drafting import decide
from agent.ledger import Action, Decision, get_draft
from ingest.workspace import Workspace
ws = Workspace.open()
for draft_id in sys.argv[1:]:
    v = get_draft(ws, draft_id).version
    r = decide(ws, draft_id, "p-ana", Decision(action=Action.APPROVE), v)
    print(r.outcome, draft_id, r.id, flush=True)
"""


def test_crash_during_decisions_and_publish(org, tmp_path: Path) -> None:
    """Kill a process approving drafts (each approval publishes): no decision lost or doubled, doctor agrees."""
    from agent.drafting import start_drafts
    from agent.ledger.models import DecisionRow, Draft, Publication
    from tests.drafting.conftest import SCOPE

    ids = [
        d
        for kind in ("knowledge-pack", "runbook", "drill")
        for d in start_drafts(org, scope=SCOPE, kind=kind)
    ]
    assert len(ids) >= 3
    rng = random.Random(CRASH_SEED + 1)
    env = {**os.environ, "UNDERSTUDY_HOME": str(org.home), "PYTHONPATH": str(REPO), "UNDERSTUDY_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", DECIDE_SCRIPT, *ids],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    # kill mid-run: once the first approval is reported, at a seeded point inside the next ones
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    killed = _kill_after(proc, rng.uniform(0.0, 0.25))
    reported = [line.split() for line in (first + proc.stdout.read().decode()).splitlines() if line.strip()]
    assert killed, "the approvals finished before the kill; add drafts"
    result = run_doctor(org, fix=True)
    assert result["ok"], result
    with org.session() as s:
        for outcome, _draft_id, decision_id in reported:
            assert outcome == "ok"
            assert s.get(DecisionRow, int(decision_id)) is not None, "a reported decision was lost"
        for draft_id in ids:
            ok = s.scalar(
                select(func.count())
                .select_from(DecisionRow)
                .where(DecisionRow.draft_id == draft_id, DecisionRow.outcome == "ok")
            )
            assert ok <= 1, f"decision doubled on {draft_id}"
            d = s.get(Draft, draft_id)
            assert d.decision_seq == ok
            pubs = s.scalar(
                select(func.count()).select_from(Publication).where(Publication.draft_id == draft_id)
            )
            assert pubs == (1 if d.status == "approved" else 0), (draft_id, d.status, pubs)
    assert run_doctor(org, fix=False)["ok"]
    figures.add("crashes", "decision_kills", int(killed))
    figures.add("crashes", "survived", int(killed))
    figures.add("crashes", "decisions_checked", len(ids))


def test_crash_during_scan_then_next_scan_runs(tmp_path: Path, embedder) -> None:
    """Kill ``understudy scan`` midway; the lock is released, the next scan completes, doctor agrees."""
    data = tmp_path / "data"
    write_big_slack(data)
    home = tmp_path / "home"
    rng = random.Random(CRASH_SEED + 2)
    proc = _spawn(home, "scan", str(data), "--json", "--by", "ci")
    killed = _kill_after(proc, rng.uniform(2.0, 10.0))
    second = _spawn(home, "scan", str(data), "--json", "--by", "ci")
    out, _ = second.communicate(timeout=600)
    assert second.returncode in (0, 3), out[-500:]
    ws = Workspace.open(home, embedder=embedder)
    _consistent(ws)
    figures.add("crashes", "scan_kills", int(killed))
    figures.add("crashes", "survived", int(killed))
