"""Labels that qualify a hero without hiding one: understaffed scopes and historical concentrations."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from agent.analytics import compute_map
from agent.analytics.heroes import judge_scope
from agent.analytics.metrics import PersonStats, ScopeStats
from agent.analytics.rules import HeroRule
from agent.cli import app
from agent.drafting import facts as drafting_facts
from agent.scan.signals import compare, measure

from .builders import T0, Facts

D = timedelta(days=1)
H = timedelta(hours=1)
OTHERS = [f"c{i:02d}" for i in range(49)]


def _ops_repo(f: Facts, scope: str = "repo:ops") -> None:
    """The shape of a public ops repository: one person 62% of the commits, one 25%, 49 others the rest."""
    for p in ("matt", "tom", *OTHERS):
        f.person(p, tz="UTC")
    rows = [("matt", scope, "commit", T0 + i * H) for i in range(620)]
    rows += [("tom", scope, "commit", T0 + i * H) for i in range(255)]
    # 49 occasional contributors: 27 with three commits, 22 with two (1,000 commits in all)
    rows += [
        (p, scope, "commit", T0 + (i * 7 + k) * H)
        for i, p in enumerate(OTHERS)
        for k in range(3 if i < 27 else 2)
    ]
    f.acts(rows)


def test_understaffing_labels_the_hero_it_used_to_hide() -> None:
    st = ScopeStats("repo:ops")
    st.people["matt"] = PersonStats(weight=62.0, events=62)
    st.people["tom"] = PersonStats(weight=25.0, events=25)
    for p in OTHERS[:13]:
        st.people[p] = PersonStats(weight=1.0, events=1)
    judged = judge_scope(st, HeroRule())
    # two people carry 87% (both over a quarter): too small to rotate, and one of them carries most of it
    assert judged.understaffed and judged.team == ["matt", "tom"]
    assert judged.hero == "matt" and judged.triggers == ["share"]
    # an even pair (52/35) stays a pair: understaffed, nobody named
    st.people["matt"].weight, st.people["tom"].weight = 52.0, 35.0
    even = judge_scope(st, HeroRule())
    assert even.understaffed and even.hero is None


def test_ops_repository_names_its_hero_and_drafts_no_transfer_plan_there(facts: Facts) -> None:
    _ops_repo(facts)
    # a second scope with a rotation of four and a clear hero: transfer plans are drafted there
    facts.acts(
        [("c01", "service:api", "resolved", T0 + i * D) for i in range(12)]
        + [(p, "service:api", "resolved", T0 + i * D) for p in ("c02", "c03", "c04") for i in range(2)]
    )
    result = compute_map(facts.ws)
    ops = next(s for s in result.scopes if s.scope == "repo:ops")
    assert ops.hero == "matt" and ops.understaffed and ops.bus_factor == 1 and ops.people == 51
    assert [u.scope for u in result.understaffed] == ["repo:ops"]
    matt = next(h for h in result.heroes if h.person == "matt")
    assert [(d.scope, d.understaffed) for d in matt.details] == [("repo:ops", True)]
    kinds = ["knowledge-pack", "runbook", "transfer-plan", "rotation-plan"]
    assert drafting_facts.draft_kinds(facts.ws, "repo:ops", kinds) == [
        "knowledge-pack",
        "runbook",
        "rotation-plan",
    ]
    assert drafting_facts.draft_kinds(facts.ws, "service:api", kinds) == kinds


def test_a_folder_quiet_for_years_is_a_historical_concentration(facts: Facts, plain_ws) -> None:
    for p in ("old", "new", "x", "y"):
        facts.person(p, tz="UTC")
    # path:infra/puppet: old's work, last touched three years before the data ends (a deleted folder)
    facts.acts(
        [("old", "path:infra/puppet", "commit", T0 + i * D) for i in range(30)]
        + [("x", "path:infra/puppet", "commit", T0 + 31 * D)]
    )
    late = T0 + 3 * 365 * D
    facts.acts(
        [("new", "path:infra/k8s", "commit", late + i * D) for i in range(30)]
        + [("y", "path:infra/k8s", "commit", late + 31 * D)]
    )
    result = compute_map(facts.ws)
    scopes = {s.scope: s for s in result.scopes}
    assert scopes["path:infra/puppet"].historical and scopes["path:infra/puppet"].hero == "old"
    assert scopes["path:infra/puppet"].last_activity.date() == (T0 + 31 * D).date()
    assert not scopes["path:infra/k8s"].historical
    heroes = {h.person: h for h in result.heroes}
    assert heroes["old"].historical and not heroes["new"].historical
    assert [h.person for h in result.heroes] == ["new", "old"]  # current concentrations first
    # historical heroes drive no drafts and no scan alarms
    assert drafting_facts.hero_scopes(facts.ws) == ["path:infra/k8s"]
    findings = compare(None, measure(facts.ws, []))
    assert {(f["kind"], f["scope"]) for f in findings if f["kind"] == "new-hero"} == {
        ("new-hero", "path:infra/k8s")
    }
    # map --json carries the label, and the table shows it
    home = str(plain_ws.home)
    res = CliRunner().invoke(app, ["--home", home, "map", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    row = next(s for s in data["scopes"] if s["scope"] == "path:infra/puppet")
    assert row["historical"] is True and row["last_activity"].startswith((T0 + 31 * D).date().isoformat())
    res = CliRunner().invoke(app, ["--home", home, "map"], env={"COLUMNS": "220"})
    assert res.exit_code == 0 and "old (historical)" in res.stdout
