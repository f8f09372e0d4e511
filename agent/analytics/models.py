"""The pydantic results of the analytics: ``model_dump(mode="json")`` is the JSON of DESIGN.md."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Window(BaseModel):
    """The time window a result covers (the data's own span when no bound was given)."""

    since: datetime | None = None
    until: datetime | None = None


class PersonOut(BaseModel):
    """A person on the map."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)


class ScopeOut(BaseModel):
    """Concentration metrics of one scope."""

    scope: str
    events: int
    top_person: str | None
    top_share: float
    effective_responders: float
    bus_factor: int
    off_hours_share: float
    rescues: int
    risk: float
    hero: str | None = None
    sleep_share: float = 0.0
    incidents: int = 0
    escalations: int = 0
    people: int = 0
    shares: dict[str, float] = Field(
        default_factory=dict, description="Top people and their weighted shares."
    )
    understaffed: bool = False
    historical: bool = Field(
        default=False, description="No activity for longer than the recent window: a past concentration."
    )
    last_activity: datetime | None = None


class HeroScope(BaseModel):
    """The numbers behind one hero scope."""

    scope: str
    share: float
    events: int
    effective_responders: float
    rescues: int
    escalations_in: int
    sleep_events: int
    incidents: int
    kind: str
    label_reasons: list[str]
    triggers: list[str]
    understaffed: bool = False
    historical: bool = False
    last_activity: datetime | None = None


class HeroOut(BaseModel):
    """A person the map names a hero, with why and whether the dependence is dangerous."""

    person: str
    scopes: list[str]
    why: str
    kind: str = Field(description="dangerous or specialty")
    label_reasons: list[str] = Field(default_factory=list)
    name: str | None = None
    details: list[HeroScope] = Field(default_factory=list)
    historical: bool = Field(default=False, description="Every scope of this hero is historical.")


class UnderstaffedOut(BaseModel):
    """A scope whose problem is a team too small to rotate, not knowledge concentration."""

    scope: str
    why: str
    team: list[str] = Field(default_factory=list)


class MapResult(BaseModel):
    """``understudy map --json``."""

    window: Window
    people: list[PersonOut]
    scopes: list[ScopeOut]
    heroes: list[HeroOut]
    understaffed: list[UnderstaffedOut] = Field(default_factory=list)


class Rescue(BaseModel):
    """Work resolved by someone not responsible at the time, or by someone pulled in by name."""

    incident: str
    scope: str
    incident_class: str | None = None
    person: str
    kind: str = Field(
        description="unassigned-resolver, pulled-in, chat-fix, advice, escalated-to or reassigned-to (joined by +)"
    )
    ts: datetime
    pulled_by: str | None = None
    activity_ids: list[int] = Field(default_factory=list)
    chunk_ids: list[str] = Field(default_factory=list)
    links: list[str] = Field(
        default_factory=list,
        description="How a chat thread was tied to the incident (agent.analytics.linking).",
    )


class EscalationEdge(BaseModel):
    """Work handed from one person to another (escalation, reassignment, pull-in by name)."""

    source: str
    target: str
    count: int
    kinds: dict[str, int] = Field(default_factory=dict)


class RescuePattern(BaseModel):
    """The same person rescuing the same scope (or class) again and again."""

    person: str
    scope: str
    count: int
    incidents: list[str]
    activity_ids: list[int]
    chunk_ids: list[str]
    first: datetime
    last: datetime
    kinds: list[str] = Field(
        default_factory=list, description="Rescue kinds seen (escalated-to, advice, ...)."
    )
    links: list[str] = Field(
        default_factory=list, description="Which rule tied each chat thread to its incident (linking)."
    )


class RunbookCoverage(BaseModel):
    """The closest runbook to an incident class and whether it covers the class."""

    chunk_id: str | None = None
    title: str | None = None
    path: str | None = None
    scope: str | None = None
    similarity: float = 0.0
    covers: bool = False
    reason: str = ""


class IncidentClassOut(BaseModel):
    """An incident class found by clustering incident texts."""

    slug: str
    scope: str
    terms: list[str]
    incidents: int
    recurrence_per_month: float
    first: datetime | None
    last: datetime | None
    services: list[str]
    severities: dict[str, int]
    top_responder: str | None
    top_share: float
    rescuers: dict[str, int]
    examples: list[str]
    runbook: RunbookCoverage


class IncidentLinkOut(BaseModel):
    """A chat thread, ticket or deploy event tied to an incident, with the rule and fact that tied it."""

    item: str = Field(
        description="thread:<chunk id>, issue:<key>, deploy:<activity id> or postmortem:<write-up> (its own incident key)"
    )
    source: str
    incident: str
    scope: str = Field(description="The incident's scope (the paged service).")
    rule: str = Field(
        description="explicit-id, alert, channel-name, ticket-during, deploy-before-page, deploy-during or "
        "file-name-id (a write-up whose file name carries the incident's id)"
    )
    why: str
    activity_ids: list[int] = Field(default_factory=list)


class PatternsResult(BaseModel):
    """``understudy patterns --json``."""

    rescue_patterns: list[RescuePattern]
    rescues: int
    escalations: list[EscalationEdge]
    escalation_sinks: list[dict[str, object]]
    classes: list[IncidentClassOut]
    runbook_gaps: list[str]
    covered: int
    links: list[IncidentLinkOut] = Field(
        default_factory=list, description="Every thread, ticket and deploy linked to an incident (linking)."
    )


class WhatIfScope(BaseModel):
    """A scope that loses capability when the people are away."""

    scope: str
    status: str = Field(
        description="lost (no capable person left) or fragile (below one effective responder)"
    )
    removed_share: float
    effective_responders_before: float
    effective_responders_left: float
    remaining: list[str]
    events: int
    why: str


class WhatIfResult(BaseModel):
    """``understudy whatif --json``."""

    people: list[str]
    scopes: list[WhatIfScope]
    classes_only_they_rescued: list[str]
    runbooks_only_they_wrote: list[dict[str, object]]
    unaffected_scopes: int
