"""One incident, many sources: chat threads linked to the page they are about, with the rule that linked them.

Rules, strongest first (DESIGN.md "One incident, many sources"):

- ``explicit-id``: the thread names the incident (a PagerDuty or Opsgenie id or URL; ingest read it);
- ``alert``: the thread opens with an alert bot's line naming a service (``[FIRING:1] auth-gateway: …``)
  and that service was paged within ``ALERT_LINK_WINDOW`` of the alert;
- ``channel-name``: the channel's name carries the service and the thread starts while one of that
  service's incidents is open;

A thread that no rule links stays with its channel's scope. Postmortems are linked at ingest (their
front matter names the incident); tickets and deploys keep their own scope.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.adapters._common import epoch_ts
from ingest.db import Activity, Incident

ALERT_LINK_WINDOW = timedelta(minutes=10)
"""An alert message and a page of the same service this close are one incident: the alert bot and
PagerDuty are fed by the same rule, seconds apart; ten minutes allows for a delayed or repeated
notification without reaching the next incident (a flapping alert pages again after its resolve)."""

CHANNEL_LINK_GRACE = timedelta(hours=2)
"""A thread in a service's channel up to two hours after an incident resolved still belongs to it."""

OPEN_DEFAULT = timedelta(hours=24)
"""An incident with no resolution time counts as open for a day when matching threads to it."""


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
