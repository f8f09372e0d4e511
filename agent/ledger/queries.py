"""Read views of the ledger: drafts (one row shape for the CLI and the UI), a draft, practice, audit, stats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select

from agent.ledger.models import AuditEntry, DecisionRow, Draft, DraftVersion, PracticeEntry, Publication
from agent.ledger.service import STATUS_NOTES, _resolve, entry_json
from agent.review import Action, Status


class DraftView(BaseModel):
    """Everything a reviewer needs to decide on a draft."""

    id: str
    kind: str
    scope: str
    hero: str | None
    status: str
    status_note: str
    version: int
    markdown: str
    claims: list[dict[str, Any]] = Field(default_factory=list)
    flags: list[dict[str, Any]] = Field(default_factory=list)
    evidence: dict[str, dict[str, Any]] = Field(default_factory=dict)
    decisions: list[dict[str, Any]] = Field(default_factory=list)
    drafter: dict[str, Any] = Field(default_factory=dict)
    published: list[dict[str, Any]] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def draft_row(d: Draft, risks: dict[str, float] | None = None) -> dict[str, Any]:
    """A draft as one row of a list (the CLI's and the review queue's shape)."""
    row = {
        "id": d.id,
        "kind": d.kind,
        "scope": d.scope,
        "status": d.status,
        "flags": d.flag_count,
        "citations": d.citation_count,
        "version": d.version,
        "hero": d.hero,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
    }
    if risks is not None:
        row["risk"] = round(risks.get(d.scope, 0.0), 3)
    return row


def list_drafts(
    ws: Any,
    status: str | None = None,
    scope: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    risks: dict[str, float] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of drafts and the total matching, filtered in SQL: newest first, or riskiest scope first
    when ``risks`` (scope -> risk) is given (the risk goes into the SQL ``ORDER BY``)."""
    where = []
    if status:
        where.append(Draft.status == status)
    if scope:
        where.append(Draft.scope == scope)
    if kind:
        where.append(Draft.kind == kind)
    order = [Draft.created_at.desc(), Draft.id]
    if risks:
        order.insert(0, case(risks, value=Draft.scope, else_=0.0).desc())
    with ws.session() as s:
        total = s.scalar(select(func.count()).select_from(Draft).where(*where)) or 0
        rows = s.execute(select(Draft).where(*where).order_by(*order).limit(limit).offset(offset)).scalars()
        return [draft_row(d, risks) for d in rows], int(total)


def draft_facets(ws: Any) -> dict[str, list[str]]:
    """The scopes, kinds and statuses that drafts in the ledger have (for filters)."""
    with ws.session() as s:
        return {
            "scope": sorted(v for (v,) in s.execute(select(Draft.scope).distinct()).all()),
            "kind": sorted(v for (v,) in s.execute(select(Draft.kind).distinct()).all()),
            "status": sorted(v for (v,) in s.execute(select(Draft.status).distinct()).all()),
        }


def get_draft(ws: Any, draft_id: str) -> DraftView:
    """The draft's current version rendered, with claims, flags, evidence and decisions (KeyError if unknown)."""
    with ws.session() as s:
        d = s.get(Draft, draft_id)
        if d is None:
            raise KeyError(draft_id)
        v = s.scalar(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id, DraftVersion.version == d.version)
        )
        decisions = (
            s.execute(select(DecisionRow).where(DecisionRow.draft_id == draft_id).order_by(DecisionRow.id))
            .scalars()
            .all()
        )
        pubs = (
            s.execute(
                select(Publication).where(Publication.draft_id == draft_id).order_by(Publication.version)
            )
            .scalars()
            .all()
        )
        return DraftView(
            id=d.id,
            kind=d.kind,
            scope=d.scope,
            hero=d.hero,
            status=d.status,
            status_note=STATUS_NOTES.get(d.status, d.status),
            version=d.version,
            markdown=v.markdown if v else "",
            claims=v.claims if v else [],
            flags=v.flags if v else [],
            evidence=v.evidence if v else {},
            decisions=[
                {
                    "id": r.id,
                    "version": r.version,
                    "seq": r.seq,
                    "reviewer": r.reviewer,
                    "action": r.action,
                    "text": r.text,
                    "diff": r.diff,
                    "outcome": r.outcome,
                    "status_after": r.status_after,
                    "note": r.note,
                    "at": r.at.isoformat(),
                }
                for r in decisions
            ],
            drafter={
                "drafter": v.drafter,
                "model": v.model,
                "prompt_id": v.prompt_id,
                "prompt_version": v.prompt_version,
                "prompt_hash": v.prompt_hash,
            }
            if v
            else {},
            published=[
                {
                    "version": p.version,
                    "path": p.path,
                    "hash": p.content_hash,
                    "at": p.published_at.isoformat(),
                }
                for p in pubs
            ],
        )


AUDIT_FILTERS = ("actor", "action", "subject", "outcome")
"""Fields the audit log filters on."""


def audit_log(ws: Any, filters: dict[str, Any] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Audit rows, newest first; filters on actor, action, subject, outcome."""
    q = select(AuditEntry)
    for key, value in (filters or {}).items():
        if key in AUDIT_FILTERS and value is not None:
            q = q.where(getattr(AuditEntry, key) == value)
    with ws.session() as s:
        rows = s.execute(q.order_by(AuditEntry.id.desc()).limit(limit)).scalars().all()
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "subject": r.subject,
                "outcome": r.outcome,
                "detail": r.detail,
            }
            for r in rows
        ]


def review_stats(ws: Any) -> dict[str, int]:
    """Counts of drafts approved as-is, approved with edits, rejected, and changes requested."""
    with ws.session() as s:
        final = dict(
            s.execute(
                select(DecisionRow.action, func.count())
                .where(
                    DecisionRow.outcome == "ok",
                    DecisionRow.status_after.in_([Status.APPROVED.value, Status.REJECTED.value]),
                )
                .group_by(DecisionRow.action)
            ).all()
        )
        changes = (
            s.scalar(
                select(func.count())
                .select_from(DecisionRow)
                .where(DecisionRow.outcome == "ok", DecisionRow.action == Action.REQUEST_CHANGES.value)
            )
            or 0
        )
    return {
        "approved_as_is": int(final.get(Action.APPROVE.value, 0)),
        "approved_with_edits": int(final.get(Action.APPROVE_WITH_EDITS.value, 0)),
        "rejected": int(final.get(Action.REJECT.value, 0)),
        "changes_requested": int(changes),
    }


def practice_history(ws: Any, person: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
    """Practice entries (newest first), optionally for one person (any alias) or scope."""
    q = select(PracticeEntry)
    if person:
        q = q.where(PracticeEntry.person_id == (_resolve(ws, person) or person))
    if scope:
        q = q.where(PracticeEntry.scope == scope)
    with ws.session() as s:
        return [
            entry_json(e)
            for e in s.execute(q.order_by(PracticeEntry.date.desc(), PracticeEntry.id.desc())).scalars()
        ]
