"""Repeated rescue patterns, the escalation graph, incident classes with recurrence, runbook coverage."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from agent.analytics.classes import build_classes, runbook_coverage
from agent.analytics.heromap import class_services
from agent.analytics.linking import POSTMORTEM_SOURCE, postmortem_links, record_links, thread_links
from agent.analytics.metrics import CLASS_PREFIX, aggregate
from agent.analytics.models import (
    IncidentClassOut,
    IncidentLinkOut,
    PatternsResult,
    Rescue,
    RescuePattern,
)
from agent.analytics.rescues import escalation_graph, find_rescues, sinks
from ingest.db import Incident

RESCUE_PATTERN_MIN = 2
"""Rescues of one scope (or class) by one person that make a pattern (once is an event, twice a habit)."""

EXAMPLES_PER_CLASS = 3
"""Incident titles shown per class."""

DAYS_PER_MONTH = 30.44
"""Average month length, for incidents per month."""


def rescue_patterns(rescues: list[Rescue], minimum: int = RESCUE_PATTERN_MIN) -> list[RescuePattern]:
    """(person, scope) and (person, class) pairs with at least ``minimum`` rescues, most first."""
    groups: dict[tuple[str, str], list[Rescue]] = defaultdict(list)
    for r in rescues:
        groups[(r.person, r.scope)].append(r)
        if r.incident_class:
            groups[(r.person, CLASS_PREFIX + r.incident_class)].append(r)
    out = []
    for (person, scope), rs in groups.items():
        if len(rs) < minimum:
            continue
        out.append(
            RescuePattern(
                person=person,
                scope=scope,
                count=len(rs),
                incidents=sorted({r.incident for r in rs}),
                activity_ids=sorted({a for r in rs for a in r.activity_ids}),
                chunk_ids=sorted({c for r in rs for c in r.chunk_ids}),
                kinds=sorted({k for r in rs for k in r.kind.split("+")}),
                links=sorted({x for r in rs for x in r.links}),
                first=min(r.ts for r in rs),
                last=max(r.ts for r in rs),
            )
        )
    return sorted(out, key=lambda p: (-p.count, p.person, p.scope))


def patterns(ws: Any) -> PatternsResult:
    """Classify incidents (stored), then report rescue patterns, escalations, classes and runbook gaps."""
    classes, mapping, _ = build_classes(ws, store=True)
    with ws.session() as session:
        rescues = find_rescues(session)
        edges, _ = escalation_graph(session)
        incidents = session.execute(
            select(
                Incident.key, Incident.title, Incident.scope, Incident.severity, Incident.created_at
            ).order_by(Incident.created_at)
        ).all()
        services = class_services(session)
        incident_scope = {str(i.key): str(i.scope) for i in incidents}
        links = [
            IncidentLinkOut(
                item=f"thread:{lk.chunk_id}",
                source="slack",
                incident=lk.incident,
                scope=incident_scope.get(lk.incident, lk.scope),
                rule=lk.rule,
                why=lk.why,
            )
            for lk in thread_links(session).values()
        ]
        links += [
            IncidentLinkOut(
                item=lk.item,
                source=lk.source,
                incident=lk.incident,
                scope=lk.scope,
                rule=lk.rule,
                why=lk.why,
                activity_ids=lk.activity_ids,
            )
            for lk in record_links(session)
        ]
        links += [
            IncidentLinkOut(
                item=lk.postmortem,
                source=POSTMORTEM_SOURCE,
                incident=lk.incident,
                scope=lk.scope,
                rule=lk.rule,
                why=lk.why,
            )
            for lk in postmortem_links(session).values()
        ]
        agg = (
            aggregate(session, ws.settings.org_timezone, scopes={CLASS_PREFIX + c for c in classes})
            if classes
            else {}
        )
    coverage = runbook_coverage(ws, classes, services)
    rescuers: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rescues:
        if r.incident_class:
            d = rescuers[r.incident_class]
            d[r.person] = d.get(r.person, 0) + 1
    by_class: dict[str, list[Any]] = defaultdict(list)
    for inc in incidents:
        if inc.key in mapping:
            by_class[mapping[inc.key]].append(inc)
    out: list[IncidentClassOut] = []
    for name, cd in classes.items():
        rows = by_class.get(name, [])
        times: list[datetime] = [r.created_at for r in rows]
        first, last = (min(times), max(times)) if times else (None, None)
        months = max(1.0, ((last - first).days / DAYS_PER_MONTH) if first and last else 1.0)
        severities: dict[str, int] = defaultdict(int)
        for r in rows:
            severities[r.severity or "unknown"] += 1
        st = agg.get((CLASS_PREFIX + name, ""))
        shares = st.shares() if st else {}
        top = next(iter(shares.items()), (None, 0.0))
        out.append(
            IncidentClassOut(
                slug=name,
                scope=CLASS_PREFIX + name,
                terms=cd.terms,
                incidents=len(cd.keys),
                recurrence_per_month=round(len(cd.keys) / months, 2),
                first=first,
                last=last,
                services=sorted(services.get(CLASS_PREFIX + name, set())),
                severities=dict(severities),
                top_responder=top[0],
                top_share=round(top[1], 3),
                rescuers=dict(sorted(rescuers.get(name, {}).items(), key=lambda kv: -kv[1])),
                examples=list(dict.fromkeys(r.title for r in rows))[:EXAMPLES_PER_CLASS],
                runbook=coverage[name],
            )
        )
    out.sort(key=lambda c: (-c.incidents, c.slug))
    gaps = [c.scope for c in out if not c.runbook.covers]
    return PatternsResult(
        rescue_patterns=rescue_patterns(rescues),
        rescues=len(rescues),
        escalations=edges,
        escalation_sinks=sinks(edges),
        classes=out,
        runbook_gaps=gaps,
        covered=len(out) - len(gaps),
        links=links,
    )
