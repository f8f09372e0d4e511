"""Review statistics from the ledger: shares of drafts approved as is, with edits, and rejected (informational)."""

from __future__ import annotations

from typing import Any

from evals.metrics import Metric


def score(workspaces: list[Any]) -> list[Metric]:
    """Pool ``review_stats`` over the eval's workspaces (the rule sequences decide many drafts)."""
    from agent.ledger import review_stats

    totals = {"approved_as_is": 0, "approved_with_edits": 0, "rejected": 0, "changes_requested": 0}
    for ws in workspaces:
        for k, v in review_stats(ws).items():
            totals[k] = totals.get(k, 0) + int(v)
    final = totals["approved_as_is"] + totals["approved_with_edits"] + totals["rejected"]
    out = []
    for key, label in (
        ("approved_as_is", "approved as is"),
        ("approved_with_edits", "approved with edits"),
        ("rejected", "rejected"),
    ):
        out.append(
            Metric(
                f"review.{key}",
                totals[key] / final if final else None,
                f"Share of decided drafts {label} (informational)",
                None,
                dataset="ledger",
                details={"count": totals[key], "decided": final, **totals},
            )
        )
    return out
