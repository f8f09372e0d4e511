"""One incident, many sources: chat threads, tickets and deploys linked to the page they are about,
with the rule that linked them and the fact that made it.

Rules for a chat thread, strongest first (DESIGN.md "One incident, many sources"):

- ``explicit-id``: the thread names the incident (a PagerDuty or Opsgenie id or URL; ingest read it);
- ``alert``: the thread opens with an alert bot's line naming a service (``[FIRING:1] auth-gateway: …``)
  and that service was paged within ``ALERT_LINK_WINDOW`` of the alert;
- ``channel-name``: the channel's name carries the service and the thread starts while one of that
  service's incidents is open;

Rules for a Jira or GitHub ticket and a deploy-log event (:func:`record_links`), strongest first:

- ``explicit-id``: its text names a stored incident (a PagerDuty id or URL, a Jira key, a GitHub
  issue URL; ingest stores what it names as ``detail.refs``);
- ``ticket-during``: a ticket opened while a page of the service it names (its component, or its
  summary) is open;
- ``deploy-before-page``: a deploy (rollback, hotfix, …) of the paged service within ``DEPLOY_LEAD``
  before the page; ``deploy-during``: one while the page is open (the remedy).

Rules for a postmortem (:func:`postmortem_links`), for the write-up whose own incident key is
``postmortem:<id or file stem>`` (one whose front matter names a PagerDuty or Opsgenie id is keyed by
that id at ingest): ``explicit-id`` (its front matter or text names a stored incident or ticket), then
``file-name-id`` (its file name carries a page's id, ``pm-q1abc2d.md``).

A thread that no rule links stays with its channel's scope. A linked ticket or deploy keeps its own
scope: the link is evidence shown beside the incident (``patterns --json`` ``links``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from agent.analytics.classes import service_name_pattern
from ingest.adapters._common import epoch_ts
from ingest.db import Activity, Incident, RecordRow

ALERT_LINK_WINDOW = timedelta(minutes=10)
"""An alert message and a page of the same service this close are one incident: the alert bot and
PagerDuty are fed by the same rule, seconds apart; ten minutes allows for a delayed or repeated
notification without reaching the next incident (a flapping alert pages again after its resolve)."""

CHANNEL_LINK_GRACE = timedelta(hours=2)
"""A thread in a service's channel up to two hours after an incident resolved still belongs to it."""

OPEN_DEFAULT = timedelta(hours=24)
"""An incident with no resolution time counts as open for a day when matching threads to it."""

DEPLOY_LEAD = timedelta(hours=2)
"""A deploy of a service this long before its page is a suspect for the page: a bad release shows in
error rates and pages within minutes to an hour of rolling out (canary and bake times included), and
two hours keeps yesterday's deploy out. Set a priori, not fitted on data."""

TICKET_LEAD = timedelta(minutes=10)
"""A ticket opened this long before a page of its service still belongs to it: a customer report or a
monitor's ticket can beat the pager by minutes. Set a priori."""

PAGE_SOURCES = ("pagerduty", "opsgenie")
"""Sources whose incidents are pages: the incidents tickets and deploys are matched to by time."""

TICKET_SOURCES = ("jira", "github")
"""Sources of tickets."""

DEPLOY_SOURCE = "deploys"
"""The source of deploy-log events (their scope is ``task:<action>:<service>``)."""


LINKED_INCIDENT = aliased(Incident, name="linked_incident")
"""The incident a chat message's thread names, outer-joined where activity is counted per scope."""


def linked_incident_join() -> Any:
    """The join condition of ``LINKED_INCIDENT``: a chat message and the incident its thread names."""
    return and_(Activity.source == "slack", Activity.incident == LINKED_INCIDENT.key)


def threads_off_scope(session: Session) -> bool:
    """Whether any chat message sits in a thread naming an incident of another scope than its own
    (a thread in a team channel that names the page): only then is counting per scope re-routed."""
    return bool(
        session.execute(
            select(
                exists().where(
                    Activity.source == "slack",
                    Activity.incident.is_not(None),
                    LINKED_INCIDENT.key == Activity.incident,
                    LINKED_INCIDENT.scope != Activity.scope,
                )
            )
        ).scalar()
    )


def counted_scope(incident: Any = LINKED_INCIDENT) -> Any:
    """The scope an activity counts on: a chat message of a thread linked by id to an incident counts
    on the incident's scope (DESIGN.md: every linked activity counts on the incident's service), any
    other activity on its own. ``incident`` is the outer-joined incident of ``Activity.incident``
    (``LINKED_INCIDENT`` joined by ``linked_incident_join``, or ``Incident`` itself)."""
    return func.coalesce(case((Activity.source == "slack", incident.scope)), Activity.scope)


@dataclass
class Link:
    """A chat thread (its chunk) tied to an incident, and the rule and fact that tied it."""

    chunk_id: str
    incident: str
    scope: str
    rule: str
    why: str

    def evidence(self) -> str:
        """One line for a rescue's or incident's evidence."""
        return f"thread {self.chunk_id} -> {self.incident} ({self.rule}: {self.why})"


def _seconds(delta: timedelta) -> str:
    s = int(abs(delta.total_seconds()))
    return f"{s} s" if s < 120 else f"{s // 60} min"


def thread_links(session: Session, chunk_ids: set[str] | None = None) -> dict[str, Link]:
    """Chat thread chunk id -> its incident link (threads no rule links are absent)."""
    cond = [Activity.source == "slack", Activity.chunk_id.is_not(None)]
    if chunk_ids is not None:
        cond.append(Activity.chunk_id.in_(sorted(chunk_ids)))
    threads = session.execute(
        select(
            Activity.chunk_id,
            func.min(Activity.ts),
            func.min(Activity.scope),
            func.max(Activity.incident),
            func.max(Activity.detail["thread_alert"].as_string()),
            func.min(Activity.detail["thread_start"].as_string()),
        )
        .where(*cond)
        .group_by(Activity.chunk_id)
    ).all()
    if not threads:
        return {}
    scopes = sorted({str(scope) for _, _, scope, _, _, _ in threads if scope})
    lo = min(ts for _, ts, _, _, _, _ in threads) - OPEN_DEFAULT - CHANNEL_LINK_GRACE
    hi = max(ts for _, ts, _, _, _, _ in threads) + ALERT_LINK_WINDOW
    by_scope: dict[str, list[tuple[str, datetime, datetime | None]]] = defaultdict(list)
    for key, scope, created, resolved in session.execute(
        select(Incident.key, Incident.scope, Incident.created_at, Incident.resolved_at).where(
            Incident.scope.in_(scopes), Incident.created_at >= lo, Incident.created_at <= hi
        )
    ):
        by_scope[str(scope)].append((str(key), created, resolved))
    out: dict[str, Link] = {}
    for chunk, start, scope, named, alert, opened in threads:
        if named:
            out[chunk] = Link(chunk, str(named), str(scope), "explicit-id", "the thread names the incident")
            continue
        candidates = by_scope.get(str(scope), [])
        if alert:
            at = epoch_ts(opened) or start  # the alert bot's message opens the thread
            near = [(abs(at - created), key) for key, created, _ in candidates]
            near = [(d, k) for d, k in near if d <= ALERT_LINK_WINDOW]
            if near:
                d, key = min(near)
                why = f"alert '{alert}' {_seconds(d)} from the page"
                out[chunk] = Link(chunk, key, str(scope), "alert", why)
                continue
        if str(scope).startswith("service:"):
            open_then = [
                (created, key)
                for key, created, resolved in candidates
                if created <= start <= (resolved or created + OPEN_DEFAULT) + CHANNEL_LINK_GRACE
            ]
            if open_then:
                created, key = max(open_then)  # the latest incident open at the thread's start
                why = f"channel of {scope}, thread started {_seconds(start - created)} after the page"
                out[chunk] = Link(chunk, key, str(scope), "channel-name", why)
    return out


@dataclass
class RecordLink:
    """A ticket or a deploy event tied to an incident, and the rule and fact that tied it."""

    item: str
    source: str
    incident: str
    scope: str
    rule: str
    why: str
    ts: datetime
    activity_ids: list[int]

    def evidence(self) -> str:
        """One line for an incident's evidence."""
        return f"{self.item} -> {self.incident} ({self.rule}: {self.why})"


@dataclass
class _Page:
    key: str
    scope: str
    created: datetime
    resolved: datetime | None

    def open_at(self, ts: datetime) -> bool:
        """Whether the page was open at ``ts`` (resolved, or a day, plus the grace after)."""
        end = (self.resolved or self.created + OPEN_DEFAULT) + CHANNEL_LINK_GRACE
        return self.created <= ts <= end


def _service(scope: str) -> str:
    """The service a scope is about: 'service:x' and 'task:deploy:x' -> 'x'."""
    if scope.startswith("service:"):
        return scope[len("service:") :]
    if scope.startswith("task:"):
        return scope.split(":", 2)[2] if scope.count(":") >= 2 else ""
    return ""


def _names_service(text: str, service: str) -> bool:
    pattern = service_name_pattern(service)
    return bool(pattern) and re.search(pattern, text, re.I) is not None


def record_links(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> list[RecordLink]:
    """Every ticket and deploy event that a rule ties to an incident, with the rule and its fact."""
    cond: list[Any] = [Activity.source.in_([*TICKET_SOURCES, DEPLOY_SOURCE])]
    if since is not None:
        cond.append(Activity.ts >= since)
    if until is not None:
        cond.append(Activity.ts < until)
    rows = session.execute(
        select(
            Activity.id,
            Activity.record_id,
            Activity.source,
            Activity.scope,
            Activity.ts,
            Activity.incident,
            Activity.detail,
            RecordRow.key,
            RecordRow.title,
            RecordRow.occurred_at,
        )
        .join(RecordRow, RecordRow.id == Activity.record_id)
        .where(*cond)
        .order_by(Activity.id)
    ).all()
    if not rows:
        return []
    incidents = {
        str(key): (str(scope), str(source))
        for key, scope, source in session.execute(select(Incident.key, Incident.scope, Incident.source))
    }
    lo = min(r.ts for r in rows) - OPEN_DEFAULT - CHANNEL_LINK_GRACE
    hi = max(r.ts for r in rows) + DEPLOY_LEAD
    pages: dict[str, list[_Page]] = defaultdict(list)
    for key, scope, created, resolved in session.execute(
        select(Incident.key, Incident.scope, Incident.created_at, Incident.resolved_at).where(
            Incident.source.in_(PAGE_SOURCES), Incident.created_at >= lo, Incident.created_at <= hi
        )
    ):
        name = _service(str(scope))
        if name:
            pages[name].append(_Page(str(key), str(scope), created, resolved))

    # one item per ticket (all its activities) and per deploy event (one activity)
    items: dict[str, dict[str, Any]] = {}
    for r in rows:
        detail = r.detail or {}
        item = f"deploy:{r.id}" if r.source == DEPLOY_SOURCE else str(r.key)
        it = items.setdefault(
            item,
            {
                "source": str(r.source),
                "scope": str(r.scope),
                "title": str(r.title or ""),
                "ts": r.occurred_at if r.source != DEPLOY_SOURCE and r.occurred_at else r.ts,
                "own": r.incident,
                "refs": [],
                "ids": [],
            },
        )
        it["ids"].append(int(r.id))
        for ref in detail.get("refs") or []:
            if ref not in it["refs"]:
                it["refs"].append(str(ref))

    out: list[RecordLink] = []
    for item, it in items.items():
        ts: datetime = it["ts"]
        link = None
        named = [ref for ref in it["refs"] if ref in incidents and ref != it["own"]]
        if named:
            key = named[0]
            link = (key, incidents[key][0], "explicit-id", f"names {key}")
        elif it["source"] == DEPLOY_SOURCE:
            service = _service(it["scope"])
            after = [
                (p.created - ts, p) for p in pages.get(service, []) if ts < p.created <= ts + DEPLOY_LEAD
            ]
            during = [p for p in pages.get(service, []) if p.open_at(ts) and p.created <= ts]
            if after:
                d, page = min(after, key=lambda x: (x[0], x[1].key))
                why = f"{it['scope']} {_seconds(d)} before the page of {page.scope}"
                link = (page.key, page.scope, "deploy-before-page", why)
            elif during:
                page = max(during, key=lambda p: (p.created, p.key))
                why = f"{it['scope']} {_seconds(ts - page.created)} after the page, while it was open"
                link = (page.key, page.scope, "deploy-during", why)
        else:
            candidates = []
            for service, plist in pages.items():
                by_scope = _service(it["scope"]) == service
                if not by_scope and not _names_service(it["title"], service):
                    continue
                for p in plist:
                    if p.open_at(ts) or p.created - TICKET_LEAD <= ts <= p.created:
                        candidates.append((p, by_scope))
            if candidates:
                page, by_scope = max(candidates, key=lambda c: (c[0].created, c[0].key))
                fact = f"its component is {page.scope}" if by_scope else f"its summary names {page.scope}"
                when = ts - page.created
                at = f"{_seconds(when)} {'after' if when.total_seconds() >= 0 else 'before'} the page"
                link = (page.key, page.scope, "ticket-during", f"opened {at}; {fact}")
        if link is not None:
            key, scope, rule, why = link
            out.append(RecordLink(item, it["source"], key, scope, rule, why, ts, sorted(it["ids"])))
    return sorted(out, key=lambda lk: (lk.ts, lk.item))


POSTMORTEM_SOURCE = "markdown"
"""The source of postmortems (their incident is the write-up's own, ``postmortem:<id or file stem>``)."""


@dataclass
class WriteUpLink:
    """A postmortem's own incident tied to the incident it is the write-up of, and the rule that tied it."""

    postmortem: str
    incident: str
    scope: str
    rule: str
    why: str
    dated: bool
    shift: timedelta

    def evidence(self) -> str:
        """One line for an incident's evidence."""
        return f"{self.postmortem} -> {self.incident} ({self.rule}: {self.why})"


def postmortem_links(session: Session) -> dict[str, WriteUpLink]:
    """Postmortem incident key -> the stored incident it is the write-up of.

    Rules, strongest first: ``explicit-id``: its front matter or text names a stored incident or ticket
    (a PagerDuty id or URL, a Jira key, a GitHub issue URL); ``file-name-id``: its file name carries a
    stored incident's id (``pm-q1abc2d.md``; ids compared case-insensitively, as file names lower-case
    them). A write-up with no date of its own (``dated`` false) was timed by its file; ``shift`` is what
    moves its first timeline entry onto the linked incident's start."""
    rows = session.execute(
        select(
            Activity.incident,
            Activity.detail["refs"],
            Activity.detail["name_ids"],
            Activity.detail["dated"].as_boolean(),
        )
        .where(Activity.source == POSTMORTEM_SOURCE, Activity.incident.is_not(None))
        .distinct()
    ).all()
    if not rows:
        return {}
    stored = {
        str(key): (str(scope), str(source), created)
        for key, scope, source, created in session.execute(
            select(Incident.key, Incident.scope, Incident.source, Incident.created_at)
        )
    }
    by_id: dict[str, str] = {}
    for key, (_, source, _) in stored.items():
        if source in PAGE_SOURCES:
            by_id.setdefault(key.split(":", 1)[-1].upper(), key)
    out: dict[str, WriteUpLink] = {}
    for own, refs, name_ids, dated in rows:
        own = str(own)
        if own in out or own not in stored or stored[own][1] != POSTMORTEM_SOURCE:
            continue
        named = [str(r) for r in (refs or []) if str(r) in stored and str(r) != own]
        rule, target, why = "", None, ""
        if named:
            rule, target, why = "explicit-id", named[0], f"the write-up names {named[0]}"
        else:
            hit = next((by_id[str(t).upper()] for t in (name_ids or []) if str(t).upper() in by_id), None)
            if hit is not None:
                rule, target, why = "file-name-id", hit, f"its file name carries {hit.split(':', 1)[-1]}"
        if target is None:
            continue
        scope, _, created = stored[target]
        undated = dated is False
        shift = created - stored[own][2] if undated else timedelta(0)
        out[own] = WriteUpLink(own, target, scope, rule, why, not undated, shift)
    return out
