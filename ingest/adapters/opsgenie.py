"""Opsgenie alert API JSON: a list of alerts, or ``{"data": [...]}`` list responses (pages).

Each alert is a record and an incident.  ``report.acknowledgedBy``/``closedBy`` are usernames
(emails in Opsgenie); ``System``, ``Alert API`` and integration names are not people.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingest import actions
from ingest.actions import normalise_severity
from ingest.adapters._common import (
    actor_ref,
    is_bot_name,
    items_or_problem,
    parse_ts,
    scope_from_tags,
    service_scope,
    shape_of,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import ActivityIn, ChunkIn, IncidentIn, PersonRef, Problem, Record

ALERT_ITEM_KEYS = frozenset({"tinyId"})
"""An item key only Opsgenie alerts carry."""

ALERT_HINT_KEYS = frozenset({"alias", "owner", "responders", "report", "acknowledged", "isSeen"})
"""Further Opsgenie alert keys; two of these beside ``message`` and ``createdAt`` also identify one."""


def _is_alert_shape(item_keys: set[str]) -> bool:
    return bool(item_keys & ALERT_ITEM_KEYS) or (
        {"message", "createdAt"} <= item_keys and len(item_keys & ALERT_HINT_KEYS) >= 2
    )


@register
class OpsgenieAdapter(Adapter):
    """Opsgenie alerts."""

    kind = "opsgenie"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """A list of alerts, or an object with ``data`` holding alerts."""
        shape = shape_of(path, shape)
        if shape is None:
            return False
        if shape.top == "array":
            return _is_alert_shape(set(shape.item_keys))
        return "data" in shape.keys and _is_alert_shape(set(shape.item_keys))

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Every alert of every file, once (pages may overlap)."""
        seen: set[str] = set()
        for path in paths:
            shape = shape_of(path)
            if shape is None:
                yield Problem(path=str(path), reason="invalid JSON")
                continue
            if shape.top == "array":
                prefix = "item"
            elif "data" in shape.keys:
                prefix = "data.item"
            else:
                yield Problem(path=str(path), reason="not an Opsgenie alert list (no data array)")
                continue
            for alert in items_or_problem(path, prefix):
                if isinstance(alert, Problem):
                    yield alert
                    break
                if not isinstance(alert, dict) or not alert.get("id") or str(alert["id"]) in seen:
                    continue
                seen.add(str(alert["id"]))
                yield self._alert(alert, path, ctx)

    def _alert(self, alert: dict[str, Any], path: Path, ctx: ReadContext) -> Record | Problem:
        aid = str(alert["id"])
        created = parse_ts(alert.get("createdAt"), ctx.org_timezone)
        if created is None:
            return Problem(path=str(path), record=aid, reason="alert without a readable createdAt")
        integration = str((alert.get("integration") or {}).get("name") or "")
        scope = self._scope(alert)
        key = f"opsgenie:{aid}"
        locator = f"alert:{aid}"
        report = alert.get("report") or {}
        title = str(alert.get("message") or alert.get("tinyId") or aid)

        def who(name: Any) -> PersonRef | None:
            if not name or not str(name).strip():
                return None
            ref = actor_ref("opsgenie", str(name), is_bot=is_bot_name(str(name)) or str(name) == integration)
            return None if ref.is_bot else ref

        def after(ms: Any) -> datetime | None:
            try:
                return created + timedelta(milliseconds=float(ms)) if ms is not None else None
            except (TypeError, ValueError):
                return None

        activities: list[ActivityIn] = []
        lines = [
            f"Opsgenie alert #{alert.get('tinyId') or aid}: {title}",
            f"Priority: {alert.get('priority') or '-'} | Status: {alert.get('status') or '-'} | "
            f"Tags: {', '.join(str(t) for t in alert.get('tags') or []) or '-'}",
            f"Created {created.isoformat()}" + (f" via {integration}" if integration else ""),
        ]
        if alert.get("description"):
            lines.append(str(alert["description"]).strip())
        owner = who(alert.get("owner"))
        if owner:
            activities.append(
                ActivityIn(
                    person=owner,
                    scope=scope,
                    action=actions.ASSIGNED,
                    ts=created,
                    incident=key,
                    chunk_locator=locator,
                )
            )
            lines.append(f"Owner: {owner.label()}")
        acked = who(report.get("acknowledgedBy"))
        ack_ts = after(report.get("ackTime"))
        if acked and ack_ts:
            activities.append(
                ActivityIn(
                    person=acked,
                    scope=scope,
                    action=actions.ACKNOWLEDGED,
                    ts=ack_ts,
                    incident=key,
                    chunk_locator=locator,
                )
            )
        if report.get("acknowledgedBy") and ack_ts:
            lines.append(f"{ack_ts.isoformat()} acknowledged by {report['acknowledgedBy']}")
        closer = who(report.get("closedBy"))
        closed_at = after(report.get("closeTime"))
        if closed_at is None and str(alert.get("status")) == "closed":
            closed_at = parse_ts(alert.get("updatedAt"), ctx.org_timezone)
        if closer and closed_at:
            activities.append(
                ActivityIn(
                    person=closer,
                    scope=scope,
                    action=actions.RESOLVED,
                    ts=closed_at,
                    incident=key,
                    chunk_locator=locator,
                    detail={
                        "assignees": [owner.key] if owner and owner.key else [],
                        "assignee_emails": [owner.email] if owner and owner.email else [],
                        "acknowledged_by": [acked.key] if acked and acked.key else [],
                    },
                )
            )
        if report.get("closedBy") and closed_at:
            lines.append(f"{closed_at.isoformat()} closed by {report['closedBy']}")
        status = str(alert.get("status") or "") or None
        incident = IncidentIn(
            key=key,
            scope=scope,
            title=title,
            severity=normalise_severity(alert.get("priority")),
            created_at=created,
            resolved_at=closed_at if status == "closed" or closed_at else None,
            status=status,
            chunk_locator=locator,
        )
        return Record(
            kind=self.kind,
            key=f"alert:{aid}",
            path=str(path),
            title=title,
            occurred_at=created,
            activities=activities,
            chunks=[
                ChunkIn(
                    text="\n".join(lines),
                    kind="incident",
                    locator=locator,
                    scope=scope,
                    title=title,
                    ts=created,
                )
            ],
            incidents=[incident],
        )

    @staticmethod
    def _scope(alert: dict[str, Any]) -> str:
        """Team responder by name, else a ``service:x`` tag, else a team by id, else the alert's entity."""
        responders = [r for r in alert.get("responders") or [] if isinstance(r, dict)]
        teams = [r for r in responders if r.get("type") == "team"] + [
            t for t in alert.get("teams") or [] if isinstance(t, dict)
        ]
        for team in teams:
            if team.get("name"):
                return service_scope(str(team["name"]))
        tagged = scope_from_tags(alert.get("tags"))
        if tagged:
            return tagged
        for team in teams:
            if team.get("id"):
                return service_scope(f"team-{team['id']}")
        if alert.get("entity"):
            return service_scope(str(alert["entity"]))
        return "service:unknown"
