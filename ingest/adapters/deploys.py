"""The deploys adapter: a deploy log CSV or GitHub deployments API JSON.

CSV rows are ``timestamp, service, actor, action, outcome`` (any order, extra columns kept
in the detail); GitHub deployments carry ``id, sha, ref, task, environment, creator,
created_at`` and, when saved with them, ``statuses`` (or separate statuses lists joined by
``deployment_url``).  Every event is an activity ``action`` in ``task:<action>:<service>``
with the outcome in its detail.  CSV rows are grouped into one :class:`Record` per
(service, UTC day), deployments into one per deployment id, so a changed row replaces only
its own record.  Failed events and rollbacks also get a short chunk.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.adapters._common import (
    is_bot_name,
    items_or_problem,
    link_refs,
    looks_like_email,
    parse_ts,
    task_scope,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.adapters.oncall import CsvRow, read_csv, sniff_csv_header, when
from ingest.records import ActivityIn, ChunkIn, PersonRef, Problem, Record, slug

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "timestamp",
        "time",
        "ts",
        "date",
        "datetime",
        "created_at",
        "when",
        "started_at",
        "deployed_at",
    ),
    "service": ("service", "app", "application", "component", "system", "repo", "repository"),
    "actor": ("actor", "user", "who", "author", "deployer", "engineer", "triggered_by", "by", "person"),
    "action": ("action", "event", "type", "kind", "operation", "task"),
    "outcome": ("outcome", "result", "status", "state"),
}
"""Canonical deploy-log CSV columns and the header spellings accepted for each."""

ACTION_SYNONYMS: dict[str, str] = {
    "deploy": "deploy",
    "deployment": "deploy",
    "release": "deploy",
    "rollout": "deploy",
    "roll-out": "deploy",
    "rollback": "rollback",
    "roll-back": "rollback",
    "rolled-back": "rollback",
    "revert": "rollback",
    "hotfix": "hotfix",
    "hot-fix": "hotfix",
    "patch": "hotfix",
    "failover": "failover",
    "fail-over": "failover",
    "switchover": "failover",
    "migration": "migration",
    "migrate": "migration",
    "db-migration": "migration",
    "schema-migration": "migration",
    "restart": "restart",
    "reboot": "restart",
    "bounce": "restart",
    "scale": "scale",
    "scale-up": "scale",
    "scale-out": "scale",
    "scale-down": "scale",
    "config": "config",
    "config-change": "config",
}
"""Spellings of the task actions onto the vocabulary of ``ingest.actions``; others are kept slugged."""

OUTCOME_SYNONYMS: dict[str, str] = {
    "success": "success",
    "succeeded": "success",
    "successful": "success",
    "ok": "success",
    "done": "success",
    "completed": "success",
    "complete": "success",
    "passed": "success",
    "failure": "failure",
    "failed": "failure",
    "fail": "failure",
    "error": "failure",
    "errored": "failure",
    "aborted": "failure",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "in-progress": "in_progress",
    "in_progress": "in_progress",
    "pending": "pending",
    "queued": "pending",
    "partial": "partial",
}
"""Outcome spellings (deploy tools and GitHub status states) onto a few values; others kept slugged."""

FAILED_OUTCOMES = frozenset({"failure", "partial"})
"""Outcomes whose event also gets a chunk: fragile releases feed the anti-heroics plan."""

EVIDENCE_ACTIONS = frozenset({"rollback", "hotfix", "failover"})
"""Actions whose event always gets a chunk: they are rescues of a release."""

DEPLOY_BOT = re.compile(
    r"(?:^|[-_. ])(?:bot|ci|cd|pipeline|automation|deployer|argo|argocd|spinnaker|flux|jenkins)(?:$|[-_. ])",
    re.I,
)
"""Actor names that are deploy automation: deploy-bot, ci, argocd, spinnaker-pipeline ..."""

_GITHUB_REPO = re.compile(r"/repos/([^/]+)/([^/]+)/")
_DEPLOYMENT_ID = re.compile(r"/deployments/(\d+)")


def normalise_action(value: str) -> str:
    """'Roll back' -> 'rollback'; unknown actions are kept as their slug."""
    key = slug(value)
    return ACTION_SYNONYMS.get(key, ACTION_SYNONYMS.get(key.replace("-", ""), key))


def normalise_outcome(value: str | None) -> str | None:
    """'Succeeded' -> 'success', 'error' -> 'failure'; empty -> None."""
    if not value or not str(value).strip():
        return None
    key = slug(str(value))
    return OUTCOME_SYNONYMS.get(key, OUTCOME_SYNONYMS.get(key.replace("-", "_"), key))


def is_deploy_bot(name: str | None) -> bool:
    """Whether a deploy actor is automation rather than a person."""
    if not name:
        return False
    return is_bot_name(name) or bool(DEPLOY_BOT.search(name.strip())) or name.strip().lower() in ("ci", "cd")


def _actor(source: str, value: str) -> PersonRef:
    value = value.strip()
    bot = is_deploy_bot(value.split("@", 1)[0] if looks_like_email(value) else value)
    if looks_like_email(value):
        return PersonRef(source=source, email=value.lower(), is_bot=bot)
    if value.startswith("@") or (" " not in value and value == value.lower()):
        return PersonRef(source=source, handle=value.lstrip("@"), is_bot=bot)
    return PersonRef(source=source, name=value, is_bot=bot)


@dataclass
class _Event:
    """One deploy-log event on its way into a record."""

    ts: datetime
    service: str
    action: str
    outcome: str | None
    actor: PersonRef | None
    detail: dict[str, Any] = field(default_factory=dict)


def _event_parts(ev: _Event, locator: str) -> tuple[list[ActivityIn], list[ChunkIn]]:
    """The activity (people only) and, for failures and rescues, the chunk of one event."""
    scope = task_scope(ev.action, ev.service)
    chunks: list[ChunkIn] = []
    if ev.outcome in FAILED_OUTCOMES or ev.action in EVIDENCE_ACTIONS:
        who = ev.actor.label() if ev.actor else "unknown"
        text = f"{ev.action} of {ev.service} by {who} at {ev.ts.isoformat()}: {ev.outcome or 'outcome not recorded'}"
        extras = ", ".join(f"{k}={v}" for k, v in ev.detail.items() if v not in (None, "") and k != "outcome")
        chunks.append(
            ChunkIn(
                text=text + (f" ({extras})" if extras else ""),
                kind="deploy",
                locator=locator,
                scope=scope,
                title=f"{ev.action} {ev.service}",
                ts=ev.ts,
            )
        )
    activities = []
    # evidence for linking (agent.analytics.linking): incidents and tickets a row's notes or links name
    refs = link_refs(" ".join(str(v) for k, v in ev.detail.items() if k not in ("sha", "ref") and v))
    if ev.actor is not None and not ev.actor.is_bot:
        activities.append(
            ActivityIn(
                person=ev.actor,
                scope=scope,
                action=ev.action,
                ts=ev.ts,
                detail={"outcome": ev.outcome, **ev.detail} | ({"refs": refs} if refs else {}),
                chunk_locator=chunks[0].locator if chunks else None,
            )
        )
    return activities, chunks


@register
class DeploysAdapter(Adapter):
    """Reads deploy logs (CSV) and GitHub deployments (JSON)."""

    kind = "deploys"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """A GitHub deployments (or deployment statuses) list, or a CSV with timestamp, service, action, actor."""
        if shape is not None:
            keys = set(shape.item_keys)
            if shape.top == "object" and "deployments" in shape.keys:
                return True
            deployment = {"environment", "creator"} <= keys and bool(
                keys & {"sha", "ref", "task", "statuses_url"}
            )
            statuses = {"state", "deployment_url"} <= keys
            return shape.top == "array" and (deployment or statuses)
        cols = sniff_csv_header(path, CSV_COLUMNS)
        return {"timestamp", "service", "action", "actor"} <= cols

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """CSV rows grouped by (service, UTC day) across files; deployments one record each."""
        groups: dict[tuple[str, str], list[tuple[_Event, str]]] = defaultdict(list)
        deployments: dict[str, tuple[dict[str, Any], Path]] = {}
        statuses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for path in paths:
            if path.suffix.lower() == ".json":
                yield from self._read_json(path, deployments, statuses)
            else:
                yield from self._read_csv(path, ctx, groups)
        for (service, day), events in sorted(groups.items()):
            yield self._csv_record(service, day, events)
        for dep_id, (dep, path) in deployments.items():
            yield self._deployment_record(dep_id, dep, path, statuses.get(dep_id, []), ctx)

    # ------------------------------------------------------------------ CSV

    def _read_csv(
        self, path: Path, ctx: ReadContext, groups: dict[tuple[str, str], list[tuple[_Event, str]]]
    ) -> Iterator[Problem]:
        for row in read_csv(path, CSV_COLUMNS, ("timestamp", "service", "action")):
            if isinstance(row, Problem):
                yield row
                continue
            event = self._csv_event(path, row, ctx)
            if isinstance(event, Problem):
                yield event
                continue
            day = event.ts.astimezone(UTC).date().isoformat()
            groups[(event.service, day)].append((event, str(path)))

    @staticmethod
    def _csv_event(path: Path, row: CsvRow, ctx: ReadContext) -> _Event | Problem:
        v = row.values
        where = f"line {row.line}"
        ts = when(v["timestamp"], ctx.org_timezone)
        if ts is None:
            return Problem(path=str(path), record=where, reason=f"unreadable timestamp {v['timestamp']!r}")
        if not v["service"] or not v["action"]:
            return Problem(path=str(path), record=where, reason="service and action are required")
        actor = _actor("deploys", v["actor"]) if v.get("actor") else None
        detail = {k: val for k, val in row.extra.items() if val}
        return _Event(
            ts=ts,
            service=slug(v["service"]),
            action=normalise_action(v["action"]),
            outcome=normalise_outcome(v.get("outcome")),
            actor=actor,
            detail=detail,
        )

    @staticmethod
    def _csv_record(service: str, day: str, events: list[tuple[_Event, str]]) -> Record:
        """One record of a service's events on one UTC day; identical rows seen twice count once."""
        unique: dict[tuple[str, str, str, str], tuple[_Event, str]] = {}
        for ev, path in events:
            who = ev.actor.label() if ev.actor else ""
            unique.setdefault((ev.ts.isoformat(), ev.action, who, ev.outcome or ""), (ev, path))
        ordered = sorted(unique.values(), key=lambda x: (x[0].ts, x[0].action))
        key = f"deploy:{service}:{day}"
        activities: list[ActivityIn] = []
        chunks: list[ChunkIn] = []
        for n, (ev, _) in enumerate(ordered):
            acts, chs = _event_parts(ev, f"{key}#{n}")
            activities.extend(acts)
            chunks.extend(chs)
        return Record(
            kind="deploys",
            key=key,
            path=ordered[0][1],
            title=f"{service} operations on {day}",
            occurred_at=ordered[0][0].ts,
            activities=activities,
            chunks=chunks,
        )

    # ------------------------------------------------------------------ GitHub deployments

    @staticmethod
    def _read_json(
        path: Path,
        deployments: dict[str, tuple[dict[str, Any], Path]],
        statuses: dict[str, list[dict[str, Any]]],
    ) -> Iterator[Problem]:
        prefix = "item"
        try:
            with path.open("rb") as fh:
                head = fh.read(4096).lstrip()
        except OSError as exc:
            yield Problem(path=str(path), reason=f"unreadable: {exc.strerror or exc}")
            return
        if head.startswith(b"{"):
            prefix = "deployments.item"
        for n, item in enumerate(items_or_problem(path, prefix)):
            if isinstance(item, Problem):
                yield item
                continue
            if not isinstance(item, dict):
                yield Problem(path=str(path), record=f"item {n}", reason="not an object")
                continue
            if "deployment_url" in item and "state" in item:  # a deployment status saved on its own
                m = _DEPLOYMENT_ID.search(str(item.get("deployment_url") or ""))
                if m:
                    statuses[m.group(1)].append(item)
                    continue
            if item.get("id") is None:
                yield Problem(path=str(path), record=f"item {n}", reason="deployment without an id")
                continue
            deployments[str(item["id"])] = (item, path)

    @staticmethod
    def _deployment_record(
        dep_id: str, dep: dict[str, Any], path: Path, extra_statuses: list[dict[str, Any]], ctx: ReadContext
    ) -> Record | Problem:
        created = when(dep.get("created_at"), ctx.org_timezone)
        if created is None:
            return Problem(
                path=str(path),
                record=f"deployment {dep_id}",
                reason="deployment without a readable created_at",
            )
        repo_match = next(
            (
                m
                for f in ("repository_url", "url", "statuses_url")
                if (m := _GITHUB_REPO.search(str(dep.get(f) or "")))
            ),
            None,
        )
        payload: dict[str, Any] = dep["payload"] if isinstance(dep.get("payload"), dict) else {}
        service = slug(
            str(payload.get("service") or (repo_match.group(2) if repo_match else ctx.name or path.stem))
        )
        task = str(dep.get("task") or "deploy")
        action = "migration" if "migrat" in task.lower() else normalise_action(task.split(":", 1)[0])
        if payload.get("rollback") or re.search(
            r"\broll(?:ed)?[ -]?back\b", str(dep.get("description") or ""), re.I
        ):
            action = "rollback"
        embedded = [s for s in (dep.get("statuses") or []) if isinstance(s, dict)]
        states = sorted(
            [*embedded, *extra_statuses],
            key=lambda s: parse_ts(s.get("created_at"), ctx.org_timezone) or created,
        )
        real = [s for s in states if s.get("state") != "inactive"] or states
        outcome = normalise_outcome(real[-1].get("state")) if real else None
        creator: dict[str, Any] = dep["creator"] if isinstance(dep.get("creator"), dict) else {}
        actor = None
        if creator.get("login"):
            login = str(creator["login"])
            actor = PersonRef(
                source="github",
                key=login,
                handle=login,
                is_bot=str(creator.get("type") or "") == "Bot" or is_deploy_bot(login),
            )
        ev = _Event(
            ts=created,
            service=service,
            action=action,
            outcome=outcome,
            actor=actor,
            detail={
                "environment": dep.get("environment"),
                "ref": dep.get("ref"),
                "sha": dep.get("sha"),
                "deployment": dep_id,
                "description": dep.get("description"),
            },
        )
        key = f"deployment:{dep_id}"
        activities, chunks = _event_parts(ev, key)
        return Record(
            kind="deploys",
            key=key,
            path=str(path),
            title=f"{action} {service} to {dep.get('environment') or 'unknown'}",
            occurred_at=created,
            activities=activities,
            chunks=chunks,
        )
