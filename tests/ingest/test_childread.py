"""Facts parsed in a child process: the same rows as in-process, failures quarantined, the child stopped."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from ingest.adapters.base import ReadContext
from ingest.adapters.deploys import DeploysAdapter
from ingest.adapters.slack import SlackAdapter
from ingest.childread import read_in_child
from ingest.db import Activity, Chunk, Incident, Person, Quarantine, RecordRow, Shift, SourceFile
from ingest.pipeline import Ingestor, pre_redact
from ingest.records import Problem, Record
from ingest.workspace import Workspace
from tests.ingest.minorg import write_org

NEVER = 1 << 62
"""A threshold no test group reaches: the in-process path."""


class PidDeploys(DeploysAdapter):
    """The deploys reader, writing the id of the process that reads into a file."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        self.log.write_text(str(os.getpid()))
        yield from super().read(paths, ctx)


class FailingDeploys(PidDeploys):
    """The deploys reader with a bug: it raises after its first record."""

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        for item in super().read(paths, ctx):
            yield item
            raise RuntimeError("boom in the reader\nsecond line")


def run(tmp_path: Path, name: str, org: Path, min_bytes: int, **adapters) -> tuple[Workspace, dict]:
    ws = Workspace.open(tmp_path / name, read_child_min_bytes=min_bytes)
    ing = Ingestor(ws)
    ing.adapters = {**ing.adapters, **adapters}
    summary = ing.run([org], facts_only=True)
    return ws, summary.to_json()


def rows(ws: Workspace) -> dict[str, list[tuple]]:
    """Every facts table's rows without ids and clock times, in a stable order."""
    clock = {Person: {"created_at"}, SourceFile: {"ingested_at"}}
    out: dict[str, list[tuple]] = {}
    with ws.session() as s:
        for model in (RecordRow, Activity, Chunk, Incident, Shift, Person, SourceFile):
            table = model.__table__
            cols = [c for c in table.c if c.name not in clock.get(model, set())]
            out[table.name] = sorted(
                (tuple(repr(v) for v in r) for r in s.execute(select(*cols))), key=lambda t: t
            )
        out["quarantine"] = sorted(s.execute(select(Quarantine.path, Quarantine.record, Quarantine.reason)))
    return out


def test_child_and_in_process_store_the_same_rows(tmp_path):
    org = write_org(tmp_path / "org")
    log = tmp_path / "reader.pid"
    ws_in, in_process = run(tmp_path, "in", org, NEVER, deploys=PidDeploys(log))
    assert log.read_text() == str(os.getpid())
    ws_child, child = run(tmp_path, "child", org, 0, deploys=PidDeploys(log))
    assert log.read_text() != str(os.getpid()), "the child path must read in another process"
    assert child == in_process and in_process["records"] > 0 and in_process["redacted"] >= 1
    assert rows(ws_child) == rows(ws_in)
    with ws_child.session() as s:
        assert "xoxb-1234567890" not in " ".join(t for (t,) in s.execute(select(Chunk.text)))
    _, again = run(tmp_path, "child", org, 0)
    assert (again["records"], again["activities"], again["chunks"]) == (0, 0, 0)


def test_adapter_failure_in_the_child_quarantines_the_group_and_the_run_goes_on(tmp_path):
    org = write_org(tmp_path / "org")
    log = tmp_path / "reader.pid"
    ws_in, in_process = run(tmp_path, "in", org, NEVER, deploys=FailingDeploys(log))
    ws_child, child = run(tmp_path, "child", org, 0, deploys=FailingDeploys(log))
    assert log.read_text() != str(os.getpid()), "the child path must read in another process"
    reasons = [q["reason"] for q in child["quarantined"]]
    assert "deploys reader failed: RuntimeError: boom in the reader" in reasons
    assert child == in_process
    assert rows(ws_child) == rows(ws_in)
    with ws_child.session() as s:
        status = s.scalar(select(SourceFile.status).where(SourceFile.path.like("%deploys.csv")))
        assert status == "quarantined"
        assert s.scalar(select(RecordRow.id).where(RecordRow.kind == "slack").limit(1)) is not None


def test_closing_the_reader_stops_the_child(tmp_path):
    org = write_org(tmp_path / "org")
    items = read_in_child(SlackAdapter(), [org / "slack"], ReadContext(), pre_redact)
    item, digest, _ = next(items)
    assert isinstance(item, Record) and digest == item.content_hash()
    items.close()
    assert multiprocessing.active_children() == []
