"""The hero map: concentration per scope, rescues, risk, heroes with reasons, understaffing."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analytics.heroes import judge_scope, label, require_capability, why_line
from agent.analytics.historical import is_historical, last_activity
from agent.analytics.judgement import judge, judged_fixes, judged_weights
from agent.analytics.metrics import (
    CLASS_PREFIX,
    IncidentStats,
    PersonStats,
    ScopeStats,
    aggregate,
    bus_factor,
    canonical_person,
    data_span,
    effective_responders,
    incident_stats,
    window_filter,
)
from agent.analytics.models import (
    HeroOut,
    HeroScope,
    MapResult,
    PersonOut,
    Rescue,
    ScopeOut,
    UnderstaffedOut,
    Window,
)
from agent.analytics.parallel import Workers
from agent.analytics.rescues import escalation_graph, find_rescues
from agent.analytics.risk import risk_score
from agent.analytics.rules import RESOLVING_ACTIONS, HeroRule
from ingest.db import Activity, Alias, Chunk, Incident, Person, RecordRow, Shift

TOP_SHARES_LISTED = 5
"""People listed with their share per scope in the map's JSON."""


def _round(x: float, n: int = 3) -> float:
    return round(float(x), n)


def people_out(session: Session) -> list[PersonOut]:
    """Every (unmerged) person with their aliases' display forms."""
    merged = dict(
        session.execute(select(Person.id, Person.merged_into).where(Person.merged_into.is_not(None))).all()
    )
    aliases: dict[str, set[str]] = defaultdict(set)
    for pid, display in session.execute(select(Alias.person_id, Alias.display)):
        aliases[merged.get(pid) or pid].add(display)
    rows = session.execute(
        select(Person.id, Person.name).where(Person.merged_into.is_(None)).order_by(Person.id)
    )
    return [PersonOut(id=pid, name=name, aliases=sorted(aliases.get(pid, set()))) for pid, name in rows]


def runbook_scopes(session: Session) -> set[str]:
    """Scopes that have a runbook document (records of doc_kind runbook, runbook chunks)."""
    out = {
        s for (s,) in session.execute(select(RecordRow.doc_scope).where(RecordRow.doc_kind == "runbook")) if s
    }
    out |= {s for (s,) in session.execute(select(Chunk.scope).where(Chunk.kind == "runbook").distinct()) if s}
    return out


def class_services(session: Session) -> dict[str, set[str]]:
    """class scope -> the service scopes its incidents hit."""
    out: dict[str, set[str]] = defaultdict(set)
    for cls, scope in session.execute(
        select(Incident.incident_class, Incident.scope).where(Incident.incident_class.is_not(None)).distinct()
    ):
        out[CLASS_PREFIX + str(cls)].add(scope)
    return out


def schedule_teams(session: Session, since: datetime | None, until: datetime | None) -> dict[str, set[str]]:
    """Scope -> people on its on-call schedule during the window."""
    cond = []
    if since is not None:
        cond.append(Shift.end > since)
    if until is not None:
        cond.append(Shift.start < until)
    person = canonical_person()
    out: dict[str, set[str]] = defaultdict(set)
    for scope, pid in session.execute(
        select(Shift.scope, person)
        .join(Person, Person.id == Shift.person_id)
        .where(Shift.scope.is_not(None), *cond)
        .distinct()
    ):
        out[str(scope)].add(pid)
    return out


def _attach(stats: dict[str, ScopeStats], rescues: list[Rescue], indeg: dict[tuple[str, str], int]) -> None:
    for r in rescues:
        for scope in (r.scope, CLASS_PREFIX + r.incident_class if r.incident_class else None):
            if scope is None:
                continue
            st = stats.setdefault(scope, ScopeStats(scope))
            st.people.setdefault(r.person, PersonStats()).rescues += 1
    for (scope, pid), n in indeg.items():
        if scope in stats and pid in stats[scope].people:
            stats[scope].people[pid].escalations_in += n


def compute_map(
    ws: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    rule: HeroRule | None = None,
    scopes: set[str] | None = None,
) -> MapResult:
    """The hero map over the window (all history by default); ``scopes`` narrows it to some scopes."""
    rule = rule or HeroRule()
    with ws.session() as session:
        return _compute(session, ws.settings.org_timezone, since, until, rule, scopes)


def _compute(
    session: Session,
    org_zone: str,
    since: datetime | None,
    until: datetime | None,
    rule: HeroRule,
    only: set[str] | None,
) -> MapResult:
    with Workers(session) as workers:  # the independent scans side by side (agent.analytics.parallel)
        agg_part = workers.submit(aggregate, org_zone, since, until, rule, scopes=only)
        facts = judge(session, since, until)  # before any part that reads the judged facts
        graph_part = workers.submit(escalation_graph, since, until)
        incidents_part = workers.submit(incident_stats, since, until)
        teams_part = workers.submit(schedule_teams, since, until)
        span_part = workers.submit(data_span, since, until)
        last_part = workers.submit(last_activity, since, until)
        rescues = find_rescues(session, since, until, workers=workers)
        agg = agg_part.result()
        _, indeg = graph_part.result()
        incidents, teams, span = incidents_part.result(), teams_part.result(), span_part.result()
        last_seen = last_part.result()
    stats = {scope: st for (scope, _), st in agg.items()}
    _attach(stats, rescues, indeg)
    judged_acts: Counter[tuple[str, str]] = Counter()
    for f in facts:  # pull-ins and fixes judged from stored messages are acts, not presence
        if not f.stored:
            judged_acts[(f.scope, f.person)] += 1
            if f.incident_class:
                judged_acts[(CLASS_PREFIX + f.incident_class, f.person)] += 1
    for (scope, pid), w in judged_weights(facts, rule.weight_table()).items():
        stats.setdefault(scope, ScopeStats(scope)).people.setdefault(pid, PersonStats()).weight += w
    for st in stats.values():
        for p in st.people.values():
            p.weight += rule.rescue_bonus * p.rescues
    if only is not None:
        stats = {s: st for s, st in stats.items() if s in only}
    runbooks = runbook_scopes(session)
    cls_services = class_services(session)
    data_end = until or (span[1] if span else None)

    scopes_out: list[ScopeOut] = []
    hero_scopes: dict[str, list[HeroScope]] = defaultdict(list)
    why_by_scope: dict[str, str] = {}
    understaffed: list[UnderstaffedOut] = []
    for scope, st in stats.items():
        shares = st.shares()
        if not shares:
            continue
        inc = incidents.get(scope, IncidentStats())
        top, top_share = next(iter(shares.items()))
        eff = effective_responders(shares)
        judgement = judge_scope(st, rule, teams.get(scope), inc.count)
        if judgement.hero is not None:  # capability: acts beyond presence, summed by the aggregate
            hero_stats = st.people.get(judgement.hero)
            acts = (hero_stats.doing if hero_stats else 0) + judged_acts[(scope, judgement.hero)]
            judgement = require_capability(judgement, acts, rule)
        risk = risk_score(inc.count, st.events, inc.by_severity, top_share, st.off_hours_share)
        scopes_out.append(
            ScopeOut(
                scope=scope,
                events=st.events,
                top_person=top,
                top_share=_round(top_share),
                effective_responders=_round(eff, 2),
                bus_factor=bus_factor(shares),
                off_hours_share=_round(st.off_hours_share),
                rescues=st.rescues,
                risk=_round(risk, 4),
                hero=judgement.hero,
                sleep_share=_round(st.sleep_share),
                incidents=inc.count,
                escalations=st.escalations,
                people=len(shares),
                shares={pid: _round(s) for pid, s in list(shares.items())[:TOP_SHARES_LISTED]},
                understaffed=judgement.understaffed,
                historical=is_historical(last_seen.get(scope), data_end),
                last_activity=last_seen.get(scope),
            )
        )
        if judgement.understaffed:
            understaffed.append(
                UnderstaffedOut(scope=scope, why=judgement.understaffed_why, team=judgement.team)
            )
        if judgement.hero is None:
            continue
        pid = judgement.hero
        has_runbook = scope in runbooks or any(s in runbooks for s in cls_services.get(scope, ()))
        kind, reasons = label(scope, st, pid, inc, has_runbook, rule)
        p = st.people[pid]
        hero_scopes[pid].append(
            HeroScope(
                scope=scope,
                share=_round(shares[pid]),
                events=p.events,
                effective_responders=_round(eff, 2),
                rescues=p.rescues,
                escalations_in=p.escalations_in,
                sleep_events=p.sleep_events,
                incidents=inc.count,
                kind=kind,
                label_reasons=reasons,
                triggers=judgement.triggers,
                understaffed=judgement.understaffed,
                historical=scopes_out[-1].historical,
                last_activity=scopes_out[-1].last_activity,
            )
        )
        why_by_scope[scope] = why_line(scope, st, pid, judgement.triggers)

    risk_of = {s.scope: s.risk for s in scopes_out}
    scopes_out.sort(key=lambda s: (-s.risk, -s.events, s.scope))
    names = dict(session.execute(select(Person.id, Person.name)).all())
    heroes: list[HeroOut] = []
    for pid, details in hero_scopes.items():
        details.sort(key=lambda d: (-risk_of.get(d.scope, 0.0), d.scope))
        first = details[0]
        why = why_by_scope[first.scope]
        if len(details) > 1:
            why += f"; and {len(details) - 1} more scope{'s' if len(details) > 2 else ''}"
        dangerous = [d for d in details if d.kind == "dangerous"]
        kind = "dangerous" if dangerous else "specialty"
        hero_reasons: list[str] = []
        for d in dangerous or details:
            for r in d.label_reasons:
                line = f"{d.scope}: {r}"
                if line not in hero_reasons:
                    hero_reasons.append(line)
        heroes.append(
            HeroOut(
                person=pid,
                scopes=[d.scope for d in details],
                why=why,
                kind=kind,
                label_reasons=hero_reasons,
                name=names.get(pid),
                details=details,
                historical=all(d.historical for d in details),
            )
        )
    heroes.sort(key=lambda h: (h.historical, -max(risk_of.get(s, 0.0) for s in h.scopes), h.person))
    understaffed.sort(key=lambda u: (-risk_of.get(u.scope, 0.0), u.scope))
    window = Window(since=since or (span[0] if span else None), until=until or (span[1] if span else None))
    return MapResult(
        window=window, people=people_out(session), scopes=scopes_out, heroes=heroes, understaffed=understaffed
    )


def hero_of(ws: Any, scope: str, now: datetime | None = None, rule: HeroRule | None = None) -> str | None:
    """The hero of one scope over all history up to ``now`` (None if the rule names nobody)."""
    result = compute_map(ws, until=now, rule=rule, scopes={scope})
    for s in result.scopes:
        if s.scope == scope:
            return s.hero
    return None


def person_share(
    ws: Any,
    scope: str,
    person_id: str,
    since: datetime,
    until: datetime | None = None,
    incidents_only: bool = True,
) -> float:
    """The person's share of the scope's real incidents handled in the window.

    An incident counts when a person resolved it or shared its fix (bots do not count); the person's
    share is the number of those incidents they resolved, shared the fix of, or rescued, over all of
    them. With ``incidents_only=False`` it is their weighted share of all the scope's activity instead.
    Returns 0.0 when the window holds nothing.
    """
    with ws.session() as session:
        merged = {p for (p,) in session.execute(select(Person.id).where(Person.merged_into == person_id))}
        ids = {person_id} | merged
        if not incidents_only:
            agg = aggregate(session, ws.settings.org_timezone, since, until, scopes={scope})
            st = agg.get((scope, ""))
            if st is None:
                return 0.0
            return sum(s for pid, s in st.shares().items() if pid in ids)
        inc_cond = (
            Incident.incident_class == scope[len(CLASS_PREFIX) :]
            if scope.startswith(CLASS_PREFIX)
            else Incident.scope == scope
        )
        rows = session.execute(
            select(Activity.incident, Activity.person_id)
            .join(Incident, Incident.key == Activity.incident)
            .join(Person, Person.id == Activity.person_id)
            .where(
                inc_cond, Activity.action.in_(RESOLVING_ACTIONS), *window_filter(Activity.ts, since, until)
            )
            .distinct()
        ).all()
        handled: dict[str, set[str]] = defaultdict(set)
        for inc, pid in rows:
            handled[inc].add(pid)
        for f in judged_fixes(session, scope, since, until):  # fixes judged from chat messages
            handled[f.incident or ""].add(f.person)
        rescued = {
            r.incident
            for r in find_rescues(session, since, until)
            if r.person in ids and (r.scope == scope or CLASS_PREFIX + (r.incident_class or "") == scope)
        }
        for inc in rescued:
            handled[inc].add(person_id)
        if not handled:
            return 0.0
        mine = sum(1 for pids in handled.values() if pids & ids)
        return mine / len(handled)
