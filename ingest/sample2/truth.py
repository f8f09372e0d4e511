"""The answer key of the second generator style: the same field names as the first style's, plus roles.

The evals read a truth by attribute (people, heroes, rescues, chat_fixes, escalations, aliases, bots,
incident_classes, reference_fixes, counts), so both styles are scored by the same scorers.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Person(BaseModel):
    """A person and every identity they appear under in the generated sources."""

    id: str
    name: str
    names: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    slack_id: str | None = None
    pd_id: str | None = None
    handles: list[str] = Field(default_factory=list)
    team: str
    timezone: str
    on_rotation: bool = True
    role: str = Field(default="engineer", description="engineer, manager or advisor.")


class Service(BaseModel):
    """A paged service: owning team, criticality, runbook, the team channel its incidents go to."""

    name: str
    team: str
    critical: bool
    has_runbook: bool
    channel: str
    timezone: str
    pd_id: str
    classes: list[str] = Field(default_factory=list)
    archetype: str = Field(description="rescuer, advisor, gatekeeper or balanced.")


class Hero(BaseModel):
    """A planted hero: who, which kind of dependence, on which scopes."""

    person: str
    kind: str = Field(description="escalation-rescuer, advisor or deploy-gatekeeper.")
    scopes: list[str]
    forms_at: int | None = None
    forms_at_date: date | None = None


class Rescue(BaseModel):
    """Work routed away from the on-call to a named person who resolved it or handed over the fix."""

    incident: str
    person: str
    service: str
    mention: str = Field(description="escalate, reassign (PagerDuty) or advice (chat pull-in).")


class Escalation(BaseModel):
    """A scheduled escalation to the rotation's next level on an unacknowledged page: not a rescue."""

    incident: str
    person: str
    service: str


class ChatFix(BaseModel):
    """A fix posted in an incident thread by someone pulled in by name, applied by the on-call."""

    incident: str
    person: str
    service: str
    channel: str
    thread_ts: str


class Alias(BaseModel):
    """Identities of one person, and whether merging them needs the aliases file."""

    person: str
    aliases: list[str]
    via: str = Field(description="email-case, profile-email or aliases-file.")
    needs_aliases_file: bool


class Bot(BaseModel):
    """An integration or bot account: never a person."""

    name: str
    source: str
    id: str


class Truth(BaseModel):
    """Everything the second-style generator planted, saved as ground_truth.json."""

    style: str = "sample2"
    seed: int
    scale: float
    variant: str
    months: int
    start: date
    end: date
    people: list[Person]
    teams: dict[str, list[str]]
    services: list[Service]
    heroes: list[Hero]
    balanced_scopes: list[str]
    understaffed_scopes: list[str] = Field(default_factory=list)
    rescues: list[Rescue]
    escalations: list[Escalation]
    chat_fixes: list[ChatFix]
    incident_classes: dict[str, str]
    reference_fixes: dict[str, list[str]]
    bots: list[Bot]
    aliases: list[Alias]
    aliases_file: str | None = None
    chatty_managers: list[str] = Field(
        default_factory=list, description="Person ids: in every thread, no hero."
    )
    counts: dict[str, int] = Field(default_factory=dict)

    def person(self, person_id: str) -> Person:
        """The person with this id."""
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)
