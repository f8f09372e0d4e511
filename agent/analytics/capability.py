"""Capability evidence: what a person did in a scope beyond being there or talking.

The playbook's hero is the person work routes to and who does what others cannot (resolves,
fixes, rescues, is pulled in by name, runs the risky task, writes the change). Messages, pages not acted on and
seats at a review show presence, not capability: a scope where someone only talks most has a top
person, not a hero.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.analytics.metrics import CLASS_PREFIX, canonical_person, window_filter
from ingest import actions
from ingest.db import Activity, Incident, Person

PRESENCE_ACTIONS = (
    actions.CHAT,
    actions.NOTIFIED,
    actions.ATTENDEE,
    actions.TICKET_COMMENT,
)
"""Actions that show a person was there or talking, not that they did the work (chatter is not capability).
A mention stays out of it: being pulled in by name is work routed to the person (DESIGN.md's rescue)."""

MIN_CAPABILITY_EVENTS = 3
"""Events beyond presence a hero must have in the scope: a pattern, not one act (the number of incidents
that makes a concentration recurring, ``HeroRule.recurring_incidents``). An advisor pulled in by name who
hands over two fixes and resolves once has four; someone who only writes most messages has none."""


def doing_counts(
    session: Session, since: datetime | None, until: datetime | None
) -> Counter[tuple[str, str]]:
    """(scope, person after merges) -> activities in the window that are not presence alone; class scopes as
    ``class:<slug>``. Two GROUP BYs for the whole map, not one query per hero scope."""
    person = canonical_person()
    base = (
        Activity.action.not_in(PRESENCE_ACTIONS),
        *window_filter(Activity.ts, since, until),
    )
    out: Counter[tuple[str, str]] = Counter()
    for scope, pid, n in session.execute(
        select(Activity.scope, person, func.count())
        .join(Person, Person.id == Activity.person_id)
        .where(*base)
        .group_by(Activity.scope, person)
    ):
        out[(str(scope), str(pid))] += int(n)
    for cls, pid, n in session.execute(
        select(Incident.incident_class, person, func.count())
        .select_from(Activity)
        .join(Person, Person.id == Activity.person_id)
        .join(Incident, Incident.key == Activity.incident)
        .where(Incident.incident_class.is_not(None), *base)
        .group_by(Incident.incident_class, person)
    ):
        out[(CLASS_PREFIX + str(cls), str(pid))] += int(n)
    return out
