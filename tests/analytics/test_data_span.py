"""The data's time span: right in every window, and read off the ``ts`` index, not by scanning activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agent.analytics.metrics import data_span
from ingest.db import get_engine

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _engine(tmp_path: Path) -> sa.Engine:
    engine = get_engine(f"sqlite:///{tmp_path / 'span.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO people (id, name, created_at) VALUES ('p1', 'Ana', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO records (id, kind, key, path, record_hash, complete) VALUES (1, 'git', 'c:1', 'r', 'h', 1)"
        )
        for day in (3, 0, 9, 5):  # not in time order
            conn.execute(
                sa.text(
                    "INSERT INTO activities (record_id, person_id, scope, action, ts, tz_offset, weight, source)"
                    " VALUES (1, 'p1', 'repo:ops', 'commit', :ts, 0, 1.0, 'git')"
                ),
                {"ts": (T0 + timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S.%f")},  # as the store writes it
            )
    return engine


def test_the_span_of_each_window(tmp_path: Path) -> None:
    with Session(_engine(tmp_path)) as s:
        assert data_span(s, None, None) == (T0, T0 + timedelta(days=9))
        assert data_span(s, T0 + timedelta(days=1), None) == (T0 + timedelta(days=3), T0 + timedelta(days=9))
        assert data_span(s, None, T0 + timedelta(days=9)) == (T0, T0 + timedelta(days=5))
        assert data_span(s, T0 + timedelta(days=4), T0 + timedelta(days=6)) == (
            T0 + timedelta(days=5),
            T0 + timedelta(days=5),
        )
        assert data_span(s, T0 + timedelta(days=10), None) is None


def test_the_span_is_read_off_the_time_index(tmp_path: Path) -> None:
    """min and max in one select make SQLite scan every activity; each alone is one index step."""
    engine = _engine(tmp_path)
    seen: list[tuple[str, object]] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    with Session(engine) as s:
        for window in ((None, None), (T0 + timedelta(days=1), T0 + timedelta(days=8))):
            seen.clear()
            data_span(s, *window)
            (statement, params), *_ = (x for x in seen if "activities" in x[0])
            plan = " ".join(
                str(row[-1])
                for row in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert "SCAN activities" not in plan, plan
            assert "ix_activity_ts" in plan, plan
