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

RECENT_RESCUES = 3
"""Newest pull-ins listed per hero scope."""

KNOWLEDGE_ITEMS = 6
"""Fixes (and judgement lines) listed of one person: the distinct ones they gave most often."""

TOP_CONDITIONS = 5
"""Incident classes and scopes listed by the anti-heroics ranking."""

TOP_PEOPLE = 5
"""People listed by a per-person ranking (off-hours load, escalations received)."""

CAPABLE_SHARE = 0.05
"""A share of a scope's work that makes someone 'also able to do it' (the what-if's own cut-off)."""

SHARE_LEVELS = (10, 20, 25, 30, 50)
"""Share levels (percent) at which 'how many people do more than N% of it' is counted."""

CHAT_ACTIONS = frozenset({"chat_message", "mentioned", "annotated"})
"""Actions that are talk, not handling work."""

RESOLVE_ACTIONS = frozenset({"resolved", "fix_shared", "restart", "failover", "rollback", "hotfix"})
"""Actions that handle the work itself."""

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


_ANALYSES: dict[tuple[str, tuple[int, ...]], dict[Any, Any]] = {}
"""Analyses computed per workspace state (database file and its journal unchanged): questions reuse them."""

FUZZY_RATIO = 0.8
"""A typed word matches a scope's word at this similarity or more (difflib): 'serch' is 'search' (0.91),
'billing' is not 'bidding' (0.71). Only words of five letters or more are matched fuzzily."""


STATE_TABLES = (
    "records",
    "activities",
    "people",
    "aliases",
    "merge_suggestions",
    "shifts",
    "drafts",
    "draft_versions",
    "decisions",
    "practice_entries",
    "scan_snapshots",
)
"""Tables whose rows the answers stand on (evidence, identity, ledger, scans); analyses never write them."""


def _fingerprint(ws: Any) -> tuple[str, tuple[int, ...]] | None:
    """The workspace's state: row counts and newest ids of the tables answers stand on (None: unknown)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    parts = ", ".join(f"(SELECT count(*) FROM {t})" for t in STATE_TABLES)
    ids = ", ".join(
        f"(SELECT max(id) FROM {t})" for t in ("records", "activities", "decisions", "practice_entries")
    )
    try:
        with ws.session() as s:
            row = s.execute(text(f"SELECT {parts}, {ids}")).one()
    except SQLAlchemyError:
        return None
    return str(ws.settings.db_url), tuple(int(v or 0) for v in row)


def _as_time(value: Any) -> datetime | None:
    """A window bound given as a datetime or an ISO date (as Claude passes it)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class Toolbox:
    """The tools, bound to one workspace; ``calls`` keeps (tool, arguments, result) in order."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.calls: list[dict[str, Any]] = []
        self._map: Any = None
        self._names: dict[str, str] | None = None
        key = _fingerprint(ws)
        if key is None:
            self._memo: dict[Any, Any] = {}
        else:
            for old in [k for k in _ANALYSES if k[0] == key[0] and k != key]:
                del _ANALYSES[old]
            self._memo = _ANALYSES.setdefault(key, {})

    def memo(self, key: Any, compute: Any) -> Any:
        """An analysis computed once per workspace state."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def map_for(self, since: datetime | None = None, until: datetime | None = None) -> Any:
        """The hero map over a window (the whole data when unbounded)."""
        since, until = _as_time(since), _as_time(until)
        if since is None and until is None:
            return self.map()
        from agent.analytics import compute_map

        return self.memo(("map", since, until), lambda: compute_map(self.ws, since=since, until=until))

    def patterns(self) -> Any:
        from agent.analytics import patterns

        return self.memo("patterns", lambda: patterns(self.ws))

    def rescues(self) -> Any:
        from agent.analytics import find_rescues

        def run() -> Any:
            with self.ws.session() as s:
                return find_rescues(s)

        return self.memo("rescues", run)

    def bands(self) -> Any:
        from agent.analytics.metrics import aggregate

        def run() -> Any:
            with self.ws.session() as s:
                return aggregate(s, self.ws.settings.org_timezone)

        return self.memo("bands", run)

    def whatif(self, people: list[str]) -> Any:
        from agent.analytics import whatif

        key = tuple(sorted(people))
        return self.memo(("whatif", key), lambda: whatif(self.ws, list(key)))

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
        from agent.analytics import compute_map

        return self.memo("map", lambda: compute_map(self.ws))

    def names(self) -> dict[str, str]:
        return self.memo("names", lambda: _name_map(self.ws))

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
            # a first name, also typed as a possessive without its apostrophe ("deborahs")
            if first and firsts[first] == 1 and re.search(rf"\b{re.escape(first)}(?:'?s)?\b", low):
                found.append(p.id)
    order = {pid: low.find(tb.names().get(pid, pid).split()[0].lower()) for pid in found}
    found.sort(key=lambda pid: order[pid] if order[pid] >= 0 else len(low))
    return {"people": [tb.person(pid) for pid in found]}


def find_scopes(tb: Toolbox, text: str, fallback: bool = True) -> dict[str, Any]:
    """Scopes whose names match words of the text, best first; else the scopes of the nearest evidence."""
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in STOP_WORDS}
    names = {p.id: p for p in tb.map().people}
    person_words = {
        w for p in names.values() for w in re.findall(r"[a-z0-9]+", (p.name + " " + p.id).lower())
    }
    words -= person_words
    scored = []
    for s in tb.map().scopes:
        parts = set(re.split(r"[:\-/_.]", s.scope.lower())) - {
            "service",
            "task",
            "class",
            "repo",
            "path",
            "channel",
        }
        hits = len(words & parts) + sum(
            1 for w in words - parts if len(w) >= 5 and any(_close(w, p) for p in parts if len(p) >= 5)
        )
        if (
            s.scope.startswith("task:")
            and parts & words
            and not (
                words & {s.scope.split(":")[1]} or any(w.startswith(s.scope.split(":")[1][:5]) for w in words)
            )
        ):
            hits -= 1  # a task scope needs its action named ('failover'), else the service comes first
        if s.scope.startswith("class:") and hits < 2:
            hits = 0  # class slugs are clustering terms ('many', 'load'): one shared word is chance
        if hits > 0:
            kind_rank = 0 if s.scope.startswith("service:") else 1
            scored.append((-hits, kind_rank, -s.risk, s.scope))
    scopes = [sc for *_, sc in sorted(scored)]
    via = "names"
    if not scopes and words and fallback:
        hits = search_evidence(tb, " ".join(sorted(words)))["hits"]
        counts = Counter(h["scope"] for h in hits if h.get("scope"))
        scopes = [sc for sc, _ in counts.most_common() if tb.scope_row(sc) is not None]
        via = "evidence"
    return {"scopes": scopes[:5], "matched_by": via}


def _close(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= FUZZY_RATIO


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
    rescues = tb.rescues()
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
    res = tb.whatif([person])
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
        "lost_scopes_count": sum(
            1 for r in scopes if r["ref"].startswith("whatif:") and not r["scope"].startswith("class:")
        ),
        "data_until": until.isoformat() if until else None,
    }


def independence_check(tb: Toolbox, scope: str) -> dict[str, Any]:
    """The independence verdict of a scope: verdict, reasons, what is missing (approved material + confirmed practice)."""
    from agent.ledger import independence

    v = tb.memo(("independence", scope), lambda: independence(tb.ws, scope=scope).scopes[0])
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
    import copy

    from agent.scan.service import last_scans

    scans = copy.deepcopy(tb.memo("scans", lambda: last_scans(tb.ws, n=2)))
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


# ------------------------------------------------------------------------- the playbook's questions


def _plain(scope: str) -> bool:
    return not scope.startswith("class:")


def _when(ts: Any) -> str:
    return ts.strftime("%Y-%m-%d") if ts else ""


def hero_situations(tb: Toolbox, n: int = RECENT_RESCUES) -> dict[str, Any]:
    """Situations that still need a specific person: each hero scope, and the newest incidents and deploys
    where its hero was pulled in."""
    result = tb.map()
    rows = {s.scope: s for s in result.scopes}
    rescues = sorted(tb.rescues(), key=lambda r: r.ts, reverse=True)
    out = []
    for h in result.heroes:
        for d in h.details:
            recent = [
                r
                for r in rescues
                if r.person == h.person and (r.scope == d.scope or f"class:{r.incident_class}" == d.scope)
            ]
            out.append(
                {
                    "scope": d.scope,
                    "hero": tb.person(h.person),
                    "label": d.kind,
                    "share_pct": round(d.share * 100),
                    "rescues": d.rescues,
                    "incidents": d.incidents,
                    "risk": rows[d.scope].risk if d.scope in rows else 0.0,
                    "recent_pull_ins": [
                        {
                            "incident": r.incident,
                            "date": _when(r.ts),
                            "how": r.how if hasattr(r, "how") else None,
                        }
                        for r in recent[:n]
                    ],
                    "chunks": tb.chunks([c for r in recent[:n] for c in r.chunk_ids])[:2],
                    "ref": f"map:{d.scope}",
                }
            )
    out.sort(key=lambda i: (not _plain(i["scope"]), -i["risk"], i["scope"]))
    return {"situations": out}


def hero_knowledge(tb: Toolbox, person: str, scope: str | None = None) -> dict[str, Any]:
    """What the person knows, does and notices that others do not: the fixes, commands and judgement they
    gave in linked threads and write-ups (cited), and the incident classes only they rescued."""
    from agent.drafting.evidence import hero_knowledge as extract

    names = [tb.names().get(person, person)] + next(
        (p.aliases for p in tb.map().people if p.id == person), []
    )
    with tb.ws.session() as s:
        items = extract(s, person, names, scope=scope)
    res = tb.whatif([person])
    mine = [sc for h in tb.map().heroes if h.person == person for sc in h.scopes]
    if not mine:
        ranked = sorted(
            (sc for sc in tb.map().scopes if person in sc.shares),
            key=lambda sc: (-sc.shares[person], sc.scope),
        )
        mine = [sc.scope for sc in ranked[:CANDIDATES]]
    return {
        "person": tb.person(person),
        "hero_of": [sc for h in tb.map().heroes if h.person == person for sc in h.scopes],
        "scopes": mine,
        "classes_only_they_rescued": res.classes_only_they_rescued,
        "fixes": [i for i in items if i["kind"] == "fix"][:KNOWLEDGE_ITEMS],
        "judgement": [i for i in items if i["kind"] == "judgement"][:KNOWLEDGE_ITEMS],
        "chunks": tb.chunks([i["chunk_id"] for i in items])[:KNOWLEDGE_ITEMS],
    }


def rescue_conditions(tb: Toolbox) -> dict[str, Any]:
    """The anti-heroics analysis: incident classes and scopes ranked by the rescues they caused, with the
    conditions the map found behind them (alert noise, no runbook, fragile releases ...)."""
    pat = tb.patterns()
    classes = sorted(
        (c for c in pat.classes if sum(c.rescuers.values())),
        key=lambda c: (-sum(c.rescuers.values()), c.scope),
    )
    scopes = sorted(
        (s for s in tb.map().scopes if s.rescues and _plain(s.scope)), key=lambda s: (-s.rescues, s.scope)
    )
    gaps = set(pat.runbook_gaps)
    triggers: dict[str, list[str]] = {}
    for h in tb.map().heroes:
        for d in h.details:
            triggers[d.scope] = list(d.triggers)[:3] + [r for r in d.label_reasons if "runbook" in r][:1]
    return {
        "classes": [
            {
                "scope": c.scope,
                "rescues": sum(c.rescuers.values()),
                "incidents": c.incidents,
                "recurrence_per_month": c.recurrence_per_month,
                "rescued_by": [tb.person(p) for p in sorted(c.rescuers, key=lambda p: -c.rescuers[p])][:2],
                "services": c.services,
                "no_runbook": c.scope in gaps,
                "ref": f"patterns:{c.scope}",
            }
            for c in classes[:TOP_CONDITIONS]
        ],
        "scopes": [
            {
                "scope": s.scope,
                "rescues": s.rescues,
                "hero": tb.person(s.hero),
                "conditions": triggers.get(s.scope, []),
                "ref": f"map:{s.scope}",
            }
            for s in scopes[:TOP_CONDITIONS]
        ],
        "rescue_total": pat.rescues,
    }


def off_hours_load(tb: Toolbox) -> dict[str, Any]:
    """Events outside business hours and in sleep hours (22-08 local) per person, over every plain scope."""
    totals: dict[str, dict[str, int]] = {}
    for (scope, _), st in tb.bands().items():
        if not _plain(scope):
            continue
        for pid, p in st.people.items():
            t = totals.setdefault(pid, {"off_hours": 0, "sleep": 0})
            t["off_hours"] += p.off_events + p.sleep_events
            t["sleep"] += p.sleep_events
    rows: list[dict[str, Any]] = [
        {"person": tb.person(pid), **t} for pid, t in totals.items() if t["off_hours"]
    ]
    by_off = sorted(rows, key=lambda r: (-r["off_hours"], r["person"]["id"]))
    by_sleep = sorted((r for r in rows if r["sleep"]), key=lambda r: (-r["sleep"], r["person"]["id"]))
    total_sleep = sum(r["sleep"] for r in rows)
    return {
        "by_off_hours": by_off[:TOP_PEOPLE],
        "by_sleep": by_sleep[:TOP_PEOPLE],
        "all": {r["person"]["id"]: r for r in rows},
        "total_sleep": total_sleep,
        "top_sleep_share_pct": round(by_sleep[0]["sleep"] / total_sleep * 100) if total_sleep else 0,
        "ref": "map:off-hours",
    }


def escalation_paths(tb: Toolbox, person: str | None = None) -> dict[str, Any]:
    """Who pulls in whom (escalations, reassignments and pull-ins by name), most first."""
    edges = sorted(tb.patterns().escalations, key=lambda e: (-e.count, e.source, e.target))

    def edge(e: Any) -> dict[str, Any]:
        return {"from": tb.person(e.source), "to": tb.person(e.target), "count": e.count, "kinds": e.kinds}

    received: dict[str, int] = {}
    for e in edges:
        received[e.target] = received.get(e.target, 0) + e.count
    top = sorted(received, key=lambda p: (-received[p], p))
    out: dict[str, Any] = {
        "top_targets": [{"person": tb.person(p), "received": received[p]} for p in top[:TOP_PEOPLE]],
        "ref": "patterns:escalations",
    }
    if person:
        out["person"] = tb.person(person)
        out["pulled_in_by"] = [edge(e) for e in edges if e.target == person]
        out["pulls_in"] = [edge(e) for e in edges if e.source == person]
        out["received"] = received.get(person, 0)
    else:
        out["edges"] = [edge(e) for e in edges[: TOP_PEOPLE * 2]]
    return out


def who_else(tb: Toolbox, scope: str) -> dict[str, Any]:
    """Who else can do a scope's work (who keeps capability when its hero is away) and who is next in line."""
    s = tb.scope_row(scope)
    if s is None:
        return {"scope": scope, "error": "no activity recorded for this scope"}
    capable: list[str] = []
    if s.hero:
        for w in tb.whatif([s.hero]).scopes:
            if w.scope == scope:
                capable = list(w.remaining)
    if not capable:
        capable = [p for p, v in s.shares.items() if p != s.hero and v >= CAPABLE_SHARE]
    nxt = [p for p in s.shares if p not in (s.hero, s.top_person)][:CANDIDATES]
    return {
        "scope": scope,
        "hero": tb.person(s.hero),
        "top_person": tb.person(s.top_person),
        "capable_without_hero": [
            {"person": tb.person(p), "share_pct": round(s.shares.get(p, 0) * 100)} for p in capable
        ],
        "next_in_line": [{"person": tb.person(p), "share_pct": round(s.shares[p] * 100)} for p in nxt],
        "ref": f"map:{scope}",
    }


def scope_figures(
    tb: Toolbox, scope: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """A scope's figures: people, bus factor, effective responders, top share, incidents, rescues, and the
    number of people over each share level."""
    s = next((x for x in tb.map_for(since, until).scopes if x.scope == scope), None)
    if s is None:
        return {"scope": scope, "error": "no activity recorded for this scope"}
    return {
        "scope": scope,
        "people": s.people,
        "bus_factor": s.bus_factor,
        "effective_responders": s.effective_responders,
        "top_person": tb.person(s.top_person),
        "top_share_pct": round(s.top_share * 100),
        "hero": tb.person(s.hero),
        "incidents": s.incidents,
        "rescues": s.rescues,
        "events": s.events,
        "people_over_share": [
            {"share_pct": lvl, "people": sum(1 for v in s.shares.values() if v > lvl / 100)}
            for lvl in SHARE_LEVELS
        ],
        "ref": f"map:{scope}",
    }


def person_figures(
    tb: Toolbox, person: str, other: str | None = None, scope: str | None = None
) -> dict[str, Any]:
    """A person's figures: rescues, escalations received, off-hours and sleep-hours events, hero scopes, and
    (given another person) the escalations from one to the other both ways."""
    rescues = {r.incident for r in tb.rescues() if r.person == person and (scope is None or r.scope == scope)}
    load = off_hours_load(tb)["all"].get(person, {"off_hours": 0, "sleep": 0})
    edges = tb.patterns().escalations
    out: dict[str, Any] = {
        "person": tb.person(person),
        "rescues": len(rescues),
        "rescues_scope": scope,
        "escalations_received": sum(e.count for e in edges if e.target == person),
        "off_hours_events": load["off_hours"],
        "sleep_events": load["sleep"],
        "hero_of": [sc for h in tb.map().heroes if h.person == person for sc in h.scopes],
        "ref": f"map:person:{person}",
    }
    if other:
        out["other"] = tb.person(other)
        out["escalations_to_other"] = sum(e.count for e in edges if e.source == person and e.target == other)
        out["escalations_from_other"] = sum(
            e.count for e in edges if e.source == other and e.target == person
        )
    return out


def org_figures(tb: Toolbox, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Organisation-wide counts: heroes, hero scopes, incident classes without a runbook, rescues."""
    m = tb.map_for(since, until)
    pat = tb.patterns()
    return {
        "heroes": [{"person": tb.person(h.person), "scopes": h.scopes} for h in m.heroes],
        "hero_count": len(m.heroes),
        "runbook_gap_count": len(pat.runbook_gaps),
        "rescue_total": pat.rescues,
        "understaffed_count": len(m.understaffed),
        "ref": "map:heroes",
    }


def runbook_gaps(tb: Toolbox) -> dict[str, Any]:
    """Incident classes with no covering runbook, and hero scopes labelled as having none."""
    pat = tb.patterns()
    undocumented = [
        {"scope": d.scope, "hero": tb.person(h.person)}
        for h in tb.map().heroes
        for d in h.details
        if any("no runbook" in r for r in d.label_reasons)
    ]
    return {
        "gaps": pat.runbook_gaps,
        "gap_count": len(pat.runbook_gaps),
        "covered": pat.covered,
        "undocumented_hero_scopes": undocumented,
        "ref": "patterns:runbooks",
    }


def person_profile(tb: Toolbox, person: str) -> dict[str, Any]:
    """Whether a person is a hero, and what their activity is made of (messages, resolves, rescues ...)."""
    from ingest.db import Activity

    with tb.ws.session() as s:
        rows = s.execute(
            select(Activity.action, func.count())
            .where(Activity.person_id == person)
            .group_by(Activity.action)
        ).all()
    actions = {a: int(n) for a, n in rows}
    rescued = len({r.incident for r in tb.rescues() if r.person == person})
    hero = [h for h in tb.map().heroes if h.person == person]
    return {
        "person": tb.person(person),
        "is_hero": bool(hero),
        "hero_of": hero[0].scopes if hero else [],
        "why": hero[0].why if hero else None,
        "actions": dict(sorted(actions.items(), key=lambda kv: -kv[1])),
        "messages": sum(n for a, n in actions.items() if a in CHAT_ACTIONS),
        "resolved": sum(n for a, n in actions.items() if a in RESOLVE_ACTIONS),
        "rescues": rescued,
        "top_scopes": [
            {"scope": sc.scope, "share_pct": round(sc.shares[person] * 100)}
            for sc in sorted(
                (x for x in tb.map().scopes if person in x.shares and _plain(x.scope)),
                key=lambda x: -x.shares[person],
            )[:3]
        ],
        "ref": f"map:person:{person}",
    }


def understaffed(tb: Toolbox) -> dict[str, Any]:
    """Scopes whose problem is a team too small to rotate, not knowledge concentration."""
    return {
        "scopes": [
            {"scope": u.scope, "why": u.why, "team": [tb.person(p) for p in getattr(u, "team", [])]}
            for u in tb.map().understaffed
        ],
        "ref": "map:understaffed",
    }


def risk_ranking(tb: Toolbox, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Hero scopes (services, tasks, repositories; not incident classes) ranked by risk over a window."""
    m = tb.map_for(since, until)
    rows = sorted((s for s in m.scopes if s.hero and _plain(s.scope)), key=lambda s: (-s.risk, s.scope))
    kinds = {d.scope: d for h in m.heroes for d in h.details}
    return {
        "window": m.window.model_dump(mode="json"),
        "ranking": [
            {
                "scope": s.scope,
                "hero": tb.person(s.hero),
                "risk": s.risk,
                "share_pct": round(s.top_share * 100),
                "rescues": s.rescues,
                "label": kinds[s.scope].kind if s.scope in kinds else None,
                "reasons": kinds[s.scope].label_reasons[:2] if s.scope in kinds else [],
                "ref": f"map:{s.scope}",
            }
            for s in rows
        ],
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
    "hero_situations": hero_situations,
    "hero_knowledge": hero_knowledge,
    "rescue_conditions": rescue_conditions,
    "off_hours_load": off_hours_load,
    "escalation_paths": escalation_paths,
    "who_else": who_else,
    "scope_figures": scope_figures,
    "person_figures": person_figures,
    "org_figures": org_figures,
    "runbook_gaps": runbook_gaps,
    "person_profile": person_profile,
    "understaffed": understaffed,
    "risk_ranking": risk_ranking,
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


def _schema(name: str, description: str, **props: tuple[str, str, bool]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": {k: _prop(kind, desc) for k, (kind, desc, _) in props.items()},
            "required": [k for k, (_, _, req) in props.items() if req],
        },
    }


PERSON = ("string", "person id", True)
SCOPE = ("string", "scope", True)
SINCE = ("string", "ISO date: start of the window (optional)", False)
UNTIL = ("string", "ISO date: end of the window (optional)", False)

TOOL_SCHEMAS += [
    _schema(
        "hero_situations", "Situations that still need a specific person: hero scopes and recent pull-ins."
    ),
    _schema(
        "hero_knowledge",
        "What a person knows, does and notices that others do not: their fixes, commands and judgement, cited.",
        person=PERSON,
        scope=("string", "optional scope filter", False),
    ),
    _schema("rescue_conditions", "Incident classes and scopes ranked by how many rescues they caused."),
    _schema("off_hours_load", "Events outside business hours and in sleep hours, per person."),
    _schema(
        "escalation_paths",
        "Who pulls in whom (escalations, reassignments, pull-ins by name).",
        person=("string", "optional person id", False),
    ),
    _schema(
        "who_else", "Who keeps a scope's capability without its hero, and who is next in line.", scope=SCOPE
    ),
    _schema(
        "scope_figures", "A scope's counts: people, bus factor, responders, incidents, rescues.", scope=SCOPE
    ),
    _schema(
        "person_figures",
        "A person's counts: rescues, escalations received, off-hours events; with other, escalations between.",
        person=PERSON,
        other=("string", "optional second person id", False),
        scope=("string", "optional scope", False),
    ),
    _schema("org_figures", "Organisation counts: heroes, runbook gaps, rescues."),
    _schema("runbook_gaps", "Incident classes with no runbook, and hero scopes without one."),
    _schema(
        "person_profile", "Whether a person is a hero and what their activity is made of.", person=PERSON
    ),
    _schema("understaffed", "Scopes too small to rotate (understaffed rather than concentrated)."),
    _schema(
        "risk_ranking", "Hero scopes ranked by risk, optionally over a window.", since=SINCE, until=UNTIL
    ),
]
"""The playbook's questions and the rest, as the Messages API declares them."""
