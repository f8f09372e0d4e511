"""Gather the evidence a draft stands on: the scope's chunks (ranked by Chroma) and analytics facts, with ids."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from agent.drafting import facts
from ingest.db import Activity, Chunk

MAX_EVIDENCE = 40
"""Chunks given to one draft: enough for a scope's recurring incidents, small enough for one prompt."""

EVIDENCE_TEXT_LIMIT = 4000
"""Characters of one chunk kept as evidence (long chunks are cut, never summarised)."""

RETRIEVAL_QUERY = (
    "how {scope} incidents were fixed: steps, commands, rollback, restart, failover, escalation, traps"
)
"""What Chroma is asked for, per scope."""

log = logging.getLogger(__name__)


def gather(ws: Any, scope: str, hero: str | None) -> dict[str, dict[str, Any]]:
    """Evidence by id: analytics facts first, then chunks of the scope (hero-linked ones always kept)."""
    with ws.session() as s:
        linked = s.execute(
            select(Activity.chunk_id, Activity.person_id).where(
                Activity.scope == scope, Activity.chunk_id.is_not(None)
            )
        ).all()
        hero_ids = {cid for cid, pid in linked if hero and pid == hero}
        scope_ids = [
            r[0] for r in s.execute(select(Chunk.id).where(Chunk.scope == scope).order_by(Chunk.ts, Chunk.id))
        ]
    candidates = list(dict.fromkeys([*sorted(hero_ids), *scope_ids, *sorted({c for c, _ in linked})]))
    ranked = _rank_with_index(ws, scope)
    chosen = [c for c in candidates if c in hero_ids]
    for cid in dict.fromkeys([*ranked, *candidates]):
        if len(chosen) >= MAX_EVIDENCE:
            break
        if cid not in chosen:
            chosen.append(cid)
    evidence: dict[str, dict[str, Any]] = {f["id"]: f for f in facts.scope_facts(ws, scope, hero)}
    with ws.session() as s:
        rows = s.execute(select(Chunk).where(Chunk.id.in_(chosen))).scalars().all()
    for row in sorted(rows, key=lambda r: (r.ts.isoformat() if r.ts else "", r.id)):
        evidence[row.id] = {
            "id": row.id,
            "kind": row.kind,
            "title": row.title or "",
            "text": row.text[:EVIDENCE_TEXT_LIMIT],
            "source": row.source,
            "ts": row.ts.isoformat() if row.ts else None,
            "hero": row.id in hero_ids,
        }
    return evidence


def _rank_with_index(ws: Any, scope: str) -> list[str]:
    """Chunk ids of the scope in Chroma's order of relevance (empty when the index is not available)."""
    try:
        hits = ws.index.query(RETRIEVAL_QUERY.format(scope=scope), n=MAX_EVIDENCE, where={"scope": scope})
    except Exception as exc:  # an empty or missing index must not stop drafting
        log.info("vector index not used for %s: %s", scope, exc)
        return []
    return [h.id for h in hits]
