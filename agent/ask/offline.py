"""The offline engine: answers the core questions deterministically from the same tools as Claude.

Every sentence is composed from tool results (names and numbers copied, never computed here), and a
question outside the core set is answered with what the engine can do instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.ask.models import Answer, Citation
from agent.ask.tools import Toolbox, data_end
from agent.ask.understand import (
    NUMBER_WORDS,
    IntentIndex,
    Understanding,
    Window,
    classify,
    intent_summary,
    intent_try,
    parse_window,
)

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

    def __init__(self, tb: Toolbox, u: Understanding | None = None) -> None:
        self.tb = tb
        self.u = u
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
        if self.u is not None and self.u.scopes:
            return self.u.scopes[0]
        found = self.tb.run("find_scopes", text=question).get("scopes", [])
        return found[0] if found else None

    def person_of(self, question: str) -> dict[str, Any] | None:
        if self.u is not None:
            return self.u.people[0] if self.u.people else None
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
    days = c.u.window.days_ahead if c.u is not None and c.u.window.days_ahead else parse_days(q)
    r = c.tb.run("away_impact", person=person["id"], days=days)
    if not r["scopes"]:
        c.cite_ref(f"whatif:{person['id']}")
        return c.done(
            f"If {_name(person)} is away, no scope loses its capability: others carry enough of the work "
            f"({r['unaffected_scopes']} scopes unaffected)."
        )
    period = f" for {days} days" if days else ""
    lost = [x for x in r["scopes"] if x["ref"].startswith("whatif:") and not x["scope"].startswith("class:")]
    lines = [
        f"If {_name(person)} is away{period}, {r['lost_scopes_count']} scope(s) lose or weaken their cover"
        + (f" ({', '.join(x['scope'] for x in lost)})" if lost else "")
        + " (incident classes not counted):"
    ]
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


# ----------------------------------------------------------------------------- new intents


def literal(quote: str) -> str:
    """A quoted line of evidence with its literal values (numbers outside code) marked as code."""
    parts = re.split(r"(`[^`]*`)", quote)
    return "".join(
        p if p.startswith("`") else re.sub(r"(?<![\w.])(\d+(?:\.\d+)?[a-zA-Z%]*)", r"`\1`", p) for p in parts
    )


def situations(c: Composer, q: str) -> Answer:
    r = c.tb.run("hero_situations")
    if not r["situations"]:
        return c.done("No situation on the map routes to one person: the map names no hero.")
    plain = [x for x in r["situations"] if not x["scope"].startswith("class:")]
    classes = [x for x in r["situations"] if x["scope"].startswith("class:")]
    lines = ["These situations still need a specific person (riskiest first):"]
    for x in plain:
        c.cite_ref(x["ref"])
        c.cite_chunks(x["chunks"], limit=1)
        pulls = "; ".join(
            p["incident"] + (f" on {p['date']}" if p["date"] else "") for p in x["recent_pull_ins"]
        )
        lines.append(
            f"- {x['scope']}: {_name(x['hero'])} ({x['label']}, {x['share_pct']}% of the work, "
            f"{x['rescues']} rescues)" + (f"; recently pulled in: {pulls}" if pulls else "") + "."
        )
    if classes:
        lines.append(
            "Incident classes that route to one person: "
            + ", ".join(f"{x['scope']} ({x['hero']['name']})" for x in classes)
            + "."
        )
    return c.done("\n".join(lines))


def hero_knowledge(c: Composer, q: str) -> Answer:
    person = c.person_of(q)
    scope = c.u.scopes[0] if c.u is not None and c.u.scopes else None
    if person is None and scope:
        row = c.tb.run("hero_map", scope=scope)["scopes"]
        person = (row[0]["hero"] or row[0]["top_person"]) if row else None
    if person is None:
        return clarify(c, q, "hero_knowledge")
    k = c.tb.run("hero_knowledge", person=person["id"], scope=scope)
    c.cite_chunks(k["chunks"], limit=4)
    where = ", ".join(k["hero_of"]) if k["hero_of"] else ", ".join(k["scopes"])
    role = "the hero of" if k["hero_of"] else "most active on"
    lines = [f"{_name(person)} is {role} {where}." if where else f"{_name(person)} has no scope on the map."]
    if k["classes_only_they_rescued"]:
        lines.append(
            "Incident classes only they ever rescued: " + ", ".join(k["classes_only_they_rescued"]) + "."
        )
    if k["fixes"]:
        lines.append(
            "Fixes and commands they hand over in incident threads and write-ups (most repeated first):"
        )
        for f in k["fixes"]:
            lines.append(
                f"- {literal(f['text'])} (given in {f['times']} thread(s) or write-up(s), {f['scope']}) [{f['chunk_id']}]"
            )
    if k["judgement"]:
        lines.append("Judgement they add:")
        lines += [f"- {literal(f['text'])} [{f['chunk_id']}]" for f in k["judgement"]]
    if not k["fixes"] and not k["judgement"]:
        lines.append("No fix or command by them was found in the linked threads and write-ups.")
    for sc in k["hero_of"][:1]:
        c.cite_ref(f"map:{sc}")
    return c.done("\n".join(lines))


def system_changes(c: Composer, q: str) -> Answer:
    r = c.tb.run("rescue_conditions")
    if not r["classes"] and not r["scopes"]:
        return c.done("No rescues were found, so no condition keeps summoning a hero.")
    lines = ["The conditions that cause the most rescues (fix these first):"]
    for i, x in enumerate(r["classes"], 1):
        c.cite_ref(x["ref"])
        by = ", ".join(p["name"] for p in x["rescued_by"])
        lines.append(
            f"{i}. {x['scope']}: {x['rescues']} rescues over {x['incidents']} incidents "
            f"({x['recurrence_per_month']} a month)"
            + (f", rescued by {by}" if by else "")
            + ("; no runbook covers it" if x["no_runbook"] else "")
            + "."
        )
    if r["scopes"]:
        lines.append(
            "By service or task: "
            + "; ".join(
                f"{x['scope']} {x['rescues']} rescues"
                + (f" ({', '.join(x['conditions'][:2])})" if x["conditions"] else "")
                for x in r["scopes"]
            )
            + "."
        )
        for x in r["scopes"][:2]:
            c.cite_ref(x["ref"])
    return c.done("\n".join(lines))


NIGHT = re.compile(r"\b(night|nights|sleep|woken|wake|wakes|waking|overnight|[0-5] ?am|midnight|bed)\b", re.I)
"""Words that ask about sleep hours rather than all hours outside the working day."""


def off_hours(c: Composer, q: str) -> Answer:
    r = c.tb.run("off_hours_load")
    c.cite_ref(r["ref"])
    person = c.person_of(q)
    if person is not None:
        mine = r["all"].get(person["id"], {"off_hours": 0, "sleep": 0})
        return c.done(
            f"{_name(person)} had {mine['sleep']} events in sleep hours (22-08 local) and {mine['off_hours']} "
            "outside business hours in all, over every service and task."
        )
    night = bool(NIGHT.search(q))
    first, second = ("by_sleep", "by_off_hours") if night else ("by_off_hours", "by_sleep")
    label = {
        "by_sleep": ("sleep", "events in sleep hours (22-08 local)"),
        "by_off_hours": ("off_hours", "events outside business hours"),
    }
    if not r[first]:
        return c.done("Nobody has recorded events outside business hours.")
    key, what = label[first]
    top = r[first][0]
    lines = [
        f"{_name(top['person'])} carries the most: {top[key]} {what}."
        + (
            f" That is {r['top_sleep_share_pct']}% of all sleep-hour events, so it lands mostly on one person."
            if night and r["top_sleep_share_pct"] >= 50
            else ""
        )
    ]
    lines.append("Then: " + ", ".join(f"{_name(x['person'])} {x[key]}" for x in r[first][1:]) + ".")
    key2, what2 = label[second]
    lines.append(f"By {what2}: " + ", ".join(f"{x['person']['name']} {x[key2]}" for x in r[second][:3]) + ".")
    return c.done("\n".join(lines))


PULLED_RE = r"(?:escalat\w*|pull\w*|page\w*|call\w*|ping\w*|bring\w*|wake\w*|hand\w*)"


def _is_target(q: str, person: dict[str, Any]) -> bool:
    """Whether the question asks who pulls the person in (the person is the target of the verb)."""
    low = q.lower()
    names = [person["name"].lower(), person["name"].split()[0].lower(), person["id"].lower()]
    pos = min((low.find(n) for n in names if low.find(n) >= 0), default=-1)
    verb = re.search(PULLED_RE, low)
    if verb is None or pos < 0:
        return True
    if re.search(r"\b(by|to|into)\s*$", low[:pos]):
        return True
    return verb.start() < pos and not re.search(r"\bdoes\b|\bdid\b|\bdo\b", low[verb.start() - 12 : pos])


def escalation(c: Composer, q: str) -> Answer:
    person = c.person_of(q)
    scope = c.u.scopes[0] if c.u is not None and c.u.scopes else None
    if person is None and scope:
        row = c.tb.run("hero_map", scope=scope)["scopes"]
        if row and row[0]["hero"]:
            c.cite_ref(row[0]["ref"])
            person = row[0]["hero"]
            r = c.tb.run("escalation_paths", person=person["id"])
            src = (
                ", ".join(f"{_name(e['from'])} ({e['count']})" for e in r["pulled_in_by"][:4])
                or "nobody by name"
            )
            c.evidence_for(scope, person["id"], q)
            return c.done(
                f"When {scope} gets stuck they call in {_name(person)}, its hero: {r['received']} escalations "
                f"and pull-ins received in all. Who pulls them in: {src}."
            )
    if person is None:
        r = c.tb.run("escalation_paths")
        c.cite_ref(r["ref"])
        if not r["top_targets"]:
            return c.done("No escalations or pull-ins by name were found.")
        lines = [
            "Escalations and pull-ins end up with: "
            + ", ".join(f"{_name(x['person'])} ({x['received']})" for x in r["top_targets"])
            + "."
        ]
        lines.append(
            "Busiest paths: "
            + "; ".join(f"{e['from']['name']} to {e['to']['name']} {e['count']}" for e in r["edges"][:5])
            + "."
        )
        return c.done("\n".join(lines))
    r = c.tb.run("escalation_paths", person=person["id"])
    c.cite_ref(r["ref"])
    into = "; ".join(f"{_name(e['from'])} {e['count']}" for e in r["pulled_in_by"]) or "nobody"
    out = "; ".join(f"{_name(e['to'])} {e['count']}" for e in r["pulls_in"]) or "nobody"
    if _is_target(q, person):
        text = f"{person['name']} is pulled in most by: {into}. {person['name']} in turn pulls in: {out}."
    else:
        text = f"{person['name']} pulls in: {out}. {person['name']} is pulled in by: {into}."
    return c.done(text)


def who_else(c: Composer, q: str) -> Answer:
    scope = c.scope_of(q)
    if scope is None:
        return clarify(c, q, "who_else")
    r = c.tb.run("who_else", scope=scope)
    if r.get("error"):
        return c.done(f"{scope}: {r['error']}.")
    c.cite_ref(r["ref"])
    lead = r["hero"] or r["top_person"]
    capable = (
        ", ".join(f"{_name(x['person'])} ({x['share_pct']}%)" for x in r["capable_without_hero"]) or "nobody"
    )
    nxt = [f"- {_name(x['person'])}: {x['share_pct']}% of the work" for x in r["next_in_line"]]
    c.evidence_for(scope, None, scope)
    return c.done(
        f"On {scope}, besides {_name(lead)}: who keeps the capability without them: {capable}.\n"
        "Next in line to learn it (largest shares after them):\n" + ("\n".join(nxt) or "- nobody yet")
    )


SHARE_ASKED = re.compile(r"(\d{1,2})\s*(?:%|percent)")


def counts(c: Composer, q: str) -> Answer:
    u = c.u
    people = u.people if u else []
    scope = u.scopes[0] if u and u.scopes else None
    w = u.window if u else Window()
    if len(people) >= 2:
        a, b = people[0], people[1]
        r = c.tb.run("person_figures", person=a["id"], other=b["id"])
        c.cite_ref(r["ref"])
        return c.done(
            f"{a['name']} escalated to or pulled in {b['name']} {r['escalations_to_other']} times; "
            f"{b['name']} did so to {a['name']} {r['escalations_from_other']} times."
        )
    if people:
        p = people[0]
        r = c.tb.run("person_figures", person=p["id"], scope=scope)
        c.cite_ref(r["ref"])
        where = f" on {scope}" if scope else ""
        hero = f"hero of {', '.join(r['hero_of'])}" if r["hero_of"] else "a hero of no scope"
        return c.done(
            f"{_name(p)}: rescued {r['rescues']} incidents{where}; received {r['escalations_received']} escalations "
            f"and pull-ins; {r['off_hours_events']} events outside business hours, {r['sleep_events']} of them in "
            f"sleep hours; {hero}."
        )
    if scope:
        r = c.tb.run("scope_figures", scope=scope, since=w.since, until=w.until)
        if r.get("error"):
            return c.done(f"{scope}: {r['error']}.")
        c.cite_ref(r["ref"])
        over = r["people_over_share"]
        asked = SHARE_ASKED.search(q)
        extra = ""
        if asked and int(asked.group(1)) not in {x["share_pct"] for x in over}:
            lvl = int(asked.group(1))
            rows = c.tb.run("hero_map", scope=scope)["scopes"][0]["shares"]
            extra = f" {sum(1 for x in rows if x['share'] > lvl / 100)} people do more than {lvl}% of it."
        who = r["hero"] or r["top_person"]
        return c.done(
            f"{scope}: {r['people']} people have worked on it; bus factor {r['bus_factor']}; "
            f"{r['effective_responders']} effective responders; {_name(who)} does {r['top_share_pct']}% of the work; "
            f"{r['incidents']} incidents and {r['rescues']} rescues"
            + (f" ({w.phrase})" if w.bounded else "")
            + ". People doing more than "
            + ", ".join(f"{x['share_pct']}%: {x['people']}" for x in over)
            + "."
            + extra
        )
    r = c.tb.run("org_figures", since=w.since if u else None, until=w.until if u else None)
    c.cite_ref(r["ref"])
    return c.done(
        f"The map names {r['hero_count']} heroes ({', '.join(h['person']['name'] for h in r['heroes'])}); "
        f"{r['runbook_gap_count']} incident classes have no runbook; {r['rescue_total']} rescues in all."
    )


def risk_ranking(c: Composer, q: str) -> Answer:
    w = c.u.window if c.u else Window()
    r = c.tb.run("risk_ranking", since=w.since, until=w.until)
    if not r["ranking"]:
        return c.done("The map names no hero, so there is no dependence to rank.")
    when = f" over {w.phrase}" if w.bounded else ""
    lines = [f"Transfer first where the risk is highest{when}:"]
    for i, x in enumerate(r["ranking"][:3], 1):
        c.cite_ref(x["ref"])
        lines.append(
            f"{i}. {x['scope']} from {_name(x['hero'])} (risk {x['risk']}, {x['share_pct']}% of the work, "
            f"{x['rescues']} rescues"
            + (f", {x['label']}" if x["label"] else "")
            + ")"
            + (f": {'; '.join(x['reasons'])}" if x["reasons"] else "")
            + "."
        )
    t = c.tb.run("understaffed")
    if t["scopes"]:
        lines.append(
            "Understaffed rather than concentrated (add people, not transfer plans): "
            + ", ".join(x["scope"] for x in t["scopes"])
            + "."
        )
    top = r["ranking"][0]
    c.evidence_for(top["scope"], top["hero"]["id"], top["scope"])
    return c.done("\n".join(lines))


def runbook_gaps(c: Composer, q: str) -> Answer:
    r = c.tb.run("runbook_gaps")
    c.cite_ref(r["ref"])
    lines = [
        f"{r['gap_count']} incident classes have no runbook: " + (", ".join(r["gaps"]) or "none") + "."
        if r["gap_count"]
        else "Every incident class has a runbook."
    ]
    if r["undocumented_hero_scopes"]:
        lines.append(
            "Work only one person handles with no runbook: "
            + ", ".join(f"{x['scope']} ({x['hero']['name']})" for x in r["undocumented_hero_scopes"])
            + "."
        )
    else:
        lines.append("Every hero scope has a runbook.")
    return c.done("\n".join(lines))


def hero_status(c: Composer, q: str) -> Answer:
    person = c.person_of(q)
    if person is None:
        return clarify(c, q, "hero_status")
    r = c.tb.run("person_profile", person=person["id"])
    c.cite_ref(r["ref"])
    if r["is_hero"]:
        return c.done(
            f"Yes, {_name(person)} is a hero on the map, of {', '.join(r['hero_of'])}: {r['why']} "
            f"They rescued {r['rescues']} incidents: the map counts the work they resolve and the rescues, "
            "and talk in the channels alone would not make anyone one."
        )
    top = ", ".join(f"{x['scope']} {x['share_pct']}%" for x in r["top_scopes"]) or "no scope"
    return c.done(
        f"No, {_name(person)} is not a hero. Most of their events are "
        + (
            "chat messages (asking for updates, following threads), not resolving or fixing; "
            if r["messages"] > r["resolved"]
            else "routine work spread with others; "
        )
        + f"they rescued {r['rescues']} incidents. Being in every thread is not being depended on. "
        f"Their largest shares: {top}."
    )


def understaffing(c: Composer, q: str) -> Answer:
    r = c.tb.run("understaffed")
    c.cite_ref(r["ref"])
    if not r["scopes"]:
        return c.done("No scope is labelled understaffed on the map: none.")
    lines = ["Understaffed (a team too small to rotate; add people rather than transfer plans):"]
    for x in r["scopes"]:
        team = ", ".join(p["name"] for p in x["team"])
        lines.append(f"- {x['scope']}: {x['why']}" + (f" Team: {team}." if team else ""))
    return c.done("\n".join(lines))


def clarify(c: Composer, q: str, intent: str) -> Answer:
    """What was understood, the nearest question it can answer, and the exact question to type."""
    u = c.u
    understood = u.describe() if u else f"a question about {intent_summary(intent)}"
    return c.done(
        f"I cannot answer that from the data as asked. I understood {understood}. "
        f"The nearest I can answer: {intent_summary(intent)}. Type: {intent_try(intent)}"
    )


def outside(c: Composer, q: str) -> Answer:
    u = c.u
    near = u.runner_up if u and u.runner_up != "outside" else "risk_ranking"
    return c.done(
        "That is outside the data: Understudy reads incidents, pages, chat, write-ups, deploys and commits, "
        f"not plans, surveys or opinions. The nearest I can answer: {intent_summary(near)}. "
        f"Type: {intent_try(near)}"
    )


HANDLERS: dict[str, Callable[[Composer, str], Answer]] = {
    "situations": situations,
    "hero_knowledge": hero_knowledge,
    "system_changes": system_changes,
    "off_hours": off_hours,
    "escalation": escalation,
    "who_else": who_else,
    "independence": independent,
    "counts": counts,
    "whatif": away,
    "risk_ranking": risk_ranking,
    "runbook_gaps": runbook_gaps,
    "scan_changes": changed,
    "hero_status": hero_status,
    "depend_on": depend_on,
    "understaffing": understaffing,
    "outside": outside,
}
"""The answer of each intent of ``prompts/ask/intents.v1.yaml``."""


def masked(tb: Toolbox, question: str, people: list[dict[str, Any]], scopes: list[str]) -> str:
    """The question with its slots replaced by plain words ('the engineer', 'the service'), so that the
    intent is judged on what is asked, not on whom or what it names (the exemplars name no one)."""
    text = question
    forms: list[tuple[str, str]] = []
    for p in people:
        row = next((x for x in tb.map().people if x.id == p["id"]), None)
        names = [p["name"], p["id"], *(row.aliases if row else [])]
        names += [p["name"].split()[0]] if p["name"] else []
        forms += [(n, "this person") for n in names if n and len(n) > 2]
    for sc in scopes[:1]:
        tail = sc.split(":")[-1]
        forms += [(sc, "this service"), (tail, "this service"), (tail.replace("-", " "), "this service")]
    for form, word in sorted(forms, key=lambda f: -len(f[0])):
        text = re.sub(rf"(?<![\w@]){re.escape(form.lstrip('@'))}(?:'?s)?(?![\w])", word, text, flags=re.I)
        text = text.replace("@" + word, word)
    return text


def understand(tb: Toolbox, question: str) -> Understanding:
    """The question's intent (by meaning) and slots (people, scopes, time)."""
    people = tb.run("find_person", text=question)["people"]
    scopes = tb.run("find_scopes", text=question, fallback=False)["scopes"]
    window = parse_window(question, data_end(tb))
    scores = IntentIndex(tb.ws.index.embedder).scores(masked(tb, question, people, scopes))
    intent, score, second, second_score, unclear = classify(scores, people, scopes)
    return Understanding(intent, score, second, second_score, people, scopes, window, unclear)


def answer_offline(ws: Any, question: str) -> Answer:
    """Answer a question from the tools, deterministically: understand it, then compose from tool results."""
    tb = Toolbox(ws)
    u = understand(tb, question)
    c = Composer(tb, u)
    if u.unclear:
        return clarify(c, question, u.intent)
    return HANDLERS[u.intent](c, question)
