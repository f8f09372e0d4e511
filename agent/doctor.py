"""``understudy doctor``: check that SQLite, Chroma and the ledger agree, and repair what is safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ingest.db import Chunk, IngestRun, SourceFile
from ingest.repair import reconcile


def _ledger_checks(ws: Any, fix: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Problems in the ledger (and what was repaired): orphan decisions, lost or doubled decisions, publications."""
    from agent.ledger.models import DecisionRow, Draft, Publication
    from agent.review import Action, Status

    problems: list[dict[str, Any]] = []
    fixed: list[str] = []
    approve = [Action.APPROVE.value, Action.APPROVE_WITH_EDITS.value]
    with ws.session() as s:
        draft_ids = {d for (d,) in s.execute(select(Draft.id))}
        for row in s.execute(select(DecisionRow)).scalars():
            if row.draft_id not in draft_ids:
                problems.append(
                    {
                        "check": "decision-without-draft",
                        "decision": row.id,
                        "draft": row.draft_id,
                        "fixable": False,
                    }
                )
        for d in s.execute(select(Draft)).scalars():
            seqs = sorted(
                q
                for (q,) in s.execute(
                    select(DecisionRow.seq).where(DecisionRow.draft_id == d.id, DecisionRow.outcome == "ok")
                )
                if q is not None
            )
            if seqs != list(range(1, len(seqs) + 1)):
                problems.append(
                    {"check": "decision-sequence-gap", "draft": d.id, "seqs": seqs, "fixable": False}
                )
            top = seqs[-1] if seqs else 0
            if d.decision_seq != top:
                if fix and d.decision_seq < top:
                    fixed.append(f"draft {d.id}: decision_seq {d.decision_seq} -> {top}")
                    d.decision_seq = top
                else:
                    problems.append(
                        {
                            "check": "decision-count-mismatch",
                            "draft": d.id,
                            "draft_seq": d.decision_seq,
                            "decisions": top,
                            "fixable": False,
                        }
                    )
        for pub in s.execute(select(Publication)).scalars():
            approved = s.scalar(
                select(func.count())
                .select_from(DecisionRow)
                .where(
                    DecisionRow.draft_id == pub.draft_id,
                    DecisionRow.version == pub.version,
                    DecisionRow.outcome == "ok",
                    DecisionRow.action.in_(approve),
                    DecisionRow.status_after == Status.APPROVED.value,
                )
            )
            if not approved:
                problems.append(
                    {
                        "check": "published-without-approval",
                        "draft": pub.draft_id,
                        "version": pub.version,
                        "fixable": False,
                    }
                )
            if not Path(pub.path).exists():
                problems.append({"check": "published-file-missing", "path": pub.path, "fixable": False})
        dupes = s.execute(
            select(Publication.draft_id, Publication.version, func.count())
            .group_by(Publication.draft_id, Publication.version)
            .having(func.count() > 1)
        ).all()
        for draft_id, version, n in dupes:
            problems.append(
                {
                    "check": "duplicate-publish",
                    "draft": draft_id,
                    "version": version,
                    "count": n,
                    "fixable": False,
                }
            )
        recorded = {Path(p).name for (p,) in s.execute(select(Publication.path))}
    exports = ws.settings.exports_path
    if exports.exists():
        for tmp in sorted(exports.glob("*.tmp")):
            if fix:
                tmp.unlink(missing_ok=True)
                fixed.append(f"removed unfinished export {tmp.name}")
            else:
                problems.append({"check": "unfinished-export", "path": str(tmp), "fixable": True})
        for md in sorted(exports.glob("*.md")):
            if md.name not in recorded:
                problems.append({"check": "export-without-publication", "path": str(md), "fixable": True})
    if fix:
        from agent.drafting.graph import repair

        finished = repair(ws)
        fixed.extend(f"finished workflow of draft {d}" for d in finished)
        still = []
        for p in problems:
            if p["check"] == "export-without-publication":
                with ws.session() as s:
                    if Path(p["path"]).name in {Path(x).name for (x,) in s.execute(select(Publication.path))}:
                        fixed.append(f"recorded export {Path(p['path']).name}")
                        continue
                Path(p["path"]).unlink(missing_ok=True)
                fixed.append(f"removed unrecorded export {Path(p['path']).name}")
                continue
            still.append(p)
        problems = still
    return problems, fixed


def run_doctor(ws: Any, fix: bool = True) -> dict[str, Any]:
    """Check the workspace (index vs database, interrupted runs, ledger); repair what is safe when ``fix``."""
    problems: list[dict[str, Any]] = []
    fixed: list[str] = []
    index = reconcile(ws, fix=fix)
    if index["orphaned_vectors"]:
        if fix:
            fixed.append(f"deleted {index['orphaned_vectors']} orphaned vectors")
        else:
            problems.append(
                {"check": "orphaned-vectors", "count": index["orphaned_vectors"], "fixable": True}
            )
    with ws.session() as s:
        unembedded = s.scalar(select(func.count()).select_from(Chunk).where(Chunk.embedded.is_(False)))
        started = [p for (p,) in s.execute(select(SourceFile.path).where(SourceFile.status == "started"))]
        running = s.scalar(select(func.count()).select_from(IngestRun).where(IngestRun.status == "running"))
    if unembedded:
        if fix:
            from ingest.pipeline import Ingestor

            Ingestor(ws)._embed_pending(None)
            fixed.append(f"embedded {unembedded} chunks missing from the index")
        else:
            problems.append({"check": "chunks-not-embedded", "count": unembedded, "fixable": True})
    if started:
        problems.append(
            {
                "check": "files-interrupted",
                "paths": started[:20],
                "count": len(started),
                "fixable": False,
                "hint": "run the same ingest again",
            }
        )
    ledger_problems, ledger_fixed = _ledger_checks(ws, fix)
    problems.extend(ledger_problems)
    fixed.extend(ledger_fixed)
    after = reconcile(ws, fix=False) if fix else index
    for key in ("orphaned_vectors", "missing_vectors"):
        if fix and after[key]:
            problems.append({"check": key.replace("_", "-"), "count": after[key], "fixable": False})
        elif not fix and key == "missing_vectors" and after[key]:
            problems.append({"check": "missing-vectors", "count": after[key], "fixable": True})
    return {
        "ok": not problems,
        "chunks": after["chunks"],
        "vectors": after["vectors"],
        "interrupted_runs": running,
        "problems": problems,
        "fixed": fixed,
    }
