"""``bulk_insert(ids=True)`` gives each new row its stored id, or ``None``; ``select_in`` reads what ``select`` reads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ingest.db import Chunk, RecordRow, bulk_insert, select_in
from ingest.workspace import Workspace

REC = RecordRow.__table__


def _rows(prefix: str, n: int) -> list[dict[str, object]]:
    return [
        dict(
            kind="git",
            key=f"{prefix}:{i}",
            record_hash="h" * 64,
            path="/repo",
            title=None,
            complete=i % 2 == 0,
        )
        for i in range(n)
    ]


def _stored_ids(ws: Workspace, rows: list[dict[str, object]]) -> list[int]:
    with ws.session() as s:
        by_key = dict(s.execute(select(REC.c.key, REC.c.id).where(REC.c.kind == "git")).tuples().all())
    return [by_key[r["key"]] for r in rows]


def test_new_ids_are_the_stored_ids_in_row_order_after_gaps_and_deletes(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    first = _rows("a", 50)
    with ws.session() as s:
        got_first = bulk_insert(s, REC, first, ids=True)
    assert got_first == _stored_ids(ws, first)
    with (
        ws.session() as s
    ):  # a gap in the middle and the largest id deleted: new ids are not max + 1 of the old
        s.execute(REC.delete().where(REC.c.key.in_(["a:10", "a:11", "a:49"])))
    second = _rows("b", 700)
    with ws.session() as s:
        got_second = bulk_insert(s, REC, second, ids=True)
    assert got_second == _stored_ids(ws, second)
    assert len(set(got_second)) == 700


def test_ids_are_none_when_sqlite_picks_rowids_at_random(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    top = dict(
        _rows("top", 1)[0], id=2**63 - 1
    )  # the largest rowid is taken: SQLite picks free ones at random
    with ws.session() as s:
        bulk_insert(s, REC, [top])
    rows = _rows("c", 20)
    with ws.session() as s:
        assert bulk_insert(s, REC, rows, ids=True) is None
    assert len(set(_stored_ids(ws, rows))) == 20


def test_ids_are_none_for_explicit_or_non_integer_keys(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    explicit = [dict(_rows("d", 1)[0], id=7)]
    with ws.session() as s:
        assert bulk_insert(s, REC, explicit, ids=True) is None
        assert bulk_insert(s, REC, [], ids=True) == []
    assert _stored_ids(ws, explicit) == [7]
    assert list(Chunk.__table__.primary_key.columns)[0].key == "id"  # a text key: nothing to give
    with ws.session() as s:
        record_id = s.execute(select(REC.c.id)).scalar_one()
        chunk = dict(
            id="c" * 32, record_id=record_id, kind="commit", scope=None, title=None, text="t", content_hash="x" * 64,
            source="git", path="/repo", locator="commit:1", ts=None, embedded=False,
        )  # fmt: skip
        assert bulk_insert(s, Chunk.__table__, [chunk], ids=True) is None


def test_select_in_reads_what_select_reads_with_result_types(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    rows = _rows("e", 1234)
    with ws.session() as s:
        bulk_insert(s, REC, rows)
        bulk_insert(s, REC, [dict(r, kind="slack") for r in rows[:5]])
    wanted = [f"e:{i}" for i in range(0, 1300, 3)]  # past IN_CHUNK, with keys that are not there
    with ws.session() as s:
        fast = sorted(select_in(s, REC, ("id", "key", "complete"), {"kind": "git"}, "key", wanted))
        slow = sorted(
            tuple(r)
            for r in s.execute(
                select(REC.c.id, REC.c.key, REC.c.complete).where(REC.c.kind == "git", REC.c.key.in_(wanted))
            )
        )
        assert list(select_in(s, REC, ("id",), {"kind": "git"}, "key", [])) == []
    assert fast == slow
    assert len(fast) == len([k for k in wanted if int(k.split(":")[1]) < 1234])
    assert {type(c) for _, _, c in fast} == {bool}
