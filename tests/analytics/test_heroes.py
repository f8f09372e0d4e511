"""The hero rule, labels, understaffing, risk order, what-if, trends and the CLI, on hand-made orgs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from agent.analytics import HeroRule, compute_map, hero_of, monthly_trends, person_share, whatif
from agent.cli import app

from .builders import T0, Facts

H = timedelta(hours=1)
D = timedelta(days=1)
NIGHT = timedelta(hours=13)  # T0 + 13h = 23:00 UTC


def _scope(result, name):
    return next(s for s in result.scopes if s.scope == name)


def build_org(f: Facts) -> None:
    """payments: alice resolves most incidents at night; reports: alice's documented daytime specialty;
    search: a flat team of four; tiny: three events; ledger: two people on a two-person schedule share it all."""
    for p in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
        f.person(p, tz="UTC")
    pay = "service:payments"
    for i in range(12):
        key = f.incident(
            f"pd:p{i}", pay, T0 + i * D + NIGHT, title="payments gateway timeout", severity="critical"
        )
        f.act("bob", pay, "assigned", T0 + i * D + NIGHT, incident=key)
        f.act("bob", pay, "acknowledged", T0 + i * D + NIGHT, incident=key)
        resolver = "alice" if i < 10 else "bob"
        f.act(resolver, pay, "resolved", T0 + i * D + NIGHT + H, incident=key)
    rep = "service:reports"
    f.incident("pd:r1", rep, T0, title="report export slow", severity="low")
    f.incident("pd:r2", rep, T0 + 40 * D, title="report export slow", severity="low")
    f.acts([("alice", rep, "annotated", T0 + i * D) for i in range(10)] + [("carol", rep, "annotated", T0)])
    f.record(
        "runbook:reports",
        kind="markdown",
        doc_kind="runbook",
        doc_scope=rep,
        title="Reports runbook",
        authors=["alice"],
    )
    f.acts(
        [
            (p, "service:search", "resolved", T0 + i * D)
            for p in ("carol", "dave", "erin", "frank")
            for i in range(5)
        ]
    )
    f.acts([("gina", "service:tiny", "resolved", T0 + i * D) for i in range(3)])
    led = "service:ledger"
    f.shift("erin", led, T0 - D, T0 + 60 * D)
    f.shift("frank", led, T0 - D, T0 + 60 * D)
    f.acts(
        [("erin", led, "resolved", T0 + i * D) for i in range(7)]
        + [("frank", led, "resolved", T0 + i * D) for i in range(6)]
    )


def test_heroes_labels_understaffing_and_risk(facts: Facts) -> None:
    build_org(facts)
    result = compute_map(facts.ws)
    pay = _scope(result, "service:payments")
    # alice: 10 resolves x 3.0 + 10 rescues x 3.0 = 60; bob: 12 x 0.5 + 12 x 1.0 + 2 x 3.0 = 24
    assert pay.top_person == "alice" and pay.top_share == pytest.approx(60 / 84, abs=1e-3)
    assert pay.rescues == 10 and pay.hero == "alice"
    assert pay.off_hours_share == 1.0  # 23:00 and 00:00 UTC
    heroes = {h.person: h for h in result.heroes}
    assert set(heroes) == {"alice"}
    alice = heroes["alice"]
    assert set(alice.scopes) == {"service:payments", "service:reports"}
    assert alice.kind == "dangerous"
    details = {d.scope: d for d in alice.details}
    assert details["service:payments"].kind == "dangerous"
    reasons = " ".join(details["service:payments"].label_reasons)
    assert "recurs" in reasons and "night" in reasons and "critical" in reasons and "no runbook" in reasons
    assert details["service:reports"].kind == "specialty"
    assert "documented" in " ".join(details["service:reports"].label_reasons)
    assert alice.why.startswith("71% of weighted activity in service:payments")
    # a flat team, three events: no hero
    assert _scope(result, "service:search").hero is None
    assert _scope(result, "service:search").effective_responders == pytest.approx(4.0)
    assert _scope(result, "service:tiny").hero is None
    # a two-person schedule sharing all the work: understaffed, not a hero
    ledger = _scope(result, "service:ledger")
    assert ledger.hero is None and ledger.understaffed
    assert [u.scope for u in result.understaffed] == ["service:ledger"]
    assert result.understaffed[0].team == ["erin", "frank"]
    # risk: the night-time critical concentration ranks first, everything in 0..1
    assert result.scopes[0].scope == "service:payments"
    assert all(0.0 <= s.risk <= 1.0 for s in result.scopes)
    assert _scope(result, "service:payments").risk > _scope(result, "service:reports").risk
    # the JSON of DESIGN.md
    data = result.model_dump(mode="json")
    assert set(data) >= {"window", "people", "scopes", "heroes"}
    assert set(data["scopes"][0]) >= {
        "scope",
        "events",
        "top_person",
        "top_share",
        "effective_responders",
        "bus_factor",
        "off_hours_share",
        "rescues",
        "risk",
        "hero",
    }
    assert set(data["heroes"][0]) >= {"person", "scopes", "why", "kind", "label_reasons"}


def test_rule_thresholds_are_configurable(facts: Facts) -> None:
    build_org(facts)
    strict = compute_map(facts.ws, rule=HeroRule(min_top_share=0.8, min_rescues=50, min_events=12))
    assert {h.person for h in strict.heroes} == set()
    loose = compute_map(facts.ws, rule=HeroRule(min_events=3, min_person_events=3, min_top_share=0.9))
    assert _scope(loose, "service:tiny").hero == "gina"


def test_rescue_trigger_names_a_hero_below_the_share_threshold(facts: Facts) -> None:
    for p in ("alice", "bob", "carol", "dave"):
        facts.person(p)
    api = "service:api"
    for i in range(5):
        key = facts.incident(f"pd:a{i}", api, T0 + i * D)
        facts.act("bob", api, "assigned", T0 + i * D, incident=key)
        facts.act("alice", api, "resolved", T0 + i * D + H, incident=key)
    facts.acts([(p, api, "resolved", T0 + i * D) for p in ("bob", "carol", "dave") for i in range(5)])
    s = _scope(compute_map(facts.ws), api)
    assert s.top_share < 0.5
    assert s.hero == "alice"
    # without alice the routine work is covered, but the hard cases went to her
    away = {w.scope: w for w in whatif(facts.ws, ["alice"]).scopes}
    assert away[api].status == "rescue-dependent" and "5 of its 5 rescues" in away[api].why


def test_hero_of_and_person_share(facts: Facts) -> None:
    build_org(facts)
    assert hero_of(facts.ws, "service:payments") == "alice"
    assert hero_of(facts.ws, "service:search") is None
    assert hero_of(facts.ws, "service:payments", now=T0 + 3 * D) is None  # three incidents: too few yet
    # alice resolved 10 of the 12 payments incidents; in the last two days none
    assert person_share(facts.ws, "service:payments", "alice", since=T0) == pytest.approx(10 / 12)
    assert person_share(facts.ws, "service:payments", "alice", since=T0 + 10 * D) == 0.0
    assert person_share(facts.ws, "service:payments", "bob", since=T0 + 10 * D) == 1.0
    assert person_share(facts.ws, "service:nothing", "alice", since=T0) == 0.0
    weighted = person_share(facts.ws, "service:payments", "alice", since=T0, incidents_only=False)
    assert weighted == pytest.approx(30 / 54, abs=1e-3)  # without rescue bonus: 30 of 6 + 12 + 6 + 30


def test_whatif(facts: Facts) -> None:
    build_org(facts)
    result = whatif(facts.ws, ["alice"])
    by = {s.scope: s for s in result.scopes}
    # payments keeps bob (a meaningful share) but he alone is worth 24/84 of the work: fragile
    assert by["service:payments"].status == "fragile"
    assert by["service:payments"].remaining == ["bob"]
    assert by["service:payments"].effective_responders_left == pytest.approx(24 / 84, abs=0.01)
    # reports: carol did 1 of 11 annotations (9%) and keeps a meaningful share, but below one responder
    assert by["service:reports"].status == "fragile"
    assert "service:search" not in by
    assert [r["record"] for r in result.runbooks_only_they_wrote] == ["runbook:reports"]
    both = whatif(facts.ws, ["erin", "frank"])
    assert {s.scope: s.status for s in both.scopes}["service:ledger"] == "lost"


def test_monthly_trends(facts: Facts) -> None:
    facts.person("alice")
    facts.person("bob")
    jan = datetime(2024, 1, 10, 10, tzinfo=UTC)
    feb = datetime(2024, 2, 10, 10, tzinfo=UTC)
    facts.acts([("alice", "service:a", "resolved", jan + i * H) for i in range(4)])
    facts.acts([("alice", "service:a", "resolved", feb), ("bob", "service:a", "resolved", feb)])
    rows = monthly_trends(facts.ws, "service:a")
    assert [(r["month"], r["events"], r["top_share"], r["effective_responders"]) for r in rows] == [
        ("2024-01", 4, 1.0, 1.0),
        ("2024-02", 2, 0.5, 2.0),
    ]


def test_cli_map_whatif(facts: Facts) -> None:
    build_org(facts)
    home = str(facts.ws.home)
    runner = CliRunner()
    res = runner.invoke(app, ["--home", home, "map", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [h["person"] for h in data["heroes"]] == ["alice"]
    res = runner.invoke(app, ["--home", home, "map", "--json", "--until", "2024-03-06"])
    assert res.exit_code == 0
    narrowed = json.loads(res.stdout)
    assert narrowed["window"]["until"].startswith("2024-03-07")  # a date-only --until includes the day
    assert narrowed["heroes"] == []
    res = runner.invoke(app, ["--home", home, "map"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "Heroes" in res.stdout and "service:payments" in res.stdout
    res = runner.invoke(app, ["--home", home, "whatif", "@alice", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["people"] == ["alice"]
    res = runner.invoke(app, ["--home", home, "whatif", "nobody-here"])
    assert res.exit_code == 1
    assert "nobody-here" in res.stderr and "understudy map --json" in res.stderr
    assert res.stdout == ""


def test_whatif_ignores_one_of_many_small_contributors(facts: Facts) -> None:
    """In a wide spread (25 people, 4% each) losing one person loses no capability."""
    people = [f"p{i:02d}" for i in range(25)]
    for p in people:
        facts.person(p)
    start = datetime(2024, 1, 10, 10, tzinfo=UTC)
    facts.acts([(p, "channel:general", "chat_message", start + i * H) for i, p in enumerate(people)])
    assert whatif(facts.ws, ["p00"]).scopes == []
