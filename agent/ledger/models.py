"""The ledger tables: drafts and their versions, review decisions, publications, practice, audit.

They live on ``ingest.db.Base`` so one Alembic ``upgrade head`` builds facts and ledger together
(migration ``0002_ledger``). Decisions and audit rows are append-only: nothing here is updated
in place except the draft's own state counters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ingest.db import Base, UTCDateTime, utcnow
from ingest.identity import EXTRA_MERGE_TABLES


class Draft(Base):
    """One artifact being drafted for a scope; ``version`` is its current content version."""

    __tablename__ = "drafts"
    __table_args__ = (
        Index("ix_drafts_status_created", "status", "created_at"),
        Index("ix_drafts_scope_kind", "scope", "kind"),
        Index("ix_drafts_created", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(200))
    hero: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="drafting")
    version: Mapped[int] = mapped_column(Integer, default=0)
    decision_seq: Mapped[int] = mapped_column(Integer, default=0)
    graph_seq: Mapped[int] = mapped_column(Integer, default=0)
    published_version: Mapped[int | None] = mapped_column(Integer)
    flag_count: Mapped[int] = mapped_column(Integer, default=0)
    citation_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DraftVersion(Base):
    """The content of one version of a draft, with how it was made (drafter, model, prompt)."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    artifact: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    claims: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    drafter: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100))
    prompt_id: Mapped[str] = mapped_column(String(100))
    prompt_version: Mapped[int] = mapped_column(Integer)
    prompt_hash: Mapped[str] = mapped_column(String(64))
    feedback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionRow(Base):
    """A review decision, append-only. ``seq`` numbers applied decisions per draft; conflicts have none."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("draft_id", "seq", name="uq_decision_seq"),
        Index("ix_decisions_reviewer", "reviewer"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[str | None] = mapped_column(Text)
    edited_markdown: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    status_after: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Publication(Base):
    """An approved draft version exported as markdown; unique per (draft, version), so publish is idempotent."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_publication"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PracticeEntry(Base):
    """Live practice by a person on a scope, tied to an approved artifact; counts once someone else confirms."""

    __tablename__ = "practice_entries"
    __table_args__ = (
        Index("ix_practice_scope_date", "scope", "date"),
        Index("ix_practice_person", "person_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    artifact_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    logged_by: Mapped[str | None] = mapped_column(String(64))
    confirmer: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did what to the ledger, and when (append-only)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_subject", "subject"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ReviewerAccount(Base):
    """A person's reviewer account: a bcrypt password hash, an optional script token hash, admin or not."""

    __tablename__ = "reviewer_accounts"
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DistinctPeople(Base):
    """A recorded decision that two people who look alike (name, email, suggestion) are different people."""

    __tablename__ = "people_distinct"
    __table_args__ = (UniqueConstraint("person_a", "person_b", name="uq_people_distinct"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_a: Mapped[str] = mapped_column(String(64))
    person_b: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


for _table, _column in (
    (Draft.__table__, "hero"),
    (DecisionRow.__table__, "reviewer"),
    (PracticeEntry.__table__, "person_id"),
    (PracticeEntry.__table__, "confirmer"),
    (PracticeEntry.__table__, "logged_by"),
    (DistinctPeople.__table__, "decided_by"),
):
    if (_table, _column) not in EXTRA_MERGE_TABLES:
        EXTRA_MERGE_TABLES.append((_table, _column))
