"""Gather the evidence a draft stands on: analytics facts, then chunks picked per recurring incident class
of the scope (postmortem resolutions, the hero's fix threads, timelines), the scope's runbook sections,
and the rest ranked by Chroma, each with its id.

Evidence is gathered per class rather than by one global retrieval, so a scope with several recurring
failures gets the fixes of each of them, not only of the most frequent one.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from agent.analytics.judgement import judge
from agent.drafting import facts
from ingest.db import Activity, Alias, Chunk, Incident, Person

MAX_EVIDENCE = 40
"""Chunks given to one draft: enough for a scope's recurring incidents, small enough for one prompt."""

EVIDENCE_TEXT_LIMIT = 4000
"""Characters of one chunk kept as evidence (long chunks are cut, never summarised)."""

PER_CLASS_CHUNKS = 6
"""Chunks picked for one incident class at most: a resolution, the hero's threads, a timeline and one or
two more, enough to see the fix and its variants; more repeats the same steps."""

MAX_RUNBOOK_CHUNKS = 8
"""Runbook sections of the scope kept at most (a runbook is a handful of sections: steps, escalation...)."""

CLASS_PREFIX = "class:"
"""Scopes naming an incident class rather than a service."""

RETRIEVAL_QUERY = (
    "how {scope} incidents were fixed: steps, commands, rollback, restart, failover, escalation, traps"
)
"""What Chroma is asked for, per scope."""

STEP_SECTION_TITLE = re.compile(r"\b(resolution|remediation|mitigation|fix|steps|procedure|recovery)\b", re.I)
"""Section titles whose text is a list of fix steps."""

TIMELINE_TITLE = re.compile(r"\btimeline\b", re.I)
"""Section titles whose text narrates the fix as it happened."""

HERO_LINES = 8
"""Fixes and judgement lines of the hero carried into a draft: the distinct ones they gave most often."""

log = logging.getLogger(__name__)


@dataclass
class IncidentGroup:
    """The scope's incidents of one class: its label, keys and the chunks linked to them."""

    label: str
    keys: list[str] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)


_TITLE_NOISE = re.compile(r"^\s*postmortem\s*:\s*|\(\s*#\d+\s*\)|#\d+\b|\s+—\s+.*$", re.I)


def class_label(title: str) -> str:
    """A class label from an incident title: the title without its number or 'Postmortem:' prefix."""
    text = _TITLE_NOISE.sub(" ", title or "")
    return re.sub(r"\s+", " ", text).strip().lower()


def _slug_words(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def incident_groups(ws: Any, scope: str) -> list[IncidentGroup]:
    """The scope's incidents by class (the stored class, else the cleaned title), most frequent first."""
    with ws.session() as s:
        q = select(Incident.key, Incident.title, Incident.incident_class, Incident.chunk_id)
        if scope.startswith(CLASS_PREFIX):
            label = scope[len(CLASS_PREFIX) :]
            rows = s.execute(q.where(Incident.incident_class == label).order_by(Incident.key)).all()
            if not rows:  # classes not computed yet: titles that carry the label's words
                wanted = _slug_words(label)
                rows = [
                    r
                    for r in s.execute(q.order_by(Incident.key)).all()
                    if wanted and wanted in _slug_words(r.title or "")
                ]
        else:
            rows = s.execute(q.where(Incident.scope == scope).order_by(Incident.key)).all()
        groups: dict[str, IncidentGroup] = {}
        for key, title, cls, chunk_id in rows:
            label = cls or class_label(title or "") or key
            g = groups.setdefault(label, IncidentGroup(label=label))
            g.keys.append(key)
            if chunk_id:
                g.chunks.append(chunk_id)
        by_key = {k: g for g in groups.values() for k in g.keys}
        keys = sorted(by_key)
        linked: list[tuple[str, str | None]] = []
        for start in range(0, len(keys), 500):
            linked += s.execute(
                select(Activity.incident, Activity.chunk_id)
                .where(Activity.incident.in_(keys[start : start + 500]), Activity.chunk_id.is_not(None))
                .order_by(Activity.ts, Activity.id)
            ).all()
    for key, cid in linked:
        if cid:
            by_key[key].chunks.append(cid)
    out = list(groups.values())
    for g in out:
        g.chunks = list(dict.fromkeys(g.chunks))
    return sorted(out, key=lambda g: (-len(g.keys), g.label))


def _bucket(kind: str, title: str, hero_fix: bool, fix: bool) -> int:
    """How directly a chunk states a fix: 0 resolution/steps section ... 6 the bare incident record."""
    if kind in ("postmortem", "runbook") and STEP_SECTION_TITLE.search(title):
        return 0
    if kind.startswith("chat") and hero_fix:
        return 1
    if kind in ("postmortem", "runbook") and TIMELINE_TITLE.search(title):
        return 2
    if kind.startswith("chat") and fix:
        return 3
    if kind in ("postmortem", "runbook"):
        return 4
    if kind.startswith("chat"):
        return 5
    return 6


def _class_picks(ws: Any, group: IncidentGroup, hero: str | None) -> list[str]:
    """Up to ``PER_CLASS_CHUNKS`` chunks of one class, one of each kind of source in turn, newest first."""
    if not group.chunks:
        return []
    with ws.session() as s:
        rows = s.execute(
            select(Chunk.id, Chunk.kind, Chunk.title, Chunk.ts).where(Chunk.id.in_(group.chunks))
        ).all()
        wanted = set(group.chunks)
        acts = [(f.chunk_id, f.person) for f in judge(s) if f.action == "fix_shared" and f.chunk_id in wanted]
    fixers: dict[str, set[str | None]] = defaultdict(set)
    for cid, pid in acts:
        fixers[str(cid)].add(pid)
    buckets: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        hero_fix = bool(hero) and hero in fixers.get(r.id, set())
        buckets[_bucket(r.kind or "", r.title or "", hero_fix, r.id in fixers)].append(r)
    for b in buckets.values():
        b.sort(key=lambda r: (r.ts.isoformat() if r.ts else "", r.id), reverse=True)
    picks: list[str] = []
    depth = 0
    while len(picks) < PER_CLASS_CHUNKS and any(len(b) > depth for b in buckets.values()):
        for bucket in sorted(buckets):
            if len(buckets[bucket]) > depth and len(picks) < PER_CLASS_CHUNKS:
                picks.append(buckets[bucket][depth].id)
        depth += 1
    return picks


def gather(ws: Any, scope: str, hero: str | None) -> dict[str, dict[str, Any]]:
    """Evidence by id: analytics facts first, then chunks per incident class, runbooks, then the rest."""
    groups = incident_groups(ws, scope)
    with ws.session() as s:
        linked = s.execute(
            select(Activity.chunk_id, Activity.person_id).where(
                Activity.scope == scope, Activity.chunk_id.is_not(None)
            )
        ).all()
        hero_ids = {cid for cid, pid in linked if hero and pid == hero}
        scope_ids = [
            r[0] for r in s.execute(select(Chunk.id).where(Chunk.scope == scope).order_by(Chunk.ts, Chunk.id))
        ]
        runbooks = [
            r[0]
            for r in s.execute(
                select(Chunk.id)
                .where(Chunk.scope == scope, Chunk.kind == "runbook")
                .order_by(Chunk.ts, Chunk.id)
            )
        ]
    group_of: dict[str, str] = {}
    per_class = [_class_picks(ws, g, hero) for g in groups]
    chosen: list[str] = []
    depth = 0
    while len(chosen) < MAX_EVIDENCE and any(len(p) > depth for p in per_class):
        for g, picks in zip(groups, per_class, strict=True):
            if len(picks) > depth and len(chosen) < MAX_EVIDENCE and picks[depth] not in group_of:
                group_of[picks[depth]] = g.label
                chosen.append(picks[depth])
        depth += 1
    runbook_room = min(MAX_RUNBOOK_CHUNKS, max(0, MAX_EVIDENCE - len(chosen)))
    ranked = _rank_with_index(ws, scope)
    for cid in [c for c in ranked if c in runbooks] + runbooks:
        if runbook_room <= 0:
            break
        if cid not in chosen:
            chosen.append(cid)
            runbook_room -= 1
    candidates = list(dict.fromkeys([*sorted(hero_ids), *scope_ids, *sorted({c for c, _ in linked})]))
    for cid in dict.fromkeys([*[c for c in candidates if c in hero_ids], *ranked, *candidates]):
        if len(chosen) >= MAX_EVIDENCE:
            break
        if cid not in chosen:
            chosen.append(cid)
    evidence: dict[str, dict[str, Any]] = {f["id"]: f for f in facts.scope_facts(ws, scope, hero)}
    with ws.session() as s:
        if hero:  # chunks the hero is linked to through another scope (a class scope's incidents)
            hero_ids |= set(
                s.scalars(
                    select(Activity.chunk_id).where(Activity.person_id == hero, Activity.chunk_id.in_(chosen))
                )
            )
        rows = s.execute(select(Chunk).where(Chunk.id.in_(chosen))).scalars().all()
    knowledge: list[dict[str, Any]] = []
    if hero:
        with ws.session() as s:
            names = [n for (n,) in s.execute(select(Alias.display).where(Alias.person_id == hero)) if n]
            names += [n for (n,) in s.execute(select(Person.name).where(Person.id == hero)) if n]
            knowledge = hero_knowledge(s, hero, names, scope=scope)
            if scope.startswith(CLASS_PREFIX):  # a class keeps to its own incidents' chunks
                knowledge = [k for k in knowledge if k["chunk_id"] in chosen]
            knowledge = knowledge[:HERO_LINES]
            missing = [k["chunk_id"] for k in knowledge if k["chunk_id"] not in chosen]
            if missing:  # the chunks carrying the hero's own fixes always come with the draft
                rows = [*rows, *s.execute(select(Chunk).where(Chunk.id.in_(missing))).scalars().all()]
                hero_ids |= set(missing)
    lines_of: dict[str, list[str]] = defaultdict(list)
    for k in knowledge:
        lines_of[k["chunk_id"]].append(k["text"])
    for fact in escalation_facts(ws, scope, hero, knowledge):
        evidence[fact["id"]] = fact
    for row in sorted(rows, key=lambda r: (r.ts.isoformat() if r.ts else "", r.id)):
        evidence[row.id] = {
            "hero_lines": lines_of.get(row.id, []),
            "id": row.id,
            "kind": row.kind,
            "title": row.title or "",
            "text": row.text[:EVIDENCE_TEXT_LIMIT],
            "source": row.source,
            "ts": row.ts.isoformat() if row.ts else None,
            "hero": row.id in hero_ids,
            "group": group_of.get(row.id, ""),
        }
    return evidence


def _rank_with_index(ws: Any, scope: str) -> list[str]:
    """Chunk ids of the scope in Chroma's order of relevance (empty when the index is not available)."""
    try:
        hits = ws.index.query(RETRIEVAL_QUERY.format(scope=scope), n=MAX_EVIDENCE, where={"scope": scope})
    except Exception as exc:  # an empty or missing index must not stop drafting
        log.info("vector index not used for %s: %s", scope, exc)
        return []
    return [h.id for h in hits]


# ------------------------------------------------------------------ what a hero knows (shared with ask)

FIX_CUE = re.compile(
    r"`[^`]+`|^(?:try|run|restart|check|drop|grow|bump|increase|raise|lower|kill|terminate|scale|roll ?back|"
    r"fail ?over|promote|flush|clear|rotate|disable|enable|pin|revert|re-?index|vacuum|purge|drain|find|set|"
    r"apply|redeploy|reload|resize|add|remove|delete|cordon|evict|pause|resume|replay|requeue|reset)\b",
    re.I,
)
"""A line that hands over a fix: a command in backticks, or an instruction opening with an operator's verb."""

JUDGEMENT_CUE = re.compile(
    r"\b(?:if|unless|before|never|don't|do not|always|usually|watch|careful|because|means|trap|"
    r"false positive|last time|every time|tell-?tale|the sign)\b",
    re.I,
)
"""A line that carries judgement: when and why, traps, what a symptom means."""

SPEAKER_LINE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\[[^\]]{4,40}\]\s*|\d{1,2}:\d{2}(?::\d{2})?\s+)?(?P<who>@?[\w.'\- ]{2,40}?):\s+(?P<say>\S.*)$"
)
"""A chat or timeline line with its speaker: '[2026-01-02 15:44Z] Name: text', '- 00:37 @handle: text'."""

LEAD_IN = re.compile(r"^(?:(?:first|then|now|next|ok|okay|so)\b[:,]?\s*)+", re.I)
"""Words that open a chat line without being part of the instruction ('first: ', 'now ')."""

KNOWLEDGE_MAX = 40
"""Distinct lines kept of one person (the most repeated first)."""


def _speaker_forms(names: list[str]) -> set[str]:
    return {n.lower().lstrip("@").strip() for n in names if n and len(n.strip()) > 1}


def hero_knowledge(
    session: Any, person: str, names: list[str], scope: str | None = None
) -> list[dict[str, Any]]:
    """The fixes, commands and judgement a person gave in the threads and write-ups linked to their work,
    each with the chunk it comes from; distinct lines, the ones they gave in the most places first."""
    forms = _speaker_forms([person, *names])
    q = select(Activity.chunk_id, Activity.scope, Activity.incident).where(
        Activity.person_id == person, Activity.chunk_id.is_not(None)
    )
    if scope and not scope.startswith(CLASS_PREFIX):
        q = q.where(Activity.scope == scope)
    links: dict[str, tuple[str, str | None]] = {}
    for chunk_id, sc, incident in session.execute(q):
        links.setdefault(chunk_id, (sc, incident))
    if not links:
        return []
    items: dict[str, dict[str, Any]] = {}
    for ch in session.execute(select(Chunk).where(Chunk.id.in_(list(links)))).scalars():
        for line in ch.text.splitlines():
            m = SPEAKER_LINE.match(line)
            if not m or m.group("who").lower().lstrip("@").strip() not in forms:
                continue
            say = LEAD_IN.sub("", m.group("say").strip())
            kind = (
                "fix"
                if FIX_CUE.search(say)
                else "judgement"
                if JUDGEMENT_CUE.search(say) and not say.rstrip().endswith("?")
                else None
            )
            if kind is None:
                continue
            key = re.sub(r"\W+", " ", say.lower()).strip()
            item = items.get(key)
            if item is None:
                cmd = re.search(r"`([^`]+)`", say)
                items[key] = {
                    "kind": kind,
                    "text": say,
                    "command": cmd.group(1) if cmd else None,
                    "chunk_id": ch.id,
                    "source": ch.source,
                    "path": ch.path,
                    "scope": links[ch.id][0],
                    "incident": links[ch.id][1],
                    "times": 1,
                    "chunks": [ch.id],
                }
            elif ch.id not in item["chunks"]:
                item["times"] += 1
                item["chunks"].append(ch.id)
    ranked = sorted(items.values(), key=lambda i: (-i["times"], i["kind"] != "fix", i["chunk_id"], i["text"]))
    return ranked[:KNOWLEDGE_MAX]


def escalation_facts(
    ws: Any, scope: str, hero: str | None, knowledge: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Escalation guidance a responder can follow, from the rescues of the scope: if it does not recover,
    page the person pulled in, with what they did the last times (a ``fact:`` a claim can cite)."""
    from agent.analytics import find_rescues

    with ws.session() as s:
        rescues = [
            r
            for r in find_rescues(s)
            if r.scope == scope or (scope.startswith(CLASS_PREFIX) and f"class:{r.incident_class}" == scope)
        ]
        names = dict(s.execute(select(Person.id, Person.name)).all())
    by_person: dict[str, list[Any]] = defaultdict(list)
    for r in rescues:
        by_person[r.person].append(r)
    fix = next((k for k in knowledge if k["kind"] == "fix"), None)
    did = f'; the fix they give most often there: "{fix["text"]}"' if fix else ""
    if by_person:
        target = hero if hero in by_person else max(by_person, key=lambda p: len(by_person[p]))
        mine = sorted(by_person[target], key=lambda r: r.ts)
        pullers = sorted({names.get(r.pulled_by, r.pulled_by) for r in mine if r.pulled_by})
        count, how = len(mine), "needed rescuing"
    elif hero and not scope.startswith(CLASS_PREFIX):
        with ws.session() as s:
            rows = s.execute(
                select(Activity.incident).where(
                    Activity.scope == scope, Activity.person_id == hero, Activity.action == "escalated"
                )
            ).all()
        count, how, target, pullers = len({i for (i,) in rows if i}), "was escalated", hero, []
    else:
        count = 0
    if not count:
        return []
    who = names.get(target, target)
    text = (
        f"If {scope} does not recover after the steps above, page {who}: the last {count} times it {how}, "
        f"{who} was pulled in" + (f" (by {', '.join(pullers[:3])})" if pullers else "") + f"{did}."
    )
    return [{"id": f"fact:{scope}:escalation", "kind": "fact", "title": "escalation", "text": text}]
