"""The Q&A engine's tools over the analytics and the ledger; each returns a JSON-able dict.

Both engines (Claude and offline) call the same tools through :class:`Toolbox`, which keeps every
result so that :func:`agent.ask.verify.verify` can check an answer against what the tools returned.
Person ids always travel with their names, so an answer can name people without inventing them.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

RATE_WINDOW_DAYS = 90
"""The recent rate of a scope's incidents or task runs is measured over the last quarter of data."""

TOP_SCOPES = 8
"""Scopes listed by the map tool when no scope is named."""

EVIDENCE_HITS = 4
"""Chunks returned by an evidence search."""

EXCERPT_CHARS = 240
"""Characters of a chunk's text kept as its excerpt."""

CANDIDATES = 3
"""People listed as the next learners of a scope (the second and third shares, and a little beyond)."""

STOP_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "for",
        "on",
        "in",
        "to",
        "is",
        "are",
        "was",
        "who",
        "what",
        "whom",
        "where",
        "when",
        "which",
        "how",
        "do",
        "does",
        "we",
        "our",
        "us",
        "you",
        "they",
        "it",
        "its",
        "if",
        "be",
        "being",
        "been",
        "away",
        "next",
        "first",
        "most",
        "highest",
        "yet",
        "and",
        "or",
        "with",
        "about",
        "this",
        "that",
        "these",
        "those",
        "from",
        "by",
        "at",
        "as",
        "depend",
        "depends",
        "dependent",
        "dependence",
        "independent",
        "could",
        "learn",
        "transfer",
        "should",
        "happen",
        "happens",
        "changed",
        "change",
        "since",
        "last",
        "scan",
        "weeks",
        "week",
        "days",
        "day",
        "months",
        "month",
        "two",
        "three",
        "four",
        "one",
        "five",
        "six",
        "ten",
        "team",
        "work",
        "our",
    ]
)
"""Words that never name a scope."""


def _name_map(ws: Any) -> dict[str, str]:
    from ingest.db import Person

    with ws.session() as s:
        return dict(s.execute(select(Person.id, Person.name)).all())


class Toolbox:
    """The tools, bound to one workspace; ``calls`` keeps (tool, arguments, result) in order."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.calls: list[dict[str, Any]] = []
        self._map: Any = None
        self._names: dict[str, str] | None = None

    # ----------------------------------------------------------------------------- plumbing

    def run(self, name: str, **args: Any) -> dict[str, Any]:
        """Call a tool by name and record its result."""
        fn = TOOLS.get(name)
        if fn is None:
            result: dict[str, Any] = {"error": f"unknown tool {name!r}; tools: {', '.join(TOOLS)}"}
        else:
            try:
                result = fn(self, **args)
            except (TypeError, ValueError, KeyError) as exc:
                result = {"error": f"{name} failed: {exc}"}
        self.calls.append({"tool": name, "args": args, "result": result})
        return result

    @property
    def used(self) -> list[str]:
        return list(dict.fromkeys(c["tool"] for c in self.calls))

    def map(self) -> Any:
        if self._map is None:
            from agent.analytics import compute_map

            self._map = compute_map(self.ws)
        return self._map

    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = _name_map(self.ws)
        return self._names

    def person(self, pid: str | None) -> dict[str, Any] | None:
        return {"id": pid, "name": self.names().get(pid, pid)} if pid else None

    def chunks(self, ids: list[str]) -> list[dict[str, Any]]:
        """Chunk citations (id, source, path, excerpt) for chunk ids, in the order given."""
        from ingest.db import Chunk

        if not ids:
            return []
        with self.ws.session() as s:
            rows = {r.id: r for r in s.execute(select(Chunk).where(Chunk.id.in_(ids))).scalars()}
            return [
                {
                    "chunk_id": c,
                    "source": rows[c].source,
                    "path": rows[c].path,
                    "excerpt": rows[c].text[:EXCERPT_CHARS],
                }
                for c in dict.fromkeys(ids)
                if c in rows
            ]

    def scope_row(self, scope: str) -> Any:
        return next((s for s in self.map().scopes if s.scope == scope), None)


# ------------------------------------------------------------------------------------------ tools


def find_person(tb: Toolbox, text: str) -> dict[str, Any]:
    """People named in the text (full names, first names, handles, emails, ids)."""
    low = " " + re.sub(r"[^\w@.\-' ]", " ", text.lower()) + " "
    found: list[str] = []
    people = tb.map().people
    for p in people:
        forms = {p.name.lower(), p.id.lower(), *(a.lower().lstrip("@") for a in p.aliases)}
        if any(f and len(f) > 2 and re.search(rf"(?<![\w]){re.escape(f)}(?![\w])", low) for f in forms):
            found.append(p.id)
    if not found:
        firsts = Counter(p.name.split()[0].lower() for p in people if p.name)
        for p in people:
            first = p.name.split()[0].lower() if p.name else ""
            if first and firsts[first] == 1 and re.search(rf"\b{re.escape(first)}\b", low):
                found.append(p.id)
    return {"people": [tb.person(pid) for pid in found]}


def find_scopes(tb: Toolbox, text: str) -> dict[str, Any]:
    """Scopes whose names match words of the text, best first; else the scopes of the nearest evidence."""
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in STOP_WORDS}
    names = {p.id: p for p in tb.map().people}
    person_words = {
        w for p in names.values() for w in re.findall(r"[a-z0-9]+", (p.name + " " + p.id).lower())
    }
    words -= person_words
    scored = []
    for s in tb.map().scopes:
        parts = set(re.split(r"[:\-/_.]", s.scope.lower())) - {"service", "task", "class", "repo", "path"}
        hits = len(words & parts)
        if hits:
            kind_rank = 0 if s.scope.startswith("service:") else 1
            scored.append((-hits, kind_rank, -s.risk, s.scope))
    scopes = [sc for *_, sc in sorted(scored)]
    via = "names"
    if not scopes and words:
        hits = search_evidence(tb, " ".join(sorted(words)))["hits"]
        counts = Counter(h["scope"] for h in hits if h.get("scope"))
        scopes = [sc for sc, _ in counts.most_common() if tb.scope_row(sc) is not None]
        via = "evidence"
    return {"scopes": scopes[:5], "matched_by": via}


def hero_map(tb: Toolbox, scope: str | None = None) -> dict[str, Any]:
    """The hero map: one scope's concentration, or the riskiest scopes and the heroes."""
    result = tb.map()
    rows = [s for s in result.scopes if s.scope == scope] if scope else result.scopes[:TOP_SCOPES]
    scopes = []
    for s in rows:
        shares = [{"person": tb.person(p), "share": v} for p, v in s.shares.items()]
        scopes.append(
            {
                "scope": s.scope,
                "hero": tb.person(s.hero),
                "top_person": tb.person(s.top_person),
                "top_share": s.top_share,
                "top_share_pct": round(s.top_share * 100),
                "effective_responders": s.effective_responders,
                "bus_factor": s.bus_factor,
                "rescues": s.rescues,
                "incidents": s.incidents,
                "events": s.events,
                "risk": s.risk,
                "off_hours_share_pct": round(s.off_hours_share * 100),
                "understaffed": s.understaffed,
                "shares": shares,
                "ref": f"map:{s.scope}",
            }
        )
    heroes = []
    for h in result.heroes:
        if scope and scope not in h.scopes:
            continue
        heroes.append(
            {
                "person": tb.person(h.person),
                "scopes": h.scopes,
                "label": h.kind,
                "why": h.why,
                "label_reasons": h.label_reasons[:4],
            }
        )
    return {"window": result.window.model_dump(mode="json"), "scopes": scopes, "heroes": heroes}


def rescue_evidence(
    tb: Toolbox, scope: str, person: str | None = None, n: int = EVIDENCE_HITS
) -> dict[str, Any]:
    """Chunks behind the rescues in a scope (optionally by one person): the evidence of who gets pulled in."""
    from agent.analytics import find_rescues

    with tb.ws.session() as s:
        rescues = find_rescues(s)
    ids: list[str] = []
    incidents: list[str] = []
    for r in sorted(rescues, key=lambda r: r.ts, reverse=True):
        if (r.scope == scope or f"class:{r.incident_class}" == scope) and (
            person is None or r.person == person
        ):
            incidents.append(r.incident)
            ids.extend(r.chunk_ids)
    return {
        "scope": scope,
        "person": tb.person(person),
        "rescues": len(incidents),
        "incidents": incidents[:n],
        "chunks": tb.chunks(ids)[:n],
    }


def scope_evidence(
    tb: Toolbox, scope: str, person: str | None = None, n: int = EVIDENCE_HITS
) -> dict[str, Any]:
    """The newest chunks of a scope, those naming the person first (SQL only: no model to load)."""
    from ingest.db import Alias, Chunk

    with tb.ws.session() as s:
        forms = [tb.names().get(person, "")] if person else []
        if person:
            forms += [v for (v,) in s.execute(select(Alias.display).where(Alias.person_id == person))]
        rows = s.execute(
            select(Chunk.id, Chunk.text)
            .where(Chunk.scope == scope)
            .order_by(Chunk.ts.desc().nulls_last())
            .limit(200)
        ).all()
    forms = [f.lower() for f in forms if f and len(f) > 2]
    ranked = sorted(rows, key=lambda r: not any(f in r.text.lower() for f in forms))
    return {"scope": scope, "person": tb.person(person), "chunks": tb.chunks([r.id for r in ranked[:n]])}


def search_evidence(
    tb: Toolbox, query: str, scope: str | None = None, n: int = EVIDENCE_HITS
) -> dict[str, Any]:
    """The chunks nearest to the query in the vector index (optionally within one scope)."""
    where = {"scope": scope} if scope else None
    hits = tb.ws.index.query(query, n=n, where=where)
    return {
        "query": query,
        "hits": [
            {
                "chunk_id": h.id,
                "source": h.metadata.get("source"),
                "path": h.metadata.get("path"),
                "scope": h.metadata.get("scope") or None,
                "excerpt": h.text[:EXCERPT_CHARS],
            }
            for h in hits
        ],
    }


def _recent_counts(tb: Toolbox, scope: str, until: datetime) -> dict[str, Any]:
    from ingest.db import Activity, Incident

    since = until - timedelta(days=RATE_WINDOW_DAYS)
    with tb.ws.session() as s:
        if scope.startswith("class:"):
            cond = Incident.incident_class == scope[len("class:") :]
        else:
            cond = Incident.scope == scope
        keys = s.scalars(
            select(Incident.key).where(cond, Incident.created_at >= since, Incident.created_at <= until)
        ).all()
        # a postmortem of a paged incident is stored under its own key ("postmortem:<id>"): count the id once
        incidents = len({k.split(":", 1)[-1].lower() for k in keys})
        runs = (
            s.scalar(
                select(func.count(func.distinct(Activity.record_id))).where(
                    Activity.scope == scope, Activity.ts >= since, Activity.ts <= until
                )
            )
            or 0
        )
    return {"incidents": int(incidents), "runs": int(runs)}


def data_end(tb: Toolbox) -> datetime | None:
    """The newest incident's time (documents carry file times, so the map's window can end later)."""
    from ingest.db import Incident

    with tb.ws.session() as s:
        end = s.scalar(select(func.max(Incident.created_at)))
    return end or tb.map().window.until


def _expected(tb: Toolbox, scope: str, share: float, days: int, until: datetime) -> dict[str, Any]:
    counts = _recent_counts(tb, scope, until)
    is_incident_scope = counts["incidents"] > 0 or not scope.startswith("task:")
    unit, n = ("incidents", counts["incidents"]) if is_incident_scope else ("runs", counts["runs"])
    expected = round(n / RATE_WINDOW_DAYS * days, 1)
    return {
        "rate_window_days": RATE_WINDOW_DAYS,
        "recent_count": n,
        "unit": unit,
        "expected_in_period": expected,
        "expected_they_would_handle": round(expected * share, 1),
    }


def away_impact(tb: Toolbox, person: str, days: int | None = None) -> dict[str, Any]:
    """What-if the person is away: scopes lost or fragile, scopes where they are the top person (weakened),
    and (given days) the work expected in that period at the recent rate."""
    from agent.analytics import whatif

    res = whatif(tb.ws, [person])
    until = data_end(tb)
    scopes = []
    for w in res.scopes:
        row: dict[str, Any] = {
            "scope": w.scope,
            "status": w.status,
            "their_share_pct": round(w.removed_share * 100),
            "effective_responders_before": w.effective_responders_before,
            "effective_responders_left": w.effective_responders_left,
            "remaining": [tb.person(p) for p in w.remaining],
            "events": w.events,
            "ref": f"whatif:{w.scope}",
        }
        if days and until is not None:
            row.update(_expected(tb, w.scope, w.removed_share, days, until))
        scopes.append(row)
    listed = {r["scope"] for r in scopes}
    for sc in tb.map().scopes:
        if (
            sc.top_person != person
            or sc.scope in listed
            or sc.incidents == 0
            and not sc.scope.startswith("task:")
        ):
            continue
        row = {
            "scope": sc.scope,
            "status": "weakened",
            "their_share_pct": round(sc.top_share * 100),
            "effective_responders_before": sc.effective_responders,
            "remaining": [tb.person(p) for p in sc.shares if p != person][:CANDIDATES],
            "events": sc.events,
            "ref": f"map:{sc.scope}",
        }
        if days and until is not None:
            row.update(_expected(tb, sc.scope, sc.top_share, days, until))
        scopes.append(row)
    return {
        "person": tb.person(person),
        "days": days,
        "scopes": scopes,
        "classes_only_they_rescued": res.classes_only_they_rescued,
        "runbooks_only_they_wrote": [
            {"title": r.get("title"), "path": r.get("path"), "scope": r.get("scope")}
            for r in res.runbooks_only_they_wrote
        ],
        "unaffected_scopes": res.unaffected_scopes,
        "data_until": until.isoformat() if until else None,
    }


def independence_check(tb: Toolbox, scope: str) -> dict[str, Any]:
    """The independence verdict of a scope: verdict, reasons, what is missing (approved material + confirmed practice)."""
    from agent.ledger import independence

    v = independence(tb.ws, scope=scope).scopes[0]
    return {
        "scope": v.scope,
        "hero": tb.person(v.hero),
        "verdict": v.verdict,
        "reasons": v.reasons,
        "missing": v.missing,
        "approved_artifacts": v.approved_artifacts,
        "practised_people": [tb.person(p) for p in v.practised_people],
        "hero_share_pct": round(v.hero_share * 100) if v.hero_share is not None else None,
        "ref": f"independence:{v.scope}",
    }


def practice(tb: Toolbox, person: str | None = None, scope: str | None = None) -> dict[str, Any]:
    """Practice entries from the ledger (who practised what, confirmed by whom)."""
    from agent.ledger import practice_history

    rows = practice_history(tb.ws, person=person, scope=scope)
    return {
        "entries": [
            {
                **r,
                "person": tb.person(r["person"]),
                "confirmer": tb.person(r["confirmer"]),
                "ref": f"practice:{r['id']}",
            }
            for r in rows[:20]
        ],
        "total": len(rows),
    }


def scan_history(tb: Toolbox) -> dict[str, Any]:
    """The newest scans and what each found new."""
    from agent.scan.service import last_scans

    scans = last_scans(tb.ws, n=2)
    for sc in scans:
        for f in sc["findings"]:
            f["person"] = tb.person(f.get("person")) if isinstance(f.get("person"), str) else f.get("person")
    return {"scans": scans}


def transfer_priorities(tb: Toolbox) -> dict[str, Any]:
    """Hero scopes ordered by risk (the order in which transfer reduces the most risk), with labels."""
    result = tb.map()
    risk = {s.scope: s for s in result.scopes}
    items = []
    for h in result.heroes:
        for d in h.details:
            s = risk.get(d.scope)
            items.append(
                {
                    "scope": d.scope,
                    "hero": tb.person(h.person),
                    "label": d.kind,
                    "risk": s.risk if s else 0.0,
                    "share_pct": round(d.share * 100),
                    "rescues": d.rescues,
                    "incidents": d.incidents,
                    "reasons": d.label_reasons[:3],
                    "ref": f"map:{d.scope}",
                }
            )
    items.sort(key=lambda i: (-i["risk"], i["scope"]))
    understaffed = [{"scope": u.scope, "why": u.why} for u in result.understaffed]
    return {"priorities": items, "understaffed": understaffed}


def next_learners(tb: Toolbox, scope: str) -> dict[str, Any]:
    """People closest to a scope's work after its hero (second and third shares) and who has shadowed it."""
    s = tb.scope_row(scope)
    if s is None:
        return {"scope": scope, "error": "no activity recorded for this scope"}
    hero = s.hero or s.top_person
    close = [{"person": tb.person(p), "share_pct": round(v * 100)} for p, v in s.shares.items() if p != hero]
    entries = practice(tb, scope=scope)["entries"]
    shadowing = [
        {"person": e["person"], "kind": e["kind"], "date": e["date"], "confirmed": e["counts"]}
        for e in entries
        if e["person"] and e["person"]["id"] != hero
    ]
    return {
        "scope": scope,
        "hero": tb.person(s.hero),
        "candidates": close[:CANDIDATES],
        "practice": shadowing[:5],
        "ref": f"map:{scope}",
    }


TOOLS: dict[str, Any] = {
    "find_person": find_person,
    "find_scopes": find_scopes,
    "hero_map": hero_map,
    "rescue_evidence": rescue_evidence,
    "search_evidence": search_evidence,
    "scope_evidence": scope_evidence,
    "away_impact": away_impact,
    "independence_check": independence_check,
    "practice": practice,
    "scan_history": scan_history,
    "transfer_priorities": transfer_priorities,
    "next_learners": next_learners,
}
"""Every tool by name (the Claude engine offers them all; the offline engine picks per question)."""


def _prop(kind: str, desc: str) -> dict[str, Any]:
    return {"type": kind, "description": desc}


TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "name": "find_person",
        "description": "Find people named in a text (names, handles, emails).",
        "input_schema": {
            "type": "object",
            "properties": {"text": _prop("string", "text naming people")},
            "required": ["text"],
        },
    },
    {
        "name": "find_scopes",
        "description": "Find scopes (service:, task:, class:, repo:) a text is about.",
        "input_schema": {
            "type": "object",
            "properties": {"text": _prop("string", "what the question is about")},
            "required": ["text"],
        },
    },
    {
        "name": "hero_map",
        "description": "Concentration metrics of one scope, or of the riskiest scopes, and the heroes.",
        "input_schema": {
            "type": "object",
            "properties": {"scope": _prop("string", "a scope, or omit for the top scopes")},
        },
    },
    {
        "name": "rescue_evidence",
        "description": "Incidents and chunks behind the rescues in a scope.",
        "input_schema": {
            "type": "object",
            "properties": {"scope": _prop("string", "scope"), "person": _prop("string", "person id")},
            "required": ["scope"],
        },
    },
    {
        "name": "search_evidence",
        "description": "Semantic search over ingested text (chat, incidents, postmortems, runbooks).",
        "input_schema": {
            "type": "object",
            "properties": {
                "query": _prop("string", "what to look for"),
                "scope": _prop("string", "optional scope filter"),
            },
            "required": ["query"],
        },
    },
    {
        "name": "scope_evidence",
        "description": "The newest text chunks of a scope, those naming a person first.",
        "input_schema": {
            "type": "object",
            "properties": {"scope": _prop("string", "scope"), "person": _prop("string", "person id")},
            "required": ["scope"],
        },
    },
    {
        "name": "away_impact",
        "description": "What breaks if a person is away; with days, the work expected in that period.",
        "input_schema": {
            "type": "object",
            "properties": {
                "person": _prop("string", "person id"),
                "days": _prop("integer", "length of the absence in days"),
            },
            "required": ["person"],
        },
    },
    {
        "name": "independence_check",
        "description": "Independence verdict of a scope with reasons and what is missing.",
        "input_schema": {
            "type": "object",
            "properties": {"scope": _prop("string", "scope")},
            "required": ["scope"],
        },
    },
    {
        "name": "practice",
        "description": "Practice ledger entries, by person or scope.",
        "input_schema": {
            "type": "object",
            "properties": {"person": _prop("string", "person id"), "scope": _prop("string", "scope")},
        },
    },
    {
        "name": "scan_history",
        "description": "The latest scans and what each found new.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "transfer_priorities",
        "description": "Hero scopes ordered by risk: what to transfer first.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "next_learners",
        "description": "People closest to a scope's work after its hero, and their practice.",
        "input_schema": {
            "type": "object",
            "properties": {"scope": _prop("string", "scope")},
            "required": ["scope"],
        },
    },
]
"""The tools as the Messages API declares them."""
