"""The one adapter between drafting/ledger and the analytics (``agent.analytics``).

Everything this package needs from the hero map goes through here, so a change in the
analytics API is a one-file fix. When the analytics module is not importable (it is built
alongside), a small documented fallback computes shares straight from the activities table.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ingest.db import Activity, Incident, Person

FALLBACK_HERO_SHARE = 0.5
"""Fallback only: a person holding at least half a scope's weighted activity is its hero (DESIGN.md bus factor 1)."""

FALLBACK_MIN_EVENTS = 3
"""Fallback only: fewer activities than this in a scope say nothing about a hero."""


def _analytics() -> Any | None:
    try:
        from agent import analytics
    except ImportError:
        return None
    needed = ("compute_map", "hero_of", "person_share")
    return analytics if all(hasattr(analytics, n) for n in needed) else None


def _weighted_shares(
    ws: Any, scope: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, float]:
    """Fallback: each person's weighted share of the scope's activity in the window."""
    q = select(Activity.person_id, func.sum(Activity.weight)).where(Activity.scope == scope)
    if since is not None:
        q = q.where(Activity.ts >= since)
    if until is not None:
        q = q.where(Activity.ts < until)
    with ws.session() as s:
        rows = s.execute(q.group_by(Activity.person_id)).all()
    total = sum(float(w or 0) for _, w in rows)
    return {p: float(w or 0) / total for p, w in rows} if total else {}


def hero_of(ws: Any, scope: str) -> str | None:
    """The scope's hero (person id) per the hero map, or None."""
    analytics = _analytics()
    if analytics is not None:
        return analytics.hero_of(ws, scope)
    with ws.session() as s:
        n = s.scalar(select(func.count()).select_from(Activity).where(Activity.scope == scope)) or 0
    if n < FALLBACK_MIN_EVENTS:
        return None
    shares = _weighted_shares(ws, scope)
    if not shares:
        return None
    person, share = max(shares.items(), key=lambda kv: (kv[1], kv[0]))
    return person if share >= FALLBACK_HERO_SHARE else None


def person_share(
    ws: Any, scope: str, person_id: str, since: datetime, until: datetime | None = None
) -> float:
    """The person's share of the scope's weighted activity in the window (0 when nothing happened)."""
    analytics = _analytics()
    if analytics is not None:
        return float(analytics.person_share(ws, scope, person_id, since, until))
    return _weighted_shares(ws, scope, since, until).get(person_id, 0.0)


UNDERSTAFFED_SKIPS = ("transfer-plan",)
"""Kinds not drafted on an understaffed scope (DESIGN.md: say so instead of drafting transfer plans;
the hero's knowledge is still worth a pack, and the rotation plan is the fix)."""


def hero_scopes(ws: Any) -> list[str]:
    """Scopes that have a current (not historical) hero, riskiest first."""
    analytics = _analytics()
    if analytics is not None:
        result = analytics.compute_map(ws, None, None)
        ordered = sorted(result.scopes, key=lambda s: -float(_get(s, "risk", 0.0) or 0.0))
        return [_get(s, "scope") for s in ordered if _get(s, "hero") and not _get(s, "historical", False)]
    with ws.session() as s:
        scopes = [r[0] for r in s.execute(select(Activity.scope).distinct().order_by(Activity.scope))]
    return [sc for sc in scopes if hero_of(ws, sc)]


def draft_kinds(ws: Any, scope: str, kinds: list[str]) -> list[str]:
    """The kinds worth drafting on a scope: no transfer plan where the map labels it understaffed."""
    analytics = _analytics()
    if analytics is None or not any(k in UNDERSTAFFED_SKIPS for k in kinds):
        return kinds
    result = analytics.compute_map(ws, scopes={scope})
    row = next((s for s in result.scopes if _get(s, "scope") == scope), None)
    if row is None or not _get(row, "understaffed", False):
        return kinds
    return [k for k in kinds if k not in UNDERSTAFFED_SKIPS]


def scope_facts(ws: Any, scope: str, hero: str | None) -> list[dict[str, Any]]:
    """Facts about the scope from the analytics, each with a ``fact:`` id so claims can cite it."""
    shares = _weighted_shares(ws, scope)
    with ws.session() as s:
        names = dict(s.execute(select(Person.id, Person.name)).all())
        incidents = s.scalar(select(func.count()).select_from(Incident).where(Incident.scope == scope)) or 0
        actions: dict[str, int] = defaultdict(int)
        for action, n in s.execute(
            select(Activity.action, func.count()).where(Activity.scope == scope).group_by(Activity.action)
        ):
            actions[action] = int(n)
    facts = []
    if hero:
        facts.append(
            {
                "id": f"fact:{scope}:hero",
                "kind": "fact",
                "title": "hero",
                "text": f"{names.get(hero, hero)} ({hero}) holds {shares.get(hero, 0.0):.0%} of the weighted "
                f"activity on {scope}.",
            }
        )
    ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    if ranked:
        facts.append(
            {
                "id": f"fact:{scope}:people",
                "kind": "fact",
                "title": "people",
                "text": f"People active on {scope}: "
                + ", ".join(f"{names.get(p, p)} ({p}) {v:.0%}" for p, v in ranked)
                + ".",
            }
        )
    facts.append(
        {
            "id": f"fact:{scope}:incidents",
            "kind": "fact",
            "title": "incidents",
            "text": f"{scope} had {incidents} incidents; actions recorded: "
            + (", ".join(f"{a} {n}" for a, n in sorted(actions.items())) or "none")
            + ".",
        }
    )
    return facts


def person_name(ws: Any, person_id: str | None) -> str:
    """Display name of a person id (the id itself when unknown)."""
    if not person_id:
        return "nobody"
    with ws.session() as s:
        person = s.get(Person, person_id)
    return person.name if person else person_id


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def incident_share(
    ws: Any, scope: str, person_id: str, since: datetime, until: datetime | None = None
) -> float | None:
    """The person's share of the scope's real incidents in the window (the analytics' ``person_share``;
    fallback: weighted share of activities tied to an incident).

    None when the scope had no incident work in the window: nothing was routed to anyone.
    """
    q = select(Activity.person_id, func.sum(Activity.weight)).where(
        Activity.scope == scope, Activity.incident.is_not(None), Activity.ts >= since
    )
    if until is not None:
        q = q.where(Activity.ts <= until)
    with ws.session() as s:
        rows = s.execute(q.group_by(Activity.person_id)).all()
    total = sum(float(w or 0) for _, w in rows)
    if not total:
        return None
    analytics = _analytics()
    if analytics is not None:
        return float(analytics.person_share(ws, scope, person_id, since, until))
    return sum(float(w or 0) for p, w in rows if p == person_id) / total
