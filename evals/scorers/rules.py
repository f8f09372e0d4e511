"""Review rules, property-based: random sequences of drafts, decisions, edits, practice and incidents, some by
a second, unmerged identity of the hero, checked against an oracle written from DESIGN.md ("Review gates
and what counts"), not from the ledger's code.

The oracle keeps its own model of every draft (version, status, who approved which version) and of
practice, from the operations alone; it never reads the ledger back. A violation is the ledger giving a
verdict above the oracle's (it counted something DESIGN.md says does not count). A verdict below the
oracle's is a disagreement (the ledger was stricter), reported but not a violation. Each sequence aims at
a verdict in turn (:data:`AIMS`: independent in half of them) with noise and attacks by the hero's
identities mixed in, so every verdict is reached. ``tests/evals/test_rules_property.py`` drives the same generator with hypothesis.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.ledger.rules import OUTCOMES, PRACTICE_KINDS
from evals.metrics import Metric

HERO_ALT = "p-grant-git"
"""A second, unmerged identity of the seeded hero: the same full name, seen in another source."""

OTHERS = ("p-ana", "p-bo", "p-cy")
"""The seeded people who are not the hero."""

PEOPLE = ("p-grant", HERO_ALT, *OTHERS)
"""Everyone a step may name (p-grant is the seeded hero)."""

DRAFT_KINDS = ("knowledge-pack", "runbook", "narrative")
DECISIONS = ("approve", "approve-with-edits", "request-changes", "reject")

VERDICTS = ("dependent", "documented-unpractised", "narrowing", "independent")
"""DESIGN.md's verdicts, weakest first."""

# The oracle's reading of DESIGN.md, written here on purpose rather than imported from the ledger.
MATERIAL_KINDS = ("knowledge-pack", "runbook")
"""DESIGN.md: practice counts only toward the scope of an approved knowledge pack or runbook."""

LEADING_KINDS = ("led-alone", "drill", "game-day")
"""Practice in which someone did the work without the hero."""

SUPPORTED_KINDS = ("led-with-support", *LEADING_KINDS)
"""Practice beyond shadowing."""

MIN_LEADERS = 2
"""People (not the hero) who must have led alone: one person who can is only a new hero."""

HERO_SHARE_MAX = 0.5
"""DESIGN.md: a falling share means the hero holds under half of recent incident work."""

NOISE_ATTACK_SHARE = 0.5
"""Share of noise steps that are attacks by the hero's identities (self-approval, edits, self-practice)."""


@dataclass
class Op:
    """One step of a sequence: ``kind`` is draft, decide, practice, confirm or incidents."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Oracle:
    """DESIGN.md's rules as a model of the sequence (never read back from the ledger)."""

    hero_ids: set[str]
    drafts: list[str] = field(default_factory=list)
    kind: dict[str, str] = field(default_factory=dict)
    version: dict[str, int] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    approvers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    entries: list[dict[str, Any]] = field(default_factory=list)
    resolved: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def same(self, a: str | None, b: str | None) -> bool:
        """Whether two identities are, or may be, one person."""
        return a is not None and b is not None and (a == b or {a, b} <= self.hero_ids)

    def approved_material(self) -> list[str]:
        return [
            d
            for d in self.drafts
            if self.kind[d] in MATERIAL_KINDS
            and self.status[d] == "approved"
            and self.approvers[d] - self.hero_ids
        ]

    def decide(self, d: str, reviewer: str, action: str) -> None:
        if self.status[d] not in ("pending", "awaiting"):
            return  # nothing decides an approved or rejected draft
        if action in ("approve", "approve-with-edits"):
            if action == "approve-with-edits":  # the edit is a new version that itself needs approval
                self.version[d] += 1
                self.approvers[d] = set()
            if reviewer in self.hero_ids:
                self.status[d] = "awaiting"
            else:
                self.status[d] = "approved"
                self.approvers[d].add(reviewer)
        elif action == "request-changes":
            self.version[d] += 1
            self.approvers[d] = set()
            self.status[d] = "pending"
        else:
            self.status[d] = "rejected"

    def practice(self, person: str, kind: str, outcome: str, confirmer: str | None) -> None:
        if not self.approved_material() or person in self.hero_ids or self.same(person, confirmer):
            return
        self.entries.append({"person": person, "kind": kind, "outcome": outcome, "confirmer": confirmer})

    def confirm(self, index: int, by: str) -> None:
        if not self.entries:
            return
        e = self.entries[index % len(self.entries)]
        if e["confirmer"] is None and not self.same(e["person"], by):
            e["confirmer"] = by

    def verdict(self) -> str:
        if not self.approved_material():
            return "dependent"
        counted = [e for e in self.entries if e["confirmer"] is not None and e["person"] not in self.hero_ids]
        supported = {
            e["person"] for e in counted if e["kind"] in SUPPORTED_KINDS and e["outcome"] != "failed"
        }
        if not supported:
            return "documented-unpractised"
        leaders = {e["person"] for e in counted if e["kind"] in LEADING_KINDS and e["outcome"] == "success"}
        total = sum(self.resolved.values())
        share = sum(n for p, n in self.resolved.items() if p in self.hero_ids) / total if total else 0.0
        return "independent" if len(leaders) >= MIN_LEADERS and share < HERO_SHARE_MAX else "narrowing"


def _noise(rng: random.Random) -> Op:
    hero = rng.choice(("p-grant", HERO_ALT))
    if rng.random() < NOISE_ATTACK_SHARE:
        return rng.choice(
            [
                Op("decide", {"draft": rng.randrange(3), "reviewer": hero, "action": "approve"}),
                Op("decide", {"draft": rng.randrange(3), "reviewer": hero, "action": "approve-with-edits"}),
                Op(
                    "practice",
                    {
                        "person": hero,
                        "kind": rng.choice(LEADING_KINDS),
                        "outcome": "success",
                        "confirmed_by": rng.choice(PEOPLE),
                    },
                ),
                Op("confirm", {"entry": rng.randrange(4), "by": rng.choice(PEOPLE)}),
                Op("incidents", {"person": hero, "count": rng.randint(1, 4)}),
            ]
        )
    r = rng.random()
    if r < 0.15:
        return Op("draft", {"kind": rng.choice(DRAFT_KINDS)})
    if r < 0.45:
        return Op(
            "decide",
            {"draft": rng.randrange(3), "reviewer": rng.choice(PEOPLE), "action": rng.choice(DECISIONS)},
        )
    if r < 0.75:
        return Op(
            "practice",
            {
                "person": rng.choice(PEOPLE),
                "kind": rng.choice(PRACTICE_KINDS),
                "outcome": rng.choice(OUTCOMES),
                "confirmed_by": rng.choice((None, *PEOPLE)),
            },
        )
    if r < 0.9:
        return Op("confirm", {"entry": rng.randrange(4), "by": rng.choice(PEOPLE)})
    return Op("incidents", {"person": rng.choice(PEOPLE), "count": rng.randint(1, 4)})


def _path(rng: random.Random, aim: str) -> list[Op]:
    """Steps that by themselves reach ``aim`` (noise and attacks are mixed in around them)."""
    a, b, c = rng.sample(OTHERS, 3)
    hero = rng.choice(("p-grant", HERO_ALT))
    approve = Op(
        "decide", {"draft": 0, "reviewer": a, "action": rng.choice(("approve", "approve-with-edits"))}
    )
    lead = rng.choice(LEADING_KINDS)
    incidents = [Op("incidents", {"person": a, "count": 6}), Op("incidents", {"person": b, "count": 6})]
    if aim == "dependent":
        return [
            Op(
                "decide",
                {"draft": 0, "reviewer": hero, "action": rng.choice(("approve", "approve-with-edits"))},
            ),
            Op("practice", {"person": a, "kind": lead, "outcome": "success", "confirmed_by": b}),
            *incidents,
        ]
    if aim == "documented-unpractised":
        return [
            approve,
            Op("practice", {"person": b, "kind": "shadowed", "outcome": "success", "confirmed_by": c}),
        ]
    first = Op("practice", {"person": a, "kind": lead, "outcome": "success", "confirmed_by": b})
    if aim == "narrowing":
        return [approve, first, *incidents]
    second = Op(
        "practice", {"person": b, "kind": rng.choice(LEADING_KINDS), "outcome": "success", "confirmed_by": c}
    )
    return [approve, first, second, *incidents]


AIMS = ("independent", "narrowing", "independent", "documented-unpractised", "independent", "dependent")
"""What the sequences of a run aim at, in turn: every verdict, independent in half of them."""


def random_ops(rng: random.Random, length: int, aim: str | None = None) -> list[Op]:
    """A sequence starting with a draft: a path toward ``aim`` (a verdict) with noise and attacks mixed in,
    or, without an aim, all random steps."""
    ops = [Op("draft", {"kind": rng.choice(MATERIAL_KINDS)})]
    if aim is None:
        return ops + [_noise(rng) for _ in range(length - 1)]
    path = _path(rng, aim)
    noise = [_noise(rng) for _ in range(max(length - 1 - len(path), 0))]
    body: list[Op] = []
    while path or noise:
        take_path = path and (not noise or rng.random() < len(path) / (len(path) + len(noise)))
        body.append(path.pop(0) if take_path else noise.pop(0))
    return ops + body


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


def run_sequence(ws: Any, data: dict[str, Any], ops: list[Op]) -> tuple[str, list[str], str]:
    """Apply ``ops`` to a seeded workspace; (the ledger's verdict, violations, the oracle's verdict)."""
    from agent.drafting import decide, start_drafts
    from agent.ledger import Action, Decision, confirm_practice, get_draft, independence, log_practice

    scope = data["scope"]
    o = Oracle(hero_ids={data["hero"], HERO_ALT})
    o.resolved.update(data["incidents"])
    api_entries: list[int] = []
    n_incidents = 1000
    for op in ops:
        a = op.args
        if op.kind == "draft":
            for d in start_drafts(ws, scope=scope, kind=a["kind"]):
                if d not in o.kind:  # an open draft of that kind is not drafted twice
                    o.drafts.append(d)
                    o.kind[d], o.version[d], o.status[d] = a["kind"], 1, "pending"
        elif op.kind == "decide" and o.drafts:
            did = o.drafts[a["draft"] % len(o.drafts)]
            view = get_draft(ws, did)  # the reviewer reads the draft as it is
            action = Action(a["action"])
            decision = Decision(
                action=action,
                text="eval sequence" if action in (Action.REJECT, Action.REQUEST_CHANGES) else None,
                edited_markdown=view.markdown + "\nedited" if action is Action.APPROVE_WITH_EDITS else None,
            )
            decide(ws, did, a["reviewer"], decision, view.version)
            o.decide(did, a["reviewer"], a["action"])
        elif op.kind == "practice":
            res = log_practice(
                ws, a["person"], scope, a["kind"], a["outcome"], confirmed_by=a["confirmed_by"]
            )
            if res.outcome == "ok" and res.id is not None:
                api_entries.append(res.id)
            o.practice(a["person"], a["kind"], a["outcome"], a["confirmed_by"])
        elif op.kind == "confirm":
            if api_entries:
                confirm_practice(ws, api_entries[a["entry"] % len(api_entries)], a["by"])
            o.confirm(a["entry"], a["by"])
        elif op.kind == "incidents":
            _add_incidents(ws, scope, a["person"], a["count"], n_incidents)
            n_incidents += a["count"]
            o.resolved[a["person"]] += a["count"]
    verdict = independence(ws, scope=scope).scopes[0]
    if verdict.hero and verdict.hero not in o.hero_ids:  # the hero is judged now: the map's hero counts too
        o.hero_ids.add(verdict.hero)
    expected = o.verdict()
    violations: list[str] = []
    if VERDICTS.index(verdict.verdict) > VERDICTS.index(expected):
        violations.append(f"the ledger says {verdict.verdict} where DESIGN.md allows at most {expected}")
    return verdict.verdict, violations, expected


def seed_hero_alt(ws: Any, data: dict[str, Any]) -> None:
    """The hero's second identity: the same full name, another email and handle, from another source."""
    from ingest.db import Alias, Person

    hero = data["people"][data["hero"]]
    with ws.session() as s:
        s.add(Person(id=HERO_ALT, name=hero["name"], email="grant.s@forge.example"))
        s.flush()
        for kind, space, value in (
            ("email", "", "grant.s@forge.example"),
            ("handle", "forge", "grant-forge"),
            ("name", "forge", hero["name"].lower()),
        ):
            s.add(
                Alias(person_id=HERO_ALT, kind=kind, space=space, value=value, display=value, source="eval")
            )


def new_workspace(root: Path, name: str, data: dict[str, Any], embedder: Any) -> Any:
    """A fresh seeded workspace for one sequence (offline drafter forced), with the hero's second identity."""
    from evals.scorers.drafting import seed
    from ingest.workspace import Workspace

    ws = Workspace.open(root / name, embedder=embedder, offline=True)
    seed(ws, data, injection=False)
    seed_hero_alt(ws, data)
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
    """Run ``sequences`` random sequences; report violations (and the verdicts reached)."""
    rng = random.Random(seed_value)
    verdicts: dict[str, int] = defaultdict(int)
    failing: list[str] = []
    disagreements: list[str] = []
    started = time.perf_counter()
    for i in range(sequences):
        ops = random_ops(rng, length, AIMS[i % len(AIMS)])
        ws = new_workspace(root, f"rules-{i}", data, embedder)
        verdict, violations, expected = run_sequence(ws, data, ops)
        verdicts[verdict] += 1
        steps = ", ".join(op.kind for op in ops)
        failing += [f"sequence {i} ({steps}): {v}" for v in violations]
        if verdict != expected and not violations:
            disagreements.append(f"sequence {i}: the ledger says {verdict}, the oracle {expected}")
    return [
        Metric(
            "rules.violations",
            float(len(failing)),
            f"Verdicts above what DESIGN.md allows over {sequences} random sequences of drafts, decisions, "
            f"edits, practice and incidents, with a second identity of the hero (verdicts: {dict(verdicts)})",
            thresholds.get("rules.violations"),
            direction="max",
            dataset="review_rules.v1",
            failing_cases=failing,
            details={
                "sequences": sequences,
                "length": length,
                "verdicts": dict(verdicts),
                "independent_share": round(verdicts["independent"] / sequences, 3) if sequences else 0.0,
                "disagreements": disagreements,
                "seconds": round(time.perf_counter() - started, 1),
            },
        )
    ]
