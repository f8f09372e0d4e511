"""Rescue detection: precision and recall of rescued incidents against the planted rescues.

An incident is compared by its PagerDuty id, case-insensitively and without the source prefix, so a
postmortem of the same incident (``postmortem:qabc``) and its page (``pagerduty:QABC``) are one event.
Recall is over the planted rescues (pulled in by name, escalated or reassigned to a named person, or
advice applied by the on-call); a predicted rescue is correct when the truth planted a rescue or a chat
fix there (both are rescues by DESIGN.md's definition). Precision is gated. The second style's
escalations are scheduled escalations to the rotation's next level: a rescue found there is wrong. The
first style's escalations reach a named expert who is then assigned; DESIGN.md's definition (work
routed away from the on-call to a named person who resolves it) may count them, the first style's
truth does not, so they are left out of precision (counted in ``escalations_called_rescues``).
"""

from __future__ import annotations

from typing import Any

from evals.metrics import Metric, prf


def incident_id(key: str) -> str:
    """The bare incident id of an incident key: 'pagerduty:QABC' and 'postmortem:qabc' -> 'QABC'."""
    return key.split(":", 1)[-1].upper()


def score_org(org: Any) -> dict[str, Any]:
    """Predicted and planted rescued incidents of one organisation."""
    from agent.analytics import find_rescues

    with org.ws.session() as session:
        found = find_rescues(session)
    predicted = {incident_id(r.incident) for r in found}
    planted = {r.incident.upper() for r in org.truth.rescues}
    chat = {c.incident.upper() for c in org.truth.chat_fixes}
    escalated = {e.incident.upper() for e in org.truth.escalations}
    ambiguous = escalated if getattr(org.case, "style", "sample") == "sample" else set()
    return {
        "org": org.case.name,
        "tp": sorted(predicted & (planted | chat)),
        "fp": sorted(predicted - planted - chat - ambiguous),
        "fn": sorted(planted - predicted),
        "planted_found": len(predicted & planted),
        "chat_found": len(predicted & chat),
        "chat_total": len(chat),
        "escalations_called_rescues": sorted(predicted & escalated),
    }


def score(orgs: list[Any], thresholds: dict[str, float], dataset: str = "hero_matrix") -> list[Metric]:
    """Micro-averaged rescue precision and recall over the matrix."""
    per_org = [score_org(o) for o in orgs]
    tp = sum(len(r["tp"]) for r in per_org)
    fp = sum(len(r["fp"]) for r in per_org)
    found_planted = sum(r["planted_found"] for r in per_org)
    fn = sum(len(r["fn"]) for r in per_org)
    precision, _, _ = prf(tp, fp, 0)
    recall = found_planted / (found_planted + fn) if found_planted + fn else 1.0
    chat_total = sum(r["chat_total"] for r in per_org)
    chat_recall = sum(r["chat_found"] for r in per_org) / chat_total if chat_total else None
    missed = [f"{r['org']}: missed rescue {i}" for r in per_org for i in r["fn"]]
    wrong = [
        f"{r['org']}: not a planted rescue {i}"
        + (" (an escalation)" if i in r["escalations_called_rescues"] else "")
        for r in per_org
        for i in r["fp"]
    ]
    details = {
        "per_org": {r["org"]: {"tp": len(r["tp"]), "fp": len(r["fp"]), "fn": len(r["fn"])} for r in per_org}
    }
    return [
        Metric(
            "rescue.recall",
            recall,
            "Share of planted rescues (incident ids) the analytics find",
            thresholds.get("rescue.recall"),
            dataset=dataset,
            failing_cases=missed,
            details=details,
        ),
        Metric(
            "rescue.precision",
            precision,
            "Share of found rescues that are planted rescues or chat fixes",
            thresholds.get("rescue.precision"),
            dataset=dataset,
            failing_cases=wrong[:40],
            details={"false_positives": len(wrong)},
        ),
        Metric(
            "rescue.chat_fix_recall",
            chat_recall,
            "Share of planted chat-thread fixes found as rescues",
            thresholds.get("rescue.chat_fix_recall"),
            dataset=dataset,
        ),
    ]
