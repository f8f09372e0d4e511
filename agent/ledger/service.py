"""The ledger's writes, each under the rules of :mod:`agent.ledger.rules`: decisions, practice, confirmations.

Every refusal names the rule that refused it; every row records who, when and through which channel
(``ui``, ``cli``, ``token`` or ``api``) and the OS user. Only these functions change decisions and
practice; ingested text reaches none of them. Advancing a draft's workflow after a decision is not
done here: that is :func:`agent.drafting.decide`.
"""

from __future__ import annotations

import difflib
import getpass
import time
from datetime import UTC, datetime
from datetime import date as _date
from datetime import time as _time
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from agent.ledger import rules
from agent.ledger.models import AuditEntry, DecisionRow, Draft, DraftVersion, PracticeEntry
from agent.ledger.rules import (
    OUTCOMES,
    PRACTICE_ARTIFACT_KINDS,
    PRACTICE_KINDS,
    RULE_APPROVED_ARTIFACT,
    RULE_HERO_IDENTITY,
    RULE_KNOWN_PERSON,
    RULE_NON_HERO_APPROVAL,
    RULE_SELF_CONFIRM,
    RULE_STALE_VERSION,
    RULE_VALID_VALUES,
    LedgerRefusal,
)
from agent.review import DECIDABLE, Action, Decision, DecisionResult, Status
from ingest.db import utcnow

LOCK_RETRIES = 20
"""Attempts at a ledger write when SQLite reports the database busy (concurrent reviewers)."""

LOCK_RETRY_SECONDS = 0.05
"""Pause between those attempts."""

EDIT_DRAFTER = "reviewer-edit"
"""The ``drafter`` of a version a reviewer wrote (approve with edits)."""

STATUS_NOTES = {
    Status.DRAFTING.value: "being drafted",
    Status.PENDING.value: "pending review",
    Status.AWAITING_NON_HERO.value: "awaiting non-hero approval: the hero approved; someone other than the hero must approve",
    Status.CHANGES_REQUESTED.value: "changes requested: being redrafted",
    Status.APPROVED.value: "approved",
    Status.REJECTED.value: "rejected",
}
"""A sentence per status, shown to reviewers."""


class PracticeResult(BaseModel):
    """The outcome of logging or confirming practice."""

    outcome: Literal["ok", "refused"]
    id: int | None = None
    entry: dict[str, Any] | None = None
    message: str = ""
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dict(self.entry or {})
        data.update({"id": self.id, "outcome": self.outcome, "message": self.message, "rule": self.rule})
        return data


def os_user() -> str | None:
    """The operating-system account running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _resolve(ws: Any, alias: str | None) -> str | None:
    """The person id for any alias, or None."""
    if not alias:
        return None
    from ingest.identity import resolve_person

    with ws.session() as s:
        return resolve_person(s, alias)


def resolve_or_refuse(ws: Any, alias: str | None, role: str) -> str:
    """The person id for an alias, or LedgerRefusal naming RULE_KNOWN_PERSON."""
    pid = _resolve(ws, alias)
    if pid is None:
        raise LedgerRefusal(RULE_KNOWN_PERSON, f"{role} {alias!r} is not a known person")
    return pid


def audit(
    session: Any, actor: str | None, event: str, subject: str, outcome: str = "ok", **detail: Any
) -> None:
    """Append one audit row in the caller's transaction."""
    session.add(
        AuditEntry(actor=actor, action=event, subject=subject, outcome=outcome, detail=detail or None)
    )


def _with_retries(fn: Any) -> Any:
    """Run a write transaction, retrying while SQLite reports the database busy."""
    for attempt in range(LOCK_RETRIES):
        try:
            return fn()
        except OperationalError as exc:
            if (
                "locked" not in str(exc).lower()
                and "busy" not in str(exc).lower()
                or attempt == LOCK_RETRIES - 1
            ):
                raise
            time.sleep(LOCK_RETRY_SECONDS * (attempt + 1))
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------------ review


def _edit_version(s: Any, draft_id: str, base: int, reviewer: str, edited: str) -> tuple[int, str]:
    """Save a reviewer's edit of version ``base`` as the next version; (new version, diff from ``base``)."""
    old = s.scalar(
        select(DraftVersion).where(DraftVersion.draft_id == draft_id, DraftVersion.version == base)
    )
    current = old.markdown if old else ""
    new_version = base + 1
    diff = "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            edited.splitlines(keepends=True),
            fromfile=f"{draft_id}/v{base}",
            tofile=f"{draft_id}/v{new_version}",
        )
    )
    s.add(
        DraftVersion(
            draft_id=draft_id,
            version=new_version,
            artifact=old.artifact if old else {},
            markdown=edited,
            claims=old.claims if old else [],
            flags=[
                *(old.flags if old else []),
                {
                    "type": "reviewer-edit",
                    "claim": None,
                    "message": f"version {new_version} is {reviewer}'s edit of version {base}; "
                    "its citations were not re-checked",
                },
            ],
            evidence=old.evidence if old else {},
            drafter=EDIT_DRAFTER,
            model=reviewer,
            prompt_id=old.prompt_id if old else "",
            prompt_version=old.prompt_version if old else 0,
            prompt_hash=old.prompt_hash if old else "",
            feedback=None,
        )
    )
    return new_version, diff


def record_decision(
    ws: Any,
    draft_id: str,
    reviewer_person_id: str,
    decision: Decision,
    expected_version: int,
    channel: str = "api",
) -> DecisionResult:
    """Record a decision under the rules (no workflow step). Conflicts are recorded too.

    Approve-with-edits saves the edit as a new version and approves that version (not the old one);
    an approval by anyone who is or may be the scope's hero now leaves it awaiting a non-hero.
    """
    try:
        reviewer = resolve_or_refuse(ws, reviewer_person_id, "reviewer")
    except LedgerRefusal as r:
        return DecisionResult(
            outcome="refused", draft_id=draft_id, action=decision.action, message=r.message, rule=r.rule
        )
    with ws.session() as s:
        d = s.get(Draft, draft_id)
        scope, recorded = (d.scope, d.hero) if d is not None else (None, None)
    hero = rules.scope_hero(ws, scope, recorded) if scope else None
    who = {"channel": channel, "os_user": os_user()}

    def attempt() -> DecisionResult:
        with ws.session() as s:
            draft = s.get(Draft, draft_id)
            if draft is None:
                return DecisionResult(
                    outcome="refused",
                    draft_id=draft_id,
                    action=decision.action,
                    message=f"no draft {draft_id!r}",
                    rule=None,
                )
            seen = draft.decision_seq
            conflict = None
            if expected_version != draft.version:
                conflict = f"draft {draft_id} is at version {draft.version}; this decision was on version {expected_version}"
            elif draft.status not in [d.value for d in DECIDABLE]:
                conflict = (
                    f"draft {draft_id} version {draft.version} is {draft.status}; it takes no decision now"
                )
            status_after = draft.status
            note = None
            diff = None
            version = expected_version
            if conflict is None:
                if decision.action in (Action.APPROVE, Action.APPROVE_WITH_EDITS):
                    link = rules.hero_link(s, reviewer, hero)
                    if link is not None:
                        status_after = Status.AWAITING_NON_HERO.value
                        note = RULE_NON_HERO_APPROVAL + " " + link.message() + "."
                    else:
                        status_after = Status.APPROVED.value
                elif decision.action is Action.REQUEST_CHANGES:
                    status_after = Status.CHANGES_REQUESTED.value
                else:
                    status_after = Status.REJECTED.value
                values: dict[str, Any] = {
                    "decision_seq": seen + 1,
                    "status": status_after,
                    "updated_at": utcnow(),
                }
                if decision.action is Action.APPROVE_WITH_EDITS:
                    values["version"] = expected_version + 1
                swapped = s.execute(
                    update(Draft)
                    .where(
                        Draft.id == draft_id, Draft.decision_seq == seen, Draft.version == expected_version
                    )
                    .values(**values)
                ).rowcount
                if swapped != 1:
                    conflict = f"another decision on draft {draft_id} landed first"
                elif decision.action is Action.APPROVE_WITH_EDITS:
                    version, diff = _edit_version(
                        s, draft_id, expected_version, reviewer, decision.edited_markdown or ""
                    )
            if conflict is not None:
                s.rollback()
                row = DecisionRow(
                    draft_id=draft_id,
                    version=expected_version,
                    seq=None,
                    reviewer=reviewer,
                    action=decision.action.value,
                    text=decision.text,
                    outcome="conflict",
                    status_after=draft.status,
                    note=conflict,
                )
                s.add(row)
                audit(
                    s,
                    reviewer,
                    "decide",
                    draft_id,
                    "conflict",
                    action=decision.action.value,
                    reason=conflict,
                    **who,
                )
                s.flush()
                return DecisionResult(
                    outcome="conflict",
                    draft_id=draft_id,
                    id=row.id,
                    version=expected_version,
                    action=decision.action,
                    reviewer=reviewer,
                    status=draft.status,
                    message=f"conflict: {conflict}",
                    rule=RULE_STALE_VERSION,
                    at=row.at,
                )
            row = DecisionRow(
                draft_id=draft_id,
                version=version,
                seq=seen + 1,
                reviewer=reviewer,
                action=decision.action.value,
                text=decision.text,
                diff=diff,
                edited_markdown=decision.edited_markdown,
                outcome="ok",
                status_after=status_after,
                note=note,
            )
            s.add(row)
            audit(
                s,
                reviewer,
                "decide",
                draft_id,
                "ok",
                action=decision.action.value,
                version=version,
                decided_on=expected_version,
                status=status_after,
                hero=hero,
                **who,
            )
            s.flush()
            message = STATUS_NOTES.get(status_after, status_after)
            if note is not None:
                message += ": " + note.removeprefix(RULE_NON_HERO_APPROVAL).strip()
            if version != expected_version:
                message += f" (your edit is version {version}; only its exact text is published)"
            return DecisionResult(
                outcome="ok",
                draft_id=draft_id,
                id=row.id,
                version=version,
                action=decision.action,
                reviewer=reviewer,
                status=status_after,
                message=message,
                rule=RULE_NON_HERO_APPROVAL if note else None,
                at=row.at,
            )

    return _with_retries(attempt)


# ---------------------------------------------------------------------------------------- practice


def entry_json(e: PracticeEntry) -> dict[str, Any]:
    """A practice entry as plain JSON."""
    return {
        "id": e.id,
        "person": e.person_id,
        "scope": e.scope,
        "kind": e.kind,
        "date": e.date.isoformat(),
        "artifact": e.artifact_id,
        "outcome": e.outcome,
        "notes": e.notes,
        "logged_by": e.logged_by,
        "confirmer": e.confirmer,
        "confirmed_at": e.confirmed_at.isoformat() if e.confirmed_at else None,
        "counts": e.confirmer is not None,
    }


def _approved_artifact(s: Any, scope: str, artifact: str | None, hero: str | None) -> Draft:
    """The approved knowledge pack or runbook (approved by a non-hero, judged now), or LedgerRefusal."""
    if artifact:
        d = s.get(Draft, artifact)
        if d is None:
            raise LedgerRefusal(RULE_APPROVED_ARTIFACT, f"no draft {artifact!r}")
        if d.kind not in PRACTICE_ARTIFACT_KINDS:
            raise LedgerRefusal(
                RULE_APPROVED_ARTIFACT, f"draft {artifact} is a {d.kind}, not a knowledge pack or runbook"
            )
        if d.scope != scope:
            raise LedgerRefusal(RULE_APPROVED_ARTIFACT, f"draft {artifact} is about {d.scope}, not {scope}")
        if d.status != Status.APPROVED.value:
            raise LedgerRefusal(RULE_APPROVED_ARTIFACT, f"draft {artifact} is {d.status}, not approved")
        counting, notes = rules.approval_standing(s, d, hero)
        if not counting:
            raise LedgerRefusal(
                RULE_APPROVED_ARTIFACT,
                f"draft {artifact} has no approval that counts now: " + "; ".join(notes),
            )
        return d
    candidates = s.execute(
        select(Draft)
        .where(
            Draft.scope == scope,
            Draft.kind.in_(PRACTICE_ARTIFACT_KINDS),
            Draft.status == Status.APPROVED.value,
        )
        .order_by(Draft.updated_at.desc())
    ).scalars()
    for d in candidates:
        if rules.approval_standing(s, d, hero)[0]:
            return d
    raise LedgerRefusal(RULE_APPROVED_ARTIFACT, f"{scope} has no approved knowledge pack or runbook yet")


def _refuse_hero(s: Any, person: str, hero: str | None, scope: str) -> None:
    link = rules.hero_link(s, person, hero)
    if link is not None:
        raise LedgerRefusal(
            RULE_HERO_IDENTITY,
            f"practice by the hero of {scope} never counts toward its independence: {link.message()}",
        )


def _refuse_self(s: Any, person: str, confirmer: str, alias: str) -> None:
    link = rules.identity_link(s, confirmer, person)
    if link is not None:
        raise LedgerRefusal(
            RULE_SELF_CONFIRM,
            f"{alias} cannot confirm their own practice"
            + ("" if link.kind == "same-person" else f": {link.message('the practitioner')}"),
        )


PRACTICE_DAY_HOUR = 12
"""A practice entry given as a day (a date picker, ``--date 2026-12-01``) is stored at noon UTC of that day,
so no time zone moves it to the day before or after."""


def practice_time(when: datetime | _date | None) -> datetime:
    """The stored time of a practice entry: a datetime as given, a day at noon UTC, else now."""
    if when is None:
        return datetime.now(UTC)
    if isinstance(when, datetime):
        return when
    return datetime.combine(when, _time(PRACTICE_DAY_HOUR), UTC)


def log_practice(
    ws: Any,
    person: str,
    scope: str,
    kind: str,
    outcome: str,
    artifact: str | None = None,
    date: datetime | _date | None = None,
    notes: str | None = None,
    confirmed_by: str | None = None,
    logged_by: str | None = None,
    channel: str = "api",
) -> PracticeResult:
    """Log live practice tied to an approved pack or runbook of the scope; confirmed only by someone else."""
    who = {"channel": channel, "os_user": os_user()}
    try:
        if kind not in PRACTICE_KINDS or outcome not in OUTCOMES:
            raise LedgerRefusal(RULE_VALID_VALUES, f"kind {kind!r} / outcome {outcome!r} not recognised")
        pid = resolve_or_refuse(ws, person, "person")
        confirmer = resolve_or_refuse(ws, confirmed_by, "confirmer") if confirmed_by else None
        logger = _resolve(ws, logged_by) if logged_by else None
        hero = rules.scope_hero(ws, scope)
        with ws.session() as s:
            if confirmer is not None:
                _refuse_self(s, pid, confirmer, confirmed_by or confirmer)
            _refuse_hero(s, pid, hero, scope)

        def attempt() -> PracticeResult:
            with ws.session() as s:
                art = _approved_artifact(s, scope, artifact, hero)
                when = practice_time(date)
                entry = PracticeEntry(
                    person_id=pid,
                    scope=scope,
                    kind=kind,
                    date=when,
                    artifact_id=art.id,
                    outcome=outcome,
                    notes=notes,
                    logged_by=logger or pid,
                    confirmer=confirmer,
                    confirmed_at=utcnow() if confirmer else None,
                )
                s.add(entry)
                s.flush()
                audit(
                    s,
                    logger or pid,
                    "practice-log",
                    f"practice:{entry.id}",
                    "ok",
                    scope=scope,
                    kind=kind,
                    confirmer=confirmer,
                    **who,
                )
                return PracticeResult(
                    outcome="ok",
                    id=entry.id,
                    entry=entry_json(entry),
                    message="logged and confirmed"
                    if confirmer
                    else "logged; counts once someone else confirms it",
                )

        return _with_retries(attempt)
    except LedgerRefusal as r:
        with ws.session() as s:
            audit(
                s,
                _resolve(ws, logged_by or person),
                "practice-log",
                f"scope:{scope}",
                "refused",
                rule=r.rule,
                reason=r.message,
                **who,
            )
        return PracticeResult(outcome="refused", message=r.message, rule=r.rule)


def confirm_practice(ws: Any, entry_id: int | str, by_person_id: str, channel: str = "api") -> PracticeResult:
    """Confirm someone else's practice entry (self-confirmation, under any identity, refused)."""
    who = {"channel": channel, "os_user": os_user()}
    try:
        by = resolve_or_refuse(ws, by_person_id, "confirmer")
        with ws.session() as s:
            found = s.get(PracticeEntry, int(entry_id))
            scope = found.scope if found is not None else None
        hero = rules.scope_hero(ws, scope) if scope else None

        def attempt() -> PracticeResult:
            with ws.session() as s:
                entry = s.get(PracticeEntry, int(entry_id))
                if entry is None:
                    raise LedgerRefusal(RULE_KNOWN_PERSON, f"no practice entry {entry_id}")
                _refuse_self(s, entry.person_id, by, by_person_id)
                if entry.confirmer is not None:
                    return PracticeResult(
                        outcome="ok",
                        id=entry.id,
                        entry=entry_json(entry),
                        message=f"already confirmed by {entry.confirmer}",
                    )
                _refuse_hero(s, entry.person_id, hero, entry.scope)
                art = s.get(Draft, entry.artifact_id)
                if art is None or not rules.counts_as_approved(s, art, hero):
                    raise LedgerRefusal(
                        RULE_APPROVED_ARTIFACT, f"its artifact {entry.artifact_id} is no longer approved"
                    )
                entry.confirmer = by
                entry.confirmed_at = utcnow()
                audit(s, by, "practice-confirm", f"practice:{entry.id}", "ok", **who)
                s.flush()
                return PracticeResult(outcome="ok", id=entry.id, entry=entry_json(entry), message="confirmed")

        return _with_retries(attempt)
    except (LedgerRefusal, ValueError) as r:
        rule = getattr(r, "rule", RULE_KNOWN_PERSON)
        message = getattr(r, "message", str(r))
        with ws.session() as s:
            audit(
                s,
                _resolve(ws, by_person_id),
                "practice-confirm",
                f"practice:{entry_id}",
                "refused",
                rule=rule,
                reason=message,
                **who,
            )
        return PracticeResult(outcome="refused", id=None, message=message, rule=rule)
