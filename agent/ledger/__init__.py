"""The ledger: drafts and decisions, practice, the audit log, and the independence check (a leaf package).

Modules: ``rules`` (what counts, its vocabulary, and "may this person be the hero now"), ``service``
(the writes, each under the rules), ``queries`` (read views), ``publish`` (files out), ``independence``
(the check), ``accounts`` (authenticated reviewers). Nothing here drives a workflow: recording a
decision and then advancing the draft is :func:`agent.drafting.decide`.

Public API (stable; the UI, the CLI and the Q&A engine call these):

- ``record_decision(ws, id, reviewer, decision: Decision, expected_version, channel) -> DecisionResult``
- ``list_drafts(ws, status=None, scope=None, kind=None, limit=50, offset=0, risks=None) -> (rows, total)``
- ``get_draft(ws, id) -> DraftView``
- ``log_practice(...)`` and ``confirm_practice(ws, entry_id, by_person_id)`` -> ``PracticeResult``
- ``record_distinct(ws, a, b, by)``: a non-hero settles that two look-alike people are different people
- ``practice_history``, ``independence``, ``audit_log``, ``review_stats``, ``publish``
"""

from __future__ import annotations

from agent.ledger.independence import IndependenceResult, ScopeVerdict, independence
from agent.ledger.publish import publish
from agent.ledger.queries import (
    DraftView,
    audit_log,
    draft_facets,
    get_draft,
    list_drafts,
    practice_history,
    review_stats,
)
from agent.ledger.rules import (
    OUTCOMES,
    PRACTICE_KINDS,
    RULE_APPROVED_ARTIFACT,
    RULE_AUTHENTICATED,
    RULE_HERO_IDENTITY,
    RULE_KNOWN_PERSON,
    RULE_NON_HERO_APPROVAL,
    RULE_SELF_CONFIRM,
    RULE_STALE_VERSION,
    LedgerRefusal,
    record_distinct,
)
from agent.ledger.service import PracticeResult, confirm_practice, log_practice, record_decision
from agent.review import Action, Decision, DecisionResult

__all__ = [
    "OUTCOMES",
    "PRACTICE_KINDS",
    "RULE_APPROVED_ARTIFACT",
    "RULE_AUTHENTICATED",
    "RULE_HERO_IDENTITY",
    "RULE_KNOWN_PERSON",
    "RULE_NON_HERO_APPROVAL",
    "RULE_SELF_CONFIRM",
    "RULE_STALE_VERSION",
    "Action",
    "Decision",
    "DecisionResult",
    "DraftView",
    "IndependenceResult",
    "LedgerRefusal",
    "PracticeResult",
    "ScopeVerdict",
    "audit_log",
    "confirm_practice",
    "draft_facets",
    "get_draft",
    "independence",
    "list_drafts",
    "log_practice",
    "practice_history",
    "publish",
    "record_decision",
    "record_distinct",
    "review_stats",
]
