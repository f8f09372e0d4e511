"""Stored judgements: each message judged once per version of the rules, so a map call re-reads, not re-judges.

:func:`agent.analytics.judgement.judge` decides what a stored message means (a fix, pull-ins); that is
pure in the message's stored evidence and the rules' code. This table keeps its verdict per activity,
stamped with a fingerprint of the rules' source files: a change to the rules (or to the text cleaning
they use) makes every stored verdict stale and the next map judges again. A re-ingested record's old
activities are deleted, and their verdicts with them (``ON DELETE CASCADE``), so a new activity is
always judged. Migration ``0005_judged_messages``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, delete
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ingest.db import Base, bulk_insert

STORE_BATCH = 5000
"""Verdicts inserted per statement when a map stores what it judged."""


class JudgedMessage(Base):
    """One message's verdict: whether it carries a fix and whom it pulls in (keys), under ``rules``."""

    __tablename__ = "judged_messages"
    __table_args__ = (Index("ix_judged_messages_positive", "positive"),)
    activity_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    rules: Mapped[str] = mapped_column(String(16))
    positive: Mapped[bool] = mapped_column(Boolean)
    fix: Mapped[bool] = mapped_column(Boolean)
    pulled: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


def _rules_files() -> tuple[Path, ...]:
    """The source files whose code decides a verdict (the judgement rules and the text cleaning they use)."""
    from agent.analytics import judgement
    from ingest.adapters import _common

    return (Path(judgement.__file__), Path(_common.__file__))


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """A short hash of the rules' source: stored verdicts under another one are stale."""
    digest = hashlib.sha256()
    for path in _rules_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pending_writes(session: Session) -> bool:
    """Whether the session has written in its open transaction (then another connection must not write)."""
    if session.new or session.dirty or session.deleted:
        return True
    raw = session.connection().connection.dbapi_connection
    return (
        bool(getattr(raw, "in_transaction", False)) if session.get_bind().dialect.name == "sqlite" else False
    )


def store_verdicts(session: Session, verdicts: list[tuple[int, bool, list[str]]]) -> bool:
    """Store (activity id, fix, pulled keys) verdicts in their own transaction, dropping stale ones first.

    Best effort: when the database is busy (an ingest writing) or another map stored them first, nothing
    is stored and the next map judges those messages again. Returns whether they were stored."""
    if pending_writes(session):
        return False  # its own writes hold SQLite's lock (and are not visible to another connection)
    rules = rules_fingerprint()
    bind: Any = session.get_bind()
    with Session(bind) as own:
        try:
            own.execute(delete(JudgedMessage).where(JudgedMessage.rules != rules))
            for i in range(0, len(verdicts), STORE_BATCH):
                bulk_insert(
                    own,
                    JudgedMessage.__table__,  # type: ignore[arg-type]
                    [
                        {
                            "activity_id": aid,
                            "rules": rules,
                            "positive": bool(fix or pulled),
                            "fix": bool(fix),
                            "pulled": list(pulled) or None,
                        }
                        for aid, fix, pulled in verdicts[i : i + STORE_BATCH]
                    ],
                )
            own.commit()
        except DBAPIError:
            own.rollback()
            return False
    return True
