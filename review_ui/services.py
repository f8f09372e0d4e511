"""The one place the review UI calls into ``agent/``: thin adapters that return plain dicts for pages.

Every rule (what counts, who may decide, what a verdict is) lives in ``agent``; functions here only
call it and reshape results for display. When an ``agent`` API changes, this is the file to fix.
"""

from __future__ import annotations

import dataclasses
import importlib
from datetime import date, datetime
from typing import Any

from agent.ledger import queries, rules
from agent.ledger import service as ledger
from agent.ledger.independence import independence as check_independence
from agent.review import DECIDABLE

PAGE_SIZE = 50
"""Drafts per queue page: enough to scan, small enough that 10,000 drafts never load at once."""

ACTIONS = rules.ACTIONS
"""Decisions a reviewer can take (DESIGN.md "Review gates and what counts")."""

AUDIT_LIMIT = 5000
"""Audit rows the Audit page loads (newest first); exports beyond that belong to the CLI."""

PRACTICE_KINDS = rules.PRACTICE_KINDS
"""Kinds of live practice (the ledger's vocabulary)."""

PRACTICE_OUTCOMES = rules.OUTCOMES
"""Outcomes of a practice entry (the ledger's vocabulary)."""

UI_CHANNEL = "ui"
"""The channel every decision and practice entry made here is recorded with."""


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
    return queries.draft_facets(ws)


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
    """One page of the review queue and the total count: riskiest scope first when ``risks`` is given."""
    offset = max(page - 1, 0) * page_size
    return queries.list_drafts(
        ws, status=status, scope=scope, kind=kind, limit=page_size, offset=offset, risks=risks or None
    )


def draft(ws: Any, draft_id: str) -> dict[str, Any] | None:
    """Everything a reviewer sees of one draft, or None when there is no such draft."""
    try:
        view = queries.get_draft(ws, draft_id)
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
    from agent.drafting import decide as decide_and_advance

    result = decide_and_advance(
        ws, draft_id, reviewer_person_id, decision, expected_version, channel=UI_CHANNEL
    )
    return plain(result)


DECIDABLE_STATUSES = tuple(st.value for st in DECIDABLE)
"""Draft statuses in which the ledger takes a decision (from agent.review)."""


def approved_artifacts(ws: Any, scope: str | None = None) -> list[dict[str, Any]]:
    """Approved drafts that practice may be logged against (the kinds the ledger accepts)."""
    out: list[dict[str, Any]] = []
    for kind in rules.PRACTICE_ARTIFACT_KINDS:
        rows, _ = queries.list_drafts(ws, status="approved", scope=scope, kind=kind, limit=500, offset=0)
        out.extend(rows)
    return out


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
    result = ledger.log_practice(
        ws,
        person=person_id,
        scope=scope,
        kind=kind,
        outcome=outcome,
        artifact=artifact_id,
        date=on,
        notes=notes or None,
        logged_by=person_id,
        channel=UI_CHANNEL,
    )
    return plain(result)


def confirm_practice(ws: Any, entry_id: int | str, by_person_id: str) -> dict[str, Any]:
    """Confirm another person's practice entry as the signed-in person."""
    return plain(ledger.confirm_practice(ws, entry_id, by_person_id, channel=UI_CHANNEL))


def practice_history(ws: Any, person: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
    """Practice entries, newest first, optionally for one person and/or scope."""
    return queries.practice_history(ws, person=person, scope=scope)


def independence(ws: Any, scope: str | None = None) -> list[dict[str, Any]]:
    """The independence verdict of each scope with its reasons."""
    return plain(check_independence(ws, scope=scope))["scopes"]


# ------------------------------------------------------------------------------------- audit


AUDIT_FILTERS = queries.AUDIT_FILTERS
"""Fields the ledger's audit log filters on."""


def audit_log(ws: Any, **filters: Any) -> list[dict[str, Any]]:
    """Every decision and practice entry (newest first), filtered by the ledger on :data:`AUDIT_FILTERS`."""
    return queries.audit_log(ws, {k: v for k, v in filters.items() if v is not None}, limit=AUDIT_LIMIT)


REVIEW_OUTCOMES = ("approved_as_is", "approved_with_edits", "rejected", "changes_requested")
"""Counts the ledger's review statistics report."""


def review_stats(ws: Any) -> dict[str, Any]:
    """Counts of decisions by outcome, plus each one's share of all of them."""
    stats: dict[str, Any] = dict(queries.review_stats(ws))
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
