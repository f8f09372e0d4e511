"""The sample organisation, ingested for real: the map finds what the generator planted.

Every expectation is derived from ``ground_truth.json``: planted heroes and their scopes, balanced
and understaffed scopes, rescues, chat fixes and escalations, incident classes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.analytics import compute_map, find_rescues, patterns, whatif
from ingest.identity import resolve_person
from ingest.pipeline import ingest_paths
from ingest.sample.truth import GroundTruth
from ingest.workspace import Workspace

MIN_RESCUE_PRECISION = 0.9
"""Share of found rescues that the generator planted (rescues or chat fixes)."""

MIN_CLASS_ARI = 0.6
"""Adjusted Rand index of our incident classes against the planted ones (measured 0.91 at seed 7, clustered per service)."""


@pytest.fixture(scope="module")
def org(
    sample_org: Path, embedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, GroundTruth, dict]:
    truth = GroundTruth.model_validate_json((sample_org / "ground_truth.json").read_text())
    ws = Workspace.open(tmp_path_factory.mktemp("org-ws"), embedder=embedder)
    aliases = sample_org / truth.aliases_file if truth.aliases_file else None
    ingest_paths(ws, [sample_org], aliases=aliases)
    with ws.session() as s:
        ids = {p.id: resolve_person(s, p.emails[0]) for p in truth.people}
    return ws, truth, ids


@pytest.mark.slow
def test_planted_heroes_balance_and_understaffing(org) -> None:
    ws, truth, ids = org
    result = compute_map(ws)
    scopes = {s.scope: s for s in result.scopes}
    heroes = {h.person: h for h in result.heroes}
    services = {f"service:{s.name}": s for s in truth.services}
    assert truth.heroes
    for planted in truth.heroes:
        if planted.forms_at is not None:
            continue
        pid = ids[planted.person]
        assert pid in heroes, (
            f"planted {planted.kind} hero {planted.person} not found: {[h.person for h in result.heroes]}"
        )
        for scope in planted.scopes:
            assert scopes[scope].hero == pid, (scope, scopes[scope])
            svc = services.get(scope)
            if svc is not None and svc.critical:
                detail = next(d for d in heroes[pid].details if d.scope == scope)
                assert detail.kind == "dangerous", detail
    for scope in truth.balanced_scopes:
        if scope in scopes:
            assert scopes[scope].hero is None, scopes[scope]
    understaffed = {u.scope for u in result.understaffed}
    for scope in truth.understaffed_scopes:
        assert scope in understaffed, scope
        assert scopes[scope].hero is None
    hero_people = {h.person for h in result.heroes}
    assert hero_people <= {ids[h.person] for h in truth.heroes}, "a hero nobody planted"


@pytest.mark.slow
def test_planted_rescues_found(org) -> None:
    ws, truth, ids = org
    with ws.session() as s:
        rescues = find_rescues(s)
    found = {(r.incident, r.person) for r in rescues}
    planted = {(f"pagerduty:{r.incident}", ids[r.person]) for r in truth.rescues}
    chat = {(f"pagerduty:{r.incident}", ids[r.person]) for r in truth.chat_fixes}
    escalated = {(f"pagerduty:{r.incident}", ids[r.person]) for r in truth.escalations}
    assert planted and planted <= found, planted - found
    assert chat <= found, chat - found
    # the on-call escalates by hand ("this is beyond me") to the expert, who resolves: routed away to
    # a named person, a rescue by DESIGN.md (issue 15); a policy timeout to level 2 is not one
    by_hand = {(r.incident, r.person) for r in rescues if "escalated-to" in r.kind.split("+")}
    assert escalated <= by_hand, escalated - by_hand
    assert len(found & (planted | chat | escalated)) / len(found) >= MIN_RESCUE_PRECISION


@pytest.mark.slow
def test_whatif_and_classes(org) -> None:
    ws, truth, ids = org
    rescuer = next(h for h in truth.heroes if h.kind == "rescuer" and h.forms_at is None)
    result = whatif(ws, [ids[rescuer.person]])
    statuses = {s.scope: s.status for s in result.scopes}
    for scope in rescuer.scopes:
        assert statuses.get(scope) in {"lost", "fragile", "rescue-dependent"}, (scope, statuses)

    from sklearn.metrics import adjusted_rand_score
    from sqlalchemy import select

    from ingest.db import Incident

    p = patterns(ws)
    with ws.session() as s:
        got = dict(s.execute(select(Incident.key, Incident.incident_class)).all())
    pairs = [
        (truth.incident_classes[k.split(":", 1)[1]], c)
        for k, c in got.items()
        if k.startswith("pagerduty:") and k.split(":", 1)[1] in truth.incident_classes
    ]
    assert len(pairs) >= len(truth.incident_classes) * 0.9
    ari = adjusted_rand_score([a for a, _ in pairs], [b for _, b in pairs])
    assert ari >= MIN_CLASS_ARI, ari
    assert p.classes and p.rescue_patterns
    top = p.rescue_patterns[0]
    assert top.person in {ids[h.person] for h in truth.heroes}
