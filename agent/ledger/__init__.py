"""The ledger: drafts and decisions, practice, the audit log, and the independence check.

Public API (stable; the UI and the Q&A engine call these; the rules live in ``service.py``):

- ``list_drafts(ws, status=None, scope=None, kind=None, limit=50, offset=0) -> (rows, total)``
- ``get_draft(ws, id) -> DraftView`` (rendered markdown, claims with citations and flags, evidence texts
  by chunk id, version, status, decisions)
- ``decide(ws, id, reviewer_person_id, decision: Decision, expected_version) -> DecisionResult``
  (``ok`` | ``conflict`` | ``refused`` with the rule's text)
- ``log_practice(ws, person, scope, kind, outcome, artifact=None, date=None, notes=None, confirmed_by=None)``
  and ``confirm_practice(ws, entry_id, by_person_id)`` -> ``PracticeResult``
- ``practice_history(ws, person=None, scope=None) -> list[dict]``
- ``independence(ws, scope=None) -> IndependenceResult``
- ``audit_log(ws, filters=None) -> list[dict]``; ``review_stats(ws) -> dict`` (approved as-is / with edits / rejected)

``Decision`` and ``DecisionResult`` come from :mod:`agent.review` (all human-in-the-loop contracts).
"""

from __future__ import annotations

from agent.ledger.independence import IndependenceResult, ScopeVerdict, independence
from agent.ledger.service import (
    RULE_APPROVED_ARTIFACT,
    RULE_KNOWN_PERSON,
    RULE_NON_HERO_APPROVAL,
    RULE_SELF_CONFIRM,
    RULE_STALE_VERSION,
    DraftView,
    PracticeResult,
    audit_log,
    confirm_practice,
    decide,
    get_draft,
    list_drafts,
    log_practice,
    practice_history,
    review_stats,
)
from agent.review import Action, Decision, DecisionResult

__all__ = [
    "RULE_APPROVED_ARTIFACT",
    "RULE_KNOWN_PERSON",
    "RULE_NON_HERO_APPROVAL",
    "RULE_SELF_CONFIRM",
    "RULE_STALE_VERSION",
    "Action",
    "Decision",
    "DecisionResult",
    "DraftView",
    "IndependenceResult",
    "PracticeResult",
    "ScopeVerdict",
    "audit_log",
    "confirm_practice",
    "decide",
    "get_draft",
    "independence",
    "list_drafts",
    "log_practice",
    "practice_history",
    "review_stats",
]
