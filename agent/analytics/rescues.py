"""Rescues and the escalation graph, found with SQL (correlated EXISTS and a LAG window).

A rescue (DESIGN.md) is work resolved by someone who was not the assignee or on call at the time,
or who was pulled in by name. Concretely:

- ``unassigned-resolver``: a ``resolved`` or ``fix_shared`` activity on an incident by a person who
  had no ``assigned``/``escalated`` activity on that incident before it, and no on-call shift at that
  moment for the incident's scope (or a shift without a scope) -- counted only when the data shows who
  was responsible (someone was assigned the incident, or its scope had an on-call schedule then), and
  not from a postmortem when a paging system logged the incident's resolution;
- ``pulled-in``: a ``mentioned`` or ``reassigned`` activity on an incident, followed by the same person
  acting on it (resolving, sharing a fix, annotating, acknowledging, writing in the thread...), when
  that person was neither assigned nor on call when pulled in;
- ``chat-fix``: a ``fix_shared`` in chat without an incident key, in a service scope while an
  incident of that service was open (plus a grace period), by someone neither assigned nor on call;
- ``escalated-to`` / ``reassigned-to``: work routed away from the person it was routed to first (the
  first assignee, or whoever was paged first) to a named person by a person (a manual escalation or
  reassignment in PagerDuty, a reassignment in Jira), who then resolves it or shares the fix. An
  escalation policy's timeout to whoever is on call at the next level is scheduled routing, not a
  rescue; it still counts as an escalation received (the concentration the hero rule watches).

Who held the work: whoever was assigned, escalated to or paged for the incident (PagerDuty logs the
first routing as a page), and whoever was on call for it -- a team-named rotation answers for the
services its on-call is paged for first (:func:`schedule_cover`); for a pull-in by name only the
primary level counts, since pulling in the backup by name is routing it. A fix in chat that someone
else's later command replaced before the incident ended is an attempt, not the fix that resolved it.

One rescue per (incident, person); each links to its evidence (activity ids, chunk ids).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from agent.analytics.judgement import fix_commands, judge
from agent.analytics.linking import Link, postmortem_links, thread_links
from agent.analytics.metrics import canonical_person, window_filter
from agent.analytics.models import EscalationEdge, Rescue
from agent.analytics.parallel import Workers
from agent.analytics.rules import ACTING_ACTIONS, ASSIGNING_ACTIONS, PULL_ACTIONS, RESOLVING_ACTIONS
from ingest import actions
from ingest.db import Activity, Alias, Incident, Person, Shift

NARRATIVE_SOURCE = "markdown"
"""Postmortems retell an incident: when a paging system logged its resolution, the postmortem's own
'resolved by' (often with clock times in another zone) is not a second resolving act."""

CHAT_FIX_GRACE = timedelta(hours=2)
"""A fix shared in chat up to two hours after an incident resolved still belongs to it (the write-up)."""

CHAT_FIX_OPEN_DEFAULT = timedelta(hours=24)
"""An incident with no resolution time counts as open for a day when matching chat fixes to it."""


def _canonical_map(session: Session) -> dict[str, str]:
    return {pid: merged for pid, merged in session.execute(select(Person.id, Person.merged_into)) if merged}


def _first_assignment() -> Any:
    """Subquery: (incident, person, first time they were assigned or escalated to it)."""
    return (
        select(
            Activity.incident.label("incident"),
            Activity.person_id.label("person_id"),
            func.min(Activity.ts).label("first"),
        )
        .where(Activity.incident.is_not(None), Activity.action.in_(ASSIGNING_ACTIONS))
        .group_by(Activity.incident, Activity.person_id)
        .subquery()
    )


def _routed_incidents() -> Any:
    """Subquery: incidents someone was assigned to (their data shows who was responsible)."""
    return (
        select(Activity.incident.label("incident"))
        .where(Activity.incident.is_not(None), Activity.action.in_(ASSIGNING_ACTIONS))
        .group_by(Activity.incident)
        .subquery()
    )


def _logged_resolutions() -> Any:
    """Subquery: incidents whose resolution a paging system logged (not only a postmortem's retelling)."""
    return (
        select(Activity.incident.label("incident"))
        .where(
            Activity.incident.is_not(None),
            Activity.action == actions.RESOLVED,
            Activity.source != NARRATIVE_SOURCE,
        )
        .group_by(Activity.incident)
        .subquery()
    )


SCHEDULE_COVER_SHARE = 0.5
"""A schedule whose name is not the paged service (a team's rotation, 'payments primary') covers a service
when the schedule's on-call got the first page of at least half of that service's paged incidents: the
paging data then says the rotation answers for it. A majority, set a priori (fitted on: none)."""


def schedule_cover(session: Session) -> dict[str, set[str]]:
    """Shift scope -> the incident scopes it answers for (itself, and services its on-call is paged for first).

    On-call schedules are often named for a team, so their shifts carry a team scope while incidents
    carry the paged service's; the first page of each incident (PagerDuty's ``notify_log_entry``) says
    which rotation held it."""
    person = canonical_person()
    shifts: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for pid, start, end, scope in session.execute(
        select(person, Shift.start, Shift.end, Shift.scope)
        .join(Person, Person.id == Shift.person_id)
        .where(Shift.scope.is_not(None))
    ):
        shifts[pid].append((start, end, scope))
    cover: dict[str, set[str]] = {sc: {sc} for lst in shifts.values() for _, _, sc in lst}
    if not shifts:
        return cover
    first = (
        select(Activity.incident, func.min(Activity.ts).label("ts"))
        .where(
            Activity.incident.is_not(None),
            Activity.action == actions.NOTIFIED,
            Activity.source != NARRATIVE_SOURCE,
        )
        .group_by(Activity.incident)
        .subquery()
    )
    paged: dict[str, int] = defaultdict(int)
    held: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    for inc, pid, ts, scope in session.execute(
        select(Activity.incident, person, Activity.ts, Incident.scope)
        .join(first, and_(first.c.incident == Activity.incident, first.c.ts == Activity.ts))
        .join(Person, Person.id == Activity.person_id)
        .join(Incident, Incident.key == Activity.incident)
        .where(Activity.action == actions.NOTIFIED)
    ):
        if (inc, "") not in seen:
            seen.add((inc, ""))
            paged[scope] += 1
        for sc in {sc for s, e, sc in shifts.get(pid, []) if s <= ts < e}:
            if (inc, sc) not in seen:
                seen.add((inc, sc))
                held[(sc, scope)] += 1
    for (sc, scope), n in held.items():
        if n >= SCHEDULE_COVER_SHARE * paged[scope]:
            cover[sc].add(scope)
    return cover


def covers(cover: dict[str, set[str]], shift_scope: str | None, scope: str) -> bool:
    """Whether a shift of ``shift_scope`` answers for an incident of ``scope`` (a shift without a scope: all)."""
    return shift_scope is None or shift_scope == scope or scope in cover.get(shift_scope, ())


def _covered_by(shift_scope: Any, scope: Any, cover: dict[str, set[str]]) -> Any:
    """SQL: a shift of ``shift_scope`` answers for an incident of ``scope`` (see :func:`covers`)."""
    extra = [
        and_(shift_scope == sc, scope.in_(sorted(scopes - {sc})))
        for sc, scopes in sorted(cover.items())
        if scopes - {sc}
    ]
    return or_(shift_scope.is_(None), shift_scope == scope, *extra)


PRIMARY_LEVEL = 1
"""The escalation level work is first routed to. Pulling a person in by name routes work to them even
when they are the rotation's backup (a level the policy reaches only by timeout): for pull-ins only a
primary shift makes the person someone the work was already routed to."""


def _not_on_call(act: Any, at: Any, cover: dict[str, set[str]], primary: bool = False) -> Any:
    """SQL: the person had no on-call shift at ``at`` answering for the incident's scope (or without a
    scope); ``primary``: no shift at the first level."""
    return ~(
        select(Shift.id)
        .where(
            Shift.person_id == act.person_id,
            Shift.start <= at,
            Shift.end > at,
            _covered_by(Shift.scope, Incident.scope, cover),
            *([Shift.level <= PRIMARY_LEVEL] if primary else []),
        )
        .exists()
    )


def _scheduled(at: Any, cover: dict[str, set[str]]) -> Any:
    """SQL: an on-call shift answering for the incident's scope was on at ``at``."""
    return (
        select(Shift.id)
        .where(
            Shift.scope.is_not(None),
            _covered_by(Shift.scope, Incident.scope, cover),
            Shift.start <= at,
            Shift.end > at,
        )
        .exists()
    )


def find_rescues(
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: Workers | None = None,
) -> list[Rescue]:
    """Every rescue in the window (by the time of the resolving act or the pull-in), oldest first.

    Per-incident lookups are joins against grouped subqueries (first assignment per incident and
    person), not correlated per-row searches, so a million activities stay a few scans. The rules are
    independent scans, run side by side when ``workers`` (or a pool of its own) has threads; their
    rescues are merged in one fixed order, so the result does not depend on which finished first."""
    own = workers is None
    w = workers if workers is not None else Workers(session)
    try:
        cover_part = w.submit(schedule_cover)
        judge(session, since, until)  # judged once, here: the parts read them from the shared memo
        judge(session)
        canon = _canonical_map(session)
        cover = cover_part.result()
        judged = w.submit(_judged_rescues, since, until, cover)  # the longest first
        routed = w.submit(_routed_away, since, until)
        parts = [
            w.submit(_unassigned_resolvers, since, until, cover),
            w.submit(_pulled_in, since, until, cover),
            w.submit(_chat_fixes, since, until, cover),
            routed,
            judged,
        ]
        found: dict[tuple[str, str], Rescue] = {}

        def add(r: Rescue) -> None:
            r.person = canon.get(r.person, r.person)
            key = (r.incident, r.person)
            old = found.get(key)
            if old is None:
                found[key] = r
                return
            if r.kind not in old.kind.split("+"):
                old.kind = f"{old.kind}+{r.kind}"
            old.activity_ids = sorted(set(old.activity_ids) | set(r.activity_ids))
            old.chunk_ids = sorted(set(old.chunk_ids) | set(r.chunk_ids))
            old.pulled_by = old.pulled_by or r.pulled_by
            old.links = old.links + [x for x in r.links if x not in old.links]
            old.ts = min(old.ts, r.ts)

        for part in parts:
            for r in part.result():
                add(r)
        return sorted(
            _onto_write_ups_incidents(session, found, add), key=lambda r: (r.ts, r.incident, r.person)
        )
    finally:
        if own:
            w.close()


def _unassigned_resolvers(
    session: Session, since: datetime | None, until: datetime | None, cover: dict[str, set[str]]
) -> list[Rescue]:
    """Resolving acts by someone neither assigned before nor on call, where the data shows who was."""
    a = aliased(Activity)
    first = _first_assignment()
    routed = _routed_incidents()
    logged = _logged_resolutions()
    stmt = (
        select(
            a.id,
            a.incident,
            a.person_id,
            a.ts,
            a.chunk_id,
            Incident.scope,
            Incident.incident_class,
            Incident.chunk_id,
        )
        .join(Incident, Incident.key == a.incident)
        .join(Person, Person.id == a.person_id)
        .outerjoin(first, and_(first.c.incident == a.incident, first.c.person_id == a.person_id))
        .outerjoin(routed, routed.c.incident == a.incident)
        .outerjoin(logged, logged.c.incident == a.incident)
        .where(
            a.action.in_(RESOLVING_ACTIONS),
            or_(a.source != NARRATIVE_SOURCE, logged.c.incident.is_(None)),
            *window_filter(a.ts, since, until),
            or_(first.c.first.is_(None), first.c.first > a.ts),
            or_(routed.c.incident.is_not(None), _scheduled(a.ts, cover)),
            _not_on_call(a, a.ts, cover),
        )
        .order_by(a.ts, a.id)
    )
    return [
        _sql_rescue("unassigned-resolver", inc, scope, cls, pid, ts, [aid], chunk, inc_chunk)
        for aid, inc, pid, ts, chunk, scope, cls, inc_chunk in session.execute(stmt)
    ]


def _sql_rescue(
    kind: str,
    inc: Any,
    scope: str,
    cls: str | None,
    pid: str,
    ts: datetime,
    activity_ids: list[int],
    chunk: str | None,
    inc_chunk: str | None,
    pulled_by: str | None = None,
) -> Rescue:
    """A rescue found by one of the SQL rules, linked to its activities and its and the incident's chunks."""
    return Rescue(
        incident=str(inc),
        scope=scope,
        incident_class=cls,
        person=pid,
        kind=kind,
        ts=ts,
        pulled_by=pulled_by,
        activity_ids=activity_ids,
        chunk_ids=sorted({c for c in (chunk, inc_chunk) if c}),
    )


def _pulled_in(
    session: Session, since: datetime | None, until: datetime | None, cover: dict[str, set[str]]
) -> list[Rescue]:
    """Pulled in by name (a mention, a manual reassignment), then acted, when neither assigned nor on call."""
    m = aliased(Activity)
    x = aliased(Activity)
    acted = (
        select(
            x.incident.label("incident"),
            x.person_id.label("person_id"),
            func.max(x.ts).label("last"),
            func.max(x.id).label("act_id"),
        )
        .where(x.incident.is_not(None), x.action.in_(ACTING_ACTIONS))
        .group_by(x.incident, x.person_id)
        .subquery()
    )
    first = _first_assignment()
    stmt = (
        select(
            m.id,
            m.incident,
            m.person_id,
            m.ts,
            m.chunk_id,
            m.detail,
            Incident.scope,
            Incident.incident_class,
            Incident.chunk_id,
            acted.c.act_id,
        )
        .join(Incident, Incident.key == m.incident)
        .join(Person, Person.id == m.person_id)
        .join(acted, and_(acted.c.incident == m.incident, acted.c.person_id == m.person_id))
        .outerjoin(first, and_(first.c.incident == m.incident, first.c.person_id == m.person_id))
        .where(
            m.action.in_(PULL_ACTIONS),
            *window_filter(m.ts, since, until),
            acted.c.last >= m.ts,
            or_(first.c.first.is_(None), first.c.first >= m.ts),
            _not_on_call(m, m.ts, cover, primary=True),
        )
        .order_by(m.ts, m.id)
    )
    by_keys = _slack_keys(session)
    canon = _canonical_map(session)
    out = []
    for mid, inc, pid, ts, chunk, detail, scope, cls, inc_chunk, acted_id in session.execute(stmt):  # type: ignore[misc]
        by = _pulled_by(detail, by_keys)
        pulled_by = canon.get(by, by) if by else None
        ids = sorted({mid, int(acted_id)})
        out.append(_sql_rescue("pulled-in", inc, scope, cls, pid, ts, ids, chunk, inc_chunk, pulled_by))
    return out


def _onto_write_ups_incidents(
    session: Session, found: dict[tuple[str, str], Rescue], add: Any
) -> list[Rescue]:
    """Rescues with a postmortem's own incident moved onto the incident the write-up is linked to.

    A write-up with no date of its own was timed by its file (the ingest day): whether its resolver was
    on call or first assigned cannot be judged from those times, so its rescues are left to the linked
    incident's own records (the page's log, judged at the real times)."""
    links = postmortem_links(session) if any(k[0].startswith("postmortem:") for k in found) else {}
    if not links:
        return list(found.values())
    moved = [found.pop(k) for k in [k for k in found if k[0] in links]]
    for r in moved:
        lk = links[r.incident]
        if not lk.dated:
            continue
        r.incident, r.scope = lk.incident, lk.scope
        r.links = [*r.links, lk.evidence()]
        add(r)
    return list(found.values())


ROUTING_ACTIONS = (actions.ASSIGNED, actions.ESCALATED, actions.REASSIGNED, actions.TICKET_ASSIGNED)
"""Actions that route an incident to a person (paging policy, a person's escalation or reassignment)."""

FIRST_ROUTED_ACTIONS = (*ROUTING_ACTIONS, actions.NOTIFIED, actions.ACKNOWLEDGED)
"""Actions that show whom an incident reached first (an export may log only the page, not an assignment)."""

ROUTED_RESOLVING_ACTIONS = (actions.RESOLVED, actions.FIX_SHARED, actions.TICKET_RESOLVED)
"""Acts that end an incident or hand over its fix, for work routed to a named person."""

SCHEDULED_VIA = frozenset({"timeout", "auto", "escalation_policy", "schedule"})
"""Routing channels that are the policy's own doing (PagerDuty logs an escalation timeout as ``timeout``)."""


def routed_by_name(action: str, detail: object) -> bool:
    """Whether a routing act sends work to a named person (a person routed it), not the policy."""
    d = detail if isinstance(detail, dict) else {}
    if str(d.get("via") or "").lower() in SCHEDULED_VIA and not d.get("manual"):
        return False
    if "manual" in d:
        return bool(d["manual"])
    return action == actions.REASSIGNED


def _routed_away(session: Session, since: datetime | None, until: datetime | None) -> list[Rescue]:
    """Work a person routed away from its first holder to a named person who resolved it or gave the fix."""
    moved = (
        select(Activity.incident)
        .where(
            Activity.incident.is_not(None),
            Activity.action.in_(ROUTING_ACTIONS),
            *window_filter(Activity.ts, since, until),
        )
        .group_by(Activity.incident)
        .having(
            or_(
                func.count(func.distinct(Activity.person_id)) > 1,
                func.sum(case((Activity.action.in_((actions.ESCALATED, actions.REASSIGNED)), 1), else_=0))
                > 0,
                func.sum(case((Activity.detail["manual"].as_boolean(), 1), else_=0)) > 0,
            )
        )
        .subquery()
    )
    person = canonical_person()
    rows = session.execute(
        select(
            Activity.id,
            Activity.incident,
            person,
            Activity.action,
            Activity.ts,
            type_coerce(  # only a routing act's detail is read (who routed it, how)
                case((Activity.action.in_(ROUTING_ACTIONS), Activity.detail)), Activity.detail.type
            ),
            Activity.chunk_id,
            Incident.scope,
            Incident.incident_class,
            Incident.chunk_id,
        )
        .join(moved, moved.c.incident == Activity.incident)
        .join(Incident, Incident.key == Activity.incident)
        .join(Person, Person.id == Activity.person_id)
        .where(Activity.action.in_((*FIRST_ROUTED_ACTIONS, *ROUTED_RESOLVING_ACTIONS)))
        .order_by(Activity.incident, Activity.ts, Activity.id)
    ).all()
    keys = _slack_keys(session)
    by_incident: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_incident[str(row[1])].append(row)
    touched: set[str] = set()
    for f in judge(session):  # fixes judged from messages hand the fix over too
        if f.action == actions.FIX_SHARED and not f.stored and str(f.incident) in by_incident:
            acts = by_incident[str(f.incident)]
            acts.append(
                (f.activity_id, f.incident, f.person, f.action, f.ts, None, f.chunk_id, *acts[0][7:9], None)
            )
            touched.add(str(f.incident))
    for inc in touched:  # once per incident, in time order as the query's rows are
        by_incident[inc].sort(key=lambda r: (r[4], r[0]))
    out: list[Rescue] = []
    for inc, acts in by_incident.items():
        reached = [r for r in acts if r[3] in FIRST_ROUTED_ACTIONS]
        if not reached:
            continue
        first_ts = reached[0][4]
        first = {r[2] for r in reached if r[4] == first_ts}
        done: set[str] = set()
        for aid, _, pid, action, ts, detail, chunk, scope, cls, inc_chunk in acts:
            if action not in ROUTING_ACTIONS or pid in first or pid in done:
                continue
            if not routed_by_name(action, detail) or not window_filter_ok(ts, since, until):
                continue
            ended = next(
                (r for r in acts if r[2] == pid and r[3] in ROUTED_RESOLVING_ACTIONS and r[4] >= ts), None
            )
            if ended is None:
                continue
            done.add(pid)
            by = _pulled_by(detail, keys)
            out.append(
                Rescue(
                    incident=inc,
                    scope=scope,
                    incident_class=cls,
                    person=pid,
                    kind="escalated-to" if action == actions.ESCALATED else "reassigned-to",
                    ts=ts,
                    pulled_by=by,
                    activity_ids=sorted({aid, ended[0]}),
                    chunk_ids=sorted({c for c in (chunk, ended[6], inc_chunk) if c}),
                )
            )
    return out


def window_filter_ok(ts: datetime, since: datetime | None, until: datetime | None) -> bool:
    """``since <= ts < until`` in Python (the same bounds ``window_filter`` puts in SQL)."""
    return (since is None or ts >= since) and (until is None or ts < until)


def _slack_keys(session: Session) -> dict[str, str]:
    rows = session.execute(select(Alias.value, Alias.person_id).where(Alias.kind == "key"))
    return {v: p for v, p in rows}


def _pulled_by(detail: object, keys: dict[str, str]) -> str | None:
    if not isinstance(detail, dict):
        return None
    key = detail.get("by_key")
    if isinstance(key, str) and key in keys:
        return keys[key]
    return None


def _chat_fixes(
    session: Session, since: datetime | None, until: datetime | None, cover: dict[str, set[str]]
) -> list[Rescue]:
    """Fixes shared in a service's chat without an incident key, matched to the incident open then."""
    fixes = [
        _FixRow(f.activity_id, f.person, f.scope, f.ts, f.chunk_id)
        for f in judge(session, since, until)
        if f.action == actions.FIX_SHARED and f.incident is None and f.scope.startswith("service:")
    ]
    if not fixes:
        return []
    scopes = sorted({f.scope for f in fixes})
    lo = min(f.ts for f in fixes) - timedelta(days=7)
    hi = max(f.ts for f in fixes)
    incidents: dict[str, list[Incident]] = defaultdict(list)
    for inc in session.execute(
        select(Incident).where(
            Incident.scope.in_(scopes), Incident.created_at >= lo, Incident.created_at <= hi
        )
    ).scalars():
        incidents[inc.scope].append(inc)
    links = thread_links(session, {f.chunk_id for f in fixes if f.chunk_id})
    by_key = {
        inc.key: inc
        for inc in session.execute(
            select(Incident).where(Incident.key.in_(sorted({lk.incident for lk in links.values()})))
        ).scalars()
    }
    pairs: list[tuple[Any, Incident, Link | None]] = []
    for f in fixes:
        link = links.get(f.chunk_id) if f.chunk_id else None
        if link is not None and link.incident in by_key:
            pairs.append((f, by_key[link.incident], link))
            continue
        for inc in incidents.get(f.scope, []):
            end = (inc.resolved_at or inc.created_at + CHAT_FIX_OPEN_DEFAULT) + CHAT_FIX_GRACE
            if inc.created_at <= f.ts <= end:
                pairs.append((f, inc, None))
                break
    if not pairs:
        return []
    advised = _pulled_in_threads(session, {f.chunk_id for f, _, _ in pairs if f.chunk_id})
    later = _superseded(session, pairs)
    keys = sorted({inc.key for _, inc, _ in pairs})
    people = sorted({f.person_id for f, _, _ in pairs})  # type: ignore[attr-defined]
    assigned: dict[tuple[str, str], datetime] = {}
    for inc_key, pid, ts in session.execute(
        select(Activity.incident, Activity.person_id, func.min(Activity.ts))
        .where(Activity.incident.in_(keys), Activity.action.in_(ASSIGNING_ACTIONS))
        .group_by(Activity.incident, Activity.person_id)
    ):
        assigned[(str(inc_key), pid)] = ts
    shifts: dict[str, list[tuple[datetime, datetime, str | None, int]]] = defaultdict(list)
    for pid, start, end, scope, level in session.execute(
        select(Shift.person_id, Shift.start, Shift.end, Shift.scope, Shift.level).where(
            Shift.person_id.in_(people), and_(Shift.end >= lo, Shift.start <= hi)
        )
    ):
        shifts[pid].append((start, end, scope, level or PRIMARY_LEVEL))
    out = []
    for fx, inc, link in pairs:
        pid = fx.person_id  # type: ignore[attr-defined]
        when = assigned.get((inc.key, pid))
        if when is not None and when <= fx.ts:  # type: ignore[attr-defined]
            continue
        if fx.id in later:  # type: ignore[attr-defined]
            continue
        pull = advised.get((fx.chunk_id, pid))  # type: ignore[attr-defined]
        advice = pull is not None and pull[0] <= fx.ts  # type: ignore[attr-defined]
        if any(
            s <= fx.ts < e and covers(cover, sc, inc.scope) and (not advice or lv <= PRIMARY_LEVEL)  # type: ignore[attr-defined]
            for s, e, sc, lv in shifts.get(pid, [])
        ):
            continue
        out.append(
            Rescue(
                incident=inc.key,
                scope=inc.scope,
                incident_class=inc.incident_class,
                person=pid,
                kind="advice" if advice else "chat-fix",
                ts=fx.ts,
                pulled_by=pull[1] if advice and pull else None,
                activity_ids=sorted({fx.id, *([pull[2]] if advice and pull else [])}),  # type: ignore[attr-defined]
                chunk_ids=sorted({c for c in (fx.chunk_id, inc.chunk_id) if c}),  # type: ignore[attr-defined]
                links=[link.evidence()] if link else [],
            )
        )
    return out


def _superseded(session: Session, pairs: list[tuple[Any, Incident, Link | None]]) -> set[int]:
    """Fixes (activity ids) someone else replaced before the incident ended: a later fix on the same
    incident hands over a command the earlier one did not, so the earlier one is not the fix that
    resolved it (DESIGN.md: a rescue "hands over the fix that resolves it"). A later message that
    repeats the command, or only says it worked, applies the earlier fix and replaces nothing."""
    by_inc: dict[str, list[Any]] = defaultdict(list)
    for fx, inc, _ in pairs:
        by_inc[inc.key].append(fx)
    ids = sorted({fx.id for fxs in by_inc.values() if len(fxs) > 1 for fx in fxs})
    if not ids:
        return set()
    texts = {
        aid: str((d or {}).get("text") or "") if isinstance(d, dict) else ""
        for aid, d in session.execute(select(Activity.id, Activity.detail).where(Activity.id.in_(ids)))
    }
    ends = {inc.key: inc.resolved_at for _, inc, _ in pairs}
    out: set[int] = set()
    for key, fxs in by_inc.items():
        end = ends[key]
        for fx in fxs:
            mine = fix_commands(texts.get(fx.id, ""))
            for other in fxs:
                if other.person_id == fx.person_id or other.ts <= fx.ts:
                    continue
                if end is not None and other.ts > end + CHAT_FIX_GRACE:
                    continue
                if fix_commands(texts.get(other.id, "")) - mine:
                    out.add(fx.id)
                    break
    return out


@dataclass
class _FixRow:
    """A fix shared in chat (stored or judged), as the chat-fix rule reads it."""

    id: int
    person_id: str
    scope: str
    ts: datetime
    chunk_id: str | None


def _judged_rescues(
    session: Session, since: datetime | None, until: datetime | None, cover: dict[str, set[str]]
) -> list[Rescue]:
    """The unassigned-resolver and pulled-in rules over judged facts on an incident (stored ones are SQL's)."""
    judged = [f for f in judge(session, since, until) if not f.stored]
    links = _thread_incidents(session, judged)
    facts = [
        f if f.incident else replace(f, incident=links[str(f.chunk_id)].incident)
        for f in judged
        if f.incident or (f.action == actions.MENTIONED and f.chunk_id in links)
    ]
    if not facts:
        return []
    via_link = {f.activity_id for f in judged if not f.incident and f.chunk_id in links}
    incs = sorted({str(f.incident) for f in facts})
    people = sorted({f.person for f in facts})
    person = canonical_person()
    wanted = set(incs)
    few = len(incs) <= MAX_IN_LIST  # else one scan, filtered here, beats a huge IN list
    incidents = {
        i.key: i
        for i in session.execute(
            select(Incident.key, Incident.scope, Incident.incident_class, Incident.chunk_id).where(
                *([Incident.key.in_(incs)] if few else [])
            )
        )
        if i.key in wanted
    }
    first: dict[tuple[str, str], datetime] = {}
    acted: dict[tuple[str, str], datetime] = {}  # latest act per (incident, person)
    ended: dict[tuple[str, str], datetime] = {}  # latest resolving act
    acted_judged: dict[tuple[str, str], tuple[datetime, int]] = {}  # latest judged fix (time, activity)
    routed: set[str] = set()
    on_incs = Activity.incident.in_(incs) if few else Activity.incident.is_not(None)
    for inc, pid, ts in session.execute(  # first assignment per (incident, person), grouped by the database
        select(Activity.incident, person, func.min(Activity.ts))
        .join(Person, Person.id == Activity.person_id)
        .where(on_incs, Activity.action.in_(ASSIGNING_ACTIONS))
        .group_by(Activity.incident, person)
    ):
        if not few and inc not in wanted:
            continue
        routed.add(str(inc))
        first[(str(inc), pid)] = ts
    ends = case((Activity.action.in_(_ENDING_ACTS), 1), else_=0)
    for inc, pid, is_end, ts in session.execute(  # latest act (and resolving act) per (incident, person)
        select(Activity.incident, person, ends, func.max(Activity.ts))
        .join(Person, Person.id == Activity.person_id)
        .where(on_incs, Activity.action.in_(ACTING_ACTIONS))
        .group_by(Activity.incident, person, ends)
    ):
        if not few and inc not in wanted:
            continue
        key = (str(inc), pid)
        acted[key] = max(acted.get(key, ts), ts)
        if is_end:
            ended[key] = ts
    for f in facts:
        if f.action == actions.FIX_SHARED:
            key = (str(f.incident), f.person)
            acted_judged[key] = max(acted_judged.get(key, (f.ts, f.activity_id)), (f.ts, f.activity_id))
    shifts: dict[str, list[tuple[datetime, datetime, str | None, int]]] = defaultdict(list)
    scheduled: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    scopes = sorted({i.scope for i in incidents.values()})
    scopes = sorted({*scopes, *(sc for sc, cov in cover.items() if cov & set(scopes))})
    for pid, start, end, scope, level in session.execute(
        select(person, Shift.start, Shift.end, Shift.scope, Shift.level)
        .join(Person, Person.id == Shift.person_id)
        .where(or_(person.in_(people), Shift.scope.in_(scopes)))
    ):
        shifts[pid].append((start, end, scope, level or PRIMARY_LEVEL))
        if scope:
            scheduled[str(scope)].append((start, end))

    shift_index = {pid: _ShiftIndex(rows) for pid, rows in shifts.items()}

    def on_call(pid: str, at: datetime, scope: str, primary: bool = False) -> bool:
        index = shift_index.get(pid)
        return index is not None and index.covers(at, scope, cover, primary)

    out: list[Rescue] = []
    acts_of: list[tuple[Rescue, tuple[str, str], bool, datetime | None, tuple[datetime, int] | None]] = []
    for f in facts:
        inc = incidents.get(str(f.incident))
        if inc is None or on_call(f.person, f.ts, inc.scope, primary=f.action == actions.MENTIONED):
            continue
        when = first.get((inc.key, f.person))
        if f.action == actions.FIX_SHARED:
            if when is not None and when <= f.ts:
                continue
            known = inc.key in routed or any(
                s <= f.ts < e
                for sc, spans in scheduled.items()
                if covers(cover, sc, inc.scope)
                for s, e in spans
            )
            if known:
                out.append(
                    Rescue(
                        incident=inc.key,
                        scope=inc.scope,
                        incident_class=inc.incident_class,
                        person=f.person,
                        kind="unassigned-resolver",
                        ts=f.ts,
                        activity_ids=[f.activity_id],
                        chunk_ids=sorted({c for c in (f.chunk_id, inc.chunk_id) if c}),
                    )
                )
        elif f.action == actions.MENTIONED:
            if when is not None and when < f.ts:
                continue
            # a pull-in in a thread linked to the page: the pulled-in person must then end it there
            # the latest act at or after the pull-in names the rescue's act: the latest of all, if late enough
            key = (inc.key, f.person)
            linked = f.activity_id in via_link
            stored = (ended if linked else acted).get(key)
            judged_act = None if linked else acted_judged.get(key)
            if (stored is None or stored < f.ts) and (judged_act is None or judged_act[0] < f.ts):
                continue
            r = Rescue(
                incident=inc.key,
                scope=inc.scope,
                incident_class=inc.incident_class,
                person=f.person,
                kind="pulled-in",
                ts=f.ts,
                pulled_by=f.by,
                activity_ids=[f.activity_id],
                chunk_ids=sorted({c for c in (f.chunk_id, inc.chunk_id) if c}),
                links=[links[str(f.chunk_id)].evidence()] if linked else [],
            )
            out.append(r)
            acts_of.append((r, key, linked, stored, judged_act))
    latest = _latest_act_ids(
        session, person, [(k, linked, ts) for _, k, linked, ts, _ in acts_of if ts is not None]
    )
    for r, key, linked, stored, judged_act in acts_of:
        candidates = [judged_act] if judged_act is not None else []
        if stored is not None:
            candidates.append((stored, latest[(key, linked, stored)]))
        best = max(candidates)
        r.activity_ids = sorted({r.activity_ids[0], best[1]})
    return out


_ENDING_ACTS = sorted(set(ROUTED_RESOLVING_ACTIONS) & set(ACTING_ACTIONS))
"""The resolving acts among the acting ones (a pull-in in a thread linked to the page must end it there)."""


def _latest_act_ids(
    session: Session, person: Any, wanted: list[tuple[tuple[str, str], bool, datetime]]
) -> dict[tuple[tuple[str, str], bool, datetime], int]:
    """((incident, person), resolving acts only, time) -> the highest activity id among that person's acting
    (or resolving) activities on the incident at that time: the act a pulled-in rescue links to."""
    out: dict[tuple[tuple[str, str], bool, datetime], int] = {}
    if not wanted:
        return out
    incs = sorted({k[0] for k, _, _ in wanted})
    want = set(wanted)
    for i in range(0, len(incs), MAX_IN_LIST):
        for inc, pid, action, ts, aid in session.execute(
            select(Activity.incident, person, Activity.action, Activity.ts, Activity.id)
            .join(Person, Person.id == Activity.person_id)
            .where(Activity.incident.in_(incs[i : i + MAX_IN_LIST]), Activity.action.in_(ACTING_ACTIONS))
        ):
            for linked in (False, True) if action in _ENDING_ACTS else (False,):
                k = ((str(inc), pid), linked, ts)
                if k in want:
                    out[k] = max(out.get(k, aid), aid)
    return out


MAX_IN_LIST = 900
"""Keys bound in one ``IN (...)`` list; above it a query reads the whole column and filters in Python."""


class _ShiftIndex:
    """One person's shifts sorted by start: which cover a moment (only those that started by then are read)."""

    def __init__(self, rows: list[tuple[datetime, datetime, str | None, int]]) -> None:
        self.rows = sorted(rows, key=lambda r: r[0])
        self.starts = [r[0] for r in self.rows]
        self.longest = max((e - s for s, e, _, _ in self.rows), default=timedelta(0))

    def covers(self, at: datetime, scope: str, cover: dict[str, set[str]], primary: bool = False) -> bool:
        """Whether a shift with ``start <= at < end`` answering for ``scope`` (at the primary level if asked) exists."""
        i = bisect_right(self.starts, at)
        while i > 0:
            i -= 1
            s, e, sc, lv = self.rows[i]
            if s < at - self.longest:
                return False
            if s <= at < e and covers(cover, sc, scope) and (not primary or lv <= PRIMARY_LEVEL):
                return True
        return False


def _thread_incidents(session: Session, facts: list[Any]) -> dict[str, Link]:
    """Thread chunk -> its incident link, for the judged pull-ins said in a thread that names no
    incident itself (a team channel's thread tied to the page by its alert or channel)."""
    chunks = {
        str(f.chunk_id) for f in facts if f.action == actions.MENTIONED and not f.incident and f.chunk_id
    }
    return thread_links(session, chunks) if chunks else {}


def _pulled_in_threads(
    session: Session, chunks: set[str]
) -> dict[tuple[str, str], tuple[datetime, str | None, int]]:
    """(thread chunk, person) -> (first time pulled in by name there, by whom, the mention's activity id)."""
    if not chunks:
        return {}
    out: dict[tuple[str, str], tuple[datetime, str | None, int]] = {}
    for f in judge(session):
        if f.action == actions.MENTIONED and f.chunk_id in chunks:
            out.setdefault((f.chunk_id, f.person), (f.ts, f.by, f.activity_id))
    return out


def escalation_graph(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> tuple[list[EscalationEdge], dict[tuple[str, str], int]]:
    """Who hands work to whom, and (scope, person) -> escalations received there (incl. class scopes).

    An escalation or reassignment goes from the holders its source names (``detail.from``: PagerDuty's
    assignees or first paged people, Jira's previous assignee), else from the incident's previous
    holder (the person before in its assignment sequence, found with a LAG window), to its receiver;
    a person's manual assignment counts as a reassignment; a pull-in by name in chat goes from the
    person who wrote the mention.
    """
    canon = _canonical_map(session)
    person = canonical_person()
    seq = (
        select(
            Activity.incident.label("incident"),
            person.label("person"),
            Activity.action.label("action"),
            Activity.ts.label("ts"),
            Activity.detail.label("detail"),
            Activity.detail[("from", 0)].as_string().label("sender"),
            func.lag(person)
            .over(partition_by=Activity.incident, order_by=(Activity.ts, Activity.id))
            .label("prev"),
        )
        .join(Person, Person.id == Activity.person_id)
        .where(
            Activity.incident.is_not(None),
            Activity.action.in_(ROUTING_ACTIONS),
        )
        .subquery()
    )
    stmt = (
        select(seq.c.prev, seq.c.person, seq.c.action, Incident.scope, Incident.incident_class, func.count())
        .join(Incident, Incident.key == seq.c.incident)
        .where(
            seq.c.action.in_((actions.ESCALATED, actions.REASSIGNED)),
            seq.c.prev.is_not(None),
            seq.c.prev != seq.c.person,
            seq.c.sender.is_(None),
            *window_filter(seq.c.ts, since, until),
        )
        .group_by(seq.c.prev, seq.c.person, seq.c.action, Incident.scope, Incident.incident_class)
    )
    # routing acts that say who held the work (PagerDuty's holders, Jira's previous assignee): the
    # edge starts there, whatever the order of log lines; a person's manual assignment is a handover
    said = session.execute(
        select(seq.c.person, seq.c.action, seq.c.detail, Incident.scope, Incident.incident_class)
        .join(Incident, Incident.key == seq.c.incident)
        .where(seq.c.sender.is_not(None), *window_filter(seq.c.ts, since, until))
    ).all()
    edges: dict[tuple[str, str], EscalationEdge] = {}
    indeg: dict[tuple[str, str], int] = defaultdict(int)

    def add(src: str, dst: str, kind: str, scope: str | None, cls: str | None, n: int) -> None:
        src, dst = canon.get(src, src), canon.get(dst, dst)
        if src == dst:
            return
        e = edges.setdefault((src, dst), EscalationEdge(source=src, target=dst, count=0))
        e.count += n
        e.kinds[kind] = e.kinds.get(kind, 0) + n
        if scope:
            indeg[(scope, dst)] += n
        if cls:
            indeg[(f"class:{cls}", dst)] += n

    for prev, dst, action, scope, cls, n in session.execute(stmt):
        add(prev, dst, action, scope, cls, int(n))
    keys = _slack_keys(session)
    for dst, action, detail, scope, cls in said:
        if action not in (actions.ESCALATED, actions.REASSIGNED) and not routed_by_name(action, detail):
            continue  # the first routing of the work, not a handover
        kind = actions.ESCALATED if action == actions.ESCALATED else actions.REASSIGNED
        for src_key in (detail or {}).get("from") or []:
            src = keys.get(str(src_key))
            if src:
                add(src, dst, kind, scope, cls, 1)

    for f in judge(session, since, until):
        if f.action == actions.MENTIONED and f.by:
            add(f.by, f.person, actions.MENTIONED, f.scope, f.incident_class, 1)
    return sorted(edges.values(), key=lambda e: (-e.count, e.source, e.target)), dict(indeg)


def sinks(edges: list[EscalationEdge]) -> list[dict[str, object]]:
    """People work is handed to who never hand it on: where escalations end, most received first."""
    indeg: dict[str, int] = defaultdict(int)
    outdeg: dict[str, int] = defaultdict(int)
    for e in edges:
        indeg[e.target] += e.count
        outdeg[e.source] += e.count
    out = [
        {"person": p, "received": n, "handed_on": outdeg.get(p, 0)}
        for p, n in indeg.items()
        if outdeg.get(p, 0) == 0
    ]
    return sorted(out, key=lambda d: (-int(d["received"]), str(d["person"])))  # type: ignore[call-overload]
