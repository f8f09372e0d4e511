"""Concentration metrics per scope, aggregated by the database (GROUP BY scope, person, band).

Definitions (DESIGN.md): a person's share is their weighted activity over the scope's total;
``effective_responders`` = 1 / sum(share^2); ``bus_factor`` = the fewest people whose shares add up
to MORE than half of the scope's weighted activity; ``off_hours_share`` = the share of the scope's
events outside business hours (evenings, weekends and sleep hours) in each person's own zone;
``sleep_share`` = the share in sleep hours (22-08). Off-hours shares count events (interruptions),
not weights, because being woken is load even when it weighs little for capability. An activity whose
source does not give its time of day (:func:`time_unknown`) is in neither band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, case, extract, func, literal, select
from sqlalchemy.orm import Session

from agent.analytics.capability import PRESENCE_ACTIONS
from agent.analytics.linking import LINKED_INCIDENT, counted_scope, linked_incident_join, threads_off_scope
from agent.analytics.rules import PAGE_ACTIONS, HeroRule
from agent.analytics.timebands import (
    OFF_HOURS,
    PACK_BASE,
    SLEEP,
    epoch_seconds,
    hour_band_expr,
    offset_expr,
    packed_band_expr,
    unpack_bands,
)
from ingest import actions
from ingest.db import Activity, Incident, Person
from ingest.records import TIME_UNKNOWN

CLASS_PREFIX = "class:"
"""Scopes of incident classes found by clustering."""


@dataclass
class PersonStats:
    """One person's activity in one scope (and period)."""

    weight: float = 0.0
    events: int = 0
    off_events: int = 0
    sleep_events: int = 0
    pages: int = 0
    sleep_pages: int = 0
    rescues: int = 0
    escalations_in: int = 0
    doing: int = 0
    """Activities that are not presence alone (``capability.PRESENCE_ACTIONS``): what capability counts."""


@dataclass
class ScopeStats:
    """Everything aggregated for one scope (and period)."""

    scope: str
    people: dict[str, PersonStats] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(p.events for p in self.people.values())

    @property
    def weight(self) -> float:
        return sum(p.weight for p in self.people.values())

    def shares(self) -> dict[str, float]:
        """Person -> weighted share, largest first."""
        total = self.weight
        if total <= 0:
            return {}
        pairs = sorted(
            ((pid, p.weight / total) for pid, p in self.people.items()), key=lambda kv: (-kv[1], kv[0])
        )
        return dict(pairs)

    @property
    def off_hours_share(self) -> float:
        ev = self.events
        return sum(p.off_events + p.sleep_events for p in self.people.values()) / ev if ev else 0.0

    @property
    def sleep_share(self) -> float:
        ev = self.events
        return sum(p.sleep_events for p in self.people.values()) / ev if ev else 0.0

    @property
    def rescues(self) -> int:
        return sum(p.rescues for p in self.people.values())

    @property
    def escalations(self) -> int:
        return sum(p.escalations_in for p in self.people.values())


def effective_responders(shares: list[float] | dict[str, float]) -> float:
    """1 / sum(share^2): how many people the work is effectively spread over (0 for no work)."""
    values = list(shares.values()) if isinstance(shares, dict) else list(shares)
    total = sum(values)
    if total <= 0:
        return 0.0
    norm = [v / total for v in values]
    return 1.0 / sum(v * v for v in norm)


def bus_factor(shares: list[float] | dict[str, float]) -> int:
    """The fewest people whose shares add up to more than half of the work (0 for no work)."""
    values = sorted(shares.values() if isinstance(shares, dict) else shares, reverse=True)
    total = sum(values)
    if total <= 0:
        return 0
    acc = 0.0
    for i, v in enumerate(values, start=1):
        acc += v / total
        if acc > 0.5 + 1e-12:
            return i
    return len(values)


def canonical_person() -> Any:
    """SQL: a person's id after merges."""
    return func.coalesce(Person.merged_into, Person.id)


TIME_UNKNOWN_ACTIONS = (
    actions.AUTHORED_DOC,
    actions.EDITED_DOC,
    actions.COMMANDER,
    actions.RESPONDER,
    actions.ATTENDEE,
)
"""The acts a written record states without saying when in the day it was (writing it, a role in it): the
only ones whose ``TIME_UNKNOWN`` mark is read, so that other rows' details are never parsed. The check
still costs about 12% of the banded aggregate at a million activities (2.43 s to 2.75 s, bench workspace of
the map bench, 2026-12-04)."""


def time_unknown() -> Any:
    """SQL: whether an activity's time of day is unknown (its source says so in its detail).

    Such an activity still counts as an event and towards shares; only its band is unknown, so it is
    never off-hours or sleep load (a date-only postmortem timed at midnight would otherwise look like
    everyone on it was up at night)."""
    return and_(Activity.action.in_(TIME_UNKNOWN_ACTIONS), Activity.detail[TIME_UNKNOWN].as_boolean())


def window_filter(col: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """SQL conditions keeping ``since <= col < until``."""
    out = []
    if since is not None:
        out.append(col >= since)
    if until is not None:
        out.append(col < until)
    return out


def data_span(
    session: Session, since: datetime | None, until: datetime | None
) -> tuple[datetime, datetime] | None:
    """Earliest and latest activity time in the window (None when there is none).

    Two subqueries, not ``min`` and ``max`` in one select: each alone is read off the ``ts`` index (one
    step down the index each way), where together they scan every activity."""
    cond = window_filter(Activity.ts, since, until)
    row = session.execute(
        select(
            select(func.min(Activity.ts)).where(*cond).scalar_subquery(),
            select(func.max(Activity.ts)).where(*cond).scalar_subquery(),
        )
    ).one()
    if row[0] is None:
        return None
    return row[0], row[1]


def aggregate(
    session: Session,
    org_zone: str,
    since: datetime | None = None,
    until: datetime | None = None,
    rule: HeroRule | None = None,
    scopes: set[str] | None = None,
    by_month: bool = False,
) -> dict[tuple[str, str], ScopeStats]:
    """Per (scope, period) stats, from two GROUP BY queries (plain scopes, then incident classes).

    ``period`` is '' unless ``by_month`` (then 'YYYY-MM', UTC). Only rows joined to a person count:
    bots and integrations have no people row. The database counts each (scope, person, action) once,
    with its off-hours and sleep counts; the weight, pages, sleep pages and acts beyond presence follow
    from the action, here, as do merged people's sums. (Summing a weight per row in SQL instead cost
    most of the query.)
    """
    rule = rule or HeroRule()
    weights = rule.weight_table()
    span = data_span(session, since, until)
    if span is None:
        return {}
    zones = {z for (z,) in session.execute(select(Person.timezone).distinct())}
    canonical: dict[str, str] = {
        pid: merged
        for pid, merged in session.execute(
            select(Person.id, Person.merged_into).where(Person.merged_into.is_not(None))
        )
        if merged is not None
    }
    epoch = epoch_seconds(Activity.ts)
    zone_col = func.coalesce(Person.timezone, org_zone)
    offset = offset_expr(epoch, zone_col, zones, org_zone, span[0], span[1], ts_col=Activity.ts)

    band = hour_band_expr(epoch, offset)
    clockless = time_unknown()  # a bare date's midnight is no one's night: such rows count as neither band
    packed = [func.sum(case((clockless, literal(0, BigInteger)), else_=packed_band_expr(epoch, offset)))]
    exact = [  # the same two counts, band computed twice: for a group too big to pack
        func.sum(case((clockless, 0), (band == OFF_HOURS, 1), else_=0)),
        func.sum(case((clockless, 0), (band == SLEEP, 1), else_=0)),
    ]
    out: dict[tuple[str, str], ScopeStats] = {}

    plain_scopes = {s for s in scopes if not s.startswith(CLASS_PREFIX)} if scopes is not None else None
    class_scopes = (
        {s[len(CLASS_PREFIX) :] for s in scopes if s.startswith(CLASS_PREFIX)} if scopes is not None else None
    )

    # a chat thread that names a page of another scope counts on the page's (agent.analytics.linking)
    relinked = threads_off_scope(session)
    for scope_col, extra, wanted, prefix in (
        (counted_scope() if relinked else Activity.scope, None, plain_scopes, ""),
        (Incident.incident_class, Incident, class_scopes, CLASS_PREFIX),
    ):
        if wanted is not None and not wanted:
            continue
        keys = [scope_col, Activity.person_id]
        if by_month:
            keys += [extract("year", Activity.ts), extract("month", Activity.ts)]
        keys.append(Activity.action)  # last: a group's weight, pages and acts follow from it

        def grouped(
            bands: list[Any],
            keys: list[Any] = keys,
            scope_col: Any = scope_col,
            extra: Any = extra,
            wanted: set[str] | None = wanted,
        ) -> Any:
            stmt = select(*keys, func.count(), *bands)
            stmt = stmt.select_from(Activity).join(Person, Person.id == Activity.person_id)
            if extra is not None:
                stmt = stmt.join(Incident, Incident.key == Activity.incident).where(
                    Incident.incident_class.is_not(None)
                )
            elif relinked:
                stmt = stmt.outerjoin(LINKED_INCIDENT, linked_incident_join())
            stmt = stmt.where(*window_filter(Activity.ts, since, until))
            if wanted is not None:
                stmt = stmt.where(scope_col.in_(sorted(wanted)))
            return session.execute(stmt.group_by(*keys))

        rows = [(*r[:-1], *unpack_bands(r[-1])) for r in grouped(packed)]
        big = {r[0] for r in rows if r[len(keys)] >= PACK_BASE}
        if big:  # a million rows in one group: counts the slow, exact way for those scopes
            rows = [r for r in rows if r[0] not in big] + [tuple(r) for r in grouped(exact) if r[0] in big]
        for row in rows:
            scope = prefix + row[0]
            period = f"{int(row[2]):04d}-{int(row[3]):02d}" if by_month else ""
            action, n, off, sleep = row[-4:]
            n, is_page = int(n), action in PAGE_ACTIONS
            stats = out.setdefault((scope, period), ScopeStats(scope))
            p = stats.people.setdefault(canonical.get(row[1], row[1]), PersonStats())
            p.weight += weights.get(action, 1.0) * n
            p.events += n
            p.pages += n if is_page else 0
            p.doing += 0 if action in PRESENCE_ACTIONS else n
            p.off_events += int(off)
            p.sleep_events += int(sleep)
            p.sleep_pages += int(sleep) if is_page else 0
    for key in sorted(out):  # scopes, and people within them, in id order whatever the database's
        st = out.pop(key)
        st.people = dict(sorted(st.people.items()))
        out[key] = st
    return out


@dataclass
class IncidentStats:
    """Incidents of one scope in the window, by severity."""

    count: int = 0
    by_severity: dict[str | None, int] = field(default_factory=dict)


def incident_stats(
    session: Session, since: datetime | None, until: datetime | None
) -> dict[str, IncidentStats]:
    """Scope -> incidents created in the window (service scopes and class scopes)."""
    out: dict[str, IncidentStats] = {}
    cond = window_filter(Incident.created_at, since, until)
    for col, prefix in ((Incident.scope, ""), (Incident.incident_class, CLASS_PREFIX)):
        stmt = (
            select(col, Incident.severity, func.count())
            .where(col.is_not(None), *cond)
            .group_by(col, Incident.severity)
        )
        for scope, severity, n in session.execute(stmt):
            st = out.setdefault(prefix + str(scope), IncidentStats())
            st.count += int(n)
            st.by_severity[severity] = st.by_severity.get(severity, 0) + int(n)
    return out
