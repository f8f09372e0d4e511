"""The index's own copy of each vector with its filter keys, in SQLite, for exact filtered search.

Chroma answers a metadata filter by scanning its metadata (about 40 ms at 100,000 chunks before a
single vector is read), so a narrow filter is answered here instead: the ids matching the filter come
from an indexed column and their vectors from the same row, and one matrix product scores them. The
store lives in the Chroma folder (a local ``PersistentClient`` only) and is written by every upsert,
delete and reset of :class:`ingest.index.Index`; the index uses it only while it holds as many vectors
as the collection, and :meth:`FilterStore.rebuild` copies a collection into it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

FILE_NAME = "understudy-filter.sqlite3"
"""The store's file, inside the Chroma folder (deleting that folder deletes both)."""

FILTER_KEYS = ("scope", "kind", "source")
"""Metadata keys kept as indexed columns: a filter on one of them (equality) is answered here."""

REBUILD_PAGE = 5000
"""Vectors read from Chroma per page when the store is rebuilt from a collection."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors (coll TEXT NOT NULL, id TEXT NOT NULL, "
    + ", ".join(f"{k} TEXT" for k in FILTER_KEYS)
    + ", vec BLOB NOT NULL, PRIMARY KEY (coll, id))",
    *(f"CREATE INDEX IF NOT EXISTS vectors_{k} ON vectors (coll, {k})" for k in FILTER_KEYS),
)


def filter_key(where: dict[str, Any] | None) -> tuple[str, str] | None:
    """The (key, value) of an equality filter on one of :data:`FILTER_KEYS`, else None."""
    if not where or len(where) != 1:
        return None
    ((key, value),) = where.items()
    if isinstance(value, dict) and set(value) == {"$eq"}:
        value = value["$eq"]
    if key not in FILTER_KEYS or not isinstance(value, str):
        return None
    return key, value


class FilterStore:
    """Vectors and filter keys of the index's collections, one SQLite file."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / FILE_NAME
        self._ready = False

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            if not self._ready:
                con.execute("PRAGMA journal_mode=WAL")
                for stmt in _SCHEMA:
                    con.execute(stmt)
                self._ready = True
            with con:
                yield con
        finally:
            con.close()

    def upsert(
        self,
        coll: str,
        ids: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        """Store (or replace) vectors by id."""
        import numpy as np

        rows = [
            (coll, cid, *(_key(meta, k) for k in FILTER_KEYS), np.asarray(vec, dtype=np.float32).tobytes())
            for cid, meta, vec in zip(ids, metadatas, embeddings, strict=True)
        ]
        marks = ", ".join("?" * (len(FILTER_KEYS) + 3))
        with self._db() as con:
            con.executemany(f"INSERT OR REPLACE INTO vectors VALUES ({marks})", rows)  # noqa: S608 - fixed columns

    def delete(self, coll: str, ids: Sequence[str]) -> None:
        """Remove vectors by id (missing ids are ignored)."""
        with self._db() as con:
            con.executemany("DELETE FROM vectors WHERE coll = ? AND id = ?", [(coll, cid) for cid in ids])

    def clear(self, coll: str) -> None:
        """Remove every vector of one collection."""
        with self._db() as con:
            con.execute("DELETE FROM vectors WHERE coll = ?", (coll,))

    def count(self, coll: str) -> int:
        """Vectors held for one collection."""
        with self._db() as con:
            return int(con.execute("SELECT count(*) FROM vectors WHERE coll = ?", (coll,)).fetchone()[0])

    def matching(self, coll: str, key: str, value: str, limit: int) -> tuple[list[str], Any] | None:
        """Ids and vectors (a float32 matrix) whose ``key`` equals ``value``; None if more than ``limit``."""
        import numpy as np

        if key not in FILTER_KEYS:
            raise ValueError(f"not a filter key: {key}")
        with self._db() as con:
            rows = con.execute(
                f"SELECT id, vec FROM vectors WHERE coll = ? AND {key} = ? LIMIT ?",  # noqa: S608 - key checked
                (coll, value, limit + 1),
            ).fetchall()
        if len(rows) > limit:
            return None
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(len(rows), -1)
        return [cid for cid, _ in rows], matrix

    def rebuild(self, coll: str, collection: Any) -> int:
        """Replace one collection's vectors here by a copy of the Chroma ``collection``; returns how many."""
        self.clear(coll)
        offset = 0
        while True:
            got = collection.get(include=["embeddings", "metadatas"], limit=REBUILD_PAGE, offset=offset)
            if not got["ids"]:
                return offset
            self.upsert(coll, got["ids"], [m or {} for m in got["metadatas"]], got["embeddings"])
            offset += len(got["ids"])


def _key(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return value if isinstance(value, str) else None
