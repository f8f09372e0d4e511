"""Hero detection: precision, recall and F1 of (person, scope) pairs against the planted heroes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from evals.metrics import Metric, prf


def expected_pairs(truth: Any) -> set[tuple[str, str]]:
    """The planted (person, scope) hero pairs."""
    return {(h.person, scope) for h in truth.heroes for scope in h.scopes}


def late_window_start(truth: Any) -> datetime | None:
    """Where a mid-year concentration is scored from: the date the planted hero forms."""
    dates = [h.forms_at_date for h in truth.heroes if h.forms_at_date is not None]
    return datetime.combine(max(dates), time(), UTC) if dates else None


def predicted_pairs(org: Any, rule: Any | None = None) -> set[tuple[str, str]]:
    """The (truth person, scope) pairs the hero map names, over the case's window."""
    from agent.analytics import compute_map

    since = late_window_start(org.truth) if org.case.window == "late" else None
    result = compute_map(org.ws, since=since, rule=rule)
    return {(org.truth_person(h.person) or h.person, scope) for h in result.heroes for scope in h.scopes}


def score_org(org: Any, rule: Any | None = None) -> dict[str, Any]:
    """True positives, false positives and misses of one organisation."""
    want = expected_pairs(org.truth)
    got = predicted_pairs(org, rule)
    return {
        "org": org.case.name,
        "tp": sorted(want & got),
        "fp": sorted(got - want),
        "fn": sorted(want - got),
    }


def score(orgs: list[Any], thresholds: dict[str, float], rule: Any | None = None) -> list[Metric]:
    """Micro-averaged precision, recall and F1 over the matrix, with every miss named."""
    per_org = [score_org(o, rule) for o in orgs]
    tp = sum(len(r["tp"]) for r in per_org)
    fp = sum(len(r["fp"]) for r in per_org)
    fn = sum(len(r["fn"]) for r in per_org)
    precision, recall, f1 = prf(tp, fp, fn)
    failing = [f"{r['org']}: false positive {p} on {s}" for r in per_org for p, s in r["fp"]]
    failing += [f"{r['org']}: missed {p} on {s}" for r in per_org for p, s in r["fn"]]
    details = {
        "orgs": len(orgs),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "per_org": {r["org"]: {k: len(r[k]) for k in ("tp", "fp", "fn")} for r in per_org},
    }
    dataset = "hero_matrix.v1"
    return [
        Metric(
            "hero.f1",
            f1,
            "Hero detection F1 of (person, scope) pairs across the org matrix",
            thresholds.get("hero.f1"),
            dataset=dataset,
            failing_cases=failing,
            details=details,
        ),
        Metric(
            "hero.precision",
            precision,
            "Hero detection precision of (person, scope) pairs",
            thresholds.get("hero.precision"),
            dataset=dataset,
        ),
        Metric(
            "hero.recall",
            recall,
            "Hero detection recall of (person, scope) pairs",
            thresholds.get("hero.recall"),
            dataset=dataset,
        ),
    ]
