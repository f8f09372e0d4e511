"""Concurrency of reviewers, backup and restore of the ledger, and owner-only workspace files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from tests.reliability import figures

REPO = Path(__file__).resolve().parents[2]

REVIEWERS = ("p-ana", "p-bo", "p-cy")
"""Non-hero reviewers of the seeded organisation who race on every draft."""

RACE_ROUNDS = 4
"""Each reviewer decides on each draft this many times (all but the first per draft must conflict)."""


DRAFT_KINDS = ("knowledge-pack", "runbook", "drill")
"""Draft kinds raced on: three drafts keep the suite fast; the first is the one practice counts toward."""


def _drafts(org):
    from agent.drafting import start_drafts
    from tests.drafting.conftest import SCOPE

    return [d for kind in DRAFT_KINDS for d in start_drafts(org, scope=SCOPE, kind=kind)]


def test_concurrent_reviewers_threads_lose_no_decision(org) -> None:
    """Many reviewers on many threads decide at once: one wins per version, every other one hears 'conflict'."""
    from agent.ledger import Action, Decision, get_draft
    from agent.ledger.models import DecisionRow
    from agent.ledger.service import record_decision

    ids = _drafts(org)
    versions = {d: get_draft(org, d).version for d in ids}
    results: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(REVIEWERS) * RACE_ROUNDS)

    def reviewer(who: str) -> None:
        barrier.wait()
        for d in ids:
            r = record_decision(
                org, d, who, Decision(action=Action.REQUEST_CHANGES, text=f"from {who}"), versions[d]
            )
            with lock:
                results.append(r)

    threads = [threading.Thread(target=reviewer, args=(w,)) for w in REVIEWERS for _ in range(RACE_ROUNDS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(threads) * len(ids)
    for d in ids:
        mine = [r for r in results if r.draft_id == d]
        assert sum(r.outcome == "ok" for r in mine) == 1, [r.outcome for r in mine]
        assert all(r.outcome == "conflict" and r.message for r in mine if r.outcome != "ok")
    with org.session() as s:
        rows = s.scalar(select(func.count()).select_from(DecisionRow).where(DecisionRow.draft_id.in_(ids)))
    assert rows == len(results), "a decision (or its conflict) was not recorded"
    figures.add("concurrency", "decisions_attempted", len(results))
    figures.add("concurrency", "decisions_recorded", rows)
    figures.add("concurrency", "conflicts_reported", sum(r.outcome == "conflict" for r in results))


PROCESS_SCRIPT = """
import sys
from agent.ledger import Action, Decision
from agent.ledger.service import record_decision
from ingest.workspace import Workspace
ws = Workspace.open()
who, version = sys.argv[1], int(sys.argv[2])
for d in sys.argv[3:]:
    r = record_decision(ws, d, who, Decision(action=Action.REJECT, text="no"), version)
    print(r.outcome, d, r.id, flush=True)
"""


def test_concurrent_reviewers_processes_lose_no_decision(org) -> None:
    """Separate processes racing on the same SQLite ledger: every decision is recorded, one wins per draft."""
    from agent.ledger import get_draft
    from agent.ledger.models import DecisionRow

    ids = _drafts(org)
    version = get_draft(org, ids[0]).version
    same = [d for d in ids if get_draft(org, d).version == version]
    env = {**os.environ, "UNDERSTUDY_HOME": str(org.home), "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, who, str(version), *same],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in REVIEWERS * 2
    ]
    lines = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-800:]
        lines.extend(line.split() for line in out.splitlines())
    assert len(lines) == len(procs) * len(same)
    for d in same:
        assert sum(1 for o, dd, _ in lines if dd == d and o == "ok") == 1
    with org.session() as s:
        rows = s.scalar(select(func.count()).select_from(DecisionRow).where(DecisionRow.draft_id.in_(same)))
    assert rows == len(lines)
    figures.add("concurrency", "decisions_attempted", len(lines))
    figures.add("concurrency", "decisions_recorded", rows)
    figures.add("concurrency", "conflicts_reported", sum(1 for o, _, _ in lines if o == "conflict"))


def test_backup_round_trip_is_byte_identical(org, tmp_path: Path) -> None:
    """export -> import into a fresh workspace -> export: the same bytes; the CLI does the same."""
    from agent.backup import export_ledger, import_ledger
    from agent.drafting import decide
    from agent.ledger import Action, Decision, get_draft, log_practice
    from ingest.workspace import Workspace

    ids = _drafts(org)
    decide(org, ids[0], "p-ana", Decision(action=Action.APPROVE), get_draft(org, ids[0]).version)
    decide(
        org,
        ids[1],
        "p-bo",
        Decision(action=Action.REJECT, text="wrong scope ünïcode"),
        get_draft(org, ids[1]).version,
    )
    log_practice(
        org, "p-bo", get_draft(org, ids[0]).scope, "drill", "success", artifact=ids[0], confirmed_by="p-ana"
    )
    first = tmp_path / "first.jsonl"
    with first.open("w", encoding="utf-8") as fh:
        counts = export_ledger(org, fh)
    assert counts["decisions"] >= 2 and counts["drafts"] == len(ids) and counts["practice_entries"] == 1
    fresh = Workspace.open(tmp_path / "fresh", embedder=org.index.embedder)
    import_ledger(fresh, first)
    second = tmp_path / "second.jsonl"
    with second.open("w", encoding="utf-8") as fh:
        export_ledger(fresh, fh)
    assert first.read_bytes() == second.read_bytes()
    assert import_ledger(fresh, first) == {k: 0 for k in counts}, "import twice adds nothing"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cli_out = tmp_path / "cli.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "agent.cli", "--home", str(fresh.home), "export", "--out", str(cli_out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert cli_out.read_bytes() == first.read_bytes()
    assert stat.S_IMODE(cli_out.stat().st_mode) == 0o600
    third = tmp_path / "third"
    run = subprocess.run(
        [sys.executable, "-m", "agent.cli", "--home", str(third), "import", str(cli_out), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"table": "drafts"}\n')
    run = subprocess.run(
        [sys.executable, "-m", "agent.cli", "--home", str(third), "import", str(bad)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "not an Understudy ledger backup" in run.stderr
    figures.put("backup", "rows_round_tripped", sum(counts.values()))


def _loose(path: Path) -> list[str]:
    """Files and folders under ``path`` that anyone but the owner can read, write or enter."""
    out = []
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(root) / name
            if p.is_symlink():
                continue
            if stat.S_IMODE(p.stat().st_mode) & 0o077:
                out.append(f"{p.relative_to(path)} {oct(stat.S_IMODE(p.stat().st_mode))}")
    return out


def test_workspace_files_are_owner_only(org, tmp_path: Path) -> None:
    """Under a lax umask, the db, chroma folder, exports, reports and quarantine are owner-only."""
    from agent.drafting import decide
    from agent.ledger import Action, Decision, get_draft
    from agent.scan.service import run_scan
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace
    from tests.drafting.conftest import seed_org

    old = os.umask(0o022)
    try:
        ws = Workspace.open(tmp_path / "perm", embedder=org.index.embedder)
        seed_org(ws)
        ids = _drafts(ws)
        decide(ws, ids[0], "p-ana", Decision(action=Action.APPROVE), get_draft(ws, ids[0]).version)
        bad = tmp_path / "bad.json"
        bad.write_text("{not json")
        ingest_paths(ws, [bad])
        run_scan(ws, [bad], by="p-ana", notify=False)
    finally:
        os.umask(old)
    home = ws.home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for part in ("understudy.db", "chroma", "exports", "quarantine", "reports"):
        assert (home / part).exists(), part
    assert list((home / "exports").glob("*.md")), "the approval published nothing"
    assert list((home / "reports").iterdir()), "the scan wrote no report"
    loose = _loose(home)
    assert not loose, loose
    figures.put("access", "workspace_paths_checked_owner_only", sum(1 for _ in home.rglob("*")))


def test_ingest_while_reviewers_decide(org, tmp_path: Path) -> None:
    """An ingest process writes facts and chunks while reviewers decide: both finish, nothing is lost."""
    from agent.ledger import Action, Decision, get_draft
    from agent.ledger.models import DecisionRow
    from agent.ledger.service import record_decision
    from ingest.db import Chunk
    from tests.ingest.minorg import write_org

    ids = _drafts(org)
    data = write_org(tmp_path / "more")
    with org.session() as s:
        chunks_before = s.scalar(select(func.count()).select_from(Chunk))
    env = {**os.environ, "UNDERSTUDY_HOME": str(org.home), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "ingest", str(data), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    results = []
    while proc.poll() is None or len(results) < 3 * len(ids):
        for d in ids:
            version = get_draft(org, d).version
            who = REVIEWERS[len(results) % len(REVIEWERS)]
            results.append(
                record_decision(
                    org,
                    d,
                    who,
                    Decision(action=Action.REQUEST_CHANGES, text=f"round {len(results)}"),
                    version,
                )
            )
        if len(results) > 400:
            break
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert all(r.outcome in ("ok", "conflict") for r in results), {r.outcome for r in results}
    with org.session() as s:
        rows = s.scalar(select(func.count()).select_from(DecisionRow).where(DecisionRow.draft_id.in_(ids)))
        chunks_after = s.scalar(select(func.count()).select_from(Chunk))
    assert rows == len(results), "a decision made during ingest was lost"
    assert chunks_after > chunks_before, "the ingest made during review stored nothing"
    figures.add("concurrency", "decisions_during_ingest", len(results))
