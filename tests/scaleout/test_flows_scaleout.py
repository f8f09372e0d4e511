"""The whole loop against PostgreSQL and a Chroma server, through the command line.

ingest → map → draft (LangGraph, PostgresSaver) → review decision → practice → independence,
each as a separate ``understudy`` process, exactly as a scheduled job or a reviewer would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.scaleout

CLI = str(Path(sys.executable).with_name("understudy"))

ORG_SCALE = 0.3
"""Sample-organisation scale for the loop: about 900 chunks (the real model embeds them on 2 busy cores
in a few minutes) and still several planted heroes."""


@pytest.fixture(scope="module")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample organisation (seed 7), generated once for this module."""
    from ingest.sample import generate

    out = tmp_path_factory.mktemp("org")
    generate(out, seed=7, scale=ORG_SCALE)
    return out


def understudy(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a separate process with this test's environment (the two server URLs)."""
    proc = subprocess.run(
        [CLI, "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=900,
        check=False,
    )
    if ok:
        assert proc.returncode == 0, (
            f"understudy {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}"
        )
    return proc


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


@pytest.mark.timeout(2400)
def test_loop_runs_on_postgres_and_chroma_server(servers, small_org: Path, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, func, select, text

    from ingest.db import Activity, Chunk
    from ingest.index import Index
    from ingest.settings import load_settings

    home = tmp_path / "home"
    summary = as_json(
        understudy(home, "ingest", str(small_org), "--aliases", str(small_org / "aliases.yaml"), "--json")
    )
    assert summary["quarantined"] == []
    assert summary["activities"] > 500 and summary["chunks"] > 300

    # facts went to PostgreSQL, vectors to the Chroma server, nothing to the workspace's embedded stores
    engine = create_engine(servers.database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Activity)).scalar_one() == summary["activities"]
        n_chunks = conn.execute(select(func.count()).select_from(Chunk)).scalar_one()
        assert (
            conn.execute(
                select(func.count()).select_from(Chunk).where(Chunk.embedded.is_(False))
            ).scalar_one()
            == 0
        )
    assert not (home / "understudy.db").exists()
    assert not (home / "chroma").exists()
    assert Index(load_settings(home)).count() == n_chunks

    # idempotent on PostgreSQL too
    again = as_json(
        understudy(home, "ingest", str(small_org), "--aliases", str(small_org / "aliases.yaml"), "--json")
    )
    assert (again["records"], again["activities"], again["chunks"]) == (0, 0, 0)

    hero_map = as_json(understudy(home, "map", "--json"))
    assert hero_map["heroes"], "the sample organisation plants heroes; the map on PostgreSQL found none"
    hero = hero_map["heroes"][0]
    scope = hero["scopes"][0]
    others = [p["id"] for p in hero_map["people"] if p["id"] != hero["person"]]
    reviewer, learner, confirmer = others[0], others[1], others[2]

    drafts = as_json(understudy(home, "draft", "--scope", scope, "--kind", "runbook", "--json"))["drafts"]
    assert len(drafts) == 1 and drafts[0]["status"] == "pending" and drafts[0]["scope"] == scope
    draft_id = drafts[0]["id"]
    assert drafts[0]["citations"] > 0

    # the workflow paused on the PostgresSaver: checkpoints are in PostgreSQL, not in a workspace file
    assert not (home / "checkpoints.db").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one() > 0

    listed = as_json(understudy(home, "drafts", "list", "--status", "pending", "--json"))["drafts"]
    assert draft_id in {d["id"] for d in listed}

    # the hero alone never makes it count
    alone = understudy(
        home, "drafts", "decide", draft_id, "--reviewer", hero["person"], "--approve", "--json", ok=False
    )
    status_after_hero = {
        d["id"]: d["status"] for d in as_json(understudy(home, "drafts", "list", "--json"))["drafts"]
    }
    assert status_after_hero[draft_id] != "approved", alone.stdout + alone.stderr

    decided = as_json(
        understudy(home, "drafts", "decide", draft_id, "--reviewer", reviewer, "--approve", "--json")
    )
    assert decided["status"] == "approved"
    approved = as_json(understudy(home, "drafts", "list", "--status", "approved", "--json"))["drafts"]
    assert draft_id in {d["id"] for d in approved}

    entry = as_json(
        understudy(
            home,
            "practice",
            "log",
            "--person",
            learner,
            "--scope",
            scope,
            "--kind",
            "led-alone",
            "--outcome",
            "success",
            "--artifact",
            draft_id,
            "--json",
        )
    )
    assert entry["id"]
    # nobody may confirm their own practice
    understudy(home, "practice", "confirm", str(entry["id"]), "--by", learner, "--json", ok=False)
    understudy(home, "practice", "confirm", str(entry["id"]), "--by", confirmer, "--json")

    verdicts = as_json(understudy(home, "independence", "--scope", scope, "--json"))["scopes"]
    assert len(verdicts) == 1
    v = verdicts[0]
    assert v["scope"] == scope
    assert draft_id in json.dumps(v["approved_artifacts"])
    assert learner in json.dumps(v["practised_people"])
    assert v["verdict"] != "dependent"

    # and the ledger rows themselves are in PostgreSQL
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM decisions WHERE draft_id = :d"), {"d": draft_id}
            ).scalar_one()
            >= 1
        )
    engine.dispose()


def test_missing_server_urls_fail_rather_than_skip(tmp_path: Path) -> None:
    """A scale-out test selected without its servers fails: it must never pass by skipping."""
    root = tmp_path / "suite"
    (root / "scaleout").mkdir(parents=True)
    (root / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef _offline_and_clean():\n    yield\n"
    )
    (root / "scaleout" / "conftest.py").write_text(Path(__file__).with_name("conftest.py").read_text())
    (root / "scaleout" / "test_needs.py").write_text(
        "def test_it(servers):\n    assert servers.database_url\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root), str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "1 error" in proc.stdout or "1 failed" in proc.stdout, proc.stdout[-2000:]
    assert "skipped" not in proc.stdout
    assert "UNDERSTUDY_DATABASE_URL" in proc.stdout
