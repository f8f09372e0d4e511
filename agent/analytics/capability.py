"""Capability evidence: what a person did in a scope beyond being there or talking.

The playbook's hero is the person work routes to and who does what others cannot (resolves,
fixes, rescues, is pulled in by name, runs the risky task, writes the change). Messages, pages not acted on and
seats at a review show presence, not capability: a scope where someone only talks most has a top
person, not a hero.
"""

from __future__ import annotations

from ingest import actions

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
