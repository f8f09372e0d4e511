"""Scorers stricter than the product: people by the product's own merges, citations by the scorer's
own entailment, rescue precision gated, and only the test set of hero_matrix.v2 gated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evals import runner
from evals.metrics import Metric
from evals.orgs import MERGED, SPLIT, OrgCase, build_org
from evals.scorers import drafting, heroes, rescues

MATRIX = Path(runner.DATASETS) / f"{runner.HERO_MATRIX}.yaml"


@pytest.fixture(scope="module")
def split_org(tmp_path_factory):
    """A first-style org whose people's second identities only the aliases file links: without it.

    (The second style's split heroes carry accounts that spell their names alike, which the product
    now links without the file: ``ingest.identity.spells_name``.)"""
    case = OrgCase(name="split-none", seed=4, variant="unmerged", style="sample", aliases="none", scale=0.4)
    return build_org(case, tmp_path_factory.mktemp("split"))


@pytest.fixture(scope="module")
def merged_org(tmp_path_factory):
    """The same org with an aliases file that wrongly merges two heroes into one person."""
    root = tmp_path_factory.mktemp("merged")
    case = OrgCase(name="merged", seed=4, variant="split", style="sample2", aliases="none", scale=0.4)
    org = build_org(case, root)
    a, b = (org.truth.person(h.person) for h in org.truth.heroes[:2])
    path = root / "wrong-aliases.yaml"
    path.write_text(yaml.safe_dump({"people": [{"name": a.name, "aliases": [*a.emails, *b.emails]}]}))
    from ingest.pipeline import ingest_paths

    ingest_paths(org.ws, [org.out_dir], aliases=path)
    from evals.orgs import map_people

    org.person_map = map_people(org.ws, org.truth)
    return org, a.id, b.id


def test_a_person_the_product_split_matches_nobody(split_org):
    split_heroes = {a.person for a in split_org.truth.aliases if a.needs_aliases_file}
    assert split_heroes
    values = set(split_org.person_map.values())
    for person in split_heroes:
        assert f"{SPLIT}{person}" in values
        assert person not in values


def test_a_split_hero_named_on_their_scope_is_a_miss_not_a_hit(split_org, monkeypatch):
    hero = split_org.truth.heroes[0]
    pair = (f"{SPLIT}{hero.person}", hero.scopes[0])
    monkeypatch.setattr(heroes, "predicted_pairs", lambda org, rule=None: {pair})
    result = heroes.score_org(split_org)
    assert (hero.person, hero.scopes[0]) in result["fn"] and not result["tp"] and not result["fp"]


def test_a_wrongly_merged_pair_is_a_false_person(merged_org, monkeypatch):
    org, a, b = merged_org
    merged = f"{MERGED}{'+'.join(sorted((a, b)))}"
    assert merged in set(org.person_map.values())
    scope = next(h.scopes[0] for h in org.truth.heroes if h.person == a)
    monkeypatch.setattr(heroes, "predicted_pairs", lambda o, rule=None: {(merged, scope)})
    result = heroes.score_org(org)
    assert result["fp"] == [(merged, scope)] and (a, scope) in result["fn"]


def test_citation_validity_ignores_the_products_flag():
    evidence = {
        "c1": {"text": "Grant: restart the pgbouncer pods with `kubectl rollout restart deploy/pgbouncer`"}
    }
    invented = {"text": "The warehouse moved to Oracle in 2019.", "citations": ["c1"], "supported": True}
    paraphrase = {"text": "Restart the pgbouncer pods.", "citations": ["c1"], "supported": False}
    wrong_cmd = {"text": "Run `kubectl delete pod pgbouncer-0`.", "citations": ["c1"], "supported": True}
    wrong_number = {"text": "Restart the pgbouncer pods 3 times.", "citations": ["c1"], "supported": True}
    assert not drafting.claim_valid(invented, evidence)
    assert drafting.claim_valid(paraphrase, evidence)
    assert not drafting.claim_valid(wrong_cmd, evidence)
    assert not drafting.claim_valid(wrong_number, evidence)
    assert not drafting.claim_valid({**paraphrase, "citations": ["c-missing"]}, evidence)


def test_rescue_precision_is_gated():
    values, directions = runner.load_thresholds()
    targets = yaml.safe_load(runner.THRESHOLDS.read_text(encoding="utf-8"))["targets"]
    assert directions["rescue.precision"] == "min" and targets["rescue.precision"] >= 0.9
    assert 0 < values["rescue.precision"] <= targets["rescue.precision"]  # a floor, never above the target


def test_matrix_splits_tuning_and_test_with_nothing_in_both():
    cases = yaml.safe_load(MATRIX.read_text())["cases"]
    sets = {c["set"] for c in cases}
    assert sets == {"tune", "test"}
    by = {s: [c for c in cases if c["set"] == s] for s in sets}
    assert not {c["seed"] for c in by["tune"]} & {c["seed"] for c in by["test"]}
    variants = {s: {(c.get("style", "sample"), c["variant"]) for c in by[s]} for s in sets}
    assert not variants["tune"] & variants["test"]
    assert any(c.get("style") == "sample2" for c in by["test"]) and any(
        c.get("style") == "sample2" for c in by["tune"]
    )


def test_tuning_figures_are_reported_never_gated():
    (m,) = runner.as_tuning([Metric("hero.f1", 0.1, "Hero F1", 0.95)])
    assert m.name == "tune.hero.f1" and m.judge().status == "info"


def test_rescues_off_fail_the_gate_on_a_test_set_org(tmp_path, monkeypatch):
    """A deliberately broken rescue detector fails rescue recall on a test-set organisation."""
    case = next(c for c in yaml.safe_load(MATRIX.read_text())["cases"] if c["name"] == "small-team-s43")
    assert case["set"] == "test"
    org = build_org(OrgCase.from_dict(case), tmp_path)
    thresholds, _ = runner.load_thresholds()
    healthy = next(m for m in rescues.score([org], thresholds) if m.name == "rescue.recall").judge()
    assert healthy.status == "pass", healthy.failing_cases[:3]
    import agent.analytics as analytics

    monkeypatch.setattr(analytics, "find_rescues", lambda session, since=None, until=None: [])
    broken = next(m for m in rescues.score([org], thresholds) if m.name == "rescue.recall").judge()
    assert broken.value == 0.0 and broken.status == "fail"


def test_an_advice_rescue_found_counts_once_toward_recall(monkeypatch):
    """A rescue planted as advice is also a chat fix: finding one of two makes rescue recall one half."""
    import contextlib
    from types import SimpleNamespace as NS

    import agent.analytics as analytics

    truth = NS(
        rescues=[NS(incident="QADV"), NS(incident="QADV2")],
        chat_fixes=[NS(incident="QADV"), NS(incident="QADV2")],
        escalations=[],
    )
    ws = NS(session=contextlib.nullcontext)
    org = NS(case=NS(name="fake", style="sample2"), truth=truth, ws=ws)
    monkeypatch.setattr(analytics, "find_rescues", lambda session: [NS(incident="pagerduty:QADV")])
    recall = next(m for m in rescues.score([org], {}) if m.name == "rescue.recall")
    assert recall.value == 0.5
