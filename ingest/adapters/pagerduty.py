"""PagerDuty REST API v2 list responses: incidents, log entries and users, joined across page files.

Files are ``{"incidents": [...]}``, ``{"log_entries": [...]}`` and ``{"users": [...]}`` (each may be
one page of many).  Log entries join their incident by ``incident.id``; users give emails to the
ids seen in incidents.  ``{"oncalls": [...]}`` belongs to the oncall adapter and is not claimed.
"""

from __future__ import annotations

import pickle
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest import actions
from ingest.actions import normalise_severity
from ingest.adapters._common import (
    ITEM_ERRORS,
    excerpt,
    item_problem,
    items_or_problem,
    parse_ts,
    service_scope,
    shape_of,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import ActivityIn, ChunkIn, IncidentIn, PersonRef, Problem, Record

LIST_KEYS = ("incidents", "log_entries", "users")
"""Top-level keys of the list responses this adapter reads."""

PAGINATION_KEYS = frozenset({"limit", "offset", "more", "total"})
"""Keys PagerDuty puts beside every list response."""

INCIDENT_ITEM_KEYS = frozenset({"incident_number", "escalation_policy", "service", "urgency", "assignments"})
"""Item keys that mark a PagerDuty incident (any one suffices)."""

LOG_ITEM_KEYS = frozenset({"agent", "channel", "incident"})
"""Item keys that mark a PagerDuty log entry."""

USER_ITEM_KEYS = frozenset({"html_url", "self", "time_zone", "role", "job_title", "contact_methods"})
"""Item keys that mark a PagerDuty user (distinguishes it from other ``users`` lists)."""

USER_IDENTITY_KEYS = frozenset({"id", "email"})
"""A trimmed users export (``id, name, email``) is still PagerDuty's directory: the keys it always keeps."""

USER_NAME_KEYS = frozenset({"name", "summary"})
"""...beside one of these (PagerDuty names a user in ``name`` and ``summary``)."""

TYPE_ORDER = {
    "trigger": 0,
    "assign": 1,
    "escalate": 2,
    "delegate": 2,
    "reassign": 2,
    "notify": 3,
    "acknowledge": 4,
    "annotate": 5,
    "resolve": 9,
}
"""Order of log entries that share a timestamp: a trigger comes before its notifications."""

_LEVEL = re.compile(r"level\s*(\d+)", re.IGNORECASE)


def _entry_type(entry: dict[str, Any]) -> str:
    """``acknowledge_log_entry`` -> ``acknowledge``."""
    return str(entry.get("type") or "").removesuffix("_log_entry").removesuffix("_reference")


def _is_user(ref: Any) -> bool:
    """Whether an agent/assignee reference is a person (``user_reference``/``user``)."""
    return (
        isinstance(ref, dict)
        and str(ref.get("type") or "") in ("user_reference", "user")
        and bool(ref.get("id"))
    )


@dataclass
class _Dataset:
    """Everything read from the page files, before joining.

    Users stay in memory (a directory is small). Incidents and log entries are spilled to a temporary
    SQLite file as they stream in, so an export of any size is joined without holding it in memory.
    They are spilled pickled: the parsed values come back exactly (a float ``NaN`` or an integer beyond
    64 bits included), about three times faster than written and read back as JSON.
    """

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_paths: list[str] = field(default_factory=list)
    db: sqlite3.Connection = field(default_factory=lambda: _spill_db())

    def add_incident(self, iid: str, item: dict[str, Any], path: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO incidents VALUES (?, ?, ?)", (iid, _spilled(item), path))

    def add_log(self, iid: str, item: dict[str, Any], path: str) -> None:
        self.db.execute("INSERT INTO logs (iid, body, path) VALUES (?, ?, ?)", (iid, _spilled(item), path))

    def incidents(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(id, incident, file) in the order they were read."""
        for iid, body, path in self.db.execute("SELECT id, body, path FROM incidents ORDER BY rowid"):
            yield iid, pickle.loads(body), path

    def logs(self, iid: str) -> list[dict[str, Any]]:
        """One incident's log entries, in the order they were read."""
        rows = self.db.execute("SELECT body FROM logs WHERE iid = ? ORDER BY seq", (iid,))
        return [pickle.loads(body) for (body,) in rows]

    def orphan_logs(self) -> Iterator[tuple[str, str]]:
        """(incident id, first file) of log entries whose incident is in no incidents file."""
        yield from self.db.execute(
            "SELECT iid, MIN(path) FROM logs WHERE iid NOT IN (SELECT id FROM incidents) GROUP BY iid ORDER BY MIN(seq)"
        )

    def close(self) -> None:
        self.db.close()


def _spilled(item: dict[str, Any]) -> bytes:
    """An item as the spill file holds it (this process's own parsed values, read back only by it)."""
    return pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)


def _spill_db() -> sqlite3.Connection:
    """A private temporary on-disk SQLite database (SQLite deletes it on close) for the join."""
    db = sqlite3.connect("")
    db.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE incidents (id TEXT PRIMARY KEY, body BLOB, path TEXT);"
        "CREATE TABLE logs (seq INTEGER PRIMARY KEY, iid TEXT, body BLOB, path TEXT);"
        "CREATE INDEX logs_iid ON logs (iid);"
    )
    return db


@register
class PagerDutyAdapter(Adapter):
    """PagerDuty incidents with their log entries, and the users directory."""

    kind = "pagerduty"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """An object whose list key is incidents, log_entries or users (with PagerDuty item keys)."""
        shape = shape_of(path, shape)
        if shape is None or shape.top != "object":
            return False
        keys = set(shape.keys)
        items = set(shape.item_keys)
        if "oncalls" in keys:
            return False
        paged = bool(keys & PAGINATION_KEYS)
        if "incidents" in keys:
            return bool(items & INCIDENT_ITEM_KEYS) or (not items and paged)
        if "log_entries" in keys:
            return bool(items & LOG_ITEM_KEYS) or (not items and paged)
        if "users" in keys:
            return (
                bool(items & USER_ITEM_KEYS)
                or (paged and "summary" in items)
                or (items >= USER_IDENTITY_KEYS and bool(items & USER_NAME_KEYS))
            )
        return False

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """All incidents of all page files, each with its log entries."""
        data = _Dataset()
        for path in paths:
            shape = shape_of(path)
            if shape is None or shape.top != "object":
                yield Problem(path=str(path), reason="invalid JSON or not a PagerDuty list response")
                continue
            listed = [k for k in LIST_KEYS if k in shape.keys]
            if not listed:
                if "oncalls" not in shape.keys:
                    yield Problem(path=str(path), reason="no incidents, log_entries or users list")
                continue
            for key in listed:
                yield from self._collect(path, key, data)

        directory = self._directory(data)
        if directory:
            yield directory
        emails = {uid: str(u["email"]) for uid, u in data.users.items() if u.get("email")}
        try:
            for iid, incident, source in data.incidents():
                try:
                    yield self._incident_record(iid, incident, source, data.logs(iid), data, emails, ctx)
                except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed field
                    yield item_problem(source, f"incident {iid}", exc)
            # log entries whose incident is in no incidents file: the incident is rebuilt from them
            for iid, log_path in list(data.orphan_logs()):
                entries = data.logs(iid)
                skeleton = _skeleton(iid, entries)
                try:
                    yield self._incident_record(iid, skeleton, log_path, entries, data, emails, ctx)
                except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed field
                    yield item_problem(log_path, f"incident {iid}", exc)
        finally:
            data.close()

    # ------------------------------------------------------------------------------------------

    def _collect(self, path: Path, key: str, data: _Dataset) -> Iterator[Problem]:
        for item in items_or_problem(path, f"{key}.item"):
            if isinstance(item, Problem):
                yield item
                return
            if not isinstance(item, dict) or not item.get("id"):
                continue
            if key == "users":
                data.users[str(item["id"])] = item
                if str(path) not in data.user_paths:
                    data.user_paths.append(str(path))
            elif key == "incidents":
                data.add_incident(str(item["id"]), item, str(path))
            else:
                iid = str((item.get("incident") or {}).get("id") or "")
                if not iid:
                    yield Problem(
                        path=str(path), record=str(item["id"]), reason="log entry without incident id"
                    )
                    continue
                data.add_log(iid, item, str(path))

    def _directory(self, data: _Dataset) -> Record | None:
        if not data.users:
            return None
        people = [
            PersonRef(
                source="pagerduty",
                key=uid,
                name=u.get("name") or u.get("summary") or None,
                email=u.get("email") or None,
                timezone=u.get("time_zone") or None,
                is_bot=str(u.get("type") or "user") not in ("user", "user_reference"),
            )
            for uid, u in sorted(data.users.items())
        ]
        return Record(
            kind=self.kind,
            key="directory:users",
            path=data.user_paths[0],
            title="PagerDuty users",
            people=people,
        )

    def _ref(self, ref: dict[str, Any], data: _Dataset, emails: dict[str, str]) -> PersonRef:
        uid = str(ref.get("id"))
        user = data.users.get(uid) or {}
        return PersonRef(
            source="pagerduty",
            key=uid,
            name=user.get("name") or ref.get("summary") or ref.get("name") or None,
            email=emails.get(uid) or ref.get("email") or None,
            timezone=user.get("time_zone") or None,
        )

    def _incident_record(
        self,
        iid: str,
        inc: dict[str, Any],
        path: str,
        entries: list[dict[str, Any]],
        data: _Dataset,
        emails: dict[str, str],
        ctx: ReadContext,
    ) -> Record:
        service = (inc.get("service") or {}).get("summary") or (inc.get("service") or {}).get("name")
        if not service:
            teams = inc.get("teams") or []
            service = (teams[0] or {}).get("summary") if teams else None
        scope = service_scope(service or "unknown")
        severity = normalise_severity((inc.get("priority") or {}).get("summary")) or normalise_severity(
            inc.get("urgency")
        )
        created = parse_ts(inc.get("created_at"), ctx.org_timezone)
        key = f"pagerduty:{iid}"
        locator = f"incident:{iid}"
        number = inc.get("incident_number")
        title = str(inc.get("title") or inc.get("summary") or iid)

        ordered = sorted(
            (e for e in entries if parse_ts(e.get("created_at")) is not None),
            key=lambda e: (parse_ts(e.get("created_at")), TYPE_ORDER.get(_entry_type(e), 6)),
        )
        activities: list[ActivityIn] = []
        log_lines: list[str] = []
        resolved_at: datetime | None = None
        assignees: list[dict[str, Any]] = []
        level = 1
        acked_by: list[str] = []
        reached: list[str] = []  # people paged or acknowledging before anyone was assigned

        def add(person: PersonRef, action: str, ts: datetime, detail: dict[str, Any] | None = None) -> None:
            activities.append(
                ActivityIn(
                    person=person,
                    scope=scope,
                    action=action,
                    ts=ts,
                    incident=key,
                    chunk_locator=locator,
                    detail=detail or {},
                )
            )

        for e in ordered:
            kind = _entry_type(e)
            ts = parse_ts(e.get("created_at"), ctx.org_timezone)
            assert ts is not None  # filtered above
            agent = e.get("agent") or {}
            agent_ref = self._ref(agent, data, emails) if _is_user(agent) else None
            agent_label = (
                agent_ref.label() if agent_ref else (agent.get("summary") or agent.get("type") or "system")
            )
            people = [a for a in (e.get("assignees") or []) if _is_user(a)]
            refs = [self._ref(a, data, emails) for a in people]
            names = ", ".join(r.label() for r in refs)
            channel = e.get("channel") or {}
            when = ts.isoformat()
            if kind == "trigger":
                log_lines.append(f"{when} triggered via {channel.get('type') or agent_label}")
            elif kind == "notify":
                user = e.get("user") or {}
                targets = [user] if _is_user(user) else people
                for t in targets:
                    r = self._ref(t, data, emails)
                    add(r, actions.NOTIFIED, ts, {"channel": channel.get("type"), "escalation_level": level})
                    if r.key and r.key not in reached:
                        reached.append(r.key)
                    log_lines.append(
                        f"{when} notified {r.label()} ({(channel.get('notification') or {}).get('type') or channel.get('type') or 'notification'})"
                    )
            elif kind == "acknowledge":
                if agent_ref:
                    add(agent_ref, actions.ACKNOWLEDGED, ts, {"escalation_level": level})
                    acked_by.append(agent_ref.key or "")
                    if agent_ref.key and agent_ref.key not in reached:
                        reached.append(agent_ref.key)
                log_lines.append(f"{when} acknowledged by {agent_label}")
            elif kind in ("assign", "escalate", "delegate", "reassign"):
                m = _LEVEL.search(str(e.get("summary") or ""))
                if e.get("escalation_level"):
                    level = int(e["escalation_level"])
                elif m:
                    level = int(m.group(1))
                elif kind == "escalate":
                    level += 1
                action = {
                    "assign": actions.ASSIGNED,
                    "escalate": actions.ESCALATED,
                    "delegate": actions.REASSIGNED,
                    "reassign": actions.REASSIGNED,
                }[kind]
                holders = [str(a.get("id")) for a in assignees] or list(reached)
                for r in refs:
                    add(
                        r,
                        action,
                        ts,
                        _routing_detail(kind, agent_label, agent_ref, holders, refs, level, channel),
                    )
                if refs:
                    assignees = people
                verb = {
                    "assign": "assigned to",
                    "escalate": "escalated to",
                    "delegate": "reassigned to",
                    "reassign": "reassigned to",
                }[kind]
                log_lines.append(f"{when} {verb} {names or 'nobody'} by {agent_label} (level {level})")
            elif kind == "annotate":
                note = str(channel.get("summary") or e.get("summary") or "").strip()
                if agent_ref:
                    add(agent_ref, actions.ANNOTATED, ts, {"text": excerpt(note)})
                log_lines.append(f"{when} note by {agent_label}: {note}")
            elif kind == "resolve":
                resolved_at = ts
                if agent_ref:
                    add(
                        agent_ref,
                        actions.RESOLVED,
                        ts,
                        self._resolve_detail(assignees, data, emails, level, acked_by),
                    )
                log_lines.append(f"{when} resolved by {agent_label}")
            else:
                log_lines.append(
                    f"{when} {kind.replace('_', ' ')}: {excerpt(str(e.get('summary') or ''), 160)}"
                )

        if not ordered:
            resolved_at = self._fallback(inc, scope, key, locator, data, emails, activities, log_lines, ctx)

        status = str(inc.get("status") or ("resolved" if resolved_at else "")) or None
        if resolved_at is None:
            resolved_at = parse_ts(inc.get("resolved_at"), ctx.org_timezone)
        if resolved_at is None and status == "resolved":
            resolved_at = parse_ts(inc.get("last_status_change_at"), ctx.org_timezone)
        if created is None:
            created = parse_ts(ordered[0].get("created_at")) if ordered else resolved_at
        header = [
            f"PagerDuty incident #{number} ({iid}): {title}"
            if number
            else f"PagerDuty incident {iid}: {title}",
            f"Service: {service or 'unknown'} | Priority: {(inc.get('priority') or {}).get('summary') or '-'}"
            f" | Urgency: {inc.get('urgency') or '-'} | Status: {status or '-'}",
        ]
        if created:
            header.append(
                f"Created {created.isoformat()}"
                + (f", resolved {resolved_at.isoformat()}" if resolved_at else "")
            )
        incidents: list[IncidentIn] = []
        if created is not None:
            incidents.append(
                IncidentIn(
                    key=key,
                    scope=scope,
                    title=title,
                    severity=severity,
                    created_at=created,
                    resolved_at=resolved_at,
                    status=status,
                    chunk_locator=locator,
                )
            )
        return Record(
            kind=self.kind,
            key=f"incident:{iid}",
            path=path,
            title=title,
            occurred_at=created,
            activities=activities,
            chunks=[
                ChunkIn(
                    text="\n".join(header + log_lines),
                    kind="incident",
                    locator=locator,
                    scope=scope,
                    title=title,
                    ts=created,
                )
            ],
            incidents=incidents,
        )

    def _resolve_detail(
        self,
        assignees: list[dict[str, Any]],
        data: _Dataset,
        emails: dict[str, str],
        level: int,
        acked: list[str],
    ) -> dict[str, Any]:
        """What rescue detection needs: who was assigned when it was resolved, and how far it escalated."""
        ids = [str(a.get("id")) for a in assignees]
        return {
            "assignees": ids,
            "assignee_emails": [emails[i] for i in ids if i in emails],
            "escalation_level": level,
            "acknowledged_by": [a for a in acked if a],
        }

    def _fallback(
        self,
        inc: dict[str, Any],
        scope: str,
        key: str,
        locator: str,
        data: _Dataset,
        emails: dict[str, str],
        activities: list[ActivityIn],
        log_lines: list[str],
        ctx: ReadContext,
    ) -> datetime | None:
        """Activities from the incident's own fields when no log entries were exported."""
        created = parse_ts(inc.get("created_at"), ctx.org_timezone)
        assigned: list[dict[str, Any]] = []
        for a in inc.get("assignments") or []:
            who = (a or {}).get("assignee") or {}
            ts = parse_ts(a.get("at"), ctx.org_timezone) or created
            if _is_user(who) and ts:
                r = self._ref(who, data, emails)
                assigned.append(who)
                activities.append(
                    ActivityIn(
                        person=r,
                        scope=scope,
                        action=actions.ASSIGNED,
                        ts=ts,
                        incident=key,
                        chunk_locator=locator,
                    )
                )
                log_lines.append(f"{ts.isoformat()} assigned to {r.label()}")
        acked: list[str] = []
        for a in inc.get("acknowledgements") or []:
            who = (a or {}).get("acknowledger") or {}
            ts = parse_ts(a.get("at"), ctx.org_timezone) or created
            if _is_user(who) and ts:
                r = self._ref(who, data, emails)
                acked.append(r.key or "")
                activities.append(
                    ActivityIn(
                        person=r,
                        scope=scope,
                        action=actions.ACKNOWLEDGED,
                        ts=ts,
                        incident=key,
                        chunk_locator=locator,
                    )
                )
                log_lines.append(f"{ts.isoformat()} acknowledged by {r.label()}")
        if str(inc.get("status")) != "resolved":
            return None
        when = parse_ts(inc.get("resolved_at") or inc.get("last_status_change_at"), ctx.org_timezone)
        by = inc.get("last_status_change_by") or {}
        if when and _is_user(by):
            r = self._ref(by, data, emails)
            level = (
                inc.get("escalation_level") if isinstance(inc.get("escalation_level"), int) else None
            ) or 1
            activities.append(
                ActivityIn(
                    person=r,
                    scope=scope,
                    action=actions.RESOLVED,
                    ts=when,
                    incident=key,
                    chunk_locator=locator,
                    detail=self._resolve_detail(assigned, data, emails, level, acked),
                )
            )
            log_lines.append(f"{when.isoformat()} resolved by {r.label()}")
        return when


def _routing_detail(
    kind: str,
    agent_label: str,
    agent_ref: PersonRef | None,
    holders: list[str],
    refs: list[PersonRef],
    level: int,
    channel: dict[str, Any],
) -> dict[str, Any]:
    """What a routing log entry says: who held the incident, who it went to, at which level, how.

    ``manual`` is true when a person (the agent is a user) routed it; an escalation policy's timeout
    has the service or policy as its agent and ``via`` ``timeout``.
    """
    return {
        "entry": kind,
        "by": agent_label,
        "by_key": agent_ref.key if agent_ref else None,
        "from": holders,
        "to": [r.key for r in refs if r.key],
        "level": level,
        "escalation_level": level,
        "via": str(channel.get("type") or "") or None,
        "manual": agent_ref is not None,
    }


def _skeleton(iid: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """An incident rebuilt from its log entries when no incidents file holds it."""
    first = min(entries, key=lambda e: parse_ts(e.get("created_at")) or datetime.max.replace(tzinfo=UTC))
    ref = first.get("incident") or {}
    resolved = any(_entry_type(e) == "resolve" for e in entries)
    return {
        "id": iid,
        "title": ref.get("summary") or iid,
        "service": first.get("service") or {},
        "created_at": first.get("created_at"),
        "status": "resolved" if resolved else None,
    }
