"""Review rules, property-based: random sequences of drafts, decisions, practice and incidents never make a
scope ``independent`` without (1) approved material approved by someone other than the hero, (2) confirmed
practice by people other than the hero, and (3) the hero's share of recent incidents below half.

The oracle is kept from the API's own answers as the sequence runs (not read back from the ledger), and the
hero is the one the verdict names. ``tests/evals/test_rules_property.py`` drives the same operations with
hypothesis; the eval runner draws a bounded number of sequences with a seeded ``random.Random``.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evals.metrics import Metric

PEOPLE = ("p-grant", "p-ana", "p-bo", "p-cy")
"""The seeded people (p-grant is the seeded hero)."""

DRAFT_KINDS = ("knowledge-pack", "runbook", "narrative")
DECISIONS = ("approve", "approve-with-edits", "request-changes", "reject")
PRACTICE_KINDS = ("shadowed", "led-with-support", "led-alone", "drill", "game-day")
OUTCOMES = ("success", "partial", "failed")

HERO_SHARE_MAX = 0.5
"""DESIGN.md: a falling share means the hero holds under half of recent incident work."""

RECENT_DAYS = 90
"""Incidents this recent count toward the hero's share (the ledger's incident window)."""


@dataclass
class Op:
    """One step of a sequence: ``kind`` is draft, decide, practice, confirm or incidents."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Oracle:
    """What the sequence has established, from the API's own answers."""

    drafts: list[str] = field(default_factory=list)
    draft_kind: dict[str, str] = field(default_factory=dict)
    approvers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    entries: list[int] = field(default_factory=list)
    entry_person: dict[int, str] = field(default_factory=dict)
    confirmed_by: dict[int, str] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def random_ops(rng: random.Random, length: int) -> list[Op]:
    """A random sequence, biased so that some reach approval and practice."""
    ops: list[Op] = [Op("draft", {"kind": rng.choice(DRAFT_KINDS[:2])})]
    for _ in range(length - 1):
        r = rng.random()
        if r < 0.15:
            ops.append(Op("draft", {"kind": rng.choice(DRAFT_KINDS)}))
        elif r < 0.45:
            ops.append(
                Op(
                    "decide",
                    {
                        "draft": rng.randrange(4),
                        "reviewer": rng.choice(PEOPLE),
                        "action": rng.choice(DECISIONS),
                    },
                )
            )
        elif r < 0.7:
            ops.append(
                Op(
                    "practice",
                    {
                        "person": rng.choice(PEOPLE),
                        "kind": rng.choice(PRACTICE_KINDS),
                        "outcome": rng.choice(OUTCOMES),
                        "confirmed_by": rng.choice((None, *PEOPLE)),
                    },
                )
            )
        elif r < 0.85:
            ops.append(Op("confirm", {"entry": rng.randrange(4), "by": rng.choice(PEOPLE)}))
        else:
            ops.append(Op("incidents", {"person": rng.choice(PEOPLE), "count": rng.randint(1, 6)}))
    return ops


def _add_incidents(ws: Any, scope: str, person: str, count: int, start: int) -> None:
    from evals.seeding import add_resolved_incident

    when = datetime.now(UTC) - timedelta(days=5)
    with ws.session() as s:
        for i in range(count):
            key = f"SEQ-{start + i}"
            add_resolved_incident(
                s,
                key=key,
                scope=scope,
                person=person,
                title=f"payments 5xx {key}",
                when=when,
                path="/evals/seq.json",
                duration=timedelta(minutes=20),
            )


def run_sequence(ws: Any, data: dict[str, Any], ops: list[Op]) -> tuple[str, list[str]]:
    """Apply ``ops`` to a seeded workspace; (final verdict, rule violations found)."""
    from agent.drafting import decide, start_drafts
    from agent.ledger import Action, Decision, confirm_practice, get_draft, independence, log_practice

    scope = data["scope"]
    o = Oracle()
    o.resolved.update(data["incidents"])
    n_incidents = 1000
    for op in ops:
        a = op.args
        if op.kind == "draft":
            ids = start_drafts(ws, scope=scope, kind=a["kind"])
            for d in ids:
                o.drafts.append(d)
                o.draft_kind[d] = a["kind"]
        elif op.kind == "decide" and o.drafts:
            did = o.drafts[a["draft"] % len(o.drafts)]
            view = get_draft(ws, did)
            action = Action(a["action"])
            decision = Decision(
                action=action,
                text="eval sequence" if action in (Action.REJECT, Action.REQUEST_CHANGES) else None,
                edited_markdown=view.markdown + "\nedited" if action is Action.APPROVE_WITH_EDITS else None,
            )
            result = decide(ws, did, a["reviewer"], decision, view.version)
            if result.outcome == "ok" and action in (Action.APPROVE, Action.APPROVE_WITH_EDITS):
                o.approvers[did].add(result.reviewer or a["reviewer"])
            if result.outcome == "ok" and action in (Action.REQUEST_CHANGES, Action.REJECT):
                o.approvers.pop(did, None)  # a new version (or a rejection) needs approving again
        elif op.kind == "practice":
            res = log_practice(
                ws, a["person"], scope, a["kind"], a["outcome"], confirmed_by=a["confirmed_by"]
            )
            if res.outcome == "ok" and res.id is not None:
                o.entries.append(res.id)
                o.entry_person[res.id] = a["person"]
                if a["confirmed_by"]:
                    o.confirmed_by[res.id] = a["confirmed_by"]
        elif op.kind == "confirm" and o.entries:
            eid = o.entries[a["entry"] % len(o.entries)]
            res = confirm_practice(ws, eid, a["by"])
            if res.outcome == "ok" and eid not in o.confirmed_by:
                o.confirmed_by[eid] = a["by"]
        elif op.kind == "incidents":
            _add_incidents(ws, scope, a["person"], a["count"], n_incidents)
            n_incidents += a["count"]
            o.resolved[a["person"]] += a["count"]
    verdict = independence(ws, scope=scope).scopes[0]
    violations: list[str] = []
    if verdict.verdict == "independent":
        hero = verdict.hero
        material = [
            d
            for d in o.drafts
            if o.draft_kind[d] in ("knowledge-pack", "runbook")
            and any(p != hero for p in o.approvers.get(d, set()))
        ]
        if not material:
            violations.append("independent without approved material approved by a non-hero")
        confirmed = [
            e for e, by in o.confirmed_by.items() if by != o.entry_person[e] and o.entry_person[e] != hero
        ]
        if not confirmed:
            violations.append("independent without confirmed practice by a non-hero")
        total = sum(o.resolved.values())
        share = o.resolved.get(hero or "", 0) / total if total else 0.0
        if hero is not None and share >= HERO_SHARE_MAX:
            violations.append(f"independent while the hero {hero} holds {share:.0%} of recent incidents")
    return verdict.verdict, violations


def new_workspace(root: Path, name: str, data: dict[str, Any], embedder: Any) -> Any:
    """A fresh seeded workspace for one sequence (offline drafter forced)."""
    from evals.scorers.drafting import seed
    from ingest.workspace import Workspace

    ws = Workspace.open(root / name, embedder=embedder, offline=True)
    seed(ws, data, injection=False)
    return ws


def score(
    root: Path,
    data: dict[str, Any],
    embedder: Any,
    sequences: int,
    length: int,
    seed_value: int,
    thresholds: dict[str, float],
) -> list[Metric]:
    """Run ``sequences`` random sequences; report sequences tried / violations."""
    rng = random.Random(seed_value)
    tried = 0
    verdicts: dict[str, int] = defaultdict(int)
    failing: list[str] = []
    started = time.perf_counter()
    for i in range(sequences):
        ops = random_ops(rng, length)
        ws = new_workspace(root, f"rules-{i}", data, embedder)
        verdict, violations = run_sequence(ws, data, ops)
        tried += 1
        verdicts[verdict] += 1
        for v in violations:
            failing.append(f"sequence {i} ({', '.join(op.kind for op in ops)}): {v}")
    violations_n = len(failing)
    return [
        Metric(
            "rules.violations",
            float(violations_n),
            f"Rule violations over {tried} random sequences of drafts, decisions, practice and incidents "
            f"(sequences tried / violations: {tried} / {violations_n})",
            thresholds.get("rules.violations"),
            direction="max",
            dataset="review_rules.v1",
            failing_cases=failing,
            details={
                "sequences": tried,
                "length": length,
                "verdicts": dict(verdicts),
                "seconds": round(time.perf_counter() - started, 1),
            },
        )
    ]
