"""Publishing: an approved draft version's exact text goes out as markdown, with who approved it."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agent.ledger import rules
from agent.ledger.models import DecisionRow, Draft, DraftVersion, PracticeEntry, Publication
from agent.ledger.rules import APPROVING, RULE_NON_HERO_APPROVAL, LedgerRefusal
from agent.ledger.service import audit
from ingest.db import Person


def version_hash(markdown: str) -> str:
    """The sha256 of a version's text: what the published pack says it carries."""
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def publish(ws: Any, draft_id: str, version: int) -> str:
    """Export an approved draft version, exactly as approved; idempotent by (draft id, version). Returns the path.

    The pack ends with its approvers (those who count now), the version's hash and the practice that counted.
    """
    with ws.session() as s:
        d = s.get(Draft, draft_id)
        scope, recorded = (d.scope, d.hero) if d is not None else ("", None)
    hero = rules.scope_hero(ws, scope, recorded) if scope else None
    with ws.session() as s:
        existing = s.scalar(
            select(Publication).where(Publication.draft_id == draft_id, Publication.version == version)
        )
        draft = s.get(Draft, draft_id)
        if draft is None or draft.version != version or not rules.counts_as_approved(s, draft, hero):
            raise LedgerRefusal(
                RULE_NON_HERO_APPROVAL,
                f"draft {draft_id} version {version} is not approved by someone who may not be the hero; "
                "nothing is published",
            )
        if existing is not None:
            if draft.published_version != version:
                draft.published_version = version
            return existing.path
        body = (
            s.scalar(
                select(DraftVersion.markdown).where(
                    DraftVersion.draft_id == draft_id, DraftVersion.version == version
                )
            )
            or ""
        )
        counting, _ = rules.approval_standing(s, draft, hero)
        approvals = s.execute(
            select(DecisionRow.reviewer, DecisionRow.at, Person.name)
            .join(Person, Person.id == DecisionRow.reviewer, isouter=True)
            .where(
                DecisionRow.draft_id == draft_id,
                DecisionRow.version == version,
                DecisionRow.outcome == "ok",
                DecisionRow.action.in_(APPROVING),
                DecisionRow.reviewer.in_(counting),
            )
            .order_by(DecisionRow.seq)
        ).all()
        practice = s.execute(
            select(PracticeEntry)
            .where(PracticeEntry.artifact_id == draft_id, PracticeEntry.confirmer.is_not(None))
            .order_by(PracticeEntry.date)
        ).scalars()
        practice_lines = [
            f"Practice: {e.person_id} {e.kind} ({e.outcome}) on {e.date.date().isoformat()}, confirmed by {e.confirmer}\n"
            for e in practice
            if rules.hero_link(s, e.person_id, hero) is None
        ]
        text = (
            body.rstrip()
            + "\n\n---\n"
            + "".join(
                f"Approved by {name or pid} ({pid}) at {at.isoformat()}\n" for pid, at, name in approvals
            )
            + f"Draft {draft_id} version {version} ({draft.kind}, {draft.scope}), "
            f"version sha256 {version_hash(body)}.\n"
            + ("".join(practice_lines) or "Practice that counted: none yet.\n")
        )
        folder = ws.settings.exports_path
        folder.mkdir(parents=True, exist_ok=True)
        safe_scope = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in draft.scope)
        path = folder / f"{safe_scope}--{draft.kind}--{draft_id}-v{version}.md"
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        s.add(
            Publication(
                draft_id=draft_id,
                version=version,
                path=str(path),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
        draft.published_version = version
        audit(
            s,
            None,
            "publish",
            draft_id,
            "ok",
            version=version,
            path=str(path),
            version_hash=version_hash(body),
            approvers=counting,
        )
        try:
            s.flush()
        except IntegrityError:  # another process published the same version first
            s.rollback()
        return str(path)
