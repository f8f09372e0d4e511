"""The one place the review UI calls into ``agent/``: thin adapters that return plain dicts for pages.

Every rule (what counts, who may decide, what a verdict is) lives in ``agent``; functions here only
call it and reshape results for display. When an ``agent`` API changes, this is the file to fix.
"""

from __future__ import annotations

import dataclasses
import importlib
from datetime import date, datetime
from typing import Any

PAGE_SIZE = 50
"""Drafts per queue page: enough to scan, small enough that 10,000 drafts never load at once."""

ACTIONS = ("approve", "approve-with-edits", "request-changes", "reject")
"""Decisions a reviewer can take (DESIGN.md "Review gates and what counts")."""

AUDIT_LIMIT = 5000
"""Audit rows the Audit page loads (newest first); exports beyond that belong to the CLI."""

PRACTICE_KINDS = ("shadowed", "led-with-support", "led-alone", "drill", "game-day")
"""Kinds of live practice (DESIGN.md "Command-line contract")."""

PRACTICE_OUTCOMES = ("success", "partial", "failed")
"""Outcomes of a practice entry."""


class Unavailable(RuntimeError):
    """A part of ``agent`` the page needs is not there (yet)."""


def workspace() -> Any:
    """The workspace named by ``$UNDERSTUDY_HOME`` (set by ``understudy review``)."""
    from ingest.workspace import Workspace

    return Workspace.open()


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise Unavailable(f"{name} is not available in this installation") from exc
        raise


def _fn(module: str, name: str) -> Any:
    fn = getattr(_module(module), name, None)
    if fn is None:
        raise Unavailable(f"{module}.{name} is not available in this installation")
    return fn


def _ledger(name: str) -> Any:
    """A function of the ledger's public API (``agent.ledger``, else its ``service`` module)."""
    try:
        return _fn("agent.ledger", name)
    except Unavailable:
        return _fn("agent.ledger.service", name)


def plain(obj: Any) -> Any:
    """A pydantic model, dataclass or mapping as plain dicts and lists (recursively)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="python")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------ people


def people(ws: Any) -> dict[str, str]:
    """Person id -> display name, for everyone not merged into someone else."""
    from sqlalchemy import select

    from ingest.db import Person

    with ws.session() as session:
        rows = session.execute(select(Person.id, Person.name).where(Person.merged_into.is_(None))).all()
    return {pid: name or pid for pid, name in rows}


def label(names: dict[str, str], person_id: str | None) -> str:
    """``Name (id)`` for a person id, or an em dash when there is none."""
    if not person_id:
        return "—"
    name = names.get(person_id)
    return f"{name} ({person_id})" if name and name != person_id else person_id


# ------------------------------------------------------------------------------------ drafts


def draft_facets(ws: Any) -> dict[str, list[str]]:
    """The scopes, kinds and statuses that drafts in the ledger have (for the queue's filters)."""
    from sqlalchemy import select

    from agent.ledger.models import Draft

    with ws.session() as session:
        return {
            "scope": sorted(s for (s,) in session.execute(select(Draft.scope).distinct()).all()),
            "kind": sorted(k for (k,) in session.execute(select(Draft.kind).distinct()).all()),
            "status": sorted(s for (s,) in session.execute(select(Draft.status).distinct()).all()),
        }


def scope_risks(ws: Any) -> dict[str, float]:
    """Each scope's risk on the hero map over all history (the queue's order)."""
    try:
        result = hero_map(ws)
    except Unavailable:
        return {}
    return {row["scope"]: float(row["risk"]) for row in result["scopes"]}


def draft_page(
    ws: Any,
    status: str | None = None,
    scope: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    risks: dict[str, float] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the review queue and the total count: riskiest scope first when ``risks`` is given.

    The ledger's ``list_drafts`` pages newest first; ordering by the map's risk needs the scope's
    risk inside the SQL ``ORDER BY`` (so a page never loads more than ``page_size`` drafts).
    """
    offset = max(page - 1, 0) * page_size
    if not risks:
        rows, total = _ledger("list_drafts")(
            ws, status=status, scope=scope, kind=kind, limit=page_size, offset=offset
        )
        return [plain(r) for r in rows], int(total)
    from sqlalchemy import case, func, select

    from agent.ledger.models import Draft

    where = [
        c
        for c in (
            Draft.status == status if status else None,
            Draft.scope == scope if scope else None,
            Draft.kind == kind if kind else None,
        )
        if c is not None
    ]
    risk = case(risks, value=Draft.scope, else_=0.0)
    with ws.session() as session:
        total = session.scalar(select(func.count()).select_from(Draft).where(*where)) or 0
        drafts = (
            session.execute(
                select(Draft)
                .where(*where)
                .order_by(risk.desc(), Draft.created_at.desc(), Draft.id)
                .limit(page_size)
                .offset(offset)
            )
            .scalars()
            .all()
        )
        rows = [
            {
                "id": d.id,
                "kind": d.kind,
                "scope": d.scope,
                "status": d.status,
                "risk": round(risks.get(d.scope, 0.0), 3),
                "hero": d.hero,
                "flags": d.flag_count,
                "citations": d.citation_count,
                "version": d.version,
                "created_at": d.created_at,
            }
            for d in drafts
        ]
    return rows, int(total)


def draft(ws: Any, draft_id: str) -> dict[str, Any] | None:
    """Everything a reviewer sees of one draft, or None when there is no such draft."""
    get_draft = _ledger("get_draft")
    try:
        view = get_draft(ws, draft_id)
    except (KeyError, LookupError):
        return None
    return plain(view) if view is not None else None


def decide(
    ws: Any,
    draft_id: str,
    reviewer_person_id: str,
    action: str,
    expected_version: int,
    text: str | None = None,
    edited_markdown: str | None = None,
) -> dict[str, Any]:
    """Record a decision by the signed-in reviewer; the ledger answers ok, conflict or refused."""
    from pydantic import ValidationError

    from agent.review import Decision

    try:
        decision = Decision.model_validate(
            {"action": action, "text": text or None, "edited_markdown": edited_markdown or None}
        )
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        return {"outcome": "refused", "draft_id": draft_id, "message": msg, "rule": msg}
    result = _ledger("decide")(ws, draft_id, reviewer_person_id, decision, expected_version)
    return plain(result)


def _decidable() -> tuple[str, ...]:
    try:
        from agent.review import DECIDABLE

        return tuple(s.value for s in DECIDABLE)
    except ImportError:  # pragma: no cover
        return ("pending",)


DECIDABLE_STATUSES = _decidable()
"""Draft statuses in which the ledger takes a decision (from agent.review)."""


def approved_artifacts(ws: Any, scope: str | None = None) -> list[dict[str, Any]]:
    """Approved drafts that practice may be logged against (the kinds the ledger accepts)."""
    kinds = _practice_artifact_kinds()
    out: list[dict[str, Any]] = []
    for kind in kinds:
        rows, _ = _ledger("list_drafts")(ws, status="approved", scope=scope, kind=kind, limit=500, offset=0)
        out.extend(plain(r) for r in rows)
    return out


def _practice_artifact_kinds() -> tuple[str, ...]:
    return tuple(
        getattr(_module("agent.drafting.artifacts"), "PRACTICE_ARTIFACT_KINDS", ("knowledge-pack", "runbook"))
    )


# ---------------------------------------------------------------------------------- practice


def log_practice(
    ws: Any,
    person_id: str,
    scope: str,
    kind: str,
    outcome: str,
    artifact_id: str,
    on: date | datetime | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """Log live practice by the signed-in person (who is also the one logging it)."""
    result = _ledger("log_practice")(
        ws,
        person=person_id,
        scope=scope,
        kind=kind,
        outcome=outcome,
        artifact=artifact_id,
        date=on,
        notes=notes or None,
        logged_by=person_id,
    )
    return plain(result)


def confirm_practice(ws: Any, entry_id: int | str, by_person_id: str) -> dict[str, Any]:
    """Confirm another person's practice entry as the signed-in person."""
    return plain(_ledger("confirm_practice")(ws, entry_id, by_person_id))


def practice_history(ws: Any, person: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
    """Practice entries, newest first, optionally for one person and/or scope."""
    return [plain(r) for r in _ledger("practice_history")(ws, person=person, scope=scope)]


def independence(ws: Any, scope: str | None = None) -> list[dict[str, Any]]:
    """The independence verdict of each scope with its reasons."""
    result = plain(_ledger("independence")(ws, scope=scope))
    return result["scopes"] if isinstance(result, dict) and "scopes" in result else result


# ------------------------------------------------------------------------------------- audit


AUDIT_FILTERS = ("actor", "action", "subject", "outcome")
"""Fields the ledger's audit log filters on."""


def audit_log(ws: Any, **filters: Any) -> list[dict[str, Any]]:
    """Every decision and practice entry (newest first), filtered by the ledger on :data:`AUDIT_FILTERS`."""
    rows = _ledger("audit_log")(ws, {k: v for k, v in filters.items() if v is not None}, limit=AUDIT_LIMIT)
    return [plain(r) for r in rows]


REVIEW_OUTCOMES = ("approved_as_is", "approved_with_edits", "rejected", "changes_requested")
"""Counts the ledger's review statistics report."""


def review_stats(ws: Any) -> dict[str, Any]:
    """Counts of decisions by outcome, plus each one's share of all of them."""
    stats = dict(plain(_ledger("review_stats")(ws)))
    final = sum(int(stats.get(k, 0)) for k in REVIEW_OUTCOMES)
    for key in REVIEW_OUTCOMES:
        stats[f"{key}_share"] = (int(stats.get(key, 0)) / final) if final else None
    stats["decided"] = final
    return stats


# --------------------------------------------------------------------------------- analytics


def hero_map(ws: Any, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """The hero map over a window."""
    return plain(_fn("agent.analytics", "compute_map")(ws, since, until))


def whatif(ws: Any, people_ids: list[str]) -> dict[str, Any]:
    """Which scopes lose capability when these people are away."""
    return plain(_fn("agent.analytics.whatif", "whatif")(ws, people_ids))


def monthly_trends(ws: Any, scope: str | None = None) -> list[dict[str, Any]]:
    """Per-month signals for a scope (or all scopes)."""
    result = plain(_fn("agent.analytics.trends", "monthly_trends")(ws, scope))
    if isinstance(result, dict):
        for key in ("months", "rows", "trends"):
            if key in result:
                return result[key]
    return result


# ----------------------------------------------------------------------------------------- ask


def ask_available() -> bool:
    """Whether ``agent.ask.answer`` exists in this installation."""
    try:
        _fn("agent.ask", "answer")
    except Unavailable:
        return False
    return True


def ask(ws: Any, question: str) -> dict[str, Any]:
    """The manager's question answered with citations."""
    return plain(_fn("agent.ask", "answer")(ws, question))
