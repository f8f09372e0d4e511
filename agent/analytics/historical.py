"""Historical concentrations: a scope nobody has touched for longer than the recent window.

A folder deleted years ago or a retired service still shows who once did its work; that is a fact
about the past, not a current dependence, so the map marks it and drafts and scan alarms skip it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.analytics.metrics import CLASS_PREFIX, window_filter
from ingest.db import Activity, Incident

HISTORICAL_AFTER_DAYS = 365
"""Days without any activity after which a scope's concentration is historical. A year, not the scan's
90-day recent window: a live service pages, deploys or is discussed at least once a year and a
maintained folder gets its yearly dependency bump, while a stable one may sit a quarter untouched.
Not fitted on data."""


def last_activity(session: Session, since: datetime | None, until: datetime | None) -> dict[str, datetime]:
    """Scope (and ``class:`` scope) -> time of its latest activity in the window."""
    cond = window_filter(Activity.ts, since, until)
    out: dict[str, datetime] = {
        scope: ts
        for scope, ts in session.execute(
            select(Activity.scope, func.max(Activity.ts)).where(*cond).group_by(Activity.scope)
        )
        if ts is not None
    }
    for cls, ts in session.execute(
        select(Incident.incident_class, func.max(Activity.ts))
        .join(Incident, Incident.key == Activity.incident)
        .where(Incident.incident_class.is_not(None), *cond)
        .group_by(Incident.incident_class)
    ):
        if ts is not None:
            out[CLASS_PREFIX + str(cls)] = ts
    return out


def is_historical(
    last: datetime | None, data_end: datetime | None, days: int = HISTORICAL_AFTER_DAYS
) -> bool:
    """Whether a scope last active at ``last`` has been quiet for more than ``days`` before ``data_end``."""
    if last is None or data_end is None:
        return False
    if (last.tzinfo is None) != (data_end.tzinfo is None):
        last, data_end = last.replace(tzinfo=None), data_end.replace(tzinfo=None)
    return data_end - last > timedelta(days=days)
