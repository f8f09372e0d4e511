"""Incident classes: adjusted Rand index of the clustering against the planted classes."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from evals.metrics import Metric
from evals.scorers.rescues import incident_id


def score(org: Any | None, thresholds: dict[str, float]) -> list[Metric]:
    """ARI over the org's PagerDuty incidents (each incident once, by its PagerDuty id)."""
    if org is None:
        return [
            Metric(
                "classes.ari",
                None,
                "Adjusted Rand index of incident classes vs planted classes",
                thresholds.get("classes.ari"),
                failing_cases=["no org with real embeddings was built"],
            )
        ]
    from sklearn.metrics import adjusted_rand_score

    from agent.analytics import classify_incidents

    mapping = classify_incidents(org.ws)
    predicted: dict[str, str] = {}
    for key, cls in mapping.items():
        if key.startswith("pagerduty:"):
            predicted[incident_id(key)] = cls
    planted = {k.upper(): v for k, v in org.truth.incident_classes.items()}
    common = sorted(set(planted) & set(predicted))
    ari = (
        float(adjusted_rand_score([planted[i] for i in common], [predicted[i] for i in common]))
        if common
        else None
    )
    # name the worst confusions: planted classes split over several found classes, or found classes mixing many
    found_by_planted: dict[str, Counter[str]] = defaultdict(Counter)
    for i in common:
        found_by_planted[planted[i]][predicted[i]] += 1
    mixed = Counter(predicted[i] for i in common)
    planted_in: dict[str, set[str]] = defaultdict(set)
    for i in common:
        planted_in[predicted[i]].add(planted[i])
    failing = [
        f"found class {c!r} mixes {len(planted_in[c])} planted classes ({mixed[c]} incidents)"
        for c, _ in mixed.most_common()
        if len(planted_in[c]) > 1
    ][:10]
    failing += [
        f"planted class {p!r} split over {len(f)} found classes"
        for p, f in sorted(found_by_planted.items())
        if len(f) > 1
    ][:10]
    return [
        Metric(
            "classes.ari",
            ari,
            "Adjusted Rand index of incident classes vs planted classes",
            thresholds.get("classes.ari"),
            dataset=f"hero_matrix ({org.case.name}, {org.case.set} set)",
            failing_cases=failing,
            details={
                "incidents": len(common),
                "planted_classes": len(set(planted.values())),
                "found_classes": len(set(predicted.values())),
                "missing_from_classification": len(set(planted) - set(predicted)),
            },
        )
    ]
