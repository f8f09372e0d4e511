"""The scan table: one snapshot per scan (migration ``0003_scans``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ingest.db import Base, UTCDateTime, utcnow


class ScanSnapshot(Base):
    """What one scan saw (compact map metrics), found new, drafted and wrote; ``status`` is 'done' when complete."""

    __tablename__ = "scan_snapshots"
    __table_args__ = (Index("ix_scan_snapshots_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    ran_by: Mapped[str | None] = mapped_column(String(200))
    ran_by_person: Mapped[str | None] = mapped_column(String(64))
    paths: Mapped[list[str] | None] = mapped_column(JSON)
    ingest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    drafts: Mapped[list[str] | None] = mapped_column(JSON)
    report_json: Mapped[str | None] = mapped_column(String(1000))
    report_md: Mapped[str | None] = mapped_column(String(1000))
