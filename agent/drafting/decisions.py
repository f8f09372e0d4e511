"""A review decision, then the workflow step it calls for: record it in the ledger, advance the draft."""

from __future__ import annotations

from typing import Any

from agent.drafting.drafters import Drafter
from agent.ledger.models import Draft
from agent.ledger.service import audit, record_decision
from agent.review import Decision, DecisionResult, Status


def decide(
    ws: Any,
    draft_id: str,
    reviewer_person_id: str,
    decision: Decision,
    expected_version: int,
    drafter: Drafter | None = None,
    channel: str = "api",
) -> DecisionResult:
    """Decide on a draft version under the ledger's rules, then move its workflow on (redraft, publish, or wait)."""
    from agent.drafting.graph import advance

    result = record_decision(ws, draft_id, reviewer_person_id, decision, expected_version, channel=channel)
    if result.outcome != "ok":
        return result
    try:
        advance(ws, draft_id, drafter)
    except Exception as exc:  # the decision stands; repair() finishes the workflow later
        with ws.session() as s:
            audit(s, result.reviewer, "advance", draft_id, "error", error=str(exc)[:500])
        result.message += f" (workflow step failed and will be retried: {exc})"
    with ws.session() as s:
        draft = s.get(Draft, draft_id)
        if (
            draft is not None
            and draft.status != result.status
            and result.status != Status.CHANGES_REQUESTED.value
        ):
            result.status = draft.status
    return result
