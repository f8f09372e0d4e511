"""The second generator style: an organisation simulated incident by incident, written in real export formats.

Independent of ``ingest/sample`` (written from scratch). Teams page through PagerDuty and talk in team
incident channels (``#inc-<team>``) opened by an alert bot; rescues are PagerDuty escalations or
reassignments to a named person, or advice given in chat by an expert pulled in by ``<@U…>`` and
applied by the on-call; deploys are a CSV; postmortems come in several title forms, timeline styles
and zones; a chatty manager asks for updates in every thread; bots post too.
"""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ingest.sample2 import phrasing as P
from ingest.sample2.truth import (
    Alias,
    Bot,
    ChatFix,
    Escalation,
    Hero,
    Person,
    Rescue,
    Service,
    Truth,
)

VARIANTS = ("mixed", "advisors", "balanced", "split")
"""mixed: rescuers, an advisor, a deploy gatekeeper; advisors: two advisors and a rescuer; balanced: no
hero anywhere (natural skew only); split: like mixed, but each hero's PagerDuty and deploy identity is a
second e-mail (initial and surname at an ``ops.`` subdomain, as ops accounts often are) that no shared
e-mail links; the aliases file settles it, and so does the full name shared with Slack once the product
sees that the e-mail's local part spells it as the Slack handle does (``ingest.identity.spells_name``)."""

TEAM_SIZE = 5
"""Engineers per team (all on the team's weekly rotation)."""

RESCUE_RATE = 0.75
"""Share of a rescuer's service incidents (the rescuer not on call) escalated or reassigned to them."""

ADVICE_RATE = 0.7
"""Share of an advised service's incidents where the on-call pulls the advisor in and applies the fix."""

SCHEDULED_ESCALATION_RATE = 0.15
"""Share of pages nobody acknowledges in time, escalated by the policy to the rotation's level 2."""

HERO_INCIDENTS_PER_MONTH = 7.0
"""Incident rate of a service with a planted hero (a recurring pattern)."""

COVER_SKEW = (0.34, 0.24, 0.18, 0.14, 0.10)
"""Who takes a swapped on-call week: natural skew on balanced rotations (top ~1/3, never half)."""

COVER_RATE = 0.35
"""Share of weeks where the scheduled on-call swaps with a colleague."""

GATEKEEPER_SHARE = 0.85
"""Share of a gatekept service's deploys and rollbacks the gatekeeper runs."""

MIN_PLANTED_RUNS = 8
"""Runs of a task (rollbacks) needed before the gatekeeper is planted as its hero too (with more than
half of them: DESIGN.md's bus factor 1)."""

PST = timedelta(hours=-8)


def slug(text: str) -> str:
    """Lower-case slug of a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def iso(t: datetime) -> str:
    """PagerDuty's timestamp form."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Member:
    """A simulated person with the identities each source knows them by."""

    person: Person
    slack_email: str
    pd_email: str
    deploy_actor: str
    display: str

    @property
    def id(self) -> str:
        return self.person.id

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def first(self) -> str:
        return self.person.name.split()[0]


@dataclass
class World:
    """Everything being generated: people, services, sources' items and the truth collected so far."""

    rng: random.Random
    start: datetime
    end: datetime
    domain: str
    members: dict[str, Member] = field(default_factory=dict)
    teams: dict[str, list[str]] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deploys: list[list[str]] = field(default_factory=list)
    postmortems: dict[str, str] = field(default_factory=dict)
    rescues: list[Rescue] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    chat_fixes: list[ChatFix] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    fixes_given: dict[str, list[str]] = field(default_factory=dict)
    ts_used: set[str] = field(default_factory=set)
    ids_used: set[str] = field(default_factory=set)

    def uid(self, prefix: str, n: int = 6) -> str:
        """A fresh upper-case base-36 id with a prefix."""
        while True:
            v = prefix + "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(n))
            if v not in self.ids_used:
                self.ids_used.add(v)
                return v

    def ts(self, t: datetime) -> str:
        """A unique Slack ts for a time."""
        base = int(t.timestamp())
        micro = 0
        while True:
            v = f"{base}.{micro:06d}"
            if v not in self.ts_used:
                self.ts_used.add(v)
                return v
            micro += 1


def make_people(w: World, team_names: list[str], variant: str) -> tuple[list[Alias], str]:
    """Engineers per team, one chatty manager; returns the identity truth and the manager's id."""
    rng = w.rng
    names = [(f, ln) for f in P.FIRST for ln in P.LAST]
    rng.shuffle(names)
    firsts: set[str] = set()
    picked: list[tuple[str, str]] = []
    for f, ln in names:
        if f in firsts:
            continue
        firsts.add(f)
        picked.append((f, ln))
    aliases: list[Alias] = []
    zones = ["Europe/London", "America/New_York", "Europe/Berlin", "America/Los_Angeles"]
    i = 0

    def add(first: str, last: str, team: str, role: str, rotation: bool) -> Member:
        name = f"{first} {last}"
        pid = slug(name)
        email = f"{first}.{last}@{w.domain}".lower()
        handle = (first[0] + last).lower()
        person = Person(
            id=pid,
            name=name,
            names=[name],
            emails=[email],
            slack_id=w.uid("U0", 8),
            pd_id=w.uid("P", 6),
            handles=[handle],
            team=team,
            timezone=rng.choice(zones),
            on_rotation=rotation,
            role=role,
        )
        display = P.NICKNAMES.get(first, first)
        if display != first:
            person.names.append(display)
        m = Member(person, email, email, email, display)
        w.members[pid] = m
        return m

    for team in team_names:
        w.teams[team] = []
        for _ in range(TEAM_SIZE):
            f, ln = picked[i]
            i += 1
            w.teams[team].append(add(f, ln, team, "engineer", True).id)
    f, ln = picked[i]
    manager = add(f, ln, "management", "manager", False)
    # e-mail case differs between Slack and PagerDuty for every third engineer (merged on shared e-mail)
    for n, pid in enumerate(sorted(w.members)):
        m = w.members[pid]
        if n % 3 == 0 and m.person.role == "engineer":
            first, last = m.name.split()
            m.pd_email = f"{first}.{last}@{w.domain}"
            m.person.emails.append(m.pd_email)
            aliases.append(
                Alias(
                    person=pid,
                    aliases=[m.slack_email, m.pd_email],
                    via="email-case",
                    needs_aliases_file=False,
                )
            )
    return aliases, manager.id


def second_identity(w: World, pid: str, aliases: list[Alias]) -> None:
    """Give a person a second e-mail for PagerDuty and deploys that no shared e-mail links (see ``VARIANTS``)."""
    m = w.members[pid]
    first, last = m.name.split()
    alt = f"{first[0]}{last}@ops.{w.domain}".lower()
    m.pd_email = alt
    m.deploy_actor = alt
    m.person.emails.append(alt)
    aliases[:] = [a for a in aliases if a.person != pid]
    aliases.append(
        Alias(person=pid, aliases=[m.slack_email, alt], via="aliases-file", needs_aliases_file=True)
    )


def rotation(w: World, team: str) -> dict[int, tuple[str, str]]:
    """Week number -> (level 1, level 2) of the team's schedule, with swaps skewed to some people."""
    rng = w.rng
    order = list(w.teams[team])
    rng.shuffle(order)
    weeks = (w.end - w.start).days // 7 + 2
    out: dict[int, tuple[str, str]] = {}
    for wk in range(weeks):
        lvl1 = order[wk % len(order)]
        if rng.random() < COVER_RATE:
            lvl1 = rng.choices(order, weights=COVER_SKEW[: len(order)])[0]
        lvl2 = order[(order.index(lvl1) + 1) % len(order)]
        out[wk] = (lvl1, lvl2)
    return out


def user_ref(m: Member) -> dict[str, Any]:
    """A PagerDuty user reference."""
    return {
        "id": m.person.pd_id,
        "type": "user_reference",
        "summary": m.name,
        "self": f"https://api.pagerduty.com/users/{m.person.pd_id}",
        "html_url": f"https://example.pagerduty.com/users/{m.person.pd_id}",
    }


def incident_time(w: World, night_share: float) -> datetime:
    """A random moment of the window, at night with the given probability."""
    rng = w.rng
    day = w.start + timedelta(days=rng.randrange((w.end - w.start).days))
    hour = rng.choice([23, 0, 1, 2, 3, 4, 5]) if rng.random() < night_share else rng.randrange(9, 19)
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


class Thread:
    """One Slack thread in a channel: a parent message and its replies."""

    def __init__(self, w: World, channel: str, t: datetime, parent: dict[str, Any]) -> None:
        self.w, self.channel = w, channel
        self.parent = {"type": "message", "ts": w.ts(t), **parent}
        self.parent["thread_ts"] = self.parent["ts"]
        self.replies: list[dict[str, Any]] = []
        w.messages.setdefault(channel, []).append(self.parent)

    def reply(self, t: datetime, m: Member, text: str) -> dict[str, Any]:
        msg = {
            "type": "message",
            "user": m.person.slack_id,
            "text": text,
            "ts": self.w.ts(t),
            "thread_ts": self.parent["ts"],
            "parent_user_id": self.parent.get("user") or self.parent.get("bot_id"),
        }
        self.replies.append(msg)
        self.w.messages[self.channel].append(msg)
        self.parent["reply_count"] = len(self.replies)
        self.parent["reply_users_count"] = len({r["user"] for r in self.replies})
        self.parent["replies"] = [{"user": r["user"], "ts": r["ts"]} for r in self.replies]
        self.parent["latest_reply"] = msg["ts"]
        return msg


ALERT_BOT = {"bot_id": "B0ALERTMGR", "username": "Alertmanager", "subtype": "bot_message"}


def simulate_incident(
    w: World,
    svc: Service,
    roster: dict[int, tuple[str, str]],
    hero: str | None,
    manager: str,
    number: int,
) -> None:
    """One page: PagerDuty incident and log entries, its thread, maybe a postmortem; truth recorded."""
    rng = w.rng
    night = 0.45 if svc.archetype in ("rescuer", "advisor") else 0.25
    t0 = incident_time(w, night)
    week = (t0 - w.start).days // 7
    lvl1, lvl2 = roster[week]
    oncall, second = w.members[lvl1], w.members[lvl2]
    cls = rng.choice(svc.classes)
    spec = P.CLASSES[cls]
    title = rng.choice(spec["titles"]).format(svc=svc.name)
    alert = title.replace(f"{svc.name}: ", "")
    fix_cmd = rng.choice(spec["fix"]).format(svc=svc.name, svc_u=svc.name.replace("-", "_"))
    inc_id = w.uid("Q", 6)
    w.classes[inc_id] = f"{svc.name}:{cls}"
    svc_ref = {"id": svc.pd_id, "type": "service_reference", "summary": svc.name}
    inc_ref = {"id": inc_id, "type": "incident_reference", "summary": f"[#{number}] {title}"}
    logs: list[dict[str, Any]] = []

    def log(
        kind: str, t: datetime, agent: dict[str, Any] | None, channel: str, summary: str, **extra: Any
    ) -> None:
        logs.append(
            {
                "id": w.uid("R", 10),
                "type": f"{kind}_log_entry",
                "summary": summary,
                "created_at": iso(t),
                "agent": agent,
                "channel": {"type": channel},
                "service": svc_ref,
                "incident": inc_ref,
                "teams": [{"id": f"T{svc.team.upper()[:5]}", "type": "team_reference", "summary": svc.team}],
                **extra,
            }
        )

    log(
        "trigger",
        t0,
        {"id": svc.pd_id, "type": "service_reference", "summary": svc.name},
        "api",
        "Triggered through the API",
    )
    log(
        "notify",
        t0 + timedelta(seconds=20),
        None,
        "auto",
        f"Notified {oncall.name} by push notification.",
        user=user_ref(oncall),
    )

    # decide the shape
    shape = "solo"
    if svc.archetype == "rescuer" and hero and hero != oncall.id and rng.random() < RESCUE_RATE:
        shape = rng.choice(["escalate", "reassign"])
    elif svc.archetype == "advisor" and hero and rng.random() < ADVICE_RATE:
        shape = "advice"
    elif rng.random() < SCHEDULED_ESCALATION_RATE:
        shape = "scheduled"

    responder = oncall
    acks: list[dict[str, Any]] = []
    assigned_at, assignee = t0, oncall
    t = t0 + timedelta(minutes=rng.randint(2, 9))
    if shape == "scheduled":
        t = t0 + timedelta(minutes=15)
        log(
            "escalate",
            t,
            {"id": "PESCPOL", "type": "escalation_policy_reference", "summary": f"{svc.team} escalation"},
            "timeout",
            f"Escalated to level 2 by escalation policy ({second.name})",
            assignees=[user_ref(second)],
            escalation_level=2,
        )
        assigned_at, assignee, responder = t, second, second
        w.escalations.append(Escalation(incident=inc_id, person=second.id, service=svc.name))
        t += timedelta(minutes=rng.randint(1, 6))
    log("acknowledge", t, user_ref(responder), "mobile", f"Acknowledged by {responder.name}.")
    acks.append({"at": iso(t), "acknowledger": user_ref(responder)})

    thread: Thread | None = None
    if svc.archetype != "balanced" or rng.random() < 0.8:
        parent = {**ALERT_BOT, "text": f"[FIRING:1] {svc.name}: {alert}"}
        thread = Thread(w, svc.channel, t0 + timedelta(seconds=rng.randint(3, 50)), parent)
        thread.reply(t + timedelta(seconds=40), responder, rng.choice(P.ACK))
        if rng.random() < 0.5:
            thread.reply(t + timedelta(minutes=4), responder, rng.choice(P.WORKING))
        thread.reply(t + timedelta(minutes=rng.randint(5, 12)), w.members[manager], rng.choice(P.MANAGER))
        if svc.archetype == "balanced" and rng.random() < 0.3:
            peer = w.members[rng.choice([p for p in w.teams[svc.team] if p != responder.id])]
            thread.reply(t + timedelta(minutes=6), peer, rng.choice(P.WORKING))

    resolver = responder
    if shape in ("escalate", "reassign"):
        h = w.members[hero]  # type: ignore[index]
        t += timedelta(minutes=rng.randint(10, 25))
        if thread:
            thread.reply(t - timedelta(minutes=1), oncall, rng.choice(P.HANDOFF).format(name=h.first))
        if shape == "escalate":
            log(
                "escalate",
                t,
                user_ref(oncall),
                "web_ui",
                f"Escalated to {h.name} by {oncall.name}.",
                assignees=[user_ref(h)],
            )
        else:
            log(
                "assign",
                t,
                user_ref(oncall),
                "web_ui",
                f"Reassigned to {h.name} by {oncall.name}.",
                assignees=[user_ref(h)],
            )
        assigned_at, assignee = t, h
        t += timedelta(minutes=rng.randint(2, 8))
        log("acknowledge", t, user_ref(h), "mobile", f"Acknowledged by {h.name}.")
        acks.append({"at": iso(t), "acknowledger": user_ref(h)})
        t += timedelta(minutes=rng.randint(8, 30))
        if thread:
            thread.reply(t - timedelta(minutes=1), h, rng.choice(P.HERO_DONE).format(fix=f"`{fix_cmd}`"))
        resolver = h
        w.rescues.append(Rescue(incident=inc_id, person=h.id, service=svc.name, mention=shape))
        w.fixes_given.setdefault(f"service:{svc.name}", []).append(fix_cmd)
    elif shape == "advice":
        h = w.members[hero]  # type: ignore[index]
        t += timedelta(minutes=rng.randint(8, 20))
        if thread is None:
            thread = Thread(
                w,
                svc.channel,
                t0 + timedelta(seconds=20),
                {**ALERT_BOT, "text": f"[FIRING:1] {svc.name}: {alert}"},
            )
        thread.reply(t, oncall, rng.choice(P.STUCK).format(expert=h.person.slack_id))
        t += timedelta(minutes=rng.randint(2, 9))
        advice = thread.reply(t, h, rng.choice(P.ADVICE).format(cmd=fix_cmd, cls=cls.replace("-", " ")))
        t += timedelta(minutes=rng.randint(5, 15))
        thread.reply(t, oncall, rng.choice(P.APPLIED))
        w.rescues.append(Rescue(incident=inc_id, person=h.id, service=svc.name, mention="advice"))
        w.chat_fixes.append(
            ChatFix(
                incident=inc_id,
                person=h.id,
                service=svc.name,
                channel=svc.channel,
                thread_ts=advice["thread_ts"],
            )
        )
        w.fixes_given.setdefault(f"service:{svc.name}", []).append(fix_cmd)
    else:
        t += timedelta(minutes=rng.randint(15, 80))
        if thread:
            thread.reply(
                t - timedelta(minutes=1), responder, rng.choice(P.HERO_DONE).format(fix=f"`{fix_cmd}`")
            )
    log("resolve", t, user_ref(resolver), "mobile", f"Resolved by {resolver.name}.")
    if thread:
        w.messages[svc.channel].append(
            {
                "type": "message",
                **ALERT_BOT,
                "text": f"[RESOLVED] {svc.name}: {alert}",
                "ts": w.ts(t + timedelta(seconds=30)),
            }
        )
    w.log_entries.extend(logs)
    w.incidents.append(
        {
            "id": inc_id,
            "type": "incident",
            "incident_number": number,
            "title": title,
            "summary": f"[#{number}] {title}",
            "status": "resolved",
            "urgency": "high" if svc.critical else rng.choice(["high", "low"]),
            "priority": {"id": "PPRIO1", "type": "priority", "summary": "P1" if svc.critical else "P3"},
            "service": svc_ref,
            "assignments": [{"at": iso(assigned_at), "assignee": user_ref(assignee)}],
            "acknowledgements": acks,
            "escalation_policy": {
                "id": "PESCPOL",
                "type": "escalation_policy_reference",
                "summary": f"{svc.team} escalation",
            },
            "teams": [{"id": f"T{svc.team.upper()[:5]}", "type": "team_reference", "summary": svc.team}],
            "created_at": iso(t0),
            "last_status_change_at": iso(t),
            "last_status_change_by": user_ref(resolver),
            "resolved_at": iso(t),
            "html_url": f"https://example.pagerduty.com/incidents/{inc_id}",
        }
    )
    if rng.random() < (0.45 if shape != "solo" else 0.15):
        write_postmortem(w, svc, inc_id, title, cls, t0, t, oncall, resolver, shape, fix_cmd, hero)


def write_postmortem(
    w: World,
    svc: Service,
    inc_id: str,
    title: str,
    cls: str,
    t0: datetime,
    t1: datetime,
    oncall: Member,
    resolver: Member,
    shape: str,
    fix_cmd: str,
    hero: str | None,
) -> None:
    """A markdown postmortem in one of the title forms, timeline styles and zones people use."""
    rng = w.rng
    day = t0.date().isoformat()
    summary_line = rng.choice(P.SUMMARY).format(
        svc=svc.name, mins=int((t1 - t0).total_seconds() // 60), cls_h=cls.replace("-", " ")
    )
    form = rng.choice(["date-colon", "incident", "bracket", "front-matter"])
    head = {
        "date-colon": f"# {day}: {svc.name} — {title}",
        "incident": f"# Incident: {title}",
        "bracket": f"# [{svc.name}] {title}",
        "front-matter": f"# Postmortem: {title}",
    }[form]
    lines: list[str] = []
    if form == "front-matter" or rng.random() < 0.3:
        lines += [
            "---",
            f"service: {svc.name}",
            f"incident: {inc_id}",
            f"date: {day}",
            f"severity: {'SEV1' if svc.critical else 'SEV3'}",
            "---",
            "",
        ]
    lines += [head, "", "## Summary", "", summary_line, ""]
    h = w.members[hero] if hero else None
    people = [oncall] + ([h] if h and shape != "solo" and h is not oncall else [])
    lines += ["## Responders", ""] + [f"- {m.name} (@{m.person.handles[0]})" for m in people] + [""]
    lines += [f"**Incident Commander:** {oncall.name}", ""]
    style = rng.choice(["bracket", "dated-pst", "dash-utc"])
    zone = PST if style == "dated-pst" else timedelta(0)

    def stamp(t: datetime) -> str:
        local = t + zone
        if style == "bracket":
            return f"* [{local:%H:%M}]"
        if style == "dated-pst":
            return f"- [{local:%m-%d %H:%M}]"
        return f"- {local:%H:%M} UTC —"

    lines += ["## Timeline", ""]
    if style == "dated-pst":
        lines += ["All times in PST.", ""]
    rows = [(t0, f"PagerDuty paged @{oncall.person.handles[0]} for {svc.name}")]
    rows.append(
        (t0 + timedelta(minutes=5), f"@{oncall.person.handles[0]} acknowledged and started investigating")
    )
    if shape in ("escalate", "reassign") and h:
        rows.append(
            (t0 + timedelta(minutes=20), f"@{oncall.person.handles[0]} escalated to @{h.person.handles[0]}")
        )
        rows.append((t1 - timedelta(minutes=5), f"@{h.person.handles[0]} ran `{fix_cmd}`"))
    elif shape == "advice" and h:
        rows.append(
            (
                t0 + timedelta(minutes=18),
                f"@{oncall.person.handles[0]} asked {h.name} for help in #{svc.channel}",
            )
        )
        rows.append((t0 + timedelta(minutes=25), f"@{h.person.handles[0]} suggested `{fix_cmd}`"))
        rows.append((t1 - timedelta(minutes=5), f"@{oncall.person.handles[0]} applied the fix"))
    else:
        rows.append((t1 - timedelta(minutes=5), f"@{resolver.person.handles[0]} ran `{fix_cmd}`"))
    rows.append((t1 - timedelta(minutes=2), rng.choice(P.VERB_ROWS)))
    rows.append((t1, f"@{resolver.person.handles[0]} resolved the incident"))
    lines += [f"{stamp(t)} {text}" for t, text in rows] + [""]
    lines += ["## Action items", "", f"- [ ] Alert on {cls.replace('-', ' ')} earlier for {svc.name}", ""]
    name = rng.choice(
        [f"{day}-{svc.name}.md", f"{day}-{svc.name}-{inc_id.lower()}.md", f"pm-{inc_id.lower()}.md"]
    )
    while name in w.postmortems:
        name = name[:-3] + "-2.md"
    w.postmortems[name] = "\n".join(lines)


def simulate_deploys(w: World, svc: Service, gatekeeper: str | None) -> tuple[int, int]:
    """Deploys and rollbacks of a service into the CSV; returns the gatekeeper's (rollbacks, of total)."""
    rng = w.rng
    team = w.teams[svc.team]
    weights = list(COVER_SKEW[: len(team)])
    rng.shuffle(weights)
    weeks = (w.end - w.start).days / 7
    n = int(weeks * 2.5)
    rollback_rate = 0.25 if gatekeeper else 0.06
    gk_rb = total_rb = 0
    for _ in range(n):
        t = incident_time(w, 0.05)
        if gatekeeper and rng.random() < GATEKEEPER_SHARE:
            actor = gatekeeper
        elif not gatekeeper and rng.random() < 0.2:
            actor = None
        else:
            actor = rng.choices(team, weights=weights)[0]
        who = w.members[actor].deploy_actor if actor else "deploy-bot"
        failed = rng.random() < rollback_rate
        w.deploys.append([iso(t), svc.name, who, "deploy", "failure" if failed else "success"])
        if failed:
            rb = gatekeeper if gatekeeper and rng.random() < GATEKEEPER_SHARE else rng.choice(team)
            total_rb += 1
            gk_rb += rb == gatekeeper
            w.deploys.append(
                [
                    iso(t + timedelta(minutes=rng.randint(5, 40))),
                    svc.name,
                    w.members[rb].deploy_actor,
                    "rollback",
                    "success",
                ]
            )
    return gk_rb, total_rb


def dump(path: Path, data: Any) -> None:
    """Deterministic JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_pages(folder: Path, name: str, key: str, items: list[dict[str, Any]], limit: int = 100) -> int:
    """A PagerDuty list endpoint saved as pages with limit/offset/more."""
    pages = max(1, (len(items) + limit - 1) // limit)
    for i in range(pages):
        chunk = items[i * limit : (i + 1) * limit]
        dump(
            folder / f"{name}-{i + 1}.json",
            {key: chunk, "limit": limit, "offset": i * limit, "more": i < pages - 1, "total": None},
        )
    return pages


def write_slack(w: World, root: Path, manager: str) -> None:
    """users.json, channels.json and day files per channel."""
    users = []
    for m in w.members.values():
        users.append(
            {
                "id": m.person.slack_id,
                "team_id": "T0CORVID",
                "name": m.person.handles[0],
                "real_name": m.name,
                "deleted": False,
                "is_bot": False,
                "tz": m.person.timezone,
                "profile": {
                    "real_name": m.name,
                    "display_name": m.display,
                    "email": m.slack_email,
                    "title": m.person.role,
                },
            }
        )
    users.append(
        {
            "id": "U0DEPLOYBOT",
            "name": "deploybot",
            "real_name": "deploybot",
            "is_bot": True,
            "deleted": False,
            "profile": {"real_name": "deploybot", "bot_id": "B0DEPLOY"},
        }
    )
    dump(root / "users.json", users)
    channels = []
    for name, msgs in sorted(w.messages.items()):
        msgs.sort(key=lambda m: float(m["ts"]))
        channels.append(
            {
                "id": "C" + slug(name).upper().replace("-", "")[:9],
                "name": name,
                "created": int(w.start.timestamp()),
                "creator": w.members[manager].person.slack_id,
                "is_archived": False,
                "members": [],
                "topic": {"value": ""},
                "purpose": {"value": f"{name}"},
            }
        )
        by_day: dict[str, list[dict[str, Any]]] = {}
        for msg in msgs:
            d = datetime.fromtimestamp(float(msg["ts"]), UTC).date().isoformat()
            by_day.setdefault(d, []).append(msg)
        for d, items in by_day.items():
            dump(root / name / f"{d}.json", items)
    dump(root / "channels.json", channels)


def generate(
    out_dir: Path | str,
    seed: int = 0,
    scale: float = 1.0,
    variant: str = "mixed",
    months: int = 4,
    start: date = date(2026, 1, 5),
) -> Truth:
    """Generate one organisation under ``out_dir`` and return (and save) what it planted."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    out = Path(out_dir)
    rng = random.Random(f"sample2/{seed}/{variant}")
    t_start = datetime.combine(start, datetime.min.time(), UTC)
    t_end = t_start + timedelta(days=30 * months)
    w = World(rng=rng, start=t_start, end=t_end, domain=rng.choice(P.DOMAINS))
    team_names = sorted(rng.sample(sorted(P.TEAMS), 4))
    aliases, manager = make_people(w, team_names, variant)
    for team in team_names:
        for name in rng.sample(P.TEAMS[team], 2):
            w.services.append(
                Service(
                    name=name,
                    team=team,
                    critical=rng.random() < 0.5,
                    has_runbook=rng.random() < 0.5,
                    channel=f"inc-{team}",
                    timezone="UTC",
                    pd_id=w.uid("PS", 5),
                    classes=rng.sample(sorted(P.CLASSES), 3),
                    archetype="balanced",
                )
            )
    plan = {
        "mixed": ["rescuer", "rescuer", "advisor", "gatekeeper"],
        "split": ["rescuer", "advisor", "gatekeeper"],
        "advisors": ["advisor", "advisor", "rescuer"],
        "balanced": [],
    }[variant]
    # one hero service per team at most, on different teams
    order = list(range(len(team_names)))
    rng.shuffle(order)
    hero_of: dict[str, str] = {}
    heroes: list[Hero] = []
    used_advisors: set[str] = set()
    for arche, team_i in zip(plan, order, strict=False):
        team = team_names[team_i]
        svc = next(s for s in w.services if s.team == team)
        svc.archetype = arche
        svc.critical = True
        if arche == "advisor":
            # an expert from another team, pulled in by name
            others = [
                p
                for t in team_names
                if t != team
                for p in w.teams[t]
                if p not in hero_of.values() and p not in used_advisors
            ]
            person = rng.choice(sorted(others))
            used_advisors.add(person)
            w.members[person].person.role = "advisor"
        else:
            person = rng.choice(w.teams[team])
        hero_of[svc.name] = person
    for svc in w.services:
        if svc.archetype in ("rescuer", "advisor") and variant == "split":
            second_identity(w, hero_of[svc.name], aliases)
        if svc.archetype == "gatekeeper" and variant == "split":
            second_identity(w, hero_of[svc.name], aliases)
    if variant != "split":
        spare = sorted(
            p for p in w.members if p not in hero_of.values() and w.members[p].person.role == "engineer"
        )
        second_identity(w, rng.choice(spare), aliases)
    rosters = {team: rotation(w, team) for team in team_names}
    number = 1000
    for svc in w.services:
        hero = hero_of.get(svc.name) if svc.archetype in ("rescuer", "advisor") else None
        rate = HERO_INCIDENTS_PER_MONTH if hero else rng.uniform(4.0, 6.0)
        for _ in range(max(1, round(rate * months * scale))):
            number += 1
            simulate_incident(w, svc, rosters[svc.team], hero, manager, number)
        gk = hero_of.get(svc.name) if svc.archetype == "gatekeeper" else None
        gk_rb, total_rb = simulate_deploys(w, svc, gk)
        if svc.archetype in ("rescuer", "advisor"):
            kind = "escalation-rescuer" if svc.archetype == "rescuer" else "advisor"
            heroes.append(Hero(person=hero_of[svc.name], kind=kind, scopes=[f"service:{svc.name}"]))
        elif gk:
            scopes = [f"task:deploy:{svc.name}"]
            if total_rb >= MIN_PLANTED_RUNS and gk_rb / total_rb > 0.5:
                scopes.append(f"task:rollback:{svc.name}")
            heroes.append(Hero(person=gk, kind="deploy-gatekeeper", scopes=scopes))
    # merge hero entries of one person (an advisor on two services)
    merged: dict[tuple[str, str], Hero] = {}
    for h in heroes:
        key = (h.person, h.kind)
        if key in merged:
            merged[key].scopes = sorted(set(merged[key].scopes) | set(h.scopes))
        else:
            merged[key] = h
    heroes = list(merged.values())
    # chatter: a general channel and a bot-heavy deploys channel
    for _ in range(int(60 * months * scale)):
        t = incident_time(w, 0.0)
        speaker = rng.choice([manager, manager, *rng.sample(sorted(w.members), 3)])
        w.messages.setdefault("eng-general", []).append(
            {
                "type": "message",
                "user": w.members[speaker].person.slack_id,
                "text": rng.choice(P.GENERAL),
                "ts": w.ts(t),
            }
        )
    for row in w.deploys:
        if row[3] == "deploy":
            t = datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            w.messages.setdefault("deploys", []).append(
                {
                    "type": "message",
                    "user": "U0DEPLOYBOT",
                    "bot_id": "B0DEPLOY",
                    "text": f"{row[1]} deployed by {row[2]}: {row[4]}",
                    "ts": w.ts(t),
                }
            )

    # write the sources
    write_slack(w, out / "slack", manager)
    pd = out / "pagerduty"
    w.incidents.sort(key=lambda i: i["created_at"])
    w.log_entries.sort(key=lambda e: e["created_at"])
    write_pages(pd, "incidents", "incidents", w.incidents)
    write_pages(pd, "log_entries", "log_entries", w.log_entries)
    dump(
        pd / "users.json",
        {
            "users": [
                {
                    "id": m.person.pd_id,
                    "type": "user",
                    "name": m.name,
                    "email": m.pd_email,
                    "time_zone": m.person.timezone,
                    "role": "user",
                    "summary": m.name,
                    "html_url": f"https://example.pagerduty.com/users/{m.person.pd_id}",
                }
                for m in w.members.values()
                if m.person.on_rotation
            ],
            "limit": 100,
            "offset": 0,
            "more": False,
            "total": None,
        },
    )
    oncalls = []
    for team in team_names:
        for wk, (l1, l2) in sorted(rosters[team].items()):
            s = w.start + timedelta(days=7 * wk)
            for level, pid in ((1, l1), (2, l2)):
                m = w.members[pid]
                oncalls.append(
                    {
                        "user": {
                            "id": m.person.pd_id,
                            "type": "user",
                            "summary": m.name,
                            "name": m.name,
                            "email": m.pd_email,
                        },
                        "schedule": {
                            "id": f"PSCH{team[:4].upper()}",
                            "type": "schedule_reference",
                            "summary": f"{team} primary",
                        },
                        "escalation_policy": {
                            "id": "PESCPOL",
                            "type": "escalation_policy_reference",
                            "summary": f"{team} escalation",
                        },
                        "escalation_level": level,
                        "start": iso(s),
                        "end": iso(s + timedelta(days=7)),
                    }
                )
    dump(pd / "oncalls.json", {"oncalls": oncalls, "limit": 100, "offset": 0, "more": False, "total": None})
    for name, text in w.postmortems.items():
        (out / "postmortems").mkdir(parents=True, exist_ok=True)
        (out / "postmortems" / name).write_text(text + "\n", encoding="utf-8")
    reference: dict[str, list[str]] = {}
    for svc in w.services:
        scope = f"service:{svc.name}"
        fixes = list(dict.fromkeys(w.fixes_given.get(scope, [])))
        if fixes:
            reference[scope] = [f"`{f}`" for f in fixes]
        if not svc.has_runbook:
            continue
        author = w.members[hero_of.get(svc.name) or w.teams[svc.team][0]]
        steps = [
            rng.choice(P.CLASSES[c]["fix"]).format(svc=svc.name, svc_u=svc.name.replace("-", "_"))
            for c in svc.classes
        ]
        body = [
            "---",
            f"service: {svc.name}",
            f"owner: '@{author.person.handles[0]}'",
            f"last_reviewed: {start.isoformat()}",
            "---",
            "",
            f"# Runbook: {svc.name}",
            "",
        ]
        body += [f"{i + 1}. Run `{s}`" for i, s in enumerate(steps)]
        (out / "runbooks").mkdir(parents=True, exist_ok=True)
        (out / "runbooks" / f"{svc.name}.md").write_text("\n".join(body) + "\n", encoding="utf-8")
    (out / "deploys").mkdir(parents=True, exist_ok=True)
    with (out / "deploys" / "deploys.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["timestamp", "service", "actor", "action", "outcome"])
        writer.writerows(sorted(w.deploys))
    aliases_file = None
    settle = [a for a in aliases if a.needs_aliases_file]
    if settle:
        entries = []
        for a in settle:
            m = w.members[a.person]
            entries.append(
                {"name": m.name, "aliases": [*a.aliases, f"@{m.person.handles[0]}", m.person.slack_id]}
            )
        (out / "aliases.yaml").write_text(
            yaml.safe_dump({"people": entries}, sort_keys=False), encoding="utf-8"
        )
        aliases_file = "aliases.yaml"
    bots = [
        Bot(name="Alertmanager", source="slack", id="B0ALERTMGR"),
        Bot(name="deploybot", source="slack", id="U0DEPLOYBOT"),
        Bot(name="deploy-bot", source="deploys", id="deploy-bot"),
    ]
    truth = Truth(
        seed=seed,
        scale=scale,
        variant=variant,
        months=months,
        start=start,
        end=t_end.date(),
        people=[m.person for m in w.members.values()],
        teams={**w.teams, "management": [manager]},
        services=w.services,
        heroes=heroes,
        balanced_scopes=sorted(
            f"service:{s.name}" for s in w.services if s.archetype in ("balanced", "gatekeeper")
        ),
        rescues=w.rescues,
        escalations=w.escalations,
        chat_fixes=w.chat_fixes,
        incident_classes=w.classes,
        reference_fixes=reference,
        bots=bots,
        aliases=aliases,
        aliases_file=aliases_file,
        chatty_managers=[manager],
        counts={
            "incidents": len(w.incidents),
            "log_entries": len(w.log_entries),
            "messages": sum(len(v) for v in w.messages.values()),
            "postmortems": len(w.postmortems),
            "deploys": len(w.deploys),
        },
    )
    dump(out / "ground_truth.json", json.loads(truth.model_dump_json()))
    return truth
