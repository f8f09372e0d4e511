"""The schema the migrations build is the one the ORM declares, and a workspace from before an index
change upgrades in place with its facts kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from ingest.db import Base, _alembic_config, get_engine, head_revision, migrate


def _indexes(engine: sa.Engine, table: str) -> dict[str, tuple[str, ...]]:
    return {ix["name"]: tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes(table)}


def test_migrated_indexes_are_the_declared_ones(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    for table in Base.metadata.sorted_tables:
        if not sa.inspect(engine).has_table(table.name):
            continue
        declared = {ix.name: tuple(c.name for c in ix.columns) for ix in table.indexes}
        assert _indexes(engine, table.name) == declared, table.name
    with engine.connect() as conn:
        built = dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).all()
        )
    for table in Base.metadata.sorted_tables:
        for ix in table.indexes:
            where = ix.dialect_options["sqlite"]["where"]
            assert (where is not None) == (" WHERE " in built[ix.name]), ix.name


def test_the_rescue_scans_read_an_incident_index_that_holds_action_person_and_time(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    with engine.connect() as conn:
        plans = {
            sql: " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in (
                "SELECT incident, person_id, min(ts) FROM activities WHERE incident IS NOT NULL"
                " AND action IN ('assigned', 'escalated') GROUP BY incident, person_id",
                "SELECT incident, person_id, max(ts) FROM activities WHERE incident IN ('pd:1', 'pd:2')"
                " AND action = 'resolved' GROUP BY incident, person_id",
            )
        }
    for sql, plan in plans.items():
        assert "COVERING INDEX" in plan, (sql, plan)


def test_a_workspace_from_before_the_covering_indexes_upgrades_with_its_facts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    command.upgrade(_alembic_config(engine), "0005_judged_messages")
    assert "ix_activity_incident" in _indexes(engine, "activities")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO people (id, name, created_at) VALUES ('p1', 'Ana', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO records (id, kind, key, path, record_hash, complete) VALUES (1, 'git', 'commit:1', 'r', 'h', 1)"
        )
        conn.execute(
            sa.text(
                "INSERT INTO activities (record_id, person_id, scope, action, ts, tz_offset, weight, source)"
                " VALUES (1, 'p1', 'repo:ops', 'commit', :ts, 0, 1.0, 'git')"
            ),
            {"ts": datetime(2026, 1, 2, 3, 4, tzinfo=UTC).replace(tzinfo=None)},
        )

    migrate(engine)

    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == head_revision()
        assert conn.exec_driver_sql("SELECT person_id, scope, action FROM activities").all() == [
            ("p1", "repo:ops", "commit")
        ]
    indexes = _indexes(engine, "activities")
    assert indexes["ix_activity_incident_action"] == ("incident", "action", "person_id", "ts")
    assert indexes["ix_activity_scope_person"] == ("scope", "person_id")
    assert "ix_activity_incident" not in indexes
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_activity_incident_action'"
        ).scalar_one()
    assert sql.endswith("WHERE incident IS NOT NULL"), sql  # activities on no incident are not in it
    engine.dispose()
