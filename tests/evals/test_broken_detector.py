"""A deliberately broken detector makes the suite fail: the hero scorer on one real generated org."""

from __future__ import annotations

import pytest

from agent.analytics import HeroRule
from evals.orgs import OrgCase, build_org
from evals.report import summary, summary_line
from evals.runner import load_thresholds
from evals.scorers import heroes


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """One generated organisation (default variant), ingested for real (facts only: stand-in vectors)."""
    case = OrgCase(name="broken-detector-s7", seed=7, variant="default", aliases="generated")
    return build_org(case, tmp_path_factory.mktemp("evals"))


def _f1(metrics):
    return next(m for m in metrics if m.name == "hero.f1")


def test_healthy_detector_finds_the_planted_heroes(org):
    thresholds, _ = load_thresholds()
    f1 = _f1(heroes.score([org], thresholds)).judge()
    assert f1.value is not None and f1.value >= 0.8, f1.failing_cases


def test_share_threshold_absurd_makes_the_suite_fail(org, monkeypatch):
    """Nobody can dominate a scope and no rescue count is enough: no hero is found, F1 fails its threshold."""
    import agent.analytics.heromap as heromap

    absurd = HeroRule(min_top_share=2.0, min_rescues=10**6, min_escalations_in=10**6)
    monkeypatch.setattr(heromap, "HeroRule", lambda: absurd)
    thresholds, _ = load_thresholds()
    metrics = [m.judge() for m in heroes.score([org], thresholds)]
    f1 = _f1(metrics)
    assert f1.value == 0.0 and f1.status == "fail"
    assert any("missed" in c for c in f1.failing_cases)
    passed, failed = summary(metrics)
    assert failed >= 1 and summary_line(metrics).endswith(f"{failed} failed")


def test_only_pages_weigh_lowers_f1(org, monkeypatch):
    """Resolving, fixing and rescuing weigh nothing (only being paged counts): the suite fails."""
    import agent.analytics.heromap as heromap
    from ingest import actions

    weights = {a: 0.0 for a in actions.DEFAULT_WEIGHTS} | {actions.NOTIFIED: 1.0}
    broken = HeroRule(weights=weights, rescue_bonus=0.0, min_rescues=10**6, min_escalations_in=10**6)
    monkeypatch.setattr(heromap, "HeroRule", lambda: broken)
    thresholds, _ = load_thresholds()
    f1 = _f1(heroes.score([org], thresholds)).judge()
    healthy = _f1(heroes.score([org], thresholds, rule=HeroRule())).judge()
    assert f1.value < healthy.value
    assert f1.status == "fail"
