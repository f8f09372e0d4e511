"""The rules of what counts and their vocabulary (DESIGN.md "Review gates and what counts").

One question answers every identity rule: :func:`hero_link` — may this person be the hero of the scope
now? "May be" is a merged alias (the same person), an open merge suggestion, a shared full name, a
shared email local part, or a shared handle (an alias link), until a person who is not the hero
records that the two are different people (:func:`record_distinct`) or an aliases file merges them.
Approvals, practice, confirmations and the independence check all ask it, with the scope's hero as
the hero map names it at the time of asking (never the hero frozen into a draft when it was made).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from agent.drafting.artifacts import PRACTICE_ARTIFACT_KINDS
from agent.ledger.models import DecisionRow, DistinctPeople, Draft
from agent.review import Action, Status
from ingest.db import Alias, MergeSuggestion, Person

RULE_NON_HERO_APPROVAL = "A draft about a hero's scope needs at least one approver who is not that hero; the hero alone never makes it count."
RULE_STALE_VERSION = "A decision names the draft version it decides on; deciding on a stale or already-decided version is a conflict."
RULE_SELF_CONFIRM = (
    "Practice counts only when another person confirms it; nobody confirms their own practice."
)
RULE_APPROVED_ARTIFACT = "Practice counts only toward the scope of an approved knowledge pack or runbook."
RULE_KNOWN_PERSON = "Decisions and practice name a known person (any alias of someone in the workspace)."
RULE_VALID_VALUES = "Practice kinds are shadowed, led-with-support, led-alone, drill, game-day; outcomes success, partial, failed."
RULE_HERO_IDENTITY = (
    "Every identity that is or may be the hero (merged aliases, open merge suggestions, shared names or "
    "email local parts) is the hero until a non-hero settles it; the hero's practice never counts."
)
RULE_AUTHENTICATED = "Once a workspace has reviewer accounts, decisions and confirmations are made only as an authenticated reviewer."
RULE_ADMIN = (
    "Reviewer accounts are created and reset by an admin (except the first account of a new workspace)."
)

ACTIONS = tuple(a.value for a in Action)
"""Decisions a reviewer can take."""

PRACTICE_KINDS = ("shadowed", "led-with-support", "led-alone", "drill", "game-day")
"""Practice kinds of DESIGN.md."""

OUTCOMES = ("success", "partial", "failed")
"""Practice outcomes of DESIGN.md."""

LEAD_KINDS = ("led-alone", "drill", "game-day")
"""Practice in which the person led without the hero: counts toward ``independent``."""

NARROWING_KINDS = ("led-with-support", *LEAD_KINDS)
"""Practice that counts toward ``narrowing`` (shadowing alone does not)."""

APPROVING = (Action.APPROVE.value, Action.APPROVE_WITH_EDITS.value)
"""Decision actions that approve a version."""

MIN_LOCAL_PART = 3
"""Email local parts and handles shorter than this (``a@``, ``jo``) are too common to suggest one person."""

__all__ = [
    "ACTIONS",
    "LEAD_KINDS",
    "NARROWING_KINDS",
    "OUTCOMES",
    "PRACTICE_ARTIFACT_KINDS",
    "PRACTICE_KINDS",
    "RULE_ADMIN",
    "RULE_APPROVED_ARTIFACT",
    "RULE_AUTHENTICATED",
    "RULE_HERO_IDENTITY",
    "RULE_KNOWN_PERSON",
    "RULE_NON_HERO_APPROVAL",
    "RULE_SELF_CONFIRM",
    "RULE_STALE_VERSION",
    "RULE_VALID_VALUES",
    "Link",
    "approval_standing",
    "hero_link",
    "identity_link",
    "scope_hero",
]


class LedgerRefusal(Exception):
    """An action the rules refuse; ``rule`` is the rule's text."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Link:
    """Why two identities are, or may be, one person."""

    person: str
    other: str
    kind: str
    detail: str

    def message(self, role: str = "the hero") -> str:
        """The refusal text: the suspected link and how to settle it."""
        if self.kind == "same-person":
            return f"{self.person} is {role} ({self.detail})"
        return (
            f"{self.person} may be {role} {self.other}: {self.detail}. Settle it by merging them in the "
            f"aliases file (understudy ingest --aliases FILE), or by having someone who is neither record "
            f"that they are different people: understudy people distinct {self.person} {self.other} --by PERSON"
        )


def _canonical(session: Any, pid: str) -> str:
    seen = set()
    while pid not in seen:
        seen.add(pid)
        person = session.get(Person, pid)
        if person is None or not person.merged_into:
            return pid
        pid = person.merged_into
    return pid


def _local(email: str) -> str:
    return email.split("@", 1)[0].split("+", 1)[0].replace(".", "").lower()


def _profile(session: Any, pid: str) -> dict[str, set[str]]:
    """A person's names (full names only), email local parts and handles, normalised."""
    names: set[str] = set()
    locals_: set[str] = set()
    handles: set[str] = set()
    person = session.get(Person, pid)
    if person is not None:
        if person.name and " " in person.name.strip():
            names.add(" ".join(person.name.replace(".", " ").split()).lower())
        if person.email:
            locals_.add(_local(person.email))
    for kind, value in session.execute(select(Alias.kind, Alias.value).where(Alias.person_id == pid)):
        if kind == "email":
            locals_.add(_local(value))
        elif kind == "name" and " " in value.strip():
            names.add(" ".join(value.replace(".", " ").split()).lower())
        elif kind == "handle":
            handles.add(value.lstrip("@").replace(".", "").lower())
    locals_ = {v for v in locals_ if len(v) >= MIN_LOCAL_PART}
    handles = {v for v in handles if len(v) >= MIN_LOCAL_PART}
    return {"names": names, "locals": locals_, "handles": handles}


def _settled(session: Any, a: str, b: str, hero: str | None) -> bool:
    """Whether someone who is neither of them (nor may be the hero) recorded that a and b are different people."""
    lo, hi = sorted((a, b))
    rows = session.execute(
        select(DistinctPeople.decided_by).where(DistinctPeople.person_a == lo, DistinctPeople.person_b == hi)
    ).all()
    for (by,) in rows:
        by = _canonical(session, by)
        if by in (a, b):
            continue
        if hero is not None and (by == hero or _raw_link(session, by, hero) is not None):
            continue
        return True
    return False


def _raw_link(session: Any, a: str, b: str) -> Link | None:
    """The link between two canonical person ids, ignoring recorded settlements."""
    if a == b:
        return Link(a, b, "same-person", "merged aliases of one person")
    suggestion = session.scalar(
        select(MergeSuggestion).where(
            MergeSuggestion.status == "open",
            or_(
                (MergeSuggestion.person_a == a) & (MergeSuggestion.person_b == b),
                (MergeSuggestion.person_a == b) & (MergeSuggestion.person_b == a),
            ),
        )
    )
    if suggestion is not None:
        return Link(a, b, "merge-suggestion", f"an open merge suggestion ({suggestion.reason})")
    pa, pb = _profile(session, a), _profile(session, b)
    if shared := sorted(pa["names"] & pb["names"]):
        return Link(a, b, "same-name", f"the same full name {shared[0]!r}")
    if shared := sorted(pa["locals"] & pb["locals"]):
        return Link(a, b, "email-local-part", f"the same email local part {shared[0]!r}")
    tokens_a, tokens_b = pa["locals"] | pa["handles"], pb["locals"] | pb["handles"]
    if shared := sorted(tokens_a & tokens_b):
        return Link(a, b, "alias", f"an alias link: both go by {shared[0]!r}")
    return None


def identity_link(session: Any, a: str, b: str, hero: str | None = None) -> Link | None:
    """Whether ``a`` is or may be ``b`` now (None once a non-hero recorded they are different people)."""
    ca, cb = _canonical(session, a), _canonical(session, b)
    link = _raw_link(session, ca, cb)
    if link is None or link.kind == "same-person":
        return link
    return None if _settled(session, ca, cb, hero if hero is not None else cb) else link


def hero_link(session: Any, person: str, hero: str | None) -> Link | None:
    """May ``person`` be ``hero`` (the scope's hero now)? The link found, or None."""
    if not hero or not person:
        return None
    return identity_link(session, person, hero, hero=_canonical(session, hero))


def scope_hero(ws: Any, scope: str, recorded: str | None = None) -> str | None:
    """The scope's hero now, from the hero map; the hero recorded on a draft only when the map names none."""
    from agent.drafting import facts

    current = facts.hero_of(ws, scope)
    with ws.session() as s:
        if current is not None:
            return _canonical(s, current)
        if recorded is None:  # the newest hero any draft of the scope was made about
            recorded = s.scalar(
                select(Draft.hero)
                .where(Draft.scope == scope, Draft.hero.is_not(None))
                .order_by(Draft.created_at.desc())
                .limit(1)
            )
        return _canonical(s, recorded) if recorded else None


def approval_standing(session: Any, draft: Draft, hero: str | None) -> tuple[list[str], list[str]]:
    """(approvers who count, notes on approvals that do not) for the draft's current version, judged now.

    An approval counts when it approved the current version, the reviewer was not the hero when
    deciding (the ledger recorded ``approved``), and the reviewer may not be the hero now.
    """
    rows = session.execute(
        select(DecisionRow.reviewer, DecisionRow.status_after)
        .where(
            DecisionRow.draft_id == draft.id,
            DecisionRow.version == draft.version,
            DecisionRow.outcome == "ok",
            DecisionRow.action.in_(APPROVING),
        )
        .order_by(DecisionRow.seq)
    ).all()
    counting: list[str] = []
    notes: list[str] = []
    for reviewer, status_after in rows:
        if status_after != Status.APPROVED.value:
            continue
        link = hero_link(session, reviewer, hero)
        if link is not None:
            notes.append(f"the approval by {reviewer} no longer counts: {link.message()}")
        elif reviewer not in counting:
            counting.append(reviewer)
    return counting, notes


def counts_as_approved(session: Any, draft: Draft, hero: str | None) -> bool:
    """Whether the draft stands approved now: approved status and an approver who may not be the hero."""
    return draft.status == Status.APPROVED.value and bool(approval_standing(session, draft, hero)[0])


def record_distinct(ws: Any, a: str, b: str, by: str, note: str | None = None) -> DistinctPeople:
    """Record that people ``a`` and ``b`` are different people, decided by ``by`` (neither of them)."""
    from agent.ledger.service import audit, resolve_or_refuse

    pa, pb = resolve_or_refuse(ws, a, "person"), resolve_or_refuse(ws, b, "person")
    pby = resolve_or_refuse(ws, by, "decided by")
    with ws.session() as s:
        if pa == pb:
            raise LedgerRefusal(RULE_HERO_IDENTITY, f"{a} and {b} are already one person")
        for other in (pa, pb):
            link = identity_link(s, pby, other)
            if link is not None:
                raise LedgerRefusal(
                    RULE_HERO_IDENTITY,
                    f"{by} cannot settle this: {link.message('one of the two people')}",
                )
        lo, hi = sorted((pa, pb))
        row = s.scalar(
            select(DistinctPeople).where(DistinctPeople.person_a == lo, DistinctPeople.person_b == hi)
        )
        if row is None:
            row = DistinctPeople(person_a=lo, person_b=hi, decided_by=pby, note=note)
            s.add(row)
        audit(s, pby, "people-distinct", f"{lo}|{hi}", "ok", note=note)
        s.flush()
        s.expunge(row)
        return row
