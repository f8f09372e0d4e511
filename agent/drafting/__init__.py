"""Drafting: evidence → draft (Claude or offline) → grounding check → review pause → publish.

Public API (stable; the UI and the Q&A engine call these):

- ``start_drafts(ws, scope=None, kind=None) -> list[str]``: start a workflow per (scope, kind) and run
  each to its review pause; returns draft ids. Kinds: narrative, knowledge-pack, runbook,
  transfer-plan, rotation-plan, anti-heroics, drill.
- ``advance(ws, draft_id)``: move one workflow as far as the ledger allows (any process).
- ``repair(ws) -> list[str]``: finish workflows left behind by a crash (no duplicate publish).
- ``decide(ws, draft_id, reviewer, decision, expected_version, drafter=None, channel="api")``: record a
  review decision in the ledger, then advance the workflow (the drafter is injected).
- ``KINDS``: the draft kinds.

The rules of what counts, practice and the independence check live in :mod:`agent.ledger`.
"""

from __future__ import annotations

from typing import Any

from agent.drafting.artifacts import KINDS


def start_drafts(
    ws: Any, scope: str | None = None, kind: str | None = None, drafter: Any | None = None
) -> list[str]:
    """Start drafting workflows; each pauses for review. Returns the draft ids."""
    from agent.drafting.graph import start_drafts as _start

    return _start(ws, scope=scope, kind=kind, drafter=drafter)


def advance(ws: Any, draft_id: str) -> str:
    """Move a draft's workflow on; returns its status."""
    from agent.drafting.graph import advance as _advance

    return _advance(ws, draft_id)


def decide(
    ws: Any,
    draft_id: str,
    reviewer_person_id: str,
    decision: Any,
    expected_version: int,
    drafter: Any | None = None,
    channel: str = "api",
) -> Any:
    """Record a decision under the ledger's rules, then move the workflow on; returns the DecisionResult."""
    from agent.drafting.decisions import decide as _decide

    return _decide(ws, draft_id, reviewer_person_id, decision, expected_version, drafter, channel)


def repair(ws: Any) -> list[str]:
    """Finish workflows the ledger says are behind; returns the draft ids touched."""
    from agent.drafting.graph import repair as _repair

    return _repair(ws)


__all__ = ["KINDS", "advance", "decide", "repair", "start_drafts"]
