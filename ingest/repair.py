"""Reconcile the vector index with the database after a crash (also ``understudy doctor``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ingest.db import Chunk
from ingest.workspace import Workspace


def reconcile(ws: Workspace, fix: bool = True) -> dict[str, Any]:
    """Find vectors with no chunk row (orphans) and chunk rows marked embedded whose vector is missing."""
    with ws.session() as s:
        db_ids = {row[0] for row in s.execute(select(Chunk.id)).all()}
        embedded_ids = {row[0] for row in s.execute(select(Chunk.id).where(Chunk.embedded.is_(True))).all()}
    index_ids = set(ws.index.all_ids())
    orphans = sorted(index_ids - db_ids)
    missing = sorted(embedded_ids - index_ids)
    if fix:
        if orphans:
            ws.index.delete(orphans)
        if missing:
            with ws.session() as s:
                for start in range(0, len(missing), 500):
                    s.execute(
                        update(Chunk).where(Chunk.id.in_(missing[start : start + 500])).values(embedded=False)
                    )
    return {
        "chunks": len(db_ids),
        "vectors": len(index_ids),
        "orphaned_vectors": len(orphans),
        "missing_vectors": len(missing),
        "fixed": fix,
    }
