"""Metrics over time: per calendar month (UTC), and for explicit windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.analytics.metrics import aggregate, bus_factor, effective_responders
from agent.analytics.rescues import find_rescues
from agent.analytics.rules import HeroRule


def monthly_trends(ws: Any, scope: str | None = None, rule: HeroRule | None = None) -> list[dict[str, Any]]:
    """One row per (scope, month): events, top person and share, effective responders, bus factor,
    off-hours and sleep shares, rescues; oldest month first within each scope."""
    rule = rule or HeroRule()
    with ws.session() as session:
        stats = aggregate(
            session, ws.settings.org_timezone, rule=rule, scopes={scope} if scope else None, by_month=True
        )
        rescues = find_rescues(session)
    for r in rescues:
        month = r.ts.strftime("%Y-%m")
        for sc in (r.scope, f"class:{r.incident_class}" if r.incident_class else None):
            st = stats.get((sc, month)) if sc else None
            if st is not None and r.person in st.people:
                st.people[r.person].rescues += 1
                st.people[r.person].weight += rule.rescue_bonus
    rows = []
    for (sc, month), st in sorted(stats.items()):
        shares = st.shares()
        if not shares:
            continue
        top, top_share = next(iter(shares.items()))
        rows.append(
            {
                "scope": sc,
                "month": month,
                "events": st.events,
                "top_person": top,
                "top_share": round(top_share, 3),
                "effective_responders": round(effective_responders(shares), 2),
                "bus_factor": bus_factor(shares),
                "off_hours_share": round(st.off_hours_share, 3),
                "sleep_share": round(st.sleep_share, 3),
                "rescues": st.rescues,
                "shares": {p: round(s, 3) for p, s in shares.items()},
            }
        )
    return rows


def window_trends(
    ws: Any, windows: list[tuple[datetime | None, datetime | None]], scope: str | None = None
) -> list[dict[str, Any]]:
    """The map's scope metrics for each (since, until) window, in order: how a concentration moves."""
    from agent.analytics.heromap import compute_map

    out = []
    for since, until in windows:
        result = compute_map(ws, since=since, until=until, scopes={scope} if scope else None)
        out.append(
            {
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "scopes": [s.model_dump(mode="json") for s in result.scopes],
            }
        )
    return out
