"""GitHub issues API JSON (issue lists, with comments embedded or in separate comment lists) and,
when ``--source github`` is forced, deployments API JSON.

Under auto-detection the ``deploys`` adapter owns deployments files, so :meth:`GitHubAdapter.sniff`
never claims them; :meth:`GitHubAdapter.read` still reads them when handed them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest import actions
from ingest.actions import normalise_severity
from ingest.adapters._common import (
    ITEM_ERRORS,
    evidence_text,
    item_problem,
    items_or_problem,
    link_refs,
    mention_tokens,
    parse_ts,
    scope_from_tags,
    shape_of,
    task_scope,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import ActivityIn, ChunkIn, IncidentIn, PersonRef, Problem, Record, slug

INCIDENT_LABELS = frozenset(
    {"incident", "outage", "postmortem", "post-mortem", "sev1", "sev2", "sev-1", "sev-2"}
)
"""Labels (lower-case) that make an issue an incident; ``incident:*``/``incident/*`` labels do too."""

NOT_RESOLVED_REASONS = frozenset({"not_planned", "duplicate"})
"""``state_reason`` values where closing an issue did not resolve anything."""

_REPO_URL = re.compile(r"/repos/([^/]+)/([^/]+)(?:/issues/(\d+))?")
_HTML_URL = re.compile(r"github\.com/([^/]+)/([^/]+)/(?:issues|pull)/(\d+)")


def _is_issue_shape(keys: set[str]) -> bool:
    return {"number", "title", "user"} <= keys and bool(keys & {"labels", "state"})


def _is_comment_shape(keys: set[str]) -> bool:
    return {"issue_url", "body", "user"} <= keys


def _is_deployment_shape(keys: set[str]) -> bool:
    return {"environment", "creator"} <= keys and bool(keys & {"sha", "ref", "task"})


PLACEHOLDER_LOGINS = frozenset({"ghost"})
"""GitHub's stand-in login for every deleted account: a placeholder shared by many people, never a person."""


def _login(user: Any) -> PersonRef | None:
    """A GitHub user object as a PersonRef (bots marked)."""
    if not isinstance(user, dict) or not user.get("login"):
        return None
    login = str(user["login"])
    return PersonRef(
        source="github",
        key=login,
        handle=login,
        name=user.get("name") or None,
        email=user.get("email") or None,
        is_bot=login.lower().endswith("[bot]")
        or str(user.get("type") or "") == "Bot"
        or login.lower() in PLACEHOLDER_LOGINS,
    )


def _repo_of(item: dict[str, Any], fallback: str) -> str:
    """``owner/name`` of an issue or comment, from its API or HTML URL."""
    for field in ("repository_url", "url", "issue_url"):
        m = _REPO_URL.search(str(item.get(field) or ""))
        if m:
            return f"{m.group(1)}/{m.group(2)}"
    m = _HTML_URL.search(str(item.get("html_url") or ""))
    return f"{m.group(1)}/{m.group(2)}" if m else fallback


@register
class GitHubAdapter(Adapter):
    """GitHub issues (and, when forced, deployments)."""

    kind = "github"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """A list of issues or issue comments (or a search result of issues); never deployments."""
        shape = shape_of(path, shape)
        if shape is None:
            return False
        keys = set(shape.item_keys)
        if _is_deployment_shape(keys):
            return False
        if shape.top == "array":
            return _is_issue_shape(keys) or _is_comment_shape(keys)
        return "items" in shape.keys and "total_count" in shape.keys and _is_issue_shape(keys)

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Comments files first (joined to their issues by ``issue_url``), then issues and deployments."""
        plans: list[tuple[Path, str, str]] = []  # (path, prefix, what)
        for path in paths:
            shape = shape_of(path)
            if shape is None:
                yield Problem(path=str(path), reason="invalid JSON")
                continue
            keys = set(shape.item_keys)
            prefix = "item" if shape.top == "array" else "items.item"
            if _is_deployment_shape(keys):
                plans.append((path, prefix, "deployments"))
            elif _is_comment_shape(keys):
                plans.append((path, prefix, "comments"))
            elif _is_issue_shape(keys) or (not keys and shape.top == "array"):
                plans.append((path, prefix, "issues"))
            else:
                yield Problem(path=str(path), reason="not a GitHub issues, comments or deployments list")

        comments: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for path, prefix, what in plans:
            if what != "comments":
                continue
            for c in items_or_problem(path, prefix):
                if isinstance(c, Problem):
                    yield c
                    break
                m = _REPO_URL.search(str((c or {}).get("issue_url") or ""))
                if m and m.group(3):
                    comments[(f"{m.group(1)}/{m.group(2)}", int(m.group(3)))].append(c)

        seen: set[str] = set()
        for path, prefix, what in plans:
            if what == "comments":
                continue
            for item in items_or_problem(path, prefix):
                if isinstance(item, Problem):
                    yield item
                    break
                if not isinstance(item, dict):
                    continue
                try:
                    if what == "deployments":
                        record: Record | Problem | None = self._deployment(item, path, ctx)
                    else:
                        record = self._issue(item, path, comments, ctx)
                except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed field
                    record = item_problem(path, str(item.get("id") or item.get("number") or ""), exc)
                if record is None:
                    continue
                if isinstance(record, Record):
                    if record.key in seen:
                        continue
                    seen.add(record.key)
                yield record

    # ------------------------------------------------------------------------------------------

    def _issue(
        self,
        issue: dict[str, Any],
        path: Path,
        comments: dict[tuple[str, int], list[dict[str, Any]]],
        ctx: ReadContext,
    ) -> Record | Problem | None:
        if issue.get("number") is None:
            return None
        repo = _repo_of(issue, path.stem)
        number = int(issue["number"])
        ref = f"{repo}#{number}"
        created = parse_ts(issue.get("created_at"), ctx.org_timezone)
        if created is None:
            return Problem(path=str(path), record=ref, reason="issue without a readable created_at")
        labels = [
            str(lb.get("name") if isinstance(lb, dict) else lb) for lb in issue.get("labels") or [] if lb
        ]
        lower = [lb.lower() for lb in labels]
        scope = scope_from_tags(labels) or f"repo:{slug(repo.split('/')[-1])}"
        is_incident = bool(set(lower) & INCIDENT_LABELS) or any(
            lb.startswith(("incident:", "incident/", "type: incident", "type/incident")) for lb in lower
        )
        incident_key = f"github:{ref}" if is_incident else None
        locator = f"issue:{ref}"
        title = str(issue.get("title") or ref)
        activities: list[ActivityIn] = []

        def add(
            person: PersonRef | None, action: str, ts: datetime | None, detail: dict[str, Any] | None = None
        ) -> None:
            if person is None or person.is_bot or ts is None:
                return
            activities.append(
                ActivityIn(
                    person=person,
                    scope=scope,
                    action=action,
                    ts=ts,
                    incident=incident_key,
                    chunk_locator=locator,
                    detail=detail or {},
                )
            )

        author = _login(issue.get("user"))
        add(author, actions.TICKET_REPORTED, created)
        assignees = [p for p in (_login(a) for a in issue.get("assignees") or []) if p]
        if not assignees and _login(issue.get("assignee")):
            assignees = [_login(issue.get("assignee"))]  # type: ignore[list-item]
        for a in assignees:
            add(a, actions.TICKET_ASSIGNED, created)
        closed_at = (
            parse_ts(issue.get("closed_at"), ctx.org_timezone) if issue.get("state") == "closed" else None
        )
        reason = issue.get("state_reason")
        closer = _login(issue.get("closed_by")) or (assignees[0] if assignees else None)
        if closed_at and reason not in NOT_RESOLVED_REASONS:
            add(closer, actions.TICKET_RESOLVED, closed_at, {"assignees": [a.key for a in assignees]})

        lines = [
            f"{ref}: {title}",
            f"State: {issue.get('state') or '-'} | Labels: {', '.join(labels) or '-'}",
            f"Opened {created.isoformat()} by {author.label() if author else '?'}"
            + (f"; assigned to {', '.join(a.label() for a in assignees)}" if assignees else "")
            + (
                f"; closed {closed_at.isoformat()} by {closer.label() if closer else '?'}"
                if closed_at
                else ""
            ),
        ]
        if issue.get("body"):
            lines += ["", str(issue["body"]).strip()]
        embedded: list[Any] = issue["comments_data"] if isinstance(issue.get("comments_data"), list) else []
        thread = sorted(
            [c for c in [*embedded, *comments.get((repo, number), [])] if isinstance(c, dict)],
            key=lambda c: parse_ts(c.get("created_at")) or created,
        )
        seen_ids: set[Any] = set()
        if thread:
            lines += ["", "Comments:"]
        for c in thread:
            if c.get("id") is not None:
                if c["id"] in seen_ids:
                    continue
                seen_ids.add(c["id"])
            who = _login(c.get("user"))
            ts = parse_ts(c.get("created_at"), ctx.org_timezone)
            body = str(c.get("body") or "")
            # evidence for judgement (agent.analytics.judgement): the text and the @logins it mentions
            mentions = [
                [token[1:], token]
                for token in mention_tokens(body)
                if who is not None
                and token[1:].lower() != (who.key or "").lower()
                and not token.lower().endswith("[bot]")
            ]
            add(
                who,
                actions.TICKET_COMMENT,
                ts,
                {"text": evidence_text(body)} | ({"mentions": mentions} if mentions else {}),
            )
            lines.append(
                f"[{ts.isoformat() if ts else '?'}] {who.label() if who else '?'}: {str(c.get('body') or '').strip()}"
            )

        # evidence for linking (agent.analytics.linking): the incidents and tickets the issue names
        refs = [r for r in link_refs("\n".join(lines)) if r != f"github:{ref}"]
        for act in activities if refs else []:
            act.detail["refs"] = refs
        incidents = []
        if incident_key:
            severity = next((s for s in (_label_severity(lb) for lb in lower) if s), None)
            incidents.append(
                IncidentIn(
                    key=incident_key,
                    scope=scope,
                    title=title,
                    severity=severity,
                    created_at=created,
                    resolved_at=closed_at,
                    status=str(issue.get("state") or "") or None,
                    chunk_locator=locator,
                )
            )
        return Record(
            kind=self.kind,
            key=f"issue:{ref}",
            path=str(path),
            title=f"{ref}: {title}",
            occurred_at=created,
            activities=activities,
            chunks=[
                ChunkIn(
                    text="\n".join(lines),
                    kind="incident" if is_incident else "ticket",
                    locator=locator,
                    scope=scope,
                    title=title,
                    ts=created,
                )
            ],
            incidents=incidents,
        )

    def _deployment(self, dep: dict[str, Any], path: Path, ctx: ReadContext) -> Record | Problem | None:
        if dep.get("id") is None:
            return None
        repo = _repo_of(dep, path.stem)
        created = parse_ts(dep.get("created_at"), ctx.org_timezone)
        if created is None:
            return Problem(
                path=str(path), record=str(dep["id"]), reason="deployment without a readable created_at"
            )
        env = str(dep.get("environment") or "unknown")
        scope = task_scope("deploy", env)
        statuses = sorted(
            [s for s in dep.get("statuses") or [] if isinstance(s, dict)],
            key=lambda s: parse_ts(s.get("created_at")) or created,
        )
        state = statuses[-1].get("state") if statuses else None
        creator = _login(dep.get("creator"))
        locator = f"deployment:{repo}:{dep['id']}"
        detail = {
            "environment": env,
            "ref": dep.get("ref"),
            "sha": dep.get("sha"),
            "state": state,
            "repo": repo,
        }
        activities = []
        if creator and not creator.is_bot:
            activities.append(
                ActivityIn(
                    person=creator,
                    scope=scope,
                    action=actions.DEPLOY,
                    ts=created,
                    detail=detail,
                    chunk_locator=locator,
                )
            )
        text = (
            f"Deployment {dep['id']} of {repo} {dep.get('ref') or dep.get('sha') or ''} to {env}"
            f" by {creator.label() if creator else '?'} at {created.isoformat()}: {state or 'no status'}"
        )
        if dep.get("description"):
            text += f"\n{dep['description']}"
        return Record(
            kind=self.kind,
            key=locator,
            path=str(path),
            title=f"deploy {repo} to {env}",
            occurred_at=created,
            activities=activities,
            chunks=[
                ChunkIn(
                    text=text,
                    kind="deploy",
                    locator=locator,
                    scope=scope,
                    title=f"deploy to {env}",
                    ts=created,
                )
            ],
        )


def _label_severity(label: str) -> str | None:
    """Severity from labels like ``sev1``, ``P2``, ``severity: high``, ``priority/critical``."""
    direct = normalise_severity(label)
    if direct:
        return direct
    for sep in (":", "/", "="):
        if sep in label:
            head, _, tail = label.partition(sep)
            if head.strip() in ("severity", "sev", "priority", "prio", "p"):
                return normalise_severity(tail.strip())
    return None
