"""The offline engine: answers the core questions deterministically from the same tools as Claude.

Every sentence is composed from tool results (names and numbers copied, never computed here), and a
question outside the core set is answered with what the engine can do instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.ask.models import Answer, Citation
from agent.ask.tools import Toolbox

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}
"""Spelled-out counts in 'for two weeks'."""

UNIT_DAYS = {"day": 1, "week": 7, "month": 30}
"""Days per unit of an absence."""

CITED_CHUNKS = 3
"""Chunk citations attached per answer."""

CAPABILITIES = (
    "who do we depend on for X; what happens if P is away (for how long); where is dependence highest; "
    "is X independent yet and what is missing; what changed since the last scan; what should we transfer "
    "first; who could learn X next"
)
"""The questions the offline engine answers."""


def parse_days(question: str) -> int | None:
    """The length of an absence in days ('for two weeks' -> 14), or None when not said."""
    q = question.lower()
    m = re.search(
        r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|few)\s+(day|week|month)s?", q
    )
    if not m:
        return None
    n = int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS[m.group(1)]
    return n * UNIT_DAYS[m.group(2)]


def _name(p: dict[str, Any] | None) -> str:
    return f"{p['name']} ({p['id']})" if p else "nobody"


def _names(people: list[dict[str, Any]]) -> str:
    return ", ".join(_name(p) for p in people) or "nobody"


class Composer:
    """Builds one answer from tool calls, collecting citations as it goes."""

    def __init__(self, tb: Toolbox) -> None:
        self.tb = tb
        self.citations: list[Citation] = []

    def cite_ref(self, ref: str) -> None:
        if all(c.ref != ref for c in self.citations):
            self.citations.append(Citation(ref=ref))

    def cite_chunks(self, chunks: list[dict[str, Any]], limit: int = CITED_CHUNKS) -> None:
        have = {c.chunk_id for c in self.citations}
        for ch in chunks[:limit]:
            if ch["chunk_id"] not in have:
                self.citations.append(
                    Citation(
                        chunk_id=ch["chunk_id"],
                        source=ch.get("source"),
                        path=ch.get("path"),
                        excerpt=ch.get("excerpt"),
                    )
                )

    def evidence_for(self, scope: str, person: str | None, query: str) -> None:
        """Cite the rescues' chunks of the scope, else the nearest text in the scope."""
        ev = self.tb.run("rescue_evidence", scope=scope, person=person)
        chunks = ev.get("chunks", [])
        if len(chunks) < CITED_CHUNKS:
            chunks = chunks + self.tb.run("scope_evidence", scope=scope, person=person).get("chunks", [])
        self.cite_chunks(chunks)

    def scope_of(self, question: str) -> str | None:
        found = self.tb.run("find_scopes", text=question).get("scopes", [])
        return found[0] if found else None

    def person_of(self, question: str) -> dict[str, Any] | None:
        people = self.tb.run("find_person", text=question).get("people", [])
        return people[0] if people else None

    def done(self, text: str) -> Answer:
        return Answer(
            answer=text,
            citations=self.citations,
            tools_used=self.tb.used,
            engine="offline",
            tool_results=self.tb.calls,
        )


# ------------------------------------------------------------------------------------- intents


def depend_on(c: Composer, q: str) -> Answer:
    scope = c.scope_of(q)
    if scope is None:
        return c.done(
            "I could not tell which service, task or incident class the question is about; "
            "name it as it appears on the map (for example a service name)."
        )
    m = c.tb.run("hero_map", scope=scope)
    s = m["scopes"][0]
    c.cite_ref(s["ref"])
    who = s["hero"] or s["top_person"]
    c.evidence_for(scope, who["id"] if who else None, q)
    if s["hero"]:
        lead = f"For {scope} we depend on {_name(s['hero'])}"
    else:
        lead = f"{scope} has no hero on the map; its top person is {_name(s['top_person'])}"
    text = (
        f"{lead}: {s['top_share_pct']}% of its weighted work, {s['rescues']} rescues, "
        f"{s['effective_responders']} effective responders, bus factor {s['bus_factor']}, "
        f"over {s['events']} events and {s['incidents']} incidents."
    )
    heroes = [h for h in m["heroes"] if h["person"] == s["hero"]]
    if heroes:
        text += f" Label: {heroes[0]['label']} ({'; '.join(heroes[0]['label_reasons'][:2])})."
    others = [x for x in s["shares"] if not who or x["person"]["id"] != who["id"]][:2]
    if others:
        text += (
            " Next: " + ", ".join(f"{_name(x['person'])} {round(x['share'] * 100)}%" for x in others) + "."
        )
    return c.done(text)


def away(c: Composer, q: str) -> Answer:
    person = c.person_of(q)
    if person is None:
        return c.done("I could not find that person; use a name, handle or e-mail as it appears on the map.")
    days = parse_days(q)
    r = c.tb.run("away_impact", person=person["id"], days=days)
    if not r["scopes"]:
        c.cite_ref(f"whatif:{person['id']}")
        return c.done(
            f"If {_name(person)} is away, no scope loses its capability: others carry enough of the work "
            f"({r['unaffected_scopes']} scopes unaffected)."
        )
    period = f" for {days} days" if days else ""
    lines = [f"If {_name(person)} is away{period}:"]
    for s in r["scopes"]:
        c.cite_ref(s["ref"])
        if s["status"] == "weakened":
            line = (
                f"- {s['scope']} is weakened: they are its top person with {s['their_share_pct']}% of the work "
                f"({s['effective_responders_before']} effective responders with them)"
            )
            line += f"; next: {_names(s['remaining'])}" if s["remaining"] else ""
        else:
            line = (
                f"- {s['scope']} is {s['status']}: they carry {s['their_share_pct']}% of it; effective responders "
                f"drop from {s['effective_responders_before']} to {s['effective_responders_left']}"
            )
            line += (
                f"; left: {_names(s['remaining'])}"
                if s["remaining"]
                else "; nobody else has a meaningful share"
            )
        if days:
            line += (
                f". At the rate of the last {s['rate_window_days']} days ({s['recent_count']} {s['unit']}), "
                f"expect about {s['expected_in_period']} {s['unit']} in {days} days, about "
                f"{s['expected_they_would_handle']} of which they would have handled"
            )
        lines.append(line + ".")
    if r["classes_only_they_rescued"]:
        lines.append(
            "Incident classes only they ever rescued: " + ", ".join(r["classes_only_they_rescued"]) + "."
        )
    if r["runbooks_only_they_wrote"]:
        lines.append(
            "Runbooks only they wrote: "
            + ", ".join(str(b["path"]) for b in r["runbooks_only_they_wrote"])
            + "."
        )
    first = r["scopes"][0]["scope"]
    c.evidence_for(first, person["id"], q)
    return c.done("\n".join(lines))


def highest(c: Composer, q: str) -> Answer:
    m = c.tb.run("hero_map")
    top = [s for s in m["scopes"] if s["hero"]][:3] or m["scopes"][:3]
    if not top:
        return c.done("The map is empty: ingest some sources first.")
    lines = ["Dependence is highest here (by risk):"]
    for s in top:
        c.cite_ref(s["ref"])
        who = s["hero"] or s["top_person"]
        lines.append(
            f"- {s['scope']} (risk {s['risk']}): {_name(who)} holds {s['top_share_pct']}%, "
            f"{s['effective_responders']} effective responders, {s['rescues']} rescues, "
            f"{s['off_hours_share_pct']}% off-hours."
        )
    first = top[0]
    c.evidence_for(first["scope"], (first["hero"] or first["top_person"] or {}).get("id"), first["scope"])
    return c.done("\n".join(lines))


def independent(c: Composer, q: str) -> Answer:
    scope = c.scope_of(q)
    if scope is None:
        return c.done("Name the scope to check (for example a service name as it appears on the map).")
    v = c.tb.run("independence_check", scope=scope)
    c.cite_ref(v["ref"])
    for a in v["approved_artifacts"]:
        c.cite_ref(f"draft:{a}")
    yes = "Yes" if v["verdict"] == "independent" else "Not yet"
    text = f"{yes}: {scope} is {v['verdict']}"
    text += f" (hero {_name(v['hero'])})." if v["hero"] else "."
    if v["reasons"]:
        text += " Why: " + "; ".join(v["reasons"]) + "."
    if v["missing"]:
        text += " Missing: " + "; ".join(v["missing"]) + "."
    c.evidence_for(scope, (v["hero"] or {}).get("id"), scope)
    return c.done(text)


def changed(c: Composer, q: str) -> Answer:
    h = c.tb.run("scan_history")
    if not h["scans"]:
        return c.done(
            "No scan has run in this workspace yet: run `understudy scan` to start watching for changes."
        )
    last = h["scans"][0]
    c.cite_ref(f"scan:{last['scan_id']}")
    if not last["findings"]:
        return c.done(f"Nothing new at the last scan (#{last['scan_id']}, {last['finished_at']}).")
    lines = [
        f"The last scan (#{last['scan_id']}, {last['finished_at']}) found {last['new_count']} new thing(s):"
    ]
    lines += [f"- {f['kind']}: {f['text']}" for f in last["findings"][:8]]
    if last["drafts"]:
        lines.append("Drafts started for review: " + ", ".join(last["drafts"]) + ".")
    return c.done("\n".join(lines))


def transfer_first(c: Composer, q: str) -> Answer:
    t = c.tb.run("transfer_priorities")
    if not t["priorities"]:
        return c.done("No hero scopes on the map, so there is nothing to transfer first.")
    lines = ["Transfer in this order (highest risk first):"]
    for i, p in enumerate(t["priorities"][:3], 1):
        c.cite_ref(p["ref"])
        lines.append(
            f"{i}. {p['scope']} from {_name(p['hero'])} (risk {p['risk']}, {p['label']}, "
            f"{p['share_pct']}% of the work, {p['rescues']} rescues): {'; '.join(p['reasons'][:2])}."
        )
    if t["understaffed"]:
        lines.append(
            "Understaffed rather than concentrated (add people, not transfer plans): "
            + ", ".join(u["scope"] for u in t["understaffed"])
            + "."
        )
    top = t["priorities"][0]
    c.evidence_for(top["scope"], top["hero"]["id"], top["scope"])
    return c.done("\n".join(lines))


def learn_next(c: Composer, q: str) -> Answer:
    scope = c.scope_of(q)
    if scope is None:
        return c.done("Name the scope (for example a service name as it appears on the map).")
    n = c.tb.run("next_learners", scope=scope)
    if n.get("error"):
        return c.done(f"{scope}: {n['error']}.")
    c.cite_ref(n["ref"])
    if not n["candidates"] and not n["practice"]:
        return c.done(
            f"Nobody besides {_name(n['hero'])} has done work on {scope}: pair someone new with them."
        )
    parts = [f"Closest to {scope} after {_name(n['hero'])}:"]
    parts += [f"- {_name(x['person'])}: {x['share_pct']}% of the work" for x in n["candidates"]]
    for p in n["practice"]:
        parts.append(
            f"- {_name(p['person'])} {p['kind']} on {p['date'][:10]}"
            + (" (confirmed)" if p["confirmed"] else " (not yet confirmed)")
        )
    c.evidence_for(scope, None, scope)
    return c.done("\n".join(parts))


def beyond(c: Composer, q: str) -> Answer:
    return c.done(
        "That question is beyond the offline engine (no Claude key is set, or offline is forced). "
        f"It answers: {CAPABILITIES}. Set ANTHROPIC_API_KEY for open questions."
    )


INTENTS: list[tuple[str, Callable[[Composer, str], Answer]]] = [
    (r"\b(away|out of office|vacation|holiday|leave|absent|unavailable|off sick|sick|leaves|quits?)\b", away),
    (r"\bindependen", independent),
    (r"\b(changed|change since|since the last scan|new since|what's new|what is new)\b", changed),
    (r"\btransfer\b.*\bfirst\b|\bfirst\b.*\btransfer\b|\bprioriti[sz]e\b|\bwhat first\b", transfer_first),
    (r"\b(learn|understudy|back ?up|take over|shadow|next in line)\b", learn_next),
    (r"\b(highest|most|biggest|worst|riskiest)\b.*\b(dependen|risk|concentrat|hero)", highest),
    (r"\bwhere\b.*\b(dependen|hero|concentrat)", highest),
    (r"\b(depend|rely|relies|hero|go-to|who (handles|fixes|knows))\b", depend_on),
]
"""Question patterns in the order they are tried, each with the answer it gets."""


def answer_offline(ws: Any, question: str) -> Answer:
    """Answer a core question from the tools, deterministically."""
    c = Composer(Toolbox(ws))
    q = question.lower()
    for pattern, handler in INTENTS:
        if re.search(pattern, q):
            return handler(c, question)
    return beyond(c, question)
