"""Hero detection: precision, recall and F1 of (person, scope) pairs against the planted heroes.

People are matched by the product's own merges (``evals.orgs.map_people``): a hero the product split
over several people is a miss, a hero named on a wrongly merged person is a false hero, and a bot or a
chatty manager named a hero is a false hero like any other (the failing cases say which).
"""

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


def why_wrong(org: Any, person: str) -> str:
    """A note on a false or missed hero's person: split, merged, a bot, a chatty manager."""
    from evals.orgs import MERGED, SPLIT

    if person.startswith(SPLIT):
        return " (the product split this person)"
    if person.startswith(MERGED):
        return " (the product merged several people into one)"
    if person in set(getattr(org.truth, "chatty_managers", []) or []):
        return " (a chatty manager)"
    if person.lower() in {b.id.lower() for b in org.truth.bots} | {b.name.lower() for b in org.truth.bots}:
        return " (a bot)"
    if person not in {p.id for p in org.truth.people}:
        return " (nobody in the truth)"
    return ""


def score_org(org: Any, rule: Any | None = None) -> dict[str, Any]:
    """True positives, false positives and misses of one organisation."""
    from evals.orgs import SPLIT

    want = expected_pairs(org.truth)
    got = predicted_pairs(org, rule)
    # a split hero named on their own scope is one error, the miss; on any other scope it is also false
    split_on_own = {(p, s) for p, s in got if p.startswith(SPLIT) and (p[len(SPLIT) :], s) in want}
    return {
        "org": org.case.name,
        "tp": sorted(want & got),
        "fp": sorted(got - want - split_on_own),
        "fn": sorted(want - got),
        "split": sorted((p[len(SPLIT) :], s) for p, s in split_on_own),
    }


def score(
    orgs: list[Any], thresholds: dict[str, float], rule: Any | None = None, dataset: str = "hero_matrix"
) -> list[Metric]:
    """Micro-averaged precision, recall and F1 over the matrix, with every miss named."""
    per_org = [score_org(o, rule) for o in orgs]
    tp = sum(len(r["tp"]) for r in per_org)
    fp = sum(len(r["fp"]) for r in per_org)
    fn = sum(len(r["fn"]) for r in per_org)
    precision, recall, f1 = prf(tp, fp, fn)
    by_name = {o.case.name: o for o in orgs}
    split = {(r["org"], p) for r in per_org for p, _ in r["split"]}
    failing = [
        f"{r['org']}: false positive {p} on {s}{why_wrong(by_name[r['org']], p)}"
        for r in per_org
        for p, s in r["fp"]
    ]
    failing += [
        f"{r['org']}: missed {p} on {s}"
        + (" (the product split this person; a fragment was named)" if (r["org"], p) in split else "")
        for r in per_org
        for p, s in r["fn"]
    ]
    details = {
        "orgs": len(orgs),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "per_org": {r["org"]: {k: len(r[k]) for k in ("tp", "fp", "fn")} for r in per_org},
    }
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
