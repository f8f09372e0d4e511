"""The map's independent scans on threads (agent.analytics.parallel): the same map as one after the other,
and one after the other whenever another connection would not see what the caller's session sees."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from agent.analytics import compute_map, find_rescues
from agent.analytics.parallel import THREADS_ENV, Workers, thread_count
from ingest.db import Person, get_engine
from ingest.pipeline import ingest_paths
from ingest.workspace import Workspace


@pytest.fixture(scope="module")
def org_ws(sample_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.open(tmp_path_factory.mktemp("parallel-ws"))
    ingest_paths(ws, [sample_org], facts_only=True)
    return ws


def _map_and_rescues(ws: Workspace, **window: object) -> tuple[str, list[str]]:
    result = compute_map(ws, **window)  # type: ignore[arg-type]
    with ws.session() as s:
        rescues = [r.model_dump_json() for r in find_rescues(s, **window)]  # type: ignore[arg-type]
    return result.model_dump_json(), rescues


@pytest.mark.slow
def test_threaded_map_equals_the_sequential_one(org_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "1")
    one = _map_and_rescues(org_ws)
    span = compute_map(org_ws).window
    assert span.since is not None and span.until is not None
    window = {"since": span.since + (span.until - span.since) / 3, "until": span.until - timedelta(days=1)}
    one_window = _map_and_rescues(org_ws, **window)
    monkeypatch.setenv(THREADS_ENV, "4")
    with org_ws.session() as s:
        assert Workers(s).threaded
    assert _map_and_rescues(org_ws) == one
    assert _map_and_rescues(org_ws, **window) == one_window
    assert one[1], "the sample organisation has rescues: the comparison compares something"
    assert one_window[0] != one[0]


def test_in_memory_database_and_pending_writes_stay_on_the_callers_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(THREADS_ENV, "4")
    with Session(get_engine("sqlite://")) as s:
        assert not Workers(s).threaded  # another connection is another, empty, database
    ws = Workspace.open(tmp_path / "ws")
    with ws.session() as s:
        assert Workers(s).threaded
        s.add(Person(id="p-unsaved", name="Unsaved"))
        s.flush()
        with Workers(s) as w:
            assert not w.threaded
            seen = w.submit(lambda session: session.get(Person, "p-unsaved")).result()
        assert seen is not None and seen.name == "Unsaved"  # the part saw the caller's own write
        s.rollback()


def test_a_failing_part_raises_where_its_result_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.open(tmp_path / "ws")

    def broken(session: Session) -> None:
        raise RuntimeError("part failed")

    for threads in ("1", "2"):
        monkeypatch.setenv(THREADS_ENV, threads)
        with ws.session() as s, Workers(s) as w:
            part = w.submit(broken)
            with pytest.raises(RuntimeError, match="part failed"):
                part.result()


def test_thread_count_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    assert thread_count() == 3
    monkeypatch.setenv(THREADS_ENV, "0")
    assert thread_count() == 1
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ValueError, match=THREADS_ENV):
        thread_count()
    monkeypatch.delenv(THREADS_ENV)
    for cores, threads in ((16, 4), (2, 2), (1, 1), (None, 1)):  # one per core, at most 4
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert thread_count() == threads
