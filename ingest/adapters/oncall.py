"""The on-call adapter: PagerDuty on-calls JSON (paginated files) or a CSV of shifts.

JSON is the REST v2 ``GET /oncalls`` response, ``{"oncalls": [{"user", "schedule",
"escalation_policy", "escalation_level", "start", "end"}], "limit", "offset", "more"}``;
CSV has a header ``user, email, schedule, escalation_level, start, end`` (any order, extra
columns, a byte-order mark and header spelling variants are tolerated).  Each schedule
within a file is one :class:`Record` of :class:`ShiftIn` rows, so a changed page replaces
only its own shifts.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ingest.adapters._common import (
    ITEM_ERRORS,
    item_problem,
    items_or_problem,
    looks_like_email,
    parse_ts,
    service_scope,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import PersonRef, Problem, Record, ShiftIn, slug

log = logging.getLogger(__name__)

HEADER_BYTES = 8192
"""Bytes read to sniff a CSV header line."""

SCHEDULE_NOISE = frozenset(
    [
        "primary",
        "secondary",
        "tertiary",
        "backup",
        "shadow",
        "on",
        "call",
        "oncall",
        "on-call",
        "rotation",
        "rota",
        "schedule",
        "schedules",
        "escalation",
        "policy",
        "weekly",
        "daily",
        "weekday",
        "weekend",
        "business",
        "hours",
        "after-hours",
        "follow",
        "the",
        "sun",
        "layer",
        "l1",
        "l2",
        "l3",
        "tier",
        "team",
    ]
)
"""Words of a schedule name that describe the rotation, not the service ('Payments API - Primary')."""

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "user": ("user", "name", "user_name", "username", "person", "engineer", "on_call_user", "user_summary"),
    "email": ("email", "user_email", "email_address", "mail"),
    "schedule": ("schedule", "schedule_name", "rotation", "schedule_summary"),
    "escalation_level": ("escalation_level", "level", "escalation", "tier"),
    "start": ("start", "starts_at", "start_time", "from", "shift_start", "start_at"),
    "end": ("end", "ends_at", "end_time", "to", "until", "shift_end", "end_at"),
}
"""Canonical on-call CSV columns and the header spellings accepted for each."""


def norm_header(name: str) -> str:
    """'Escalation Level ' -> 'escalation_level' (BOM and quotes removed)."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().strip('"').lower())


def header_map(header: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Canonical column -> index in ``header`` for the columns present."""
    normed = [norm_header(h) for h in header]
    found: dict[str, int] = {}
    for canonical, spellings in columns.items():
        for spelling in spellings:
            if spelling in normed:
                found[canonical] = normed.index(spelling)
                break
    return found


def sniff_csv_header(path: Path, columns: dict[str, tuple[str, ...]]) -> set[str]:
    """The canonical columns a CSV file's header carries (empty when it is no CSV)."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return set()
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_BYTES).decode("utf-8-sig", "replace")
    except OSError:
        return set()
    first = head.splitlines()[0] if head.strip() else ""
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return set()
    return set(header_map(header, columns))


@dataclass
class CsvRow:
    """One data row of a CSV file, by canonical column, with its line number."""

    line: int
    values: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


def read_csv(
    path: Path, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> Iterator[CsvRow | Problem]:
    """Rows of a CSV file; a bad row becomes a Problem naming its line and the other rows go on."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Problem(path=str(path), reason=f"unreadable: {exc.strerror or exc}")
        return
    text = raw.decode("utf-8-sig", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(path=str(path), reason="empty CSV file")
        return
    except csv.Error as exc:
        yield Problem(path=str(path), reason=f"unreadable CSV header: {exc}")
        return
    index = header_map(header, columns)
    missing = [c for c in required if c not in index]
    if missing:
        yield Problem(path=str(path), reason=f"CSV header lacks column(s): {', '.join(missing)}")
        return
    known = set(index.values())
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Problem(path=str(path), record=f"line {start}", reason=f"malformed CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Problem(
                path=str(path),
                record=f"line {start}",
                reason=f"{len(row)} fields where the header has {len(header)}",
            )
            continue
        if any(_has_bad_bytes(cell) for cell in row):
            yield Problem(path=str(path), record=f"line {start}", reason="not valid UTF-8")
            continue
        values = {c: row[i].strip() for c, i in index.items()}
        extra = {norm_header(header[i]): row[i].strip() for i in range(len(row)) if i not in known}
        yield CsvRow(line=start, values=values, extra=extra)


def when(value: Any, default_tz: str) -> datetime | None:
    """``parse_ts`` with a fixed-offset result: the source's offset is kept and DST arithmetic is exact."""
    ts = parse_ts(value, default_tz)
    offset = ts.utcoffset() if ts else None
    return ts.replace(tzinfo=timezone(offset)) if ts is not None and offset is not None else ts


def _has_bad_bytes(text: str) -> bool:
    """Whether text decoded with ``surrogateescape`` held bytes that are not UTF-8."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def schedule_scope(name: str) -> str | None:
    """'Payments API - Primary' -> 'service:payments-api'; None when only rotation words remain."""
    words = re.split(r"[\s\-_/|:()\[\],.]+", name.lower())
    kept = [w for w in words if w and w not in SCHEDULE_NOISE]
    return service_scope(" ".join(kept)) if kept else None


def _level(value: Any) -> int | None:
    if value in (None, ""):
        return 1
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


@dataclass
class _Schedule:
    """Shifts of one schedule within one file."""

    path: Path
    ident: str
    name: str
    shifts: list[ShiftIn] = field(default_factory=list)
    open_ended: list[tuple[PersonRef, int, datetime | None, datetime | None]] = field(default_factory=list)


@register
class OncallAdapter(Adapter):
    """Reads on-call shifts from PagerDuty on-calls JSON or a CSV export."""

    kind = "oncall"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """JSON whose top key is ``oncalls``, or a CSV with user/email, schedule, start and end columns."""
        if shape is not None:
            return shape.top == "object" and "oncalls" in shape.keys
        cols = sniff_csv_header(path, CSV_COLUMNS)
        return bool(cols & {"user", "email"}) and {"schedule", "start", "end"} <= cols

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """One record per schedule per file; rows that cannot be read become Problems."""
        for path in paths:
            schedules: dict[str, _Schedule] = {}
            try:
                if path.suffix.lower() == ".json":
                    yield from self._read_json(path, ctx, schedules)
                else:
                    yield from self._read_csv(path, ctx, schedules)
                yield from self._records(path, schedules)
            except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed field ends this file only
                yield item_problem(path, None, exc)

    # ------------------------------------------------------------------ JSON

    def _read_json(self, path: Path, ctx: ReadContext, schedules: dict[str, _Schedule]) -> Iterator[Problem]:
        for n, item in enumerate(items_or_problem(path, "oncalls.item")):
            if isinstance(item, Problem):
                yield item
                continue
            if not isinstance(item, dict):
                yield Problem(path=str(path), record=f"oncalls[{n}]", reason="not an object")
                continue
            user = item.get("user") or {}
            if not isinstance(user, dict) or not (user.get("id") or user.get("summary") or user.get("email")):
                continue  # an escalation rule without a user target: nobody is on call here
            schedule = item.get("schedule") or {}
            policy = item.get("escalation_policy") or {}
            if schedule:
                ident, name = (
                    str(schedule.get("id") or schedule.get("summary")),
                    str(schedule.get("summary") or ""),
                )
            else:
                ident = f"policy:{policy.get('id') or policy.get('summary') or 'unknown'}"
                name = str(policy.get("summary") or "")
            level = _level(item.get("escalation_level"))
            person = PersonRef(
                source="pagerduty",
                key=str(user["id"]) if user.get("id") else None,
                name=user.get("summary") or user.get("name") or None,
                email=user.get("email") or None,
                timezone=user.get("time_zone") or None,
            )
            start = when(item.get("start"), ctx.org_timezone)
            end = when(item.get("end"), ctx.org_timezone)
            sched = schedules.setdefault(ident, _Schedule(path=path, ident=ident, name=name or ident))
            problem = self._add(sched, person, level, start, end, f"oncalls[{n}]", item)
            if problem:
                yield problem

    # ------------------------------------------------------------------ CSV

    def _read_csv(self, path: Path, ctx: ReadContext, schedules: dict[str, _Schedule]) -> Iterator[Problem]:
        for row in read_csv(path, CSV_COLUMNS, ("schedule", "start", "end")):
            if isinstance(row, Problem):
                yield row
                continue
            v = row.values
            user, email = v.get("user", ""), v.get("email", "")
            if not email and looks_like_email(user):
                user, email = "", user
            if not (user or email):
                yield Problem(path=str(path), record=f"line {row.line}", reason="no user or email")
                continue
            level = _level(v.get("escalation_level"))
            start, end = when(v["start"], ctx.org_timezone), when(v["end"], ctx.org_timezone)
            if (v["start"] and start is None) or (v["end"] and end is None):
                yield Problem(
                    path=str(path),
                    record=f"line {row.line}",
                    reason="unreadable start or end time",
                )
                continue
            name = v["schedule"] or "unnamed schedule"
            person = PersonRef(source="oncall", name=user or None, email=email.lower() or None)
            sched = schedules.setdefault(name.lower(), _Schedule(path=path, ident=name.lower(), name=name))
            problem = self._add(sched, person, level, start, end, f"line {row.line}", v)
            if problem:
                yield problem

    # ------------------------------------------------------------------ shared

    @staticmethod
    def _add(
        sched: _Schedule,
        person: PersonRef,
        level: int | None,
        start: datetime | None,
        end: datetime | None,
        where: str,
        raw: Any,
    ) -> Problem | None:
        """Add a shift (open-ended ones are clipped later); a shift that cannot be one is a Problem."""
        if level is None:
            return Problem(path=str(sched.path), record=where, reason="escalation level is not a number")
        if start is None or end is None:
            sched.open_ended.append((person, level, start, end))
            return None
        if end <= start:
            return Problem(path=str(sched.path), record=where, reason="shift ends before it starts")
        sched.shifts.append(
            ShiftIn(
                person=person,
                schedule=sched.name,
                scope=schedule_scope(sched.name),
                level=level,
                start=start,
                end=end,
            )
        )
        return None

    @staticmethod
    def _records(path: Path, schedules: dict[str, _Schedule]) -> Iterator[Record]:
        """One record per schedule; open-ended shifts are clipped to the file's window or skipped."""
        dated = [s for sched in schedules.values() for s in sched.shifts]
        window = (min(s.start for s in dated), max(s.end for s in dated)) if dated else None
        for sched in schedules.values():
            for person, level, start, end in sched.open_ended:
                if window is None:
                    log.info(
                        "%s: skipped an always-on-call entry of %s (no window to clip to)", path, sched.name
                    )
                    continue
                lo, hi = start or window[0], end or window[1]
                if hi <= lo:
                    continue
                sched.shifts.append(
                    ShiftIn(
                        person=person,
                        schedule=sched.name,
                        scope=schedule_scope(sched.name),
                        level=level,
                        start=lo,
                        end=hi,
                    )
                )
            unique = {s.model_dump_json(): s for s in sched.shifts}
            shifts = sorted(unique.values(), key=lambda s: (s.start, s.level, s.person.label()))
            if not shifts:
                continue
            yield Record(
                kind="oncall",
                key=f"oncall:{path.as_posix()}#{slug(sched.ident)}",
                path=str(path),
                title=f"On-call: {sched.name}",
                occurred_at=shifts[0].start,
                shifts=shifts,
            )
