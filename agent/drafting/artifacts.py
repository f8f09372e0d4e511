"""The artifacts a draft can be: pydantic models whose every claim carries citations, rendered to markdown.

Each artifact is a title plus named sections; each section is a list of claims (or richer items
that are claims with extra fields). Citations are chunk ids (or ``fact:`` ids of analytics facts)
from the evidence the draft was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Claim(BaseModel):
    """One statement in an artifact and the evidence ids it stands on."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The statement, in plain words.", min_length=1)
    citations: list[str] = Field(
        default_factory=list, description="Ids of the evidence items that support it."
    )


class Step(Claim):
    """A runbook step: an action, optionally with the exact command."""

    command: str | None = Field(default=None, description="Exact command, if the evidence gives one.")


class Escalation(Claim):
    """When and why to escalate, not only how."""

    when: str = Field(default="", description="The condition that calls for escalation.")
    why: str = Field(default="", description="Why escalating then is right.")


class TransferItem(Claim):
    """One capability to move: what, its risk, to whom, how, by when."""

    risk: Literal["high", "medium", "low"] = "medium"
    to_whom: str = Field(default="", description="Who should learn it (names or 'secondary on-call').")
    how: Literal["pairing", "leading-with-support", "drill", "shadowing"] = "pairing"
    by_when: str = Field(default="", description="Target week or date.")


class RotationPhase(Claim):
    """A phase of the rotation: shadow, reverse shadow, lead."""

    stage: Literal["shadow", "reverse-shadow", "lead"] = "shadow"
    weeks: str = Field(default="", description="Which weeks, e.g. '1-2'.")


class Artifact(BaseModel):
    """Base of every artifact: a title, a scope, and sections of claims."""

    model_config = ConfigDict(extra="forbid")
    kind: str = ""
    title: str = Field(min_length=1)
    scope: str = ""

    def sections(self) -> Iterator[tuple[str, list[Claim]]]:
        """(heading, claims) of every section, in declaration order."""
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, list) and (not value or isinstance(value[0], Claim)):
                yield field.title or name.replace("_", " ").capitalize(), value

    def claims(self) -> list[Claim]:
        """Every claim, section by section."""
        return [c for _, items in self.sections() for c in items]


class Narrative(Artifact):
    """Hero-map narrative for a scope: where the work concentrates and why it matters."""

    kind: Literal["narrative"] = "narrative"
    summary: list[Claim] = Field(default_factory=list, title="Summary")
    concentration: list[Claim] = Field(default_factory=list, title="Where the work concentrates")
    risk: list[Claim] = Field(default_factory=list, title="Why it is dangerous or merely specialised")


class KnowledgePack(Artifact):
    """What the hero knows and does, how to act, when to escalate, the traps, and the service map."""

    kind: Literal["knowledge-pack"] = "knowledge-pack"
    what_the_hero_knows: list[Claim] = Field(default_factory=list, title="What the hero knows and does")
    runbook_steps: list[Step] = Field(default_factory=list, title="Runbook steps")
    escalation: list[Escalation] = Field(default_factory=list, title="When and why to escalate")
    traps: list[Claim] = Field(default_factory=list, title="Historical traps and false positives")
    service_map: list[Claim] = Field(default_factory=list, title="Service map around it")


class Runbook(Artifact):
    """A runbook for the scope's recurring work."""

    kind: Literal["runbook"] = "runbook"
    preconditions: list[Claim] = Field(default_factory=list, title="Before you start")
    steps: list[Step] = Field(default_factory=list, title="Steps")
    verification: list[Claim] = Field(default_factory=list, title="How to know it worked")
    escalation: list[Escalation] = Field(default_factory=list, title="When and why to escalate")


class TransferPlan(Artifact):
    """Capability transfer plan: what first by risk, to whom, how, by when."""

    kind: Literal["transfer-plan"] = "transfer-plan"
    items: list[TransferItem] = Field(default_factory=list, title="What to transfer, first to last")
    notes: list[Claim] = Field(default_factory=list, title="Notes")


class RotationPlan(Artifact):
    """Rotation plan: shadow, reverse shadow, lead, with off-hours load kept fair."""

    kind: Literal["rotation-plan"] = "rotation-plan"
    phases: list[RotationPhase] = Field(default_factory=list, title="Phases")
    fairness: list[Claim] = Field(default_factory=list, title="Keeping off-hours load fair")


class AntiHeroicsPlan(Artifact):
    """Anti-heroics improvement plan: the system conditions that keep summoning the hero."""

    kind: Literal["anti-heroics"] = "anti-heroics"
    noisy_alerts: list[Claim] = Field(default_factory=list, title="Noisy or non-actionable alerts")
    ownership_gaps: list[Claim] = Field(default_factory=list, title="Ownership gaps")
    release_fragility: list[Claim] = Field(default_factory=list, title="Release fragility")
    manual_steps: list[Claim] = Field(default_factory=list, title="Manual steps repeated by hand")


class DrillScenario(Artifact):
    """A drill built from a real past incident; the hero observes only."""

    kind: Literal["drill"] = "drill"
    source_incident: list[Claim] = Field(default_factory=list, title="The real incident it replays")
    setup: list[Claim] = Field(default_factory=list, title="Setup")
    injects: list[Claim] = Field(default_factory=list, title="Injects")
    expected_actions: list[Step] = Field(
        default_factory=list, title="Expected actions (per the approved runbook)"
    )
    hero_role: list[Claim] = Field(default_factory=list, title="The hero's role: observing only")


ARTIFACTS: dict[str, type[Artifact]] = {
    "narrative": Narrative,
    "knowledge-pack": KnowledgePack,
    "runbook": Runbook,
    "transfer-plan": TransferPlan,
    "rotation-plan": RotationPlan,
    "anti-heroics": AntiHeroicsPlan,
    "drill": DrillScenario,
}
"""Artifact model per ``--kind``."""

KINDS = tuple(ARTIFACTS)
"""Every draft kind, in the order ``draft`` makes them."""

PRACTICE_ARTIFACT_KINDS = ("knowledge-pack", "runbook")
"""Kinds whose approval lets practice on their scope count (DESIGN.md "Review gates")."""


def artifact_model(kind: str) -> type[Artifact]:
    """The model for a kind; ValueError names the kinds when it is unknown."""
    try:
        return ARTIFACTS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}") from None


_EXTRA_LABELS = {
    "command": "command",
    "when": "when",
    "why": "why",
    "risk": "risk",
    "to_whom": "to whom",
    "how": "how",
    "by_when": "by when",
    "stage": "stage",
    "weeks": "weeks",
}


def _claim_line(claim: Claim, flags: dict[int, list[str]], index: int) -> str:
    extras = []
    for key, label in _EXTRA_LABELS.items():
        value = getattr(claim, key, None)
        if value:
            extras.append(f"`{value}`" if key == "command" else f"{label}: {value}")
    cites = " ".join(f"[{c}]" for c in claim.citations) or "[no citation]"
    line = f"- {claim.text}"
    if extras:
        line += f" ({'; '.join(extras)})"
    line += f" {cites}"
    for flag in flags.get(index, []):
        line += f" **⚠ {flag}**"
    return line


def render_markdown(
    artifact: Artifact, flags: dict[int, list[str]] | None = None, header: dict[str, Any] | None = None
) -> str:
    """The artifact as markdown: sections as headings, claims as bullets with their citations and flags."""
    flags = flags or {}
    lines = [f"# {artifact.title}", ""]
    for key, value in (header or {}).items():
        lines.append(f"- **{key}**: {value}")
    if header:
        lines.append("")
    index = 0
    for heading, claims in artifact.sections():
        lines += [f"## {heading}", ""]
        if not claims:
            lines.append("_Nothing in the evidence for this section._")
        for claim in claims:
            lines.append(_claim_line(claim, flags, index))
            index += 1
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
