"""Backup and restore of the ledger as JSON lines: ``understudy export`` and ``understudy import``.

One line per row, ``{"table": NAME, "row": {column: value}}``, tables in dependency order, rows by
primary key, keys sorted, datetimes as ISO-8601: exporting, importing into a fresh workspace and
exporting again gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import DateTime, insert, select

FORMAT_VERSION = 1
"""Version of the backup format, written in the header line."""


def _tables() -> list[Any]:
    """The ledger tables, parents first."""
    from agent.ledger.models import (
        AuditEntry,
        DecisionRow,
        DistinctPeople,
        Draft,
        DraftVersion,
        PracticeEntry,
        Publication,
        ReviewerAccount,
    )

    models = (
        Draft,
        DraftVersion,
        DecisionRow,
        Publication,
        PracticeEntry,
        AuditEntry,
        DistinctPeople,
        ReviewerAccount,
    )
    return [m.__table__ for m in models]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def export_ledger(ws: Any, out: IO[str]) -> dict[str, int]:
    """Write the ledger to ``out`` as JSON lines; returns rows per table."""
    counts: dict[str, int] = {}
    out.write(json.dumps({"understudy-ledger": FORMAT_VERSION}, sort_keys=True) + "\n")
    with ws.session() as s:
        for table in _tables():
            pk = list(table.primary_key.columns)
            n = 0
            for row in s.execute(select(table).order_by(*pk)).mappings():
                data = {k: _encode(v) for k, v in row.items()}
                out.write(
                    json.dumps({"table": table.name, "row": data}, sort_keys=True, ensure_ascii=False) + "\n"
                )
                n += 1
            counts[table.name] = n
    return counts


def _is_datetime(col: Any) -> bool:
    return isinstance(col.type, DateTime) or isinstance(getattr(col.type, "impl", None), DateTime)


class BackupError(ValueError):
    """A backup file that cannot be imported (with the line that failed)."""


def _decode(table: Any, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.name not in data:
            continue
        value = data[col.name]
        if isinstance(value, str) and _is_datetime(col):
            value = datetime.fromisoformat(value)
        out[col.name] = value
    return out


def import_ledger(ws: Any, path: Path) -> dict[str, int]:
    """Load a backup into the workspace's ledger in one transaction; rows already present are kept."""
    tables = {t.name: t for t in _tables()}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BackupError(f"line {n}: not JSON ({exc.msg})") from None
            if n == 1:
                if obj.get("understudy-ledger") != FORMAT_VERSION:
                    raise BackupError("line 1: not an Understudy ledger backup (missing header)")
                continue
            name = obj.get("table") if isinstance(obj, dict) else None
            if not isinstance(name, str) or name not in tables or not isinstance(obj.get("row"), dict):
                raise BackupError(f"line {n}: unknown table {name!r}")
            rows[name].append(_decode(tables[name], obj["row"]))
    added: dict[str, int] = {}
    with ws.session() as s:
        for name, table in tables.items():
            pk = [c.name for c in table.primary_key.columns]
            existing = {tuple(r) for r in s.execute(select(*table.primary_key.columns))}
            fresh = [r for r in rows[name] if tuple(r[c] for c in pk) not in existing]
            if fresh:
                s.execute(insert(table), fresh)
            added[name] = len(fresh)
    return added
