"""The facts database: SQLAlchemy 2 models, engine, sessions and migrations.

SQLite in the workspace by default; PostgreSQL when ``UNDERSTUDY_DATABASE_URL`` says so.
Schema changes are Alembic migrations under ``ingest/migrations/versions``; the ledger
tables of ``agent/`` are migrated there too, so one ``upgrade head`` builds everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and returns them aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base shared by the facts (ingest) and the ledger (agent)."""


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as one (SQLAlchemy types ``Model.__table__`` as any ``FromClause``,
    which has no ``insert()`` or ``update()``)."""
    return cast(Table, model.__table__)


class Person(Base):
    """A human. Bots and integrations never get a row here."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str | None] = mapped_column(String(64))
    merged_into: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alias(Base):
    """One name a person goes by. ``space`` is '' for global kinds, or the source kind for names."""

    __tablename__ = "aliases"
    __table_args__ = (UniqueConstraint("kind", "space", "value", name="uq_alias"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # email, name, handle, key
    space: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(320))
    display: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(32))


class MergeSuggestion(Base):
    """Two people whose names match across sources: a person settles it in the aliases file."""

    __tablename__ = "merge_suggestions"
    __table_args__ = (UniqueConstraint("person_a", "person_b", name="uq_suggestion"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_a: Mapped[str] = mapped_column(String(64))
    person_b: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")


class SourceFile(Base):
    """A file read by ingest, with its content hash; ``status`` is 'done' only after it is fully stored."""

    __tablename__ = "source_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="started")
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordRow(Base):
    """The unit of replacement (an incident, a thread, a commit, a document)."""

    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_record"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(500))
    record_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    doc_kind: Mapped[str | None] = mapped_column(String(32))
    doc_scope: Mapped[str | None] = mapped_column(String(200))
    authors: Mapped[list[str] | None] = mapped_column(JSON)
    last_editor: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)


class Activity(Base):
    """Who did what, when, where. ``ts`` is UTC; ``tz_offset`` keeps the source's own offset (minutes)."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activity_scope_person", "scope", "person_id"),
        Index("ix_activity_ts", "ts"),
        # it carries the action, person and time, so the rescue rules' grouped scans per incident read the
        # index alone; activities on no incident (commits, most deploys and chat) are left out of it
        Index(
            "ix_activity_incident_action",
            "incident",
            "action",
            "person_id",
            "ts",
            sqlite_where=text("incident IS NOT NULL"),
            postgresql_where=text("incident IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    tz_offset: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    incident: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(32))
    chunk_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Incident(Base):
    """An incident: service, severity, times; ``incident_class`` is filled by clustering."""

    __tablename__ = "incidents"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    chunk_id: Mapped[str | None] = mapped_column(String(64))
    incident_class: Mapped[str | None] = mapped_column(String(200))


class Shift(Base):
    """An on-call shift."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shift_person_time", "person_id", "start", "end"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, default=1)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class Chunk(Base):
    """A unit of embedded text. ``id`` is also its id in Chroma; ``embedded`` flips once Chroma has it."""

    __tablename__ = "chunks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(1000))
    locator: Mapped[str] = mapped_column(String(500))
    ts: Mapped[datetime | None] = mapped_column(UTCDateTime)
    embedded: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class Quarantine(Base):
    """Input that could not be read, with its reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(1000))
    record: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestRun(Base):
    """One run of ingest (or scan), with its summary."""

    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


_ENGINES: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def get_engine(url: str) -> Engine:
    """One engine per URL per process, migrated to the newest schema on first use."""
    engine = _ENGINES.get(url)
    if engine is not None:
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, forks)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head() or ""  # type: ignore[arg-type]


def current_revision(engine: Engine) -> str | None:
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head (cheap when it is already there)."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


_SQLITE_DATETIME_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)
"""SQLAlchemy's storage format of SQLite datetimes: ``datetime.isoformat(" ", "microseconds")`` of a naive one."""

_JSON_DUMPS = (
    c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    if c_make_encoder is not None
    else None
)
"""``json.dumps``'s own C encoder with its default settings, built once (``json.dumps`` builds one a call)."""


def _utc_text(value: datetime | None) -> str | None:
    """A :class:`UTCDateTime` value as SQLite stores it: its two bind steps in one."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


UTC_TEXT_CACHE = 1 << 12
"""Distinct instants whose stored text :func:`bulk_insert` remembers: a record's activities mostly share
its time, so a batch formats each instant once. Equal aware datetimes are the same instant (whatever their
offsets) and so the same UTC text; a naive one raises each time (errors are not cached)."""

_utc_text_cached = lru_cache(maxsize=UTC_TEXT_CACHE)(_utc_text)


def _bind_processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """A column's bind processor for :func:`bulk_insert`: SQLAlchemy's own, or a faster one with its output.

    On SQLite a :class:`UTCDateTime` is converted and formatted in one step, and a JSON dict or list is
    written by ``json.dumps``'s encoder built once; anything else (and any value the fast encoder cannot
    write) takes SQLAlchemy's processor, so errors are SQLAlchemy's too."""
    impl = column_type.dialect_impl(dialect)
    original = impl.bind_processor(dialect)
    if dialect.name != "sqlite":
        return original
    if isinstance(column_type, UTCDateTime):
        storage = getattr(column_type.impl_instance.dialect_impl(dialect), "_storage_format", None)
        return _utc_text_cached if storage == _SQLITE_DATETIME_FORMAT else original
    if isinstance(impl, JSON) and original is not None and _JSON_DUMPS is not None:
        if dialect._json_serializer is not None or impl._str_impl.bind_processor(dialect) is not None:
            return original
        dumps = _JSON_DUMPS

        def json_text(value: Any) -> Any:
            if type(value) is dict or type(value) is list:
                try:
                    return "".join(dumps(value, 0))
                except Exception:  # noqa: BLE001 - SQLAlchemy's processor raises what it raises
                    pass
            return original(value)

        return json_text
    return original


_InsertPlan = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_INSERT_PLANS: dict[tuple[str, str, tuple[str, ...]], _InsertPlan | None] = {}


def _insert_plan(table: Table, keys: tuple[str, ...], dialect: Any) -> _InsertPlan | None:
    """The SQL, bind order and column bind processors of an insert of ``keys`` (None: not a plain insert)."""
    cache_key = (dialect.name, table.name, keys)
    if cache_key in _INSERT_PLANS:
        return _INSERT_PLANS[cache_key]
    plan: _InsertPlan | None = None
    missing = [c for c in table.columns if c.key not in keys]
    if set(keys) <= set(table.columns.keys()) and not any(c.default is not None for c in missing):
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = tuple(compiled.positiontup or ())
        if compiled.positional and sorted(order) == sorted(keys) and not compiled.escaped_bind_names:
            procs = tuple(_bind_processor(table.columns[k].type, dialect) for k in order)
            plan = (str(compiled), order, procs)
    _INSERT_PLANS[cache_key] = plan
    return plan


def bulk_insert(
    session: Session, table: Table, rows: list[dict[str, Any]], ids: bool = False
) -> list[int] | None:
    """Insert ``rows`` (dicts with the same keys) in ``session``'s transaction, in order.

    On SQLite the values go through each column's own SQLAlchemy bind processor and then straight to
    the DBAPI ``executemany``, without SQLAlchemy's per-row parameter handling (most of the cost of a
    bulk insert); other databases take SQLAlchemy's ``insert`` (its insertmanyvalues batching is what
    makes PostgreSQL fast).

    With ``ids`` the new rows' integer primary keys are returned in row order where they are known
    without reading the rows back (see :func:`_sqlite_new_ids`), else ``None``.
    """
    if not rows:
        return [] if ids else None
    conn = session.connection()
    plan = _insert_plan(table, tuple(rows[0]), conn.dialect) if conn.dialect.name == "sqlite" else None
    if plan is None:
        session.execute(insert(table), rows)
        return None
    sql, order, procs = plan
    columns = []
    for key, proc in zip(order, procs, strict=True):
        values = [row[key] for row in rows]
        columns.append(list(map(proc, values)) if proc is not None else values)
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    return _sqlite_new_ids(conn, table, len(rows)) if ids and "id" not in order else None


def _sqlite_new_ids(conn: Any, table: Table, count: int) -> list[int] | None:
    """The rowids SQLite gave the ``count`` rows one ``executemany`` just inserted into ``table``, in order.

    Each insert without an explicit key takes one more than the largest rowid in the table, and the
    transaction holds the write lock, so the rows got consecutive ids ending at ``last_insert_rowid()``.
    That is checked, not assumed: every id in the range must be there (once the largest rowid is taken,
    SQLite picks free ones at random). ``None`` when the table's key is not a single integer ``id``."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or pk[0].key != "id" or not isinstance(pk[0].type, Integer):
        return None
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar()
    if not last:
        return None
    first = last - count + 1
    quoted = conn.dialect.identifier_preparer.quote(table.name)
    present = conn.exec_driver_sql(
        f"SELECT count(*) FROM {quoted} WHERE id BETWEEN ? AND ?",  # noqa: S608 - a table name, quoted
        (first, last),
    ).scalar()
    return list(range(first, last + 1)) if present == count else None


IN_CHUNK = 500
"""Values per ``IN (...)`` list: under SQLite's default limit of bound parameters in one statement."""


def select_in(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    where: dict[str, Any],
    column: str,
    values: list[Any],
) -> Iterator[tuple[Any, ...]]:
    """``columns`` of the rows of ``table`` whose ``where`` columns equal their values and whose ``column``
    is one of ``values``, asked in ``IN`` lists of :data:`IN_CHUNK` values.

    On SQLite the statement goes straight to the driver (building and rendering an expanding ``IN`` is
    most of the cost of a lookup by key), with each result column's own processor; where a bound column
    needs a processor, or on other databases, SQLAlchemy's ``select`` is used."""
    conn = session.connection()
    dialect = conn.dialect
    cols = [table.columns[c] for c in columns]
    bound = [table.columns[c] for c in (*where, column)]
    raw = dialect.name == "sqlite" and all(
        c.type.dialect_impl(dialect).bind_processor(dialect) is None for c in bound
    )
    if not raw:
        for start in range(0, len(values), IN_CHUNK):
            stmt = select(*cols).where(
                *(table.columns[k] == v for k, v in where.items()),
                table.columns[column].in_(values[start : start + IN_CHUNK]),
            )
            yield from (tuple(r) for r in session.execute(stmt))
        return
    q = dialect.identifier_preparer.quote
    head = (
        f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table.name)} "  # noqa: S608 - quoted identifiers
        f"WHERE {''.join(f'{q(k)} = ? AND ' for k in where)}{q(column)} IN "
    )
    procs = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in cols]
    for start in range(0, len(values), IN_CHUNK):
        part = values[start : start + IN_CHUNK]
        result = conn.exec_driver_sql(f"{head}({', '.join('?' * len(part))})", (*where.values(), *part))
        if not any(procs):
            yield from result.tuples()
        else:
            for row in result:
                yield tuple(v if p is None else p(v) for v, p in zip(row, procs, strict=True))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
