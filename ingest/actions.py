"""The vocabulary of activities adapters emit, and their default weights.

Weights follow DESIGN.md: resolving and rescuing weigh more than being notified.
Analytics may recompute weights from ``action`` with its own (configurable) table;
the stored ``weight`` is this default.
"""

from __future__ import annotations

# Incident response (PagerDuty, Opsgenie, postmortems)
NOTIFIED = "notified"  # paged or notified; being woken counts for off-hours load, little for capability
ACKNOWLEDGED = "acknowledged"
ASSIGNED = "assigned"  # became the assignee (first assignment or routine)
ESCALATED = "escalated"  # received an escalation (escalation policy step or manual escalate)
REASSIGNED = "reassigned"  # work delegated/reassigned to this person
RESOLVED = "resolved"
ANNOTATED = "annotated"  # note added to the incident log
COMMANDER = "incident_commander"
RESPONDER = "responder"  # named as a responder in a postmortem
ATTENDEE = "attendee"  # attended the review

# Chat
CHAT = "chat_message"  # wrote in a thread
MENTIONED = "mentioned"  # pulled in by name: <@U…> can you look, "paging X", "X fixed this last time"
FIX_SHARED = "fix_shared"  # wrote a message in a thread that carries a fix (commands, steps)

# Knowledge
AUTHORED_DOC = "authored_doc"
EDITED_DOC = "edited_doc"

# Change and operational tasks
COMMIT = "commit"
DEPLOY = "deploy"
ROLLBACK = "rollback"
HOTFIX = "hotfix"
FAILOVER = "failover"
MIGRATION = "migration"
TASK_ACTIONS = (DEPLOY, ROLLBACK, HOTFIX, FAILOVER, MIGRATION, "restart", "scale", "config")

# Tickets (Jira, GitHub issues)
TICKET_REPORTED = "ticket_reported"
TICKET_ASSIGNED = "ticket_assigned"
TICKET_RESOLVED = "ticket_resolved"
TICKET_COMMENT = "ticket_comment"

DEFAULT_WEIGHTS: dict[str, float] = {
    NOTIFIED: 0.25,
    ACKNOWLEDGED: 1.0,
    ASSIGNED: 0.5,
    ESCALATED: 1.5,
    REASSIGNED: 1.5,
    RESOLVED: 3.0,
    ANNOTATED: 1.0,
    COMMANDER: 2.0,
    RESPONDER: 1.5,
    ATTENDEE: 0.25,
    CHAT: 0.5,
    MENTIONED: 1.5,
    FIX_SHARED: 2.0,
    AUTHORED_DOC: 1.0,
    EDITED_DOC: 0.5,
    COMMIT: 1.0,
    DEPLOY: 1.0,
    ROLLBACK: 2.0,
    HOTFIX: 2.0,
    FAILOVER: 2.5,
    MIGRATION: 1.5,
    TICKET_REPORTED: 0.25,
    TICKET_ASSIGNED: 0.5,
    TICKET_RESOLVED: 2.0,
    TICKET_COMMENT: 0.5,
}
"""Default weight per action. Resolving (3.0) and failover (2.5) weigh most, being notified least (0.25)."""


def weight_of(action: str) -> float:
    """The default weight of an action (1.0 for actions not listed)."""
    return DEFAULT_WEIGHTS.get(action, 1.0)


SEVERITIES = ("critical", "high", "medium", "low")


def normalise_severity(value: object) -> str | None:
    """Map P1/SEV-1/high-urgency/critical... onto critical, high, medium, low."""
    if value is None:
        return None
    v = str(value).strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    table = {
        "p1": "critical",
        "sev1": "critical",
        "sev0": "critical",
        "p0": "critical",
        "critical": "critical",
        "blocker": "critical",
        "highest": "critical",
        "p2": "high",
        "sev2": "high",
        "high": "high",
        "major": "high",
        "p3": "medium",
        "sev3": "medium",
        "medium": "medium",
        "moderate": "medium",
        "p4": "low",
        "p5": "low",
        "sev4": "low",
        "sev5": "low",
        "low": "low",
        "minor": "low",
        "lowest": "low",
        "trivial": "low",
        "info": "low",
    }
    return table.get(v)
