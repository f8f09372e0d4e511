"""Jira REST search responses ``{"startAt", "total", "issues": [{"key", "fields": {...}}]}``, one file per page.

One record per issue.  Comment and description bodies may be plain strings (API v2) or Atlassian
Document Format (API v3); ADF is flattened to text.  Issues labelled incident/postmortem/outage,
or of issue type Incident, also yield an incident.  With ``expand=changelog`` the assignment and
resolution times come from the history.
"""

from __future__ import annotations

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
    parse_ts,
    service_scope,
    shape_of,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import ActivityIn, ChunkIn, IncidentIn, PersonRef, Problem, Record

INCIDENT_LABELS = frozenset(
    {"incident", "incidents", "postmortem", "post-mortem", "outage", "sev1", "sev2", "pir"}
)
"""Labels (lower-case) that make an issue an incident."""

INCIDENT_TYPES = frozenset({"incident", "post-incident review", "postmortem", "outage"})
"""Issue types (lower-case) that make an issue an incident."""

SEARCH_KEYS = frozenset({"startAt", "maxResults", "total", "expand", "isLast", "nextPageToken"})
"""Keys beside ``issues`` in a Jira search response."""

BLOCK_TYPES = frozenset(
    {
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "listItem",
        "tableRow",
        "rule",
        "panel",
        "bulletList",
        "orderedList",
        "table",
        "expand",
        "decisionItem",
        "taskItem",
    }
)
"""ADF nodes that end a line."""


def adf_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format node (or a string as is)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_text(n) for n in node)
    if not isinstance(node, dict):
        return str(node)
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        text = str(attrs.get("text") or attrs.get("id") or "")
        return text if text.startswith("@") else "@" + text
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    if kind == "status":
        return str(attrs.get("text") or "")
    inner = adf_text(node.get("content") or [])
    if kind == "codeBlock":
        return f"```\n{inner}\n```\n"
    if kind == "listItem":
        return "- " + inner.strip() + "\n"
    if kind in BLOCK_TYPES:
        return inner.rstrip("\n") + "\n"
    return inner


def adf_mentions(node: Any) -> list[tuple[str, str]]:
    """(account id, text as written) of each ADF mention node, in order."""
    out: list[tuple[str, str]] = []
    if isinstance(node, list):
        for n in node:
            out += adf_mentions(n)
    elif isinstance(node, dict):
        if node.get("type") == "mention":
            attrs = node.get("attrs") or {}
            if attrs.get("id"):
                out.append((str(attrs["id"]), adf_text(node)))
        out += adf_mentions(node.get("content") or [])
    return out


def _user(ref: Any) -> PersonRef | None:
    """A Jira user object as a PersonRef (Cloud accountId or Server name/key)."""
    if not isinstance(ref, dict):
        return None
    key = ref.get("accountId") or ref.get("name") or ref.get("key") or ref.get("emailAddress")
    if not key and not ref.get("displayName"):
        return None
    name = ref.get("displayName") or None
    is_bot = str(ref.get("accountType") or "") in ("app", "customer-bot") or bool(
        name and ("automation" in name.lower() or name.lower().endswith("[bot]"))
    )
    return PersonRef(
        source="jira",
        key=str(key) if key else None,
        name=name,
        email=ref.get("emailAddress") or None,
        handle=ref.get("name") or None,
        timezone=ref.get("timeZone") or None,
        is_bot=is_bot,
    )


@register
class JiraAdapter(Adapter):
    """Jira issues from search responses, pages joined."""

    kind = "jira"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """An object with ``issues`` whose items carry ``key`` and ``fields``, or search pagination keys."""
        shape = shape_of(path, shape)
        if shape is None or shape.top != "object" or "issues" not in shape.keys:
            return False
        items = set(shape.item_keys)
        return "fields" in items or (not items and bool(set(shape.keys) & SEARCH_KEYS))

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Every issue of every page, once."""
        seen: set[str] = set()
        for path in paths:
            shape = shape_of(path)
            if shape is None or shape.top != "object" or "issues" not in shape.keys:
                yield Problem(path=str(path), reason="invalid JSON or not a Jira search response")
                continue
            for issue in items_or_problem(path, "issues.item"):
                if isinstance(issue, Problem):
                    yield issue
                    break
                if not isinstance(issue, dict) or not issue.get("key") or issue["key"] in seen:
                    continue
                seen.add(str(issue["key"]))
                try:
                    yield self._issue(issue, path, ctx)
                except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed field
                    yield item_problem(path, str(issue["key"]), exc)

    def _issue(self, issue: dict[str, Any], path: Path, ctx: ReadContext) -> Record | Problem:
        key = str(issue["key"])
        f = issue.get("fields") or {}
        created = parse_ts(f.get("created"), ctx.org_timezone)
        if created is None:
            return Problem(path=str(path), record=key, reason="issue without a readable created date")
        components = [
            str(c["name"]) for c in f.get("components") or [] if isinstance(c, dict) and c.get("name")
        ]
        project = f.get("project") or {}
        project_key = str(project.get("key") or key.split("-")[0])
        scope = service_scope(components[0]) if components else service_scope(project_key)
        labels = [str(x).lower() for x in f.get("labels") or []]
        issuetype = str((f.get("issuetype") or {}).get("name") or "")
        is_incident = bool(set(labels) & INCIDENT_LABELS) or issuetype.lower() in INCIDENT_TYPES
        incident_key = f"jira:{key}" if is_incident else None
        locator = f"issue:{key}"
        summary = str(f.get("summary") or key)
        resolution = (
            (f.get("resolution") or {}).get("name") if isinstance(f.get("resolution"), dict) else None
        )
        resolved_at = parse_ts(f.get("resolutiondate"), ctx.org_timezone) if resolution else None

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

        reporter = _user(f.get("reporter")) or _user(f.get("creator"))
        assignee = _user(f.get("assignee"))
        add(reporter, actions.TICKET_REPORTED, created)

        history = ((issue.get("changelog") or {}).get("histories")) or []
        assigned_from_history = False
        resolver: PersonRef | None = None
        for h in sorted(history, key=lambda h: parse_ts(h.get("created")) or created):
            ts = parse_ts(h.get("created"), ctx.org_timezone)
            for item in h.get("items") or []:
                field = str(item.get("field") or "").lower()
                if field == "assignee" and (item.get("to") or item.get("toString")):
                    to = item.get("to")
                    person = (
                        assignee
                        if assignee and to and to == assignee.key
                        else PersonRef(
                            source="jira", key=str(to) if to else None, name=item.get("toString") or None
                        )
                    )
                    held = item.get("from") or item.get("fromString")
                    if held:  # a reassignment: what Jira says about from, to and who did it
                        author = _user(h.get("author"))
                        add(
                            person,
                            actions.REASSIGNED,
                            ts,
                            {
                                "from": [str(held)],
                                "to": [person.key] if person.key else [],
                                "by": author.label() if author else None,
                                "by_key": author.key if author else None,
                                "manual": author is not None and not author.is_bot,
                                "via": "jira",
                            },
                        )
                    else:
                        add(person, actions.TICKET_ASSIGNED, ts)
                    assigned_from_history = True
                elif field == "resolution" and (item.get("to") or item.get("toString")):
                    resolver = _user(h.get("author"))
        if not assigned_from_history:
            add(assignee, actions.TICKET_ASSIGNED, created)
        if resolved_at:
            add(assignee or resolver, actions.TICKET_RESOLVED, resolved_at, {"resolution": resolution})

        comments = (f.get("comment") or {}).get("comments") or []
        comment_lines: list[str] = []
        for c in comments:
            if not isinstance(c, dict):
                continue
            author = _user(c.get("author"))
            ts = parse_ts(c.get("created"), ctx.org_timezone)
            body = adf_text(c.get("body")).strip()
            # evidence for judgement (agent.analytics.judgement): the text and whom it mentions by id
            mentions = [
                [account, written]
                for account, written in adf_mentions(c.get("body"))
                if author is None or account != author.key
            ]
            add(
                author,
                actions.TICKET_COMMENT,
                ts,
                {"text": evidence_text(body)} | ({"mentions": mentions} if mentions else {}),
            )
            who = author.label() if author else "?"
            comment_lines.append(f"[{ts.isoformat() if ts else '?'}] {who}: {body}")

        status = (f.get("status") or {}).get("name") if isinstance(f.get("status"), dict) else None
        priority = (f.get("priority") or {}).get("name") if isinstance(f.get("priority"), dict) else None
        text = [
            f"{key}: {summary}",
            f"Type: {issuetype or '-'} | Status: {status or '-'} | Priority: {priority or '-'} | "
            f"Components: {', '.join(components) or '-'} | Labels: {', '.join(str(x) for x in f.get('labels') or []) or '-'}",
            f"Reported {created.isoformat()} by {reporter.label() if reporter else '?'}"
            + (f"; assigned to {assignee.label()}" if assignee else "")
            + (f"; resolved {resolved_at.isoformat()} ({resolution})" if resolved_at else ""),
        ]
        description = adf_text(f.get("description")).strip()
        if description:
            text += ["", description]
        if comment_lines:
            text += ["", "Comments:"] + comment_lines
        # evidence for linking (agent.analytics.linking): the incidents and tickets the issue names
        refs = [r for r in link_refs("\n".join(text)) if r != f"jira:{key}"]
        for a in activities if refs else []:
            a.detail["refs"] = refs
        incidents = []
        if incident_key:
            incidents.append(
                IncidentIn(
                    key=incident_key,
                    scope=scope,
                    title=summary,
                    severity=normalise_severity(priority),
                    created_at=created,
                    resolved_at=resolved_at,
                    status=status,
                    chunk_locator=locator,
                )
            )
        return Record(
            kind=self.kind,
            key=f"issue:{key}",
            path=str(path),
            title=f"{key}: {summary}",
            occurred_at=created,
            activities=activities,
            chunks=[
                ChunkIn(
                    text="\n".join(text),
                    kind="incident" if is_incident else "ticket",
                    locator=locator,
                    scope=scope,
                    title=f"{key}: {summary}",
                    ts=created,
                )
            ],
            incidents=incidents,
        )
