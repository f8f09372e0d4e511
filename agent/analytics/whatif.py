"""What-if: these people are away; which scopes lose their capability.

For each scope where the people did any work, the shares of everyone else are what remains:

- ``lost``: nobody left with at least MEANINGFUL_SHARE of the scope's weighted activity;
- ``fragile``: capacity-scaled effective responders left < 1, where that is the effective responders
  among the rest (1 / sum of their renormalised shares squared) times the fraction of the weighted
  activity they carried (five people who did half the work are worth 2.5; one who did 10% is worth 0.1);
- ``rescue-dependent``: others carry the routine work, but the people made at least the hero rule's
  ``min_rescues`` and ``min_rescue_share`` of the scope's rescues (the hard cases went to them).

Also: incident classes only they ever rescued, and runbooks only they wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agent.analytics.metrics import aggregate, effective_responders
from agent.analytics.models import WhatIfResult, WhatIfScope
from agent.analytics.rescues import find_rescues
from agent.analytics.rules import MEANINGFUL_SHARE, HeroRule
from ingest.db import Person, RecordRow

FRAGILE_BELOW = 1.0
"""Capacity-scaled effective responders under which a scope is fragile without the people."""


def whatif(ws: Any, people: list[str], rule: HeroRule | None = None) -> WhatIfResult:
    """Scopes, classes and runbooks that depend on ``people`` (person ids) over all history."""
    rule = rule or HeroRule()
    with ws.session() as session:
        merged = {pid for (pid,) in session.execute(select(Person.id).where(Person.merged_into.in_(people)))}
        away = set(people) | merged
        stats = aggregate(session, ws.settings.org_timezone, rule=rule)
        rescues = find_rescues(session)
        runbooks = session.execute(
            select(
                RecordRow.key,
                RecordRow.title,
                RecordRow.path,
                RecordRow.doc_scope,
                RecordRow.authors,
                RecordRow.last_editor,
            ).where(RecordRow.doc_kind == "runbook")
        ).all()
    for r in rescues:
        for scope in (r.scope, f"class:{r.incident_class}" if r.incident_class else None):
            st = stats.get((scope, "")) if scope else None
            if st is not None and r.person in st.people:
                st.people[r.person].weight += rule.rescue_bonus
    rescues_by: dict[str, dict[str, int]] = {}
    for r in rescues:
        who = "away" if r.person in away else "others"
        for scope in (r.scope, f"class:{r.incident_class}" if r.incident_class else None):
            if scope:
                d = rescues_by.setdefault(scope, {})
                d[who] = d.get(who, 0) + 1
    affected: list[WhatIfScope] = []
    unaffected = 0
    for (scope, _), st in stats.items():
        shares = st.shares()
        removed = sum(s for pid, s in shares.items() if pid in away)
        if removed <= 0:
            unaffected += 1
            continue
        rest = {pid: s for pid, s in shares.items() if pid not in away}
        capable = [pid for pid, s in rest.items() if s >= MEANINGFUL_SHARE]
        if removed < MEANINGFUL_SHARE and not any(s >= MEANINGFUL_SHARE for s in shares.values()):
            # a wide spread (a busy channel) where nobody, the absent included, carries a meaningful
            # share: losing one of many small contributors loses no capability
            unaffected += 1
            continue
        left_fraction = sum(rest.values())
        eff_left = effective_responders(rest) * left_fraction if rest else 0.0
        before = effective_responders(shares)
        if not capable:
            status = "lost"
            why = f"they carried {removed:.0%} of {scope}; nobody else has {MEANINGFUL_SHARE:.0%} of its work"
        elif eff_left < FRAGILE_BELOW:
            status = "fragile"
            why = f"they carried {removed:.0%} of {scope}; {eff_left:.2f} effective responders remain"
        elif (theirs := rescues_by.get(scope, {}).get("away", 0)) >= rule.min_rescues and theirs / max(
            1, sum(rescues_by[scope].values())
        ) >= rule.min_rescue_share:
            status = "rescue-dependent"
            total = sum(rescues_by[scope].values())
            why = (
                f"others do the routine work of {scope}, but they made {theirs} of its {total} rescues: "
                "the hard cases went to them"
            )
        else:
            continue
        affected.append(
            WhatIfScope(
                scope=scope,
                status=status,
                removed_share=round(removed, 3),
                effective_responders_before=round(before, 2),
                effective_responders_left=round(eff_left, 2),
                remaining=capable,
                events=st.events,
                why=why,
            )
        )
    order = {"lost": 0, "fragile": 1, "rescue-dependent": 2}
    affected.sort(key=lambda s: (order[s.status], -s.removed_share * s.events, s.scope))

    rescuers: dict[str, set[str]] = {}
    for r in rescues:
        if r.incident_class:
            rescuers.setdefault(r.incident_class, set()).add(r.person)
    only_rescued = sorted(f"class:{c}" for c, ps in rescuers.items() if ps and ps <= away)

    only_wrote = []
    for key, title, path, scope, authors, editor in runbooks:
        writers = set(authors or []) | ({editor} if editor else set())
        if writers and writers <= away:
            only_wrote.append(
                {"record": key, "title": title, "path": path, "scope": scope, "authors": sorted(writers)}
            )
    return WhatIfResult(
        people=sorted(set(people)),
        scopes=affected,
        classes_only_they_rescued=only_rescued,
        runbooks_only_they_wrote=only_wrote,
        unaffected_scopes=unaffected,
    )
