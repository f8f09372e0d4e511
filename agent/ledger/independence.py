"""The independence check: reads only approved material and confirmed practice (and the real incident share).

Verdicts, per scope (DESIGN.md "Review gates and what counts"):

- ``dependent``: no approved knowledge pack or runbook for the scope.
- ``documented-unpractised``: approved material, but no confirmed practice by anyone other than the
  hero beyond shadowing. Documents alone never count as independence.
- ``narrowing``: approved material and confirmed, non-failed practice by someone other than the hero in
  a leading role (``led-with-support``, ``led-alone``, ``drill``, ``game-day``), short of independent.
- ``independent``: approved material, at least ``MIN_INDEPENDENT_PEOPLE`` people other than the hero
  with confirmed, successful practice in a lead kind (``led-alone``, ``drill``, ``game-day``: the
  person led without the hero) within the window, AND the hero's share of the scope's recent real
  incident work below ``HERO_SHARE_MAX``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.drafting import facts
from agent.drafting.artifacts import PRACTICE_ARTIFACT_KINDS
from agent.ledger.models import Draft, PracticeEntry
from agent.review import Status

WINDOW_DAYS = 180
"""Practice older than this no longer shows current capability (the brief's default window)."""

INCIDENT_WINDOW_DAYS = 90
"""Recent real incident work: the last quarter, long enough to see a few incidents of a scope."""

MIN_INDEPENDENT_PEOPLE = 2
"""People other than the hero who must have led alone (or led a drill/game day): one is a new hero."""

HERO_SHARE_MAX = 0.5
"""The hero's share of recent incident work must fall below half (the bus-factor-1 line of DESIGN.md)."""

LEAD_KINDS = ("led-alone", "drill", "game-day")
"""Practice in which the person led without the hero: counts toward ``independent``."""

NARROWING_KINDS = ("led-with-support", *LEAD_KINDS)
"""Practice that counts toward ``narrowing`` (shadowing alone does not)."""


class ScopeVerdict(BaseModel):
    """The verdict for one scope, with its reasons and what is missing."""

    scope: str
    hero: str | None
    verdict: str
    approved_artifacts: list[str] = Field(default_factory=list)
    practised_people: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    hero_share: float | None = None


class _VerdictBase(TypedDict):
    """The :class:`ScopeVerdict` fields every verdict for a scope shares."""

    scope: str
    hero: str | None
    approved_artifacts: list[str]
    practised_people: list[str]
    hero_share: float | None


class IndependenceResult(BaseModel):
    """The independence check over one or all scopes."""

    scopes: list[ScopeVerdict]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _scopes(ws: Any) -> list[str]:
    with ws.session() as s:
        ledger = {r[0] for r in s.execute(select(Draft.scope).distinct())}
        ledger |= {r[0] for r in s.execute(select(PracticeEntry.scope).distinct())}
    return sorted(ledger | set(facts.hero_scopes(ws)))


def check_scope(
    ws: Any, scope: str, now: datetime | None = None, window_days: int = WINDOW_DAYS
) -> ScopeVerdict:
    """The verdict for one scope."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=window_days)
    with ws.session() as s:
        approved = list(
            s.execute(
                select(Draft)
                .where(Draft.scope == scope, Draft.status == Status.APPROVED.value)
                .order_by(Draft.id)
            ).scalars()
        )
        hero = next((d.hero for d in approved if d.hero), None)
        material = [d for d in approved if d.kind in PRACTICE_ARTIFACT_KINDS]
        material_ids = {d.id for d in material}
        entries = list(
            s.execute(
                select(PracticeEntry).where(
                    PracticeEntry.scope == scope,
                    PracticeEntry.confirmer.is_not(None),
                    PracticeEntry.confirmer != PracticeEntry.person_id,
                    PracticeEntry.date >= since,
                    PracticeEntry.date <= now,
                )
            ).scalars()
        )
    hero = hero or facts.hero_of(ws, scope)
    entries = [e for e in entries if e.artifact_id in material_ids and e.person_id != hero]
    reasons: list[str] = []
    missing: list[str] = []
    practised = sorted({e.person_id for e in entries})
    leads = sorted({e.person_id for e in entries if e.kind in LEAD_KINDS and e.outcome == "success"})
    narrowing = sorted({e.person_id for e in entries if e.kind in NARROWING_KINDS and e.outcome != "failed"})
    hero_share = None
    if hero:
        hero_share = facts.incident_share(ws, scope, hero, now - timedelta(days=INCIDENT_WINDOW_DAYS), now)
    verdict_base: _VerdictBase = {
        "scope": scope,
        "hero": hero,
        "approved_artifacts": [d.id for d in approved],
        "practised_people": practised,
        "hero_share": hero_share,
    }
    if not material:
        reasons.append("no approved knowledge pack or runbook for this scope")
        missing.append("an approved knowledge pack or runbook (approved by someone other than the hero)")
        if approved:
            reasons.append(f"approved but not practice material: {', '.join(d.kind for d in approved)}")
        return ScopeVerdict(verdict="dependent", reasons=reasons, missing=missing, **verdict_base)
    reasons.append(f"approved material: {', '.join(f'{d.kind} {d.id}' for d in material)}")
    if not narrowing:
        reasons.append(
            "documented, unpractised: no confirmed practice in a leading role by anyone but the hero "
            f"in the last {window_days} days" + (" (only shadowing)" if practised else "")
        )
        missing.append(
            f"confirmed practice led by people other than the hero (kinds: {', '.join(NARROWING_KINDS)})"
        )
        return ScopeVerdict(
            verdict="documented-unpractised", reasons=reasons, missing=missing, **verdict_base
        )
    reasons.append(
        f"{len(narrowing)} people other than the hero practised leading with confirmation: {', '.join(narrowing)}"
    )
    share_ok = hero_share is None or hero_share < HERO_SHARE_MAX
    if len(leads) < MIN_INDEPENDENT_PEOPLE:
        missing.append(
            f"{MIN_INDEPENDENT_PEOPLE - len(leads)} more people with confirmed, successful "
            f"{'/'.join(LEAD_KINDS)} practice (have {len(leads)})"
        )
    if hero is not None and hero_share is None:
        reasons.append(f"no incident work on this scope in the last {INCIDENT_WINDOW_DAYS} days")
    if hero_share is not None:
        line = f"the hero holds {hero_share:.0%} of the last {INCIDENT_WINDOW_DAYS} days' incident work (must be below {HERO_SHARE_MAX:.0%})"
        reasons.append(line)
        if not share_ok:
            missing.append("real incidents still route to the hero: " + line)
    if len(leads) >= MIN_INDEPENDENT_PEOPLE and share_ok:
        reasons.append(f"{len(leads)} people led without the hero: {', '.join(leads)}")
        return ScopeVerdict(verdict="independent", reasons=reasons, missing=missing, **verdict_base)
    return ScopeVerdict(verdict="narrowing", reasons=reasons, missing=missing, **verdict_base)


def independence(
    ws: Any, scope: str | None = None, now: datetime | None = None, window_days: int = WINDOW_DAYS
) -> IndependenceResult:
    """The independence check for one scope, or every scope with a hero, a draft or practice."""
    scopes = [scope] if scope else _scopes(ws)
    return IndependenceResult(scopes=[check_scope(ws, sc, now, window_days) for sc in scopes])
