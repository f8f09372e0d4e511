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
from agent.ledger import rules
from agent.ledger.models import Draft, PracticeEntry
from agent.ledger.rules import LEAD_KINDS, NARROWING_KINDS, PRACTICE_ARTIFACT_KINDS
from agent.review import Status
from ingest.db import Activity

WINDOW_DAYS = 180
"""Practice older than this no longer shows current capability (the brief's default window)."""

INCIDENT_WINDOW_DAYS = 90
"""Recent real incident work: the last quarter, long enough to see a few incidents of a scope."""

MIN_INDEPENDENT_PEOPLE = 2
"""People other than the hero who must have led alone (or led a drill/game day): one is a new hero."""

HERO_SHARE_MAX = 0.5
"""The hero's share of recent incident work must fall below half (the bus-factor-1 line of DESIGN.md)."""

__all__ = [
    "LEAD_KINDS",
    "NARROWING_KINDS",
    "IndependenceResult",
    "ScopeVerdict",
    "check_scope",
    "independence",
]


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
    hero = rules.scope_hero(ws, scope)
    reasons: list[str] = []
    with ws.session() as s:
        recorded = list(
            s.execute(
                select(Draft)
                .where(Draft.scope == scope, Draft.status == Status.APPROVED.value)
                .order_by(Draft.id)
            ).scalars()
        )
        approved = []
        for d in recorded:
            counting, notes = rules.approval_standing(s, d, hero)
            reasons.extend(f"{d.kind} {d.id}: {n}" for n in notes)
            if counting:
                approved.append(d)
        material = [d for d in approved if d.kind in PRACTICE_ARTIFACT_KINDS]
        material_ids = {d.id for d in material}
        entries = []
        for e in s.execute(
            select(PracticeEntry).where(
                PracticeEntry.scope == scope,
                PracticeEntry.confirmer.is_not(None),
                PracticeEntry.date >= since,
                PracticeEntry.date <= now,
            )
        ).scalars():
            if e.artifact_id not in material_ids:
                continue
            if link := rules.hero_link(s, e.person_id, hero):
                reasons.append(f"practice {e.id} does not count: {link.message()}")
                continue
            if link := rules.identity_link(s, e.confirmer or "", e.person_id):
                reasons.append(
                    f"practice {e.id} is not confirmed by someone else: {link.message('the practitioner')}"
                )
                continue
            entries.append(e)
        hero_ids = _hero_identities(s, scope, hero) if hero else []
        practised = sorted({e.person_id for e in entries})
        leads = _distinct_people(
            s, {e.person_id for e in entries if e.kind in LEAD_KINDS and e.outcome == "success"}, reasons
        )
        narrowing = _distinct_people(
            s, {e.person_id for e in entries if e.kind in NARROWING_KINDS and e.outcome != "failed"}, []
        )
    missing: list[str] = []
    hero_share = None
    if hero:
        start = now - timedelta(days=INCIDENT_WINDOW_DAYS)
        shares = [facts.incident_share(ws, scope, pid, start, now) for pid in hero_ids]
        known = [x for x in shares if x is not None]
        hero_share = sum(known) if known else None
        if len(hero_ids) > 1:
            reasons.append(
                f"the hero's share counts every identity that may be the hero: {', '.join(hero_ids)}"
            )
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


def _distinct_people(s: Any, people: set[str], reasons: list[str]) -> list[str]:
    """The people, counting identities that may be one person once."""
    kept: list[str] = []
    for pid in sorted(people):
        link = next((lk for k in kept if (lk := rules.identity_link(s, pid, k)) is not None), None)
        if link is not None:
            reasons.append(f"{pid} counts once with {link.other}: {link.message('the same person as')}")
            continue
        kept.append(pid)
    return kept


def _hero_identities(s: Any, scope: str, hero: str) -> list[str]:
    """The hero and every person active on the scope who may be the hero."""
    active = [p for (p,) in s.execute(select(Activity.person_id).where(Activity.scope == scope).distinct())]
    return [hero, *sorted(p for p in active if p != hero and rules.hero_link(s, p, hero) is not None)]


def independence(
    ws: Any, scope: str | None = None, now: datetime | None = None, window_days: int = WINDOW_DAYS
) -> IndependenceResult:
    """The independence check for one scope, or every scope with a hero, a draft or practice."""
    scopes = [scope] if scope else _scopes(ws)
    return IndependenceResult(scopes=[check_scope(ws, sc, now, window_days) for sc in scopes])
