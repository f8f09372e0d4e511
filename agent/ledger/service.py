"""The rules of what counts, enforced here (never in the UI): review decisions, publishing, practice.

Rules (each refusal names the rule that refused it):

- RULE_NON_HERO_APPROVAL: a draft about a hero's scope counts as approved only once someone who is
  not that hero approves; the hero's own approval leaves it "awaiting non-hero approval".
- RULE_STALE_VERSION: every decision names the draft version it decides on; a decision on a stale or
  already-decided version is a conflict, and it is recorded (no decision row is ever lost).
- RULE_SELF_CONFIRM: practice counts only when another person confirms it.
- RULE_APPROVED_ARTIFACT: practice is tied to an approved knowledge pack or runbook of its scope.
- RULE_KNOWN_PERSON: reviewers, practitioners and confirmers are known people (any alias).

Only these functions change decisions and practice; ingested text reaches none of them.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from agent.drafting.artifacts import PRACTICE_ARTIFACT_KINDS
from agent.ledger.models import AuditEntry, DecisionRow, Draft, DraftVersion, PracticeEntry, Publication
from agent.review import DECIDABLE, Action, Decision, DecisionResult, Status
from ingest.db import Person, utcnow

RULE_NON_HERO_APPROVAL = "A draft about a hero's scope needs at least one approver who is not that hero; the hero alone never makes it count."
RULE_STALE_VERSION = "A decision names the draft version it decides on; deciding on a stale or already-decided version is a conflict."
RULE_SELF_CONFIRM = (
    "Practice counts only when another person confirms it; nobody confirms their own practice."
)
RULE_APPROVED_ARTIFACT = "Practice counts only toward the scope of an approved knowledge pack or runbook."
RULE_KNOWN_PERSON = "Decisions and practice name a known person (any alias of someone in the workspace)."
RULE_VALID_VALUES = "Practice kinds are shadowed, led-with-support, led-alone, drill, game-day; outcomes success, partial, failed."

PRACTICE_KINDS = ("shadowed", "led-with-support", "led-alone", "drill", "game-day")
"""Practice kinds of DESIGN.md."""

OUTCOMES = ("success", "partial", "failed")
"""Practice outcomes of DESIGN.md."""

LOCK_RETRIES = 20
"""Attempts at a ledger write when SQLite reports the database busy (concurrent reviewers)."""

LOCK_RETRY_SECONDS = 0.05
"""Pause between those attempts."""


class LedgerRefusal(Exception):
    """An action the rules refuse; ``rule`` is the rule's text."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


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


class DraftView(BaseModel):
    """Everything a reviewer needs to decide on a draft."""

    id: str
    kind: str
    scope: str
    hero: str | None
    status: str
    status_note: str
    version: int
    markdown: str
    claims: list[dict[str, Any]] = Field(default_factory=list)
    flags: list[dict[str, Any]] = Field(default_factory=list)
    evidence: dict[str, dict[str, Any]] = Field(default_factory=dict)
    decisions: list[dict[str, Any]] = Field(default_factory=list)
    drafter: dict[str, Any] = Field(default_factory=dict)
    published: list[dict[str, Any]] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


STATUS_NOTES = {
    Status.DRAFTING.value: "being drafted",
    Status.PENDING.value: "pending review",
    Status.AWAITING_NON_HERO.value: "awaiting non-hero approval: the hero approved; someone other than the hero must approve",
    Status.CHANGES_REQUESTED.value: "changes requested: being redrafted",
    Status.APPROVED.value: "approved",
    Status.REJECTED.value: "rejected",
}
"""A sentence per status, shown to reviewers."""


def _resolve(ws: Any, alias: str | None) -> str | None:
    """The person id for any alias, or None."""
    if not alias:
        return None
    with ws.session() as s:
        try:
            from ingest.identity import resolve_person
        except ImportError:  # pragma: no cover - identity is part of ingest
            person = s.get(Person, alias)
            return person.id if person else None
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


def record_decision(
    ws: Any, draft_id: str, reviewer_person_id: str, decision: Decision, expected_version: int
) -> DecisionResult:
    """Record a decision under the rules (no workflow step). Conflicts are recorded too."""
    try:
        reviewer = resolve_or_refuse(ws, reviewer_person_id, "reviewer")
    except LedgerRefusal as r:
        return DecisionResult(
            outcome="refused", draft_id=draft_id, action=decision.action, message=r.message, rule=r.rule
        )

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
            if conflict is None:
                if decision.action in (Action.APPROVE, Action.APPROVE_WITH_EDITS):
                    if draft.hero and reviewer == draft.hero:
                        status_after = Status.AWAITING_NON_HERO.value
                        note = RULE_NON_HERO_APPROVAL
                    else:
                        status_after = Status.APPROVED.value
                elif decision.action is Action.REQUEST_CHANGES:
                    status_after = Status.CHANGES_REQUESTED.value
                else:
                    status_after = Status.REJECTED.value
                if decision.action is Action.APPROVE_WITH_EDITS:
                    current = (
                        s.scalar(
                            select(DraftVersion.markdown).where(
                                DraftVersion.draft_id == draft_id, DraftVersion.version == draft.version
                            )
                        )
                        or ""
                    )
                    diff = "".join(
                        difflib.unified_diff(
                            current.splitlines(keepends=True),
                            (decision.edited_markdown or "").splitlines(keepends=True),
                            fromfile=f"{draft_id}/v{draft.version}",
                            tofile=f"{draft_id}/v{draft.version}+edits",
                        )
                    )
                swapped = s.execute(
                    update(Draft)
                    .where(Draft.id == draft_id, Draft.decision_seq == seen)
                    .values(decision_seq=seen + 1, status=status_after, updated_at=utcnow())
                ).rowcount
                if swapped != 1:
                    conflict = f"another decision on draft {draft_id} landed first"
            if conflict is not None:
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
                    s, reviewer, "decide", draft_id, "conflict", action=decision.action.value, reason=conflict
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
                version=expected_version,
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
                version=expected_version,
                status=status_after,
            )
            s.flush()
            message = STATUS_NOTES.get(status_after, status_after)
            return DecisionResult(
                outcome="ok",
                draft_id=draft_id,
                id=row.id,
                version=expected_version,
                action=decision.action,
                reviewer=reviewer,
                status=status_after,
                message=message,
                rule=note,
                at=row.at,
            )

    return _with_retries(attempt)


def decide(
    ws: Any, draft_id: str, reviewer_person_id: str, decision: Decision, expected_version: int
) -> DecisionResult:
    """Decide on a draft version under the rules, then move its workflow on (redraft, publish, or wait)."""
    result = record_decision(ws, draft_id, reviewer_person_id, decision, expected_version)
    if result.outcome == "ok":
        from agent.drafting.graph import advance

        try:
            advance(ws, draft_id)
        except Exception as exc:  # the decision stands; repair() finishes the workflow later
            with ws.session() as s:
                audit(s, result.reviewer, "advance", draft_id, "error", error=str(exc)[:500])
            result.message += f" (workflow step failed and will be retried: {exc})"
        with ws.session() as s:
            draft = s.get(Draft, draft_id)
            if (
                draft is not None
                and draft.status != result.status
                and result.status != Status.CHANGES_REQUESTED.value
            ):
                result.status = draft.status
    return result


def publish(ws: Any, draft_id: str, version: int) -> str:
    """Export an approved draft version as markdown; idempotent by (draft id, version). Returns the path."""
    with ws.session() as s:
        existing = s.scalar(
            select(Publication).where(Publication.draft_id == draft_id, Publication.version == version)
        )
        draft = s.get(Draft, draft_id)
        if draft is None or draft.status != Status.APPROVED.value:
            raise LedgerRefusal(
                RULE_NON_HERO_APPROVAL, f"draft {draft_id} is not approved; nothing is published"
            )
        if existing is not None:
            if draft.published_version != version:
                draft.published_version = version
            return existing.path
        body = s.scalar(
            select(DraftVersion.markdown).where(
                DraftVersion.draft_id == draft_id, DraftVersion.version == version
            )
        )
        edited = s.scalar(
            select(DecisionRow.edited_markdown)
            .where(
                DecisionRow.draft_id == draft_id,
                DecisionRow.version == version,
                DecisionRow.outcome == "ok",
                DecisionRow.edited_markdown.is_not(None),
            )
            .order_by(DecisionRow.seq.desc())
            .limit(1)
        )
        approvers = s.execute(
            select(DecisionRow.reviewer, DecisionRow.at, Person.name)
            .join(Person, Person.id == DecisionRow.reviewer, isouter=True)
            .where(
                DecisionRow.draft_id == draft_id,
                DecisionRow.version == version,
                DecisionRow.outcome == "ok",
                DecisionRow.action.in_([Action.APPROVE.value, Action.APPROVE_WITH_EDITS.value]),
            )
            .order_by(DecisionRow.seq)
        ).all()
        text = (
            (edited or body or "").rstrip()
            + "\n\n---\n"
            + "".join(
                f"Approved by {name or pid} ({pid}) at {at.isoformat()}\n" for pid, at, name in approvers
            )
            + f"Draft {draft_id} version {version} ({draft.kind}, {draft.scope}).\n"
        )
        folder = ws.settings.exports_path
        folder.mkdir(parents=True, exist_ok=True)
        safe_scope = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in draft.scope)
        path = folder / f"{safe_scope}--{draft.kind}--{draft_id}-v{version}.md"
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        s.add(
            Publication(
                draft_id=draft_id,
                version=version,
                path=str(path),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
        draft.published_version = version
        audit(s, None, "publish", draft_id, "ok", version=version, path=str(path))
        try:
            s.flush()
        except IntegrityError:  # another process published the same version first
            s.rollback()
        return str(path)


# ------------------------------------------------------------------------------------------ views


def _draft_row(d: Draft) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "scope": d.scope,
        "status": d.status,
        "flags": d.flag_count,
        "citations": d.citation_count,
        "version": d.version,
        "hero": d.hero,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
    }


def list_drafts(
    ws: Any,
    status: str | None = None,
    scope: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of drafts (newest first) and the total matching, filtered in SQL."""
    where = []
    if status:
        where.append(Draft.status == status)
    if scope:
        where.append(Draft.scope == scope)
    if kind:
        where.append(Draft.kind == kind)
    with ws.session() as s:
        total = s.scalar(select(func.count()).select_from(Draft).where(*where)) or 0
        rows = (
            s.execute(
                select(Draft)
                .where(*where)
                .order_by(Draft.created_at.desc(), Draft.id)
                .limit(limit)
                .offset(offset)
            )
            .scalars()
            .all()
        )
        return [_draft_row(d) for d in rows], int(total)


def get_draft(ws: Any, draft_id: str) -> DraftView:
    """The draft's current version rendered, with claims, flags, evidence and decisions (KeyError if unknown)."""
    with ws.session() as s:
        d = s.get(Draft, draft_id)
        if d is None:
            raise KeyError(draft_id)
        v = s.scalar(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id, DraftVersion.version == d.version)
        )
        decisions = (
            s.execute(select(DecisionRow).where(DecisionRow.draft_id == draft_id).order_by(DecisionRow.id))
            .scalars()
            .all()
        )
        pubs = (
            s.execute(
                select(Publication).where(Publication.draft_id == draft_id).order_by(Publication.version)
            )
            .scalars()
            .all()
        )
        return DraftView(
            id=d.id,
            kind=d.kind,
            scope=d.scope,
            hero=d.hero,
            status=d.status,
            status_note=STATUS_NOTES.get(d.status, d.status),
            version=d.version,
            markdown=v.markdown if v else "",
            claims=v.claims if v else [],
            flags=v.flags if v else [],
            evidence=v.evidence if v else {},
            decisions=[
                {
                    "id": r.id,
                    "version": r.version,
                    "seq": r.seq,
                    "reviewer": r.reviewer,
                    "action": r.action,
                    "text": r.text,
                    "diff": r.diff,
                    "outcome": r.outcome,
                    "status_after": r.status_after,
                    "note": r.note,
                    "at": r.at.isoformat(),
                }
                for r in decisions
            ],
            drafter={
                "drafter": v.drafter,
                "model": v.model,
                "prompt_id": v.prompt_id,
                "prompt_version": v.prompt_version,
                "prompt_hash": v.prompt_hash,
            }
            if v
            else {},
            published=[
                {"version": p.version, "path": p.path, "at": p.published_at.isoformat()} for p in pubs
            ],
        )


def audit_log(ws: Any, filters: dict[str, Any] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Audit rows, newest first; filters on actor, action, subject, outcome."""
    q = select(AuditEntry)
    for key, value in (filters or {}).items():
        if key in ("actor", "action", "subject", "outcome") and value is not None:
            q = q.where(getattr(AuditEntry, key) == value)
    with ws.session() as s:
        rows = s.execute(q.order_by(AuditEntry.id.desc()).limit(limit)).scalars().all()
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "subject": r.subject,
                "outcome": r.outcome,
                "detail": r.detail,
            }
            for r in rows
        ]


def review_stats(ws: Any) -> dict[str, int]:
    """Counts of drafts approved as-is, approved with edits, rejected, and changes requested."""
    with ws.session() as s:
        final = dict(
            s.execute(
                select(DecisionRow.action, func.count())
                .where(
                    DecisionRow.outcome == "ok",
                    DecisionRow.status_after.in_([Status.APPROVED.value, Status.REJECTED.value]),
                )
                .group_by(DecisionRow.action)
            ).all()
        )
        changes = (
            s.scalar(
                select(func.count())
                .select_from(DecisionRow)
                .where(DecisionRow.outcome == "ok", DecisionRow.action == Action.REQUEST_CHANGES.value)
            )
            or 0
        )
    return {
        "approved_as_is": int(final.get(Action.APPROVE.value, 0)),
        "approved_with_edits": int(final.get(Action.APPROVE_WITH_EDITS.value, 0)),
        "rejected": int(final.get(Action.REJECT.value, 0)),
        "changes_requested": int(changes),
    }


# ---------------------------------------------------------------------------------------- practice


def _entry_json(e: PracticeEntry) -> dict[str, Any]:
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


def _approved_artifact(s: Any, scope: str, artifact: str | None) -> Draft:
    """The approved knowledge pack or runbook the practice is tied to, or LedgerRefusal."""
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
        return d
    d = s.scalar(
        select(Draft)
        .where(
            Draft.scope == scope,
            Draft.kind.in_(PRACTICE_ARTIFACT_KINDS),
            Draft.status == Status.APPROVED.value,
        )
        .order_by(Draft.updated_at.desc())
        .limit(1)
    )
    if d is None:
        raise LedgerRefusal(RULE_APPROVED_ARTIFACT, f"{scope} has no approved knowledge pack or runbook yet")
    return d


def log_practice(
    ws: Any,
    person: str,
    scope: str,
    kind: str,
    outcome: str,
    artifact: str | None = None,
    date: datetime | None = None,
    notes: str | None = None,
    confirmed_by: str | None = None,
    logged_by: str | None = None,
) -> PracticeResult:
    """Log live practice tied to an approved pack or runbook of the scope; confirmed only by someone else."""
    try:
        if kind not in PRACTICE_KINDS or outcome not in OUTCOMES:
            raise LedgerRefusal(RULE_VALID_VALUES, f"kind {kind!r} / outcome {outcome!r} not recognised")
        pid = resolve_or_refuse(ws, person, "person")
        confirmer = resolve_or_refuse(ws, confirmed_by, "confirmer") if confirmed_by else None
        logger = _resolve(ws, logged_by) if logged_by else None
        if confirmer is not None and confirmer == pid:
            raise LedgerRefusal(RULE_SELF_CONFIRM, f"{person} cannot confirm their own practice")

        def attempt() -> PracticeResult:
            with ws.session() as s:
                art = _approved_artifact(s, scope, artifact)
                when = date or datetime.now(UTC)
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
                )
                return PracticeResult(
                    outcome="ok",
                    id=entry.id,
                    entry=_entry_json(entry),
                    message="logged and confirmed"
                    if confirmer
                    else "logged; counts once someone else confirms it",
                )

        return _with_retries(attempt)
    except LedgerRefusal as r:
        with ws.session() as s:
            audit(
                s,
                _resolve(ws, person),
                "practice-log",
                f"scope:{scope}",
                "refused",
                rule=r.rule,
                reason=r.message,
            )
        return PracticeResult(outcome="refused", message=r.message, rule=r.rule)


def confirm_practice(ws: Any, entry_id: int | str, by_person_id: str) -> PracticeResult:
    """Confirm someone else's practice entry (self-confirmation refused)."""
    try:
        by = resolve_or_refuse(ws, by_person_id, "confirmer")

        def attempt() -> PracticeResult:
            with ws.session() as s:
                entry = s.get(PracticeEntry, int(entry_id))
                if entry is None:
                    raise LedgerRefusal(RULE_KNOWN_PERSON, f"no practice entry {entry_id}")
                if entry.person_id == by:
                    raise LedgerRefusal(
                        RULE_SELF_CONFIRM, f"{by_person_id} cannot confirm their own practice"
                    )
                if entry.confirmer is not None:
                    return PracticeResult(
                        outcome="ok",
                        id=entry.id,
                        entry=_entry_json(entry),
                        message=f"already confirmed by {entry.confirmer}",
                    )
                art = s.get(Draft, entry.artifact_id)
                if art is None or art.status != Status.APPROVED.value:
                    raise LedgerRefusal(
                        RULE_APPROVED_ARTIFACT, f"its artifact {entry.artifact_id} is no longer approved"
                    )
                entry.confirmer = by
                entry.confirmed_at = utcnow()
                audit(s, by, "practice-confirm", f"practice:{entry.id}", "ok")
                s.flush()
                return PracticeResult(
                    outcome="ok", id=entry.id, entry=_entry_json(entry), message="confirmed"
                )

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
            )
        return PracticeResult(outcome="refused", id=None, message=message, rule=rule)


def practice_history(ws: Any, person: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
    """Practice entries (newest first), optionally for one person (any alias) or scope."""
    q = select(PracticeEntry)
    if person:
        q = q.where(PracticeEntry.person_id == (_resolve(ws, person) or person))
    if scope:
        q = q.where(PracticeEntry.scope == scope)
    with ws.session() as s:
        return [
            _entry_json(e)
            for e in s.execute(q.order_by(PracticeEntry.date.desc(), PracticeEntry.id.desc())).scalars()
        ]
