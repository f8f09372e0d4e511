"""Two phases: facts first (the map works at once), vectors after (``understudy embed``, resumable)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from agent.analytics import compute_map
from agent.cli import app
from agent.doctor import run_doctor
from ingest.db import Chunk, Person
from ingest.pipeline import embed_pending, ingest_paths, pending_vectors
from ingest.workspace import Workspace
from tests.ingest.minorg import write_org, write_pagerduty
from tests.ingest.test_crash import write_big_slack

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "UNDERSTUDY_HOME": str(home), "PYTHONPATH": str(REPO)}


def test_facts_only_then_map_then_embed_exactly_the_pending(ws, tmp_path, counting_embedder):
    org = write_org(tmp_path / "org")
    summary = ingest_paths(ws, [org], facts_only=True)
    assert summary.chunks > 0 and summary.activities > 0
    assert counting_embedder.calls == 0, "--facts-only must not embed"
    pending = pending_vectors(ws)
    assert pending == summary.chunks

    res = subprocess.run(
        [sys.executable, "-m", "agent.cli", "map", "--json"],
        env=_env(ws.home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["vectors_pending"] == pending
    assert out["scopes"] and out["people"]
    assert f"{pending} chunks are not embedded yet" in res.stderr

    with ws.session() as s:
        distinct = s.scalar(select(func.count(func.distinct(Chunk.content_hash))))
    first = embed_pending(ws)
    assert first.vectors == pending
    assert counting_embedder.texts == distinct
    assert pending_vectors(ws) == 0 and ws.index.count() == pending

    calls = counting_embedder.calls
    cli = CliRunner().invoke(app, ["--home", str(ws.home), "embed", "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == {"embedded": 0, "chunks": 0, "vectors_pending": 0}
    assert counting_embedder.calls == calls


def test_cli_facts_only_reports_pending_vectors(tmp_path):
    org = write_org(tmp_path / "org")
    res = subprocess.run(
        [sys.executable, "-m", "agent.cli", "ingest", str(org), "--facts-only", "--json"],
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["vectors_pending"] == out["chunks"] > 0
    assert not (tmp_path / "home" / "chroma").exists() or not any((tmp_path / "home" / "chroma").iterdir())


def _embedded(db: Path) -> tuple[int, int]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*), coalesce(sum(embedded), 0) FROM chunks").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return (0, 0)


def test_kill_during_embed_is_repaired_by_the_next_run(tmp_path, embedder):
    data = tmp_path / "data"
    write_big_slack(data)
    write_pagerduty(data)
    home = tmp_path / "home"
    ws = Workspace.open(home, embedder=embedder)
    ingest_paths(ws, [data], facts_only=True)
    total = pending_vectors(ws)
    assert total > 0

    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "embed"],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        chunks, done = _embedded(home / "understudy.db")
        if 0 < done < chunks:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "embed finished before it could be killed; make the input bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = pending_vectors(ws)
    assert 0 < left < total, "the kill left nothing to repair"

    again = embed_pending(ws)
    assert again.vectors == left
    assert pending_vectors(ws) == 0
    report = run_doctor(ws, fix=False)
    assert report["ok"], report["problems"]
    assert ws.index.count() == total


def test_people_counts_persons_after_merging(ws, tmp_path):
    org = write_org(tmp_path / "org")
    aliases = tmp_path / "aliases.yaml"
    # the runbook's author "grant" is a handle no account carries: only the aliases file says who it is
    aliases.write_text("people:\n  - name: Grant Slater\n    aliases: ['@grant', U01GRANT]\n")
    summary = ingest_paths(ws, [org], aliases=aliases, facts_only=True)
    with ws.session() as s:
        persons = s.scalar(select(func.count()).select_from(Person).where(Person.merged_into.is_(None)))
        identities = s.scalar(select(func.count()).select_from(Person))
    assert identities > persons, "the aliases file merged nobody: the test shows nothing"
    assert summary.people == persons == len(compute_map(ws).people)

    more = tmp_path / "more"
    write_pagerduty(more)  # the same people again, under new files
    again = ingest_paths(ws, [more], aliases=aliases, facts_only=True)
    assert again.people == 0


def test_the_same_folder_given_twice_is_ingested_once(ws, tmp_path):
    org = write_org(tmp_path / "org")
    once = ingest_paths(ws, [org, org / "slack"], facts_only=True)
    assert not once.quarantined, once.quarantined
    again = ingest_paths(ws, [org], facts_only=True)
    assert (again.records, again.activities) == (0, 0)
