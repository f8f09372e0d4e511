"""The hero rule, the dangerous-or-specialty label, and the understaffing check.

A person is a scope's hero when the scope has at least ``min_events`` events (a task scope: at least
``min_task_events`` runs, ``task_nearly_all`` of them by its top person), the person did at least
``min_person_events`` of them, and one of these triggers fires:

- share: their weighted share >= ``min_top_share`` and either effective responders <=
  ``max_effective_responders`` or their share >= ``min_dominance`` x the next person's;
- rescues: they made >= ``min_rescues`` rescues there, >= ``min_rescue_share`` of the scope's rescues,
  and as many as ``min_rescue_incident_share`` of the scope's incidents;
- escalations: they received >= ``min_escalations_in`` escalations there, >= ``min_escalation_share`` of
  them, and as many as ``min_escalation_incident_share`` of the scope's incidents.

A flat spread fires none of them. Understaffing is a label, never a reason to hide a hero: a scope
whose team is at most ``max_rotation_team`` people, each carrying >= ``min_loaded_share``, is
understaffed (the team is its on-call schedule, or without one the fewest people carrying
``min_team_cover`` of the work) -- unless people outside that team made ``min_rescues`` rescues there
(rescue from outside is dependence, not size). On an understaffed scope the share trigger alone names
the hero, and only when the top person carries ``UNDERSTAFFED_HERO_DOMINANCE`` x the next person's
share (one person doing most of a small team's work); a pair sharing the work evenly has no hero.

The label is ``dangerous`` when the concentration recurs, pages at night, hits a critical service or
has no runbook; otherwise ``specialty`` (rare, low in severity, documented).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.analytics.capability import MIN_CAPABILITY_EVENTS
from agent.analytics.metrics import IncidentStats, ScopeStats, effective_responders
from agent.analytics.rules import CRITICAL_SEVERITIES, MEANINGFUL_SHARE, HeroRule

UNNAMED_SCOPES = frozenset({"service:unknown"})
"""Scopes that stand for "no service named" (a write-up naming none waits for its linked incident's):
they gather unrelated work, so nobody is their hero."""

UNDERSTAFFED_HERO_DOMINANCE = 2.0
"""On an understaffed scope the top person is its hero only with at least this many times the next
person's share: a pair sharing a rotation splits close to evenly (a week on call each), and two to one
means one of them also carries the other's weeks. Not fitted on data: for a 50/50 pair over 20
incidents a 2:1 split (67%) lies beyond 1.5 binomial standard deviations."""


@dataclass
class Judgement:
    """The rule's verdict on one scope."""

    hero: str | None = None
    triggers: list[str] = field(default_factory=list)
    understaffed: bool = False
    understaffed_why: str = ""
    team: list[str] = field(default_factory=list)
    chat_only: bool = False  # the rule's hero did nothing there but talk: not named


def core_team(shares: dict[str, float], cover: float) -> set[str]:
    """The fewest people, largest shares first, whose shares add up to at least ``cover``."""
    team: set[str] = set()
    acc = 0.0
    for pid, share in shares.items():
        if acc >= cover - 1e-12:
            break
        team.add(pid)
        acc += share
    return team


def has_enough_evidence(stats: ScopeStats, shares: dict[str, float], rule: HeroRule) -> bool:
    """Whether the scope has enough events for anyone to be its hero (tasks: fewer runs, nearly all by one)."""
    events = stats.events
    if events >= rule.min_events:
        return True
    if not stats.scope.startswith("task:") or events < rule.min_task_events or not shares:
        return False
    top = next(iter(shares))
    return stats.people[top].events / events >= rule.task_nearly_all


def judge_scope(
    stats: ScopeStats, rule: HeroRule, schedule_team: set[str] | None = None, incidents: int = 0
) -> Judgement:
    """Apply the understaffing check, then the hero rule, to one scope with ``incidents`` in the window."""
    out = Judgement()
    shares = stats.shares()
    events = stats.events
    if not shares or stats.scope in UNNAMED_SCOPES or not has_enough_evidence(stats, shares, rule):
        return out
    if schedule_team:
        team = set(schedule_team)
        capable = {pid for pid, s in shares.items() if s >= MEANINGFUL_SHARE}
        covered = capable <= team
    else:
        team = core_team(shares, rule.min_team_cover)
        covered = len(team) >= 2
    # rescues by people outside the rotation are the signature of dependence, not of a small team
    # (without a schedule every rescue is by someone the incident was not routed to)
    outside_rescues = sum(
        p.rescues for pid, p in stats.people.items() if not schedule_team or pid not in team
    )
    if (
        outside_rescues < rule.min_rescues
        and covered
        and len(team) <= rule.max_rotation_team
        and all(shares.get(pid, 0.0) >= rule.min_loaded_share for pid in team)
    ):
        source = "its on-call schedule" if schedule_team else "the people doing the work"
        loads = ", ".join(
            f"{pid} {shares.get(pid, 0.0):.0%}"
            for pid in sorted(team, key=lambda p: (-shares.get(p, 0.0), p))
        )
        carried = sum(shares.get(pid, 0.0) for pid in team)
        out.understaffed = True
        out.team = sorted(team)
        out.understaffed_why = (
            f"{len(team)} {'person' if len(team) == 1 else 'people'} on {source} carry {carried:.0%} of "
            f"{events} events ({loads}): too small to rotate; staff the rotation before transferring knowledge"
        )

    eff = effective_responders(shares)
    ranked = list(shares.items())
    top, top_share = ranked[0]
    second_share = ranked[1][1] if len(ranked) > 1 else 0.0
    candidates: dict[str, list[str]] = {}
    if top_share >= rule.min_top_share and (
        eff <= rule.max_effective_responders or top_share >= rule.min_dominance * second_share
    ):
        candidates.setdefault(top, []).append("share")
    if out.understaffed:
        # a small team names a hero only when one member carries the other's share too, by share alone:
        # escalations and rescues between the two members of a pair are how a pair works
        if (
            "share" in candidates.get(top, [])
            and top_share >= UNDERSTAFFED_HERO_DOMINANCE * second_share
            and stats.people[top].events >= rule.min_person_events
        ):
            out.hero, out.triggers = top, ["share"]
        return out
    total_rescues = stats.rescues
    total_esc = stats.escalations
    for pid, p in stats.people.items():
        if (
            p.rescues >= rule.min_rescues
            and total_rescues
            and p.rescues / total_rescues >= rule.min_rescue_share
            and p.rescues >= rule.min_rescue_incident_share * incidents
        ):
            candidates.setdefault(pid, []).append("rescues")
        if (
            p.escalations_in >= rule.min_escalations_in
            and total_esc
            and p.escalations_in / total_esc >= rule.min_escalation_share
            and p.escalations_in >= rule.min_escalation_incident_share * incidents
        ):
            candidates.setdefault(pid, []).append("escalations")
    candidates = {
        pid: t for pid, t in candidates.items() if stats.people[pid].events >= rule.min_person_events
    }
    if not candidates:
        return out
    # the person with the most triggers, then the largest share
    hero = max(candidates, key=lambda pid: (len(candidates[pid]), shares.get(pid, 0.0), pid))
    out.hero = hero
    out.triggers = candidates[hero]
    return out


def require_capability(judgement: Judgement, doing: int, rule: HeroRule) -> Judgement:
    """The judgement without its hero when the hero did fewer than ``capability.MIN_CAPABILITY_EVENTS``
    things there beyond talking, being paged or seated (``capability.PRESENCE_ACTIONS``): a scope whose
    top person only writes most of its messages has a top person, not a hero."""
    if judgement.hero is None or doing >= MIN_CAPABILITY_EVENTS:
        return judgement
    judgement.hero, judgement.triggers = None, []
    judgement.chat_only = True
    return judgement


def label(
    scope: str,
    stats: ScopeStats,
    person: str,
    incidents: IncidentStats | None,
    has_runbook: bool,
    rule: HeroRule,
) -> tuple[str, list[str]]:
    """('dangerous' | 'specialty', reasons) for one hero scope."""
    p = stats.people[person]
    n_inc = incidents.count if incidents else 0
    critical = sum(incidents.by_severity.get(s, 0) for s in CRITICAL_SEVERITIES) if incidents else 0
    danger: list[str] = []
    calm: list[str] = []
    if n_inc >= rule.recurring_incidents:
        danger.append(f"recurs: {n_inc} incidents in the window")
    elif scope.startswith("task:") and stats.events >= rule.recurring_incidents:
        danger.append(f"recurs: {stats.events} runs of the task")
    else:
        calm.append(f"rare: {n_inc} incidents" if n_inc else "no incidents")
    if (
        p.sleep_events >= rule.night_min_events
        and p.events
        and p.sleep_events / p.events >= rule.night_min_share
    ):
        danger.append(
            f"pages at night: {p.sleep_events} of their {p.events} events in sleep hours (22-08 local)"
        )
    else:
        calm.append(f"daytime: {p.sleep_events} of {p.events} events in sleep hours")
    if critical:
        danger.append(f"critical service: {critical} critical/high-severity incidents")
    elif n_inc:
        calm.append("low severity: no critical/high incidents")
    if not has_runbook:
        danger.append("no runbook document for the scope")
    else:
        calm.append("documented: a runbook covers the scope")
    if danger:
        return "dangerous", danger
    return "specialty", calm


def why_line(scope: str, stats: ScopeStats, person: str, triggers: list[str]) -> str:
    """One line: the numbers that make the person this scope's hero."""
    shares = stats.shares()
    p = stats.people[person]
    parts = [
        f"{shares.get(person, 0.0):.0%} of weighted activity in {scope} ({p.events} of {stats.events} events"
    ]
    parts.append(f"{effective_responders(shares):.1f} effective responders")
    if p.rescues:
        parts.append(f"{p.rescues} of {stats.rescues} rescues")
    if p.escalations_in:
        parts.append(f"{p.escalations_in} of {stats.escalations} escalations received")
    return ", ".join(parts) + f"; trigger: {'+'.join(triggers)})"
