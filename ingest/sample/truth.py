"""What the sample generator planted: the answer key the eval suite scores against."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class TruthPerson(BaseModel):
    """A person of the sample organisation and every identity they appear under."""

    id: str = Field(description="Stable slug, e.g. 'alice-nguyen'.")
    name: str
    names: list[str] = Field(default_factory=list, description="Every display name used for them.")
    emails: list[str] = Field(default_factory=list, description="Every e-mail used for them, as written.")
    slack_id: str | None = None
    pd_id: str | None = None
    handles: list[str] = Field(default_factory=list, description="Chat handles without '@'.")
    team: str
    timezone: str
    on_rotation: bool = True
    role: str = "engineer"


class TruthService(BaseModel):
    """A service: owning team, criticality, runbook, where its incidents are discussed."""

    name: str
    team: str
    critical: bool
    has_runbook: bool
    channel: str
    timezone: str
    pd_id: str
    classes: list[str] = Field(default_factory=list)


class TruthHero(BaseModel):
    """A planted hero: who, which kind of dependence, in which scopes."""

    person: str
    kind: str = Field(description="rescuer, offhours-db, deploy-gatekeeper or chat-only.")
    scopes: list[str]
    forms_at: int | None = Field(default=None, description="Month offset from start when it forms.")
    forms_at_date: date | None = None


class TruthRescue(BaseModel):
    """An incident resolved by someone neither assigned nor on call, pulled in by name."""

    incident: str = Field(description="PagerDuty incident id.")
    person: str
    service: str
    mention: str = Field(description="How they were pulled in: 'mention' (<@U…>) or 'paging' (by name).")


class TruthEscalation(BaseModel):
    """An incident escalated to a named expert in PagerDuty (assigned, so not a rescue)."""

    incident: str
    person: str
    service: str


class TruthChatFix(BaseModel):
    """An incident whose fix was posted in chat by someone who is not in PagerDuty for it."""

    incident: str
    person: str
    service: str
    channel: str
    thread_ts: str


class TruthAlias(BaseModel):
    """Identities that belong to one person, and whether merging them needs the aliases file."""

    person: str
    aliases: list[str]
    via: str = Field(description="email-case, mailmap or aliases-file.")
    needs_aliases_file: bool


class TruthBot(BaseModel):
    """An integration or bot account: never a person."""

    name: str
    source: str
    id: str


class GroundTruth(BaseModel):
    """Everything the generator planted, saved as ground_truth.json."""

    seed: int
    scale: float
    variant: str
    months: int
    start: date
    end: date
    people: list[TruthPerson]
    teams: dict[str, list[str]] = Field(description="Team slug -> person ids.")
    services: list[TruthService]
    heroes: list[TruthHero]
    balanced_scopes: list[str]
    understaffed_scopes: list[str]
    rescues: list[TruthRescue]
    escalations: list[TruthEscalation]
    chat_fixes: list[TruthChatFix]
    incident_classes: dict[str, str] = Field(description="PagerDuty incident id -> class label.")
    reference_fixes: dict[str, list[str]] = Field(description="'service:x' or 'class:y' -> fix steps.")
    bots: list[TruthBot]
    aliases: list[TruthAlias]
    aliases_file: str | None = Field(default=None, description="Path of aliases.yaml relative to out_dir.")
    counts: dict[str, int] = Field(default_factory=dict)

    def person(self, person_id: str) -> TruthPerson:
        """The person with this id."""
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)
