"""An ingest killed midway (SIGKILL) is repaired by the next run."""

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

from ingest.db import Activity, Chunk, Person, RecordRow
from ingest.pipeline import ingest_paths
from ingest.workspace import Workspace
from tests.ingest.minorg import USERS, write_pagerduty

THREADS = 500
"""Enough threads that ingest takes several seconds (several record batches, then embedding)."""


def write_big_slack(root: Path) -> Path:
    exp = root / "slack"
    (exp / "ops-payments-api").mkdir(parents=True)
    (exp / "users.json").write_text(json.dumps(USERS))
    (exp / "channels.json").write_text(json.dumps([{"id": "C1", "name": "ops-payments-api"}]))
    msgs = []
    base = 1767268800
    for i in range(THREADS):
        ts = f"{base + i * 600}.000100"
        msgs.append(
            {
                "type": "message",
                "user": "U02MAYA",
                "text": f"alert {i}: queue backlog on shard {i % 17}, <@U01GRANT> can you look?",
                "ts": ts,
                "thread_ts": ts,
                "reply_count": 1,
            }
        )
        msgs.append(
            {
                "type": "message",
                "user": "U01GRANT",
                "text": f"drained shard {i % 17} with `make drain SHARD={i}`",
                "ts": f"{base + i * 600 + 60}.000100",
                "thread_ts": ts,
            }
        )
    for day in range(0, len(msgs), 200):
        (exp / "ops-payments-api" / f"2026-01-{1 + day // 200:02d}.json").write_text(
            json.dumps(msgs[day : day + 200])
        )
    return exp


def snapshot(ws: Workspace) -> dict[str, int]:
    with ws.session() as s:
        return {
            "records": s.scalar(select(func.count()).select_from(RecordRow)),
            "people": s.scalar(select(func.count()).select_from(Person).where(Person.merged_into.is_(None))),
            "activities": s.scalar(select(func.count()).select_from(Activity)),
            "chunks": s.scalar(select(func.count()).select_from(Chunk)),
            "unembedded": s.scalar(select(func.count()).select_from(Chunk).where(Chunk.embedded.is_(False))),
            "vectors": ws.index.count(),
        }


def _count(db: Path, table: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_kill_midway_then_next_run_matches_a_clean_run(tmp_path, embedder):
    data = tmp_path / "data"
    write_big_slack(data)
    write_pagerduty(data)

    clean = Workspace.open(tmp_path / "clean", embedder=embedder)
    ingest_paths(clean, [data])
    expected = snapshot(clean)
    assert expected["unembedded"] == 0 and expected["chunks"] == expected["vectors"] > THREADS

    for stage in ("records", "vectors"):
        home = tmp_path / f"crash-{stage}"
        env = {**os.environ, "UNDERSTUDY_HOME": str(home)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "ingest", str(data)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db = home / "understudy.db"
        deadline = time.time() + 300
        table = "records" if stage == "records" else "chunks"
        while time.time() < deadline and proc.poll() is None:
            n = _count(db, table)
            if stage == "records" and n > 0:
                break
            if stage == "vectors" and n > 0 and _count(db, "chunks") > _count_embedded(db) > 0:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "ingest finished before it could be killed; make the input bigger"
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        crashed = Workspace.open(home, embedder=embedder)
        partial = snapshot(crashed)
        assert partial != expected, "the kill left nothing to repair"
        ingest_paths(crashed, [data])
        assert snapshot(crashed) == expected, stage


def _count_embedded(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM chunks WHERE embedded = 1").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0
