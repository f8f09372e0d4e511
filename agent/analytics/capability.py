"""Capability evidence: what a person did in a scope beyond being there or talking.

The playbook's hero is the person work routes to and who does what others cannot (resolves,
fixes, rescues, is pulled in by name, runs the risky task, writes the change). Messages, pages not acted on and
seats at a review show presence, not capability: a scope where someone only talks most has a top
person, not a hero.
"""

from __future__ import annotations

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


def doing_events(
    session: Session, scope: str, person: str, since: datetime | None, until: datetime | None
) -> int:
    """Activities of ``person`` (after merges) in ``scope`` in the window that are not presence alone."""
    stmt = (
        select(func.count())
        .select_from(Activity)
        .join(Person, Person.id == Activity.person_id)
        .where(
            canonical_person() == person,
            Activity.action.not_in(PRESENCE_ACTIONS),
            *window_filter(Activity.ts, since, until),
        )
    )
    if scope.startswith(CLASS_PREFIX):
        stmt = stmt.join(Incident, Incident.key == Activity.incident).where(
            Incident.incident_class == scope[len(CLASS_PREFIX) :]
        )
    else:
        stmt = stmt.where(Activity.scope == scope)
    return int(session.scalar(stmt) or 0)
