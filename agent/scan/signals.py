"""What a scan measures (a compact snapshot of the map and the ledger) and how two snapshots compare.

Signals (DESIGN.md "Signals to watch over time"): heroes per scope, each scope's top share and
effective responders, off-hours rescues per person, independence verdicts, hero interruptions for
known scenarios, and Understudy's own concentrations (reviews, practice confirmations, scans).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from agent.analytics.rules import HeroRule

RECENT_DAYS = 90
"""The recent window (days before the newest data) in which a forming concentration is looked for:
a quarter, the independence check's own incident window."""

RISE_MIN = 0.10
"""A top share rising by at least ten points between scans is a rising concentration."""

WATCH_SHARE = 0.5
"""...when the top person now holds at least half the work (the hero rule's dominance line)."""

RESPONDERS_FALL_MIN = 0.5
"""Effective responders falling by at least half a person between scans, on a scope with incidents."""

OFF_HOURS_RESCUES_MIN = 3
"""New off-hours rescues by one person since the last scan that make a finding (three is a pattern)."""

SELF_MIN_ACTIONS = 4
"""Review decisions or practice confirmations needed before Understudy's own concentration is judged."""

SELF_SHARE = 0.5
"""One person making more than this share of them is a concentration (most of the decisions)."""

SELF_MIN_SCANS = 3
"""Scans needed before 'only one person ever runs the scans' is judged."""

SELF_SCOPES = {
    "reviews": "understudy:reviews",
    "confirmations": "understudy:practice-confirmations",
    "scans": "understudy:scans",
}
"""Scopes of Understudy's own work, reported like any other concentration."""


def _r(x: float, n: int = 3) -> float:
    return round(float(x), n)


def _scope_rows(result: Any) -> dict[str, dict[str, Any]]:
    return {
        s.scope: {
            "events": s.events,
            "incidents": s.incidents,
            "top_person": s.top_person,
            "top_share": s.top_share,
            "effective_responders": s.effective_responders,
            "off_hours_share": s.off_hours_share,
            "rescues": s.rescues,
            "hero": s.hero,
            "risk": s.risk,
        }
        for s in result.scopes
    }


def off_hours_rescues(session: Any, rescues: list[Any], org_zone: str) -> dict[str, list[str]]:
    """Person -> incidents they rescued outside business hours (their own time zone, else the org's)."""
    from agent.analytics.timebands import BUSINESS, band_of
    from ingest.db import Person

    zones = dict(session.execute(select(Person.id, Person.timezone)).all())
    out: dict[str, set[str]] = defaultdict(set)
    for r in rescues:
        if band_of(r.ts, zones.get(r.person), org_zone) != BUSINESS:
            out[r.person].add(r.incident)
    return {p: sorted(v) for p, v in out.items()}


def known_scenarios(session: Any) -> dict[str, dict[str, Any]]:
    """Scopes whose work is a known scenario: an approved runbook or knowledge pack AND confirmed practice by others."""
    from agent.drafting.artifacts import PRACTICE_ARTIFACT_KINDS
    from agent.ledger.models import Draft, PracticeEntry

    approved: dict[str, dict[str, Any]] = {}
    for d in session.execute(
        select(Draft)
        .where(Draft.status == "approved", Draft.kind.in_(PRACTICE_ARTIFACT_KINDS))
        .order_by(Draft.updated_at)
    ).scalars():
        approved.setdefault(d.scope, {"artifact": d.id, "since": d.updated_at, "hero": d.hero})
    practised: dict[str, set[str]] = defaultdict(set)
    for e in session.execute(select(PracticeEntry).where(PracticeEntry.confirmer.is_not(None))).scalars():
        if e.confirmer != e.person_id:
            practised[e.scope].add(e.person_id)
    out = {}
    for scope, info in approved.items():
        people = practised.get(scope, set()) - {info["hero"]}
        if people:
            out[scope] = {**info, "practised": sorted(people)}
    return out


def interruptions(
    rescues: list[Any], heroes: dict[str, str], known: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Pulls of a scope's hero into incidents of a known scenario after it became known."""
    out = []
    for r in rescues:
        for scope in (r.scope, f"class:{r.incident_class}" if r.incident_class else None):
            if scope is None or scope not in known:
                continue
            hero = known[scope]["hero"] or heroes.get(scope)
            if hero != r.person or r.ts < known[scope]["since"]:
                continue
            out.append(
                {
                    "incident": r.incident,
                    "person": r.person,
                    "scope": scope,
                    "kind": r.kind,
                    "ts": r.ts.isoformat(),
                    "runbook": known[scope]["artifact"],
                    "chunk_ids": r.chunk_ids[:3],
                }
            )
            break
    return out


def _concentration(counts: Counter[str], minimum: int, share: float) -> dict[str, Any] | None:
    total = sum(counts.values())
    if total < minimum:
        return None
    person, n = counts.most_common(1)[0]
    if n / total <= share and len(counts) > 1:
        return None
    return {"person": person, "count": n, "total": total, "share": _r(n / total)}


def self_concentrations(session: Any, scans_by: list[str]) -> dict[str, dict[str, Any]]:
    """Understudy's own concentrations: who makes the review decisions, confirms practice, runs the scans.

    ``scans_by`` holds the person ids of the people who ran scans; a scheduled job's OS or service
    account is no known person and is left out by the caller (it is not a person's desk).
    """
    from agent.ledger.models import DecisionRow, PracticeEntry

    reviews = Counter(
        r for (r,) in session.execute(select(DecisionRow.reviewer).where(DecisionRow.outcome == "ok"))
    )
    confirms = Counter(
        c
        for (c,) in session.execute(
            select(PracticeEntry.confirmer).where(PracticeEntry.confirmer.is_not(None))
        )
    )
    out = {}
    for key, counts, minimum in (
        ("reviews", reviews, SELF_MIN_ACTIONS),
        ("confirmations", confirms, SELF_MIN_ACTIONS),
    ):
        c = _concentration(counts, minimum, SELF_SHARE)
        if c:
            out[SELF_SCOPES[key]] = c
    scans = Counter(b for b in scans_by if b)
    if sum(scans.values()) >= SELF_MIN_SCANS and len(scans) == 1:
        person, n = scans.most_common(1)[0]
        out[SELF_SCOPES["scans"]] = {"person": person, "count": n, "total": n, "share": 1.0}
    return out


def data_end(ws: Any) -> datetime | None:
    """The newest incident's time: the end of the operational data (documents carry file times, not events)."""
    from ingest.db import Incident

    with ws.session() as session:
        return session.scalar(select(func.max(Incident.created_at)))


def measure(ws: Any, scans_by: list[str], rule: HeroRule | None = None) -> dict[str, Any]:
    """The snapshot metrics of the workspace now (JSON-serialisable)."""
    from agent.analytics import compute_map, find_rescues
    from agent.analytics.metrics import data_span
    from agent.ledger.independence import check_scope
    from agent.ledger.models import Draft, PracticeEntry

    rule = rule or HeroRule()
    full = compute_map(ws, rule=rule)
    until = data_end(ws) or full.window.until
    recent = (
        compute_map(ws, since=until - timedelta(days=RECENT_DAYS), until=until, rule=rule) if until else None
    )
    with ws.session() as session:
        span = data_span(session, None, None)
        rescues = find_rescues(session)
        night = off_hours_rescues(session, rescues, ws.settings.org_timezone)
        known = known_scenarios(session)
        ledger_scopes = {
            s for (s,) in session.execute(select(Draft.scope).where(Draft.status == "approved").distinct())
        }
        ledger_scopes |= {s for (s,) in session.execute(select(PracticeEntry.scope).distinct())}
        own = self_concentrations(session, scans_by)
    scopes = _scope_rows(full)
    heroes = {s: row["hero"] for s, row in scopes.items() if row["hero"]}
    hero_list = [
        {
            "person": h.person,
            "scope": d.scope,
            "kind": d.kind,
            "share": d.share,
            "window": "all",
            "rescues": d.rescues,
            "events": d.events,
            "effective_responders": d.effective_responders,
            "reasons": d.label_reasons,
        }
        for h in full.heroes
        for d in h.details
        if not d.historical  # a concentration on a scope nobody touches any more raises no alarm
    ]
    if recent is not None:
        seen = {(h["person"], h["scope"]) for h in hero_list}
        for h in recent.heroes:
            for d in h.details:
                if (h.person, d.scope) not in seen:
                    hero_list.append(
                        {
                            "person": h.person,
                            "scope": d.scope,
                            "kind": d.kind,
                            "share": d.share,
                            "window": f"last {RECENT_DAYS} days",
                            "rescues": d.rescues,
                            "events": d.events,
                            "effective_responders": d.effective_responders,
                            "reasons": d.label_reasons,
                        }
                    )
    verdicts = {sc: check_scope(ws, sc).verdict for sc in sorted(ledger_scopes)}
    return {
        "window": {
            "since": span[0].isoformat() if span else None,
            "until": until.isoformat() if until else None,
        },
        "names": {p.id: p.name for p in full.people},
        "scopes": scopes,
        "recent_scopes": _scope_rows(recent) if recent is not None else {},
        "recent_days": RECENT_DAYS,
        "heroes": hero_list,
        "off_hours_rescues": night,
        "independence": verdicts,
        "known_scenarios": {k: {**v, "since": v["since"].isoformat()} for k, v in known.items()},
        "interruptions": interruptions(rescues, heroes, known),
        "self": own,
    }


def compare(prev: dict[str, Any] | None, cur: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings: what is new in ``cur`` since ``prev`` (every finding is new; the first scan finds every hero)."""
    names = cur.get("names", {})
    findings: list[dict[str, Any]] = []

    def name(pid: str | None) -> str:
        return f"{names.get(pid, pid)} ({pid})" if pid else "nobody"

    before = {(h["person"], h["scope"]) for h in (prev or {}).get("heroes", [])}
    for h in cur["heroes"]:
        if (h["person"], h["scope"]) in before:
            continue
        why = "first scan of this workspace" if prev is None else "not a hero of this scope at the last scan"
        findings.append(
            {
                "kind": "new-hero",
                "scope": h["scope"],
                "person": h["person"],
                "share": h["share"],
                "rescues": h["rescues"],
                "events": h["events"],
                "effective_responders": h["effective_responders"],
                "label": h["kind"],
                "window": h["window"],
                "text": f"{name(h['person'])} is now the hero of {h['scope']} ({h['window']}): {h['share']:.0%} of its work, "
                f"{h['rescues']} rescues, {h['effective_responders']} effective responders; {why}",
            }
        )
    if prev is not None:
        findings += _metric_findings(prev, cur, name)
    prev_self = (prev or {}).get("self", {})
    for scope, c in cur.get("self", {}).items():
        old = prev_self.get(scope)
        if old and old.get("person") == c["person"]:
            continue
        findings.append(
            {
                "kind": "self-concentration",
                "scope": scope,
                "person": c["person"],
                "share": c["share"],
                "count": c["count"],
                "total": c["total"],
                "text": f"{scope}: {name(c['person'])} made {c['count']} of {c['total']} of Understudy's own {scope.split(':')[1]} "
                f"({c['share']:.0%}): the tool must not become a new hero's desk",
            }
        )
    return findings


def _metric_findings(prev: dict[str, Any], cur: dict[str, Any], name: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rule = HeroRule()
    rising = set()
    for key, label in (("scopes", "all history"), ("recent_scopes", f"last {RECENT_DAYS} days")):
        for scope, now in cur.get(key, {}).items():
            old = prev.get(key, {}).get(scope)
            if old is None or scope in rising:
                continue
            rise = now["top_share"] - old["top_share"]
            if (
                rise >= RISE_MIN
                and now["top_share"] >= WATCH_SHARE
                and now["events"] >= rule.min_person_events
            ):
                rising.add(scope)
                out.append(
                    {
                        "kind": "rising-share",
                        "scope": scope,
                        "person": now["top_person"],
                        "share": now["top_share"],
                        "previous": old["top_share"],
                        "window": label,
                        "events": now["events"],
                        "text": f"{scope}: the top share rose from {old['top_share']:.0%} to {now['top_share']:.0%} "
                        f"({name(now['top_person'])}, {label}, {now['events']} events)",
                    }
                )
    for scope, now in cur["scopes"].items():
        old = prev["scopes"].get(scope)
        if old is None:
            continue
        fall = old["effective_responders"] - now["effective_responders"]
        if fall >= RESPONDERS_FALL_MIN and now["incidents"] > 0:
            out.append(
                {
                    "kind": "falling-responders",
                    "scope": scope,
                    "person": now["top_person"],
                    "effective_responders": now["effective_responders"],
                    "previous": old["effective_responders"],
                    "text": f"{scope}: effective responders fell from {old['effective_responders']} "
                    f"to {now['effective_responders']}",
                }
            )
    for person, incidents in cur["off_hours_rescues"].items():
        new = sorted(set(incidents) - set(prev.get("off_hours_rescues", {}).get(person, [])))
        if len(new) >= OFF_HOURS_RESCUES_MIN:
            out.append(
                {
                    "kind": "off-hours-rescues",
                    "scope": None,
                    "person": person,
                    "count": len(new),
                    "incidents": new[:10],
                    "text": f"{name(person)} made {len(new)} more off-hours rescues since the last scan",
                }
            )
    for scope, verdict in prev.get("independence", {}).items():
        now_v = cur["independence"].get(scope)
        if verdict == "independent" and now_v not in (None, "independent"):
            out.append(
                {
                    "kind": "slipped-back",
                    "scope": scope,
                    "person": None,
                    "verdict": now_v,
                    "previous": verdict,
                    "text": f"{scope} slipped back from independent to {now_v}",
                }
            )
    seen = {i["incident"] for i in prev.get("interruptions", [])}
    fresh = [i for i in cur["interruptions"] if i["incident"] not in seen]
    by_scope: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for i in fresh:
        by_scope[(i["scope"], i["person"])].append(i)
    for (scope, person), items in sorted(by_scope.items()):
        out.append(
            {
                "kind": "hero-interruptions",
                "scope": scope,
                "person": person,
                "count": len(items),
                "incidents": [i["incident"] for i in items][:10],
                "runbook": items[0]["runbook"],
                "text": f"{name(person)} was pulled into {len(items)} {scope} incident(s) although the scenario "
                f"has an approved runbook ({items[0]['runbook']}) and practised responders",
            }
        )
    return out


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
