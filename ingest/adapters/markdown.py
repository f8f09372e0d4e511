"""The markdown adapter: postmortems and runbooks, with or without YAML front matter.

One file is one :class:`Record` (key ``doc:<path>``) carrying a :class:`DocumentIn`, one
chunk per section (``##`` heading), and activities: for postmortems the incident commander,
responders and attendees, and the timeline's actions ("14:02 @alice acknowledged",
"- 02:10 Bob Smith restarted the primary"); for every document its authors and last editor.
Postmortems also yield an :class:`IncidentIn`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ingest.actions import (
    ACKNOWLEDGED,
    ATTENDEE,
    AUTHORED_DOC,
    COMMANDER,
    EDITED_DOC,
    ESCALATED,
    NOTIFIED,
    RESOLVED,
    RESPONDER,
    normalise_severity,
)
from ingest.adapters._common import (
    excerpt,
    incident_refs,
    is_bot_name,
    link_refs,
    parse_ts,
    service_scope,
)
from ingest.adapters.accounts import is_service_account
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import (
    TIME_UNKNOWN,
    ActivityIn,
    ChunkIn,
    DocumentIn,
    IncidentIn,
    PersonRef,
    Problem,
    Record,
    slug,
)

SUFFIXES = (".md", ".markdown")
"""File suffixes this adapter reads."""

SNIFF_BYTES = 64 * 1024
"""How much of a file sniffing reads: front matter and the first headings sit well inside it."""

POSTMORTEM = "postmortem"
RUNBOOK = "runbook"
NOTE = "note"

POSTMORTEM_WORDS = (
    "postmortem",
    "post-mortem",
    "post_mortem",
    "incident",
    "retro",
    "retrospective",
    "rca",
    "pir",
)
"""Words in a front-matter type, file name or folder that mark a postmortem."""

RUNBOOK_WORDS = ("runbook", "run-book", "playbook", "play-book", "sop")
"""Words in a front-matter type, file name or folder that mark a runbook."""

POSTMORTEM_HEADINGS = (
    "timeline",
    "root cause",
    "impact",
    "contributing factor",
    "lessons learned",
    "what went wrong",
)
"""Headings typical of postmortem templates (Google SRE, PagerDuty, Atlassian)."""

RUNBOOK_HEADINGS = (
    "steps",
    "procedure",
    "prerequisite",
    "diagnos",
    "verification",
    "escalation",
    "symptom",
    "when to use",
)
"""Headings typical of runbooks."""

MIN_TYPICAL_HEADINGS = 2
"""Headings of one template needed to call a document a postmortem or runbook without other signs."""

TIMELINE_HEADINGS = ("timeline", "chronology", "sequence of events", "events")
"""Section headings whose lines are read as a timeline."""

META_SECTIONS = frozenset(
    {
        "metadata",
        "details",
        "incident details",
        "summary",
        "overview",
        "people",
        "roles",
        "participants",
        "team",
    }
)
"""Sections whose "Key: value" lines are document metadata (besides the text before the first section);
elsewhere such lines are content ("- Owner: @bob" under action items does not make bob an author)."""

_ROLE_KEYS: dict[str, str] = {
    "incident commander": COMMANDER,
    "incident_commander": COMMANDER,
    "incident lead": COMMANDER,
    "commander": COMMANDER,
    "ic": COMMANDER,
    "responders": RESPONDER,
    "responder": RESPONDER,
    "responder(s)": RESPONDER,
    "on-call": RESPONDER,
    "on call": RESPONDER,
    "oncall": RESPONDER,
    "engineers involved": RESPONDER,
    "people involved": RESPONDER,
    "attendees": ATTENDEE,
    "attendee(s)": ATTENDEE,
    "attendee": ATTENDEE,
    "participants": ATTENDEE,
    "present": ATTENDEE,
}
"""Front-matter keys, metadata-line keys and section headings naming people in a role."""

_AUTHOR_KEYS = (
    "authors",
    "author",
    "author(s)",
    "written by",
    "owner",
    "owners",
    "owner(s)",
    "maintainer",
    "maintainers",
)
_EDITOR_KEYS = (
    "last_updated_by",
    "updated_by",
    "last_editor",
    "last_edited_by",
    "last_modified_by",
    "last updated by",
    "updated by",
    "last edited by",
)
_UPDATED_KEYS = (
    "last_updated",
    "updated",
    "updated_at",
    "last_modified",
    "last updated",
    "last reviewed",
    "last_reviewed",
)
_DATE_KEYS = (
    "date",
    "incident_date",
    "incident date",
    "created",
    "created_at",
    "occurred",
    "started",
    "started_at",
)
_SERVICE_KEYS = (
    "services",
    "service",
    "service(s)",
    "affected services",
    "affected service",
    "component",
    "components",
    "system",
)
_SEVERITY_KEYS = ("severity", "sev", "priority")
_TZ_KEYS = ("timezone", "time zone", "tz")
_INCIDENT_KEYS = ("incident", "incident_id", "incident id", "id", "pagerduty", "opsgenie")

NAME_STOPWORDS = frozenset(
    [
        "the",
        "we",
        "our",
        "team",
        "alert",
        "alerts",
        "pagerduty",
        "opsgenie",
        "datadog",
        "grafana",
        "monitoring",
        "customer",
        "customers",
        "support",
        "status",
        "incident",
        "on-call",
        "oncall",
        "engineer",
        "engineering",
        "sre",
        "ops",
        "it",
        "this",
        "that",
        "someone",
        "everyone",
        "traffic",
        "service",
        "deploy",
        "primary",
        "replica",
        "database",
        "db",
        "api",
        "system",
        "automation",
        "jenkins",
        "ci",
        "none",
        "n/a",
        "tbd",
        "tba",
        "unknown",
        "all",
        "after",
        "before",
        "then",
        "once",
        "when",
        "while",
        "root",
        "cause",
        "impact",
        "summary",
        "note",
        "notes",
    ]
)
"""Capitalised words that start timeline lines but are not people."""

ZONE_ABBREVIATIONS: dict[str, str] = {
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "MT": "America/Denver",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CT": "America/Chicago",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "ET": "America/New_York",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
}
"""Zone abbreviations write-ups use, as the IANA zone people mean: "All times in PST" written in July
means Pacific local time (PDT), so each maps to the region's zone, not to a fixed offset."""

_ZONE_WORD = "|".join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True))


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
)
_HANDLE = re.compile(r"(?<![\w.@/])@([A-Za-z0-9][\w.\-]*[A-Za-z0-9_]|[A-Za-z0-9])")
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
"""An e-mail address; the look-behind starts a match only where a local part starts (linear, not quadratic, on long lines)."""
_NAME_WORD = r"[A-Z][a-zA-Z'’\-]+"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:[A-Z]\.\s+)?{_NAME_WORD}){{0,2}}")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_META = re.compile(r"^\s*(?:[-*+]\s+)?(?P<key>[A-Za-z][\w ()/'-]{0,40}?)\s*:\s*(?P<value>\S.*)$")
_DATE_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_NAME_ID = re.compile(r"^(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,20}$", re.I)
"""A file-name token that may be an incident id ('pm-q1abc2d.md'): letters and digits mixed, 5-20 long;
linking keeps only the tokens that name a stored incident."""
_TIME_LINE = re.compile(
    r"""^\s*(?:[-*+]|\d+\.)?\s*\|?\s*[\[(]?\s*
    (?:(?:(?P<date>\d{4}-\d{2}-\d{2})|(?P<md>\d{1,2}[-/]\d{1,2}(?=[\sT,]))|(?P<mon>(?:MONTHS)\.?\s+\d{1,2}(?:st|nd|rd|th)?),?)[\sT,]*)?
    (?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?
    \s*(?P<tz>Z\b|UTC\b|GMT\b|[+-]\d{2}:?\d{2}\b|(?:ZONES)\b)?
    \s*[+~]?\s*[\])]?
    \s*(?:[-–—:|]\s*)?(?P<rest>.*)$""".replace("ZONES", _ZONE_WORD).replace("MONTHS", _MONTHS),
    re.X | re.I,
)
"""A timeline row: '14:02 ...', '* [08:57] ...', '- [03-26 02:50] ...', '**08:57 PST** ...', '| 2019-11-29 12:00+ | ...'."""

_VERBS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        RESOLVED,
        re.compile(
            r"\b(?:resolved|fixed|mitigated|recovered|restored|stabili[sz]ed|closed (?:the )?incident)\b",
            re.I,
        ),
    ),
    ("rollback", re.compile(r"\b(?:roll(?:ed|s|ing)?[ -]?back|revert(?:ed|s|ing)?)\b", re.I)),
    (
        "failover",
        re.compile(
            r"\b(?:fail(?:ed|s|ing)?[ -]?over|promoted (?:the )?(?:replica|standby|secondary))\b", re.I
        ),
    ),
    ("restart", re.compile(r"\b(?:restart(?:ed|s|ing)?|reboot(?:ed|s|ing)?|bounced|recycled)\b", re.I)),
    ("hotfix", re.compile(r"\b(?:hot-?fix(?:ed|es)?|patched)\b", re.I)),
    ("deploy", re.compile(r"\b(?:deploy(?:ed|s|ing)?|shipped|pushed (?:a|the) fix)\b", re.I)),
    ("migration", re.compile(r"\b(?:migrat(?:ed|es|ing))\b", re.I)),
    (
        "scale",
        re.compile(r"\b(?:scal(?:ed|es|ing) (?:up|out|down)|added (?:capacity|nodes|replicas))\b", re.I),
    ),
    (
        "config",
        re.compile(
            r"\b(?:changed (?:the )?config\w*|updated (?:the )?config\w*|disabled (?:the )?feature flag|flipped (?:the )?(?:feature )?flag)\b",
            re.I,
        ),
    ),
    (ACKNOWLEDGED, re.compile(r"\b(?:acknowledged|ack(?:ed|'d|s)?)\b", re.I)),
    (
        COMMANDER,
        re.compile(
            r"\b(?:took (?:over )?(?:incident )?command|became (?:the )?ic|assumed (?:incident )?command|(?:as|is) (?:the )?(?:ic|incident commander))\b",
            re.I,
        ),
    ),
)
"""Timeline verbs and the action their subject performed (task actions are scoped to ``task:``)."""

_OBJECT_VERBS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (ESCALATED, re.compile(r"\bescalated (?:it |the incident )?to\b", re.I)),
    (NOTIFIED, re.compile(r"\b(?:paged|pinged|notified|called|woke up|texted)\b", re.I)),
)
"""Timeline verbs whose object (the person after the verb) received the action."""

TASK_VERBS = frozenset(
    {"rollback", "failover", "restart", "hotfix", "deploy", "migration", "scale", "config"}
)
"""Timeline verbs kept as their own action ("Dana restarted the primary" is a ``restart``).

They are counted in the service the incident hit, not in ``task:<action>:<service>``: a task scope
measures who runs an operational procedure, from records where each row is one run (deploy logs,
deployments). A line of prose in a postmortem is part of the incident response already counted in
the service, and too thin to say who owns a procedure."""

_TITLE_PREFIX = re.compile(
    r"^(?:post-?mortem|incident(?: review| report)?|pir|rca|retro(?:spective)?|runbook|playbook|sop)\b\s*[:\-–—]?\s*",
    re.I,
)
_TITLE_EVENT = re.compile(
    r"\b(?:outage|incident|degradation|degraded|latency|errors?|failures?|failover|down|downtime|runbook|playbook|"
    r"post-?mortem|elevated|partial|major|minor|spike|slow|unavailable|restart|recovery|procedure|on|during)\b",
    re.I,
)


@dataclass
class Section:
    """A ``##`` section of a document (the text before the first one is the overview)."""

    heading: str
    lines: list[str] = field(default_factory=list)
    subheadings: list[tuple[int, str]] = field(default_factory=list)  # (line index, heading text)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class Parsed:
    """A document split into front matter, title and sections, with its metadata lines."""

    front: dict[str, Any]
    title: str | None
    sections: list[Section]
    meta: dict[str, list[str]]  # lower-case key -> values from "Key: value" lines and metadata tables


def _clean(text: str) -> str:
    """Markdown emphasis, links and code marks removed."""
    text = _MD_LINK.sub(r"\1", text)
    return text.replace("**", "").replace("__", "").replace("`", "").strip()


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""libyaml's safe loader (about ten times faster than the pure-Python one), where PyYAML was built with it."""


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load`` of ``text``; libyaml parses it, and a text libyaml refuses is judged by PyYAML itself."""
    if _FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            pass  # the pure loader raises its own error (with its own line), or accepts the text
    return yaml.safe_load(text)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (empty when absent) and the body; raises ValueError for bad YAML."""
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                data = _load_yaml("".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 2}" if mark is not None else ""
                raise ValueError(f"invalid YAML front matter{where}") from exc
            if not isinstance(data, dict):
                raise ValueError("front matter is not a mapping of keys to values")
            return {str(k).strip().lower(): v for k, v in data.items()}, "".join(lines[i + 1 :])
    return {}, text


def parse_markdown(text: str) -> Parsed:
    """Split a document into front matter, title, sections and metadata lines."""
    front, body = split_front_matter(text)
    title: str | None = None
    sections: list[Section] = [Section(heading="Overview")]
    meta: dict[str, list[str]] = {}
    in_fence = False
    for raw in body.splitlines():
        if _FENCE.match(raw):
            in_fence = not in_fence
            sections[-1].lines.append(raw)
            continue
        if not in_fence:
            m = _HEADING.match(raw)
            if m:
                level, heading = len(m.group(1)), _clean(m.group(2))
                if level == 1 and title is None:
                    title = heading
                    continue
                if level <= 2:
                    sections.append(Section(heading=heading))
                    continue
                sections[-1].subheadings.append((len(sections[-1].lines), heading))
            elif len(sections) == 1 or sections[-1].heading.lower() in META_SECTIONS:
                _collect_meta(raw, meta)
        sections[-1].lines.append(raw)
    return Parsed(front=front, title=title, sections=[s for s in sections if s.body], meta=meta)


def _collect_meta(raw: str, meta: dict[str, list[str]]) -> None:
    """Record a "Key: value" line or a two-cell table row as metadata."""
    line = _clean(raw)
    if line.startswith("|"):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] and cells[1] and not set(cells[1]) <= set("-: "):
            meta.setdefault(cells[0].lower().rstrip(":"), []).append(cells[1])
        return
    m = _META.match(line)
    if m and not re.match(r"^\d", line.lstrip("-*+ ")):
        meta.setdefault(m.group("key").strip().lower(), []).append(m.group("value").strip())


def _first(mapping: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value not in (None, "", []):
            return value
    return None


def classify(path: Path, front: dict[str, Any], title: str | None, headings: list[str]) -> str | None:
    """postmortem, runbook, or None: from front matter type, the file's name and folder, then headings."""
    declared = str(front.get("type") or front.get("kind") or front.get("doc_type") or "").lower()
    for text in (declared, " ".join([path.stem, path.parent.name, path.parent.parent.name]).lower()):
        if any(w in text for w in RUNBOOK_WORDS):
            return RUNBOOK
        if any(w in text for w in POSTMORTEM_WORDS):
            return POSTMORTEM
    low = [h.lower() for h in headings]
    pm = sum(1 for word in POSTMORTEM_HEADINGS if any(word in h for h in low))
    rb = sum(1 for word in RUNBOOK_HEADINGS if any(word in h for h in low))
    if pm >= MIN_TYPICAL_HEADINGS and pm >= rb:
        return POSTMORTEM
    if rb >= MIN_TYPICAL_HEADINGS:
        return RUNBOOK
    t = (title or "").lower()
    if any(w in t for w in RUNBOOK_WORDS):
        return RUNBOOK
    if any(w in t for w in ("postmortem", "post-mortem", "incident review", "incident report")):
        return POSTMORTEM
    return None


# ---------------------------------------------------------------------------------------------- people


MIN_BARE_HANDLE = 4
"""Shortest handle matched as a bare word in a timeline (shorter ones, 'al', 'bo', collide with words)."""


class People:
    """The people a document names, so a handle and a name seen together stay one PersonRef."""

    def __init__(self) -> None:
        self.by_key: dict[str, PersonRef] = {}

    @staticmethod
    def _keys(ref: PersonRef) -> list[str]:
        keys = []
        if ref.handle:
            keys.append("@" + ref.handle.lower())
        if ref.email:
            keys.append(ref.email.lower())
        if ref.name:
            keys.append(" ".join(ref.name.lower().split()))
        return keys

    def add(self, ref: PersonRef) -> PersonRef:
        """Merge ``ref`` with what is known of the same person; return the merged PersonRef."""
        known = next((self.by_key[k] for k in self._keys(ref) if k in self.by_key), None)
        if known is not None:
            ref = known.model_copy(
                update={
                    "name": known.name or ref.name,
                    "handle": known.handle or ref.handle,
                    "email": known.email or ref.email,
                }
            )
        for key in self._keys(ref):
            self.by_key[key] = ref
        # older keys of the same person point at the merged ref too
        for key, value in list(self.by_key.items()):
            if known is not None and value is known:
                self.by_key[key] = ref
        return ref

    def ident(self, ref: PersonRef) -> str:
        """A stable identity of a PersonRef within the document."""
        merged = next((self.by_key[k] for k in self._keys(ref) if k in self.by_key), ref)
        return self._keys(merged)[0]

    def names(self) -> list[str]:
        return sorted({r.name for r in self.by_key.values() if r.name}, key=len, reverse=True)

    def handles(self) -> list[str]:
        """Handles of people the document names by @handle, which write-ups also use bare ('Hixie and ...')."""
        return sorted(
            {r.handle for r in self.by_key.values() if r.handle and len(r.handle) >= MIN_BARE_HANDLE},
            key=len,
            reverse=True,
        )


def _ref(name: str | None = None, handle: str | None = None, email: str | None = None) -> PersonRef | None:
    if not (name or handle or email):
        return None
    bot = is_bot_name(name) or is_bot_name(handle) or is_service_account(name, email, handle)
    return PersonRef(
        source="markdown", name=name or None, handle=handle or None, email=email or None, is_bot=bot
    )


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 4 or text.lower() in NAME_STOPWORDS:
        return False
    return (
        all(re.fullmatch(r"[^\W\d_][\w'’.\-]*", w) for w in words) and words[0].lower() not in NAME_STOPWORDS
    )


ROW_VERBS = frozenset(
    {
        "add",
        "alert",
        "apply",
        "begin",
        "bump",
        "check",
        "close",
        "confirm",
        "continue",
        "create",
        "declare",
        "delete",
        "deploy",
        "disable",
        "drain",
        "enable",
        "escalate",
        "failover",
        "fix",
        "identify",
        "increase",
        "decrease",
        "investigate",
        "kill",
        "merge",
        "mitigate",
        "monitor",
        "move",
        "notice",
        "notify",
        "open",
        "page",
        "post",
        "push",
        "reboot",
        "remove",
        "resolve",
        "restart",
        "restore",
        "revert",
        "roll",
        "run",
        "scale",
        "start",
        "stop",
        "switch",
        "update",
        "upgrade",
        "verify",
        "wait",
    }
)
"""Verbs in the base form that open timeline rows written without a subject ("Restart the workers")."""

ROW_NOUNS = frozenset(
    {
        "issue",
        "issues",
        "change",
        "changes",
        "developer",
        "developers",
        "user",
        "users",
        "problem",
        "fix",
        "outage",
        "error",
        "cluster",
        "node",
        "nodes",
        "pod",
        "pods",
        "server",
        "servers",
        "release",
        "rollout",
        "build",
        "job",
        "config",
        "configuration",
        "certificate",
        "request",
        "requests",
        "investigation",
        "mitigation",
        "decision",
        "page",
        "pager",
        "ticket",
        "postmortem",
        "meeting",
        "call",
        "bridge",
        "manager",
        "management",
        "vendor",
        "aws",
        "azure",
        "gcp",
    }
)
"""Nouns that open timeline rows as their subject ("Issue mitigated…", "Developer notified us…",
"Changes applied upstream"), read in public postmortems (dfds.cloud's among them): never a person."""

NAMES_THAT_LOOK_LIKE_VERBS = frozenset(
    {"alfred", "manfred", "mildred", "mohammed", "muhammed", "wilfred", "winifred", "sterling"}
)
"""Given names with a verb's ending (-ed, -ing) that still start a row as its subject."""


def is_row_verb(word: str) -> bool:
    """Whether the capitalised word opening a timeline row is a verb, an adverb or a thing, not a person.

    'Proactively scaling…', 'Restarted…', 'Rolled back…', 'Scaling down…': a past tense (-ed), a
    participle (-ing), an adverb (-ly), a base verb from ``ROW_VERBS`` or a noun from ``ROW_NOUNS``. Short words keep their
    chance to be names (Ed, Ted, Ahmed, Emily, Kelly); a person the document names elsewhere is
    found as a mention before this rule is asked.
    """
    low = word.strip(".,:;").lower()
    if low in NAMES_THAT_LOOK_LIKE_VERBS:
        return False
    if low in ROW_VERBS or low in ROW_NOUNS or low in NAME_STOPWORDS:
        return True
    return (
        (low.endswith("ed") and len(low) > 5)
        or (low.endswith("ing") and len(low) > 5)
        or (low.endswith("ly") and len(low) > 6)
    )


def _split_outside_parens(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in ",;&":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    out: list[str] = []
    for part in parts:
        out.extend(re.split(r"\s+and\s+", part))
    return [p.strip() for p in out if p.strip()]


def parse_people(value: Any) -> list[PersonRef]:
    """People from a front-matter value or a written list: '@alice, Bob Smith (@bob) and Carol <c@x.org>'."""
    if value is None:
        return []
    if isinstance(value, list):
        return [r for item in value for r in parse_people(item)]
    if isinstance(value, dict):
        handle = (
            str(value.get("handle") or value.get("slack") or value.get("github") or "").lstrip("@") or None
        )
        ref = _ref(
            name=str(value.get("name") or "").strip() or None,
            handle=handle,
            email=str(value.get("email") or "").strip() or None,
        )
        return [ref] if ref else []
    refs: list[PersonRef] = []
    for part in _split_outside_parens(_clean(str(value))):
        handles = [m.group(1) for m in _HANDLE.finditer(part)]
        emails = _EMAIL.findall(part)
        rest = _HANDLE.sub(" ", _EMAIL.sub(" ", part))
        rest = re.sub(r"\([^)]*\)|<[^>]*>", " ", rest)
        rest = re.split(r"\s[-–—]\s|,", rest)[0].strip(" -–—:.")
        name = rest if _looks_like_name(rest) else None
        ref = _ref(name=name, handle=handles[0] if handles else None, email=emails[0] if emails else None)
        if ref is not None:
            refs.append(ref)
    return refs


# ---------------------------------------------------------------------------------------------- time


def _zone(value: Any, fallback: tzinfo) -> tzinfo:
    """A tzinfo from an IANA name, an abbreviation ('PST', 'PST/PDT') or an offset like '+02:00'."""
    if value is None or value == "":
        return fallback
    text = str(value).strip()
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", text)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(-delta if m.group(1) == "-" else delta)
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    first = text.split("/", 1)[0].upper()
    if first in ZONE_ABBREVIATIONS:  # 'PST', 'PST/PDT'
        return ZoneInfo(ZONE_ABBREVIATIONS[first])
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


_HEADING_ZONE = re.compile(
    r"\((?:all\s+)?(?:times?\s+(?:are\s+)?(?:in\s+)?)?([A-Za-z_]+(?:/[A-Za-z_+-]+)*|(?:UTC|GMT)?[+-]\d{1,2}:?\d{0,2})\)"
)
_STATED_ZONE = re.compile(
    r"(?:^[\W_]*|\ball\s+)times?(?:\s+are|\s+shown|\s+given|\s+listed)?(?:\s+in)?\s*:?\s+"
    r"((?:UTC|GMT)\s*[+-]\d{1,2}(?::?\d{2})?|[A-Za-z_]+(?:/[A-Za-z_+-]+)*)",
    re.I,
)
"""A sentence stating the zone of a document's times: "All times in PST", "All times are UTC", "Times in CET"
(at the start of a line, or after "all": "response times in Japan" is not one)."""


def _stated(value: str) -> bool:
    """Whether a stated zone is one: an abbreviation, UTC/GMT with an offset, or an Area/City name."""
    first = value.split("/", 1)[0].upper()
    return first in ZONE_ABBREVIATIONS or first in ("UTC", "GMT", "Z") or "/" in value or value[:1] in "+-"


def _stated_zone(parsed: Parsed) -> str | None:
    """The zone a document states for its times, in a timeline heading or a sentence anywhere."""
    for section in parsed.sections:
        if "timeline" not in section.heading.lower():
            continue
        m = _HEADING_ZONE.search(section.heading)
        if m and _zone(m.group(1), None) is not None:  # type: ignore[arg-type]
            return m.group(1)
    for section in parsed.sections:
        for text in (section.heading, *section.lines):
            for m in _STATED_ZONE.finditer(_clean(text)):
                if _stated(m.group(1)) and _zone(m.group(1), None) is not None:  # type: ignore[arg-type]
                    return m.group(1)
    return None


_MONTH_NUMBER = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}
"""Month names and their short forms, by number."""


def _row_day(m: re.Match[str], day: date) -> date | None:
    """The date a timeline row states ('2026-01-08', '03-26', 'Mar 26'); the year is the document's."""
    if m.group("date"):
        return date.fromisoformat(m.group("date"))
    try:
        if m.group("md"):
            month, dom = (int(x) for x in re.split(r"[-/]", m.group("md")))
            return date(day.year, month, dom)
        if m.group("mon"):
            mon_name, mon_day = m.group("mon").replace(".", " ").split()[:2]
            return date(day.year, _MONTH_NUMBER[mon_name.lower()], int(re.sub(r"\D", "", mon_day)))
    except (ValueError, KeyError):
        return None
    return None


def _fixed(ts: datetime) -> datetime:
    """The same instant with a fixed-offset tzinfo: the offset is kept and arithmetic across DST is exact."""
    offset = ts.utcoffset()
    return ts if offset is None else ts.replace(tzinfo=timezone(offset))


_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A front-matter date with no time of day (``2024-03-05``)."""


def _as_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """A front-matter date (date, datetime or string) as an aware datetime; dates are midnight in ``tz``."""
    if isinstance(value, datetime):
        return _fixed(value if value.tzinfo else value.replace(tzinfo=tz))
    if isinstance(value, date):
        return _fixed(datetime.combine(value, time(0), tzinfo=tz))
    if value in (None, ""):
        return None
    if isinstance(value, str) and _BARE_DATE.fullmatch(value.strip()):
        return _fixed(datetime.combine(date.fromisoformat(value.strip()), time(0), tzinfo=tz))
    parsed = parse_ts(value, tz)
    return _fixed(parsed) if parsed else None


def _clock(known: bool) -> dict[str, bool]:
    """The ``detail`` entry of an activity whose time of day is unknown (none when it is known)."""
    return {} if known else {TIME_UNKNOWN: True}


def _gives_clock(value: Any) -> bool:
    """Whether a front-matter date says the time of day: a datetime, or text that is more than a bare date."""
    if isinstance(value, datetime):
        return True
    if isinstance(value, date) or value in (None, ""):
        return False
    return _BARE_DATE.fullmatch(str(value).strip()) is None


# ---------------------------------------------------------------------------------------------- scope


SERVICE_FROM_FRONT = "front-matter"
SERVICE_FROM_TITLE = "title"
SERVICE_FROM_FILE = "file-name"
SERVICE_FROM_INCIDENT = "incident"
"""Where a document's service came from (``detail.service_from`` of its activities): the front matter
or a "Service:" line, its title, its file name, or nowhere, to be taken from the linked incident."""

UNKNOWN_SERVICE = "unknown"
"""The service slug of a document that names none (its activities wait for the linked incident's)."""

_DATE_WORDS = re.compile(rf"^(?:\d+(?:st|nd|rd|th)?|{_MONTHS}|{_WEEKDAYS}|q[1-4]|h[12]|utc|gmt|am|pm)$", re.I)
"""Words that say when, never what: numbers, month and weekday names (full and short), quarters."""

GENERIC_TITLE_WORDS = frozenset(
    {
        "postmortem",
        "post-mortem",
        "incident",
        "incidents",
        "report",
        "review",
        "retro",
        "retrospective",
        "rca",
        "pir",
        "summary",
        "untitled",
        "readme",
        "index",
        "template",
        "draft",
        "notes",
        "outage",
        "runbook",
        "playbook",
        "sop",
        "sev",
        "sev0",
        "sev1",
        "sev2",
        "sev3",
        "sev4",
        "p0",
        "p1",
        "p2",
        "p3",
        "p4",
        "resolved",
        "ongoing",
        "final",
        "inc",
    }
)
"""Words that name a kind of document or its state, never a service ('postmortem.md', '[RESOLVED]')."""

_LEAD_WHEN = re.compile(
    rf"""^(?:
        \d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?:[T\s]\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?   # 2026-01-08, 2026/01/08 09:00
      | \d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}                                   # 08/01/2026
      | (?:(?:{_WEEKDAYS}),?\s+)?(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?  # Jan 8, 2026
      | (?:(?:{_WEEKDAYS}),?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?(?:\s+\d{{4}})?  # 8 January 2026
      | (?:{_WEEKDAYS})\b
      | \d{{1,2}}:\d{{2}}(?::\d{{2}})?
      | (?:UTC|GMT|[ECMPA][SD]?T|CES?T|BST)\b
      | [A-Z][A-Z0-9]*-\d+                                                       # INC-123
      | \#\d+
    )\s*[:\-–—|,.]?\s*""",
    re.X | re.I,
)
"""A date, weekday or ticket id that opens a title ('2026-01-08: auth-gateway — ...', 'INC-42 - ...')."""

_BRACKET_SERVICE = re.compile(r"^\[([^\]]+)\]\s*[:\-–—]?\s*")
"""'[auth-gateway] TLS cert expiry': the bracketed service tag of a title."""

_SLUG_TOKEN = re.compile(r"`([^`]+)`|(?<![\w.])([a-z0-9]+(?:[-_.][a-z0-9]+)+)(?![\w])")
"""A service-like token: `code`, or a lower-case hyphenated name ('auth-gateway', 'payments_api')."""


def is_when(text: str) -> bool:
    """Whether ``text`` only says when (a date, a time, a month or weekday name, a number), never a service."""
    words = [w for w in re.split(r"[\s\-_/.,:]+", text.strip().lower()) if w]
    if not words:
        return True
    return all(_DATE_WORDS.match(w) or re.fullmatch(r"\d+(?::\d+)*", w) for w in words)


def _service_word(candidate: str | None) -> str | None:
    """A slug for ``candidate`` unless it is a date, a number or a generic document word."""
    if not candidate:
        return None
    text = _DATE_IN_TEXT.sub(" ", candidate).strip(" -–—:._[]()#")
    if not text or is_when(text):
        return None
    s = slug(text)
    parts = [w for w in s.split("-") if w]
    if s == "unknown" or all(w in GENERIC_TITLE_WORDS or is_when(w) for w in parts):
        return None
    return s


def _services(
    front: dict[str, Any], meta: dict[str, list[str]], title: str, path: Path
) -> tuple[list[str], str]:
    """Service slugs and where they came from: front matter or a "Service:" line, the title, the file name.

    A document naming none gets ``[UNKNOWN_SERVICE]`` and ``SERVICE_FROM_INCIDENT``: its service is
    the linked incident's. A date, a month, a weekday or a number is never a service.
    """
    value = _first(front, _SERVICE_KEYS)
    if value is None:
        value = next((meta[k][0] for k in _SERVICE_KEYS if k in meta), None)
    if value is not None:
        items = value if isinstance(value, list) else re.split(r"[,;]| and ", str(value))
        found = [s for s in (_service_word(_clean(str(v))) for v in items if str(v).strip()) if s]
        if found:
            return list(dict.fromkeys(found)), SERVICE_FROM_FRONT
    guess = _service_from_title(title)
    if guess:
        return [guess], SERVICE_FROM_TITLE
    guess = _service_from_file(path)
    if guess:
        return [guess], SERVICE_FROM_FILE
    return [UNKNOWN_SERVICE], SERVICE_FROM_INCIDENT


def _strip_title(text: str) -> str:
    """A title without its leading document words ('Postmortem:'), dates, weekdays and ticket ids."""
    prev = None
    while prev != text:
        prev = text
        text = _TITLE_PREFIX.sub("", text)
        text = _LEAD_WHEN.sub("", text)
        text = text.lstrip(" -–—:|,.")
    return text


def _service_from_title(title: str) -> str | None:
    """The service a title names, in the forms used in the wild, or None.

    'Postmortem: Payments API outage on 2024-03-05' -> 'payments-api';
    '2026-01-08: auth-gateway — TLS cert expiry' -> 'auth-gateway'; '[search] Slow queries' -> 'search';
    'Incident: `ledger-db` failover' -> 'ledger-db'.
    """
    text = _strip_title(_clean(title).strip()) if "`" not in title else _strip_title(title.strip())
    while True:
        bracket = _BRACKET_SERVICE.match(text)
        if not bracket:
            break
        named = _service_word(bracket.group(1))
        if named:
            return named
        text = _strip_title(text[bracket.end() :])  # '[RESOLVED] [SEV1] ...'
    for m in _SLUG_TOKEN.finditer(text):
        named = _service_word(m.group(1) or m.group(2))
        if named:
            return named
    head = re.split(r"\s[-–—|]\s|:\s|\(|\s[-–—]$", _clean(text))[0]
    event = _TITLE_EVENT.search(head)
    if event:
        head = head[: event.start()]
    return _service_word(head)


def _link_evidence(path: Path, parsed: Parsed, own: str, dated: bool) -> dict[str, Any]:
    """What a postmortem says about the incident it is about, for linking (agent.analytics.linking):
    ``refs`` (incident and ticket keys its front matter and text name), ``name_ids`` (id-like tokens of
    its file name) and ``dated`` (False when no date in it gave its time: the times are the file's)."""
    front_text = " ".join(str(v) for v in parsed.front.values() if v is not None)
    body = "\n".join([parsed.title or "", *(s.body for s in parsed.sections)])
    refs = [r for r in link_refs(f"{front_text}\n{body}") if r != own]
    out: dict[str, Any] = {"dated": dated}
    if refs:
        out["refs"] = refs
    ids = [t for t in re.split(r"[-_.\s]+", path.stem) if _NAME_ID.match(t)]
    if ids:
        out["name_ids"] = ids
    return out


def _service_from_file(path: Path) -> str | None:
    """The service a file name names ('2026-01-08-auth-gateway.md' -> 'auth-gateway'), or None."""
    stem = path.stem.replace("_", " ")
    stem = re.sub(r"^\d{4}[-.]?\d{2}[-.]?\d{2}(?:[-T_ ]?\d{2}[-:]?\d{2})?(?=[-_ ]|$)[-_ ]*", "", stem)
    stem = re.sub(r"[-_ ]+\d+$", "", stem)  # a counter: '...-3'
    words = [w for w in re.split(r"[-\s]+", stem) if w]
    while words and (words[-1].lower() in GENERIC_TITLE_WORDS or _TITLE_EVENT.fullmatch(words[-1])):
        words.pop()
    return _service_word("-".join(words)) if words else None


# ---------------------------------------------------------------------------------------------- adapter


@dataclass
class _Doc:
    """Working state while one document is turned into a record."""

    path: Path
    key: str
    parsed: Parsed
    doc_kind: str
    title: str
    services: list[str]
    service_from: str
    tz: tzinfo
    day: date | None
    people: People = field(default_factory=People)
    activities: list[ActivityIn] = field(default_factory=list)
    line_times: list[datetime] = field(default_factory=list)  # every timestamped timeline line
    evidence: dict[str, Any] = field(default_factory=dict)  # ids and dates a postmortem names, for linking


@register
class MarkdownAdapter(Adapter):
    """Reads postmortems and runbooks written in markdown."""

    kind = "markdown"

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """Any .md/.markdown file: postmortems and runbooks by content, other documents as notes."""
        return path.suffix.lower() in SUFFIXES

    @staticmethod
    def doc_kind_of(path: Path) -> str:
        """postmortem, runbook or note, from the first bytes of a file (what ``read`` would decide)."""
        try:
            with path.open("rb") as fh:
                text = fh.read(SNIFF_BYTES).decode("utf-8-sig", "replace")
        except OSError:
            return NOTE
        try:
            parsed = parse_markdown(text)
        except ValueError:  # bad front matter: judge by name and headings
            parsed = parse_markdown(text.replace("---", "", 1))
        headings = [s.heading for s in parsed.sections]
        return classify(path, parsed.front, parsed.title, headings) or NOTE

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """One record per document; a document that cannot be read becomes a Problem."""
        for path in paths:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                yield Problem(path=str(path), reason=f"unreadable: {exc.strerror or exc}")
                continue
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                yield Problem(path=str(path), reason=f"not valid UTF-8 (line {line}, byte {exc.start})")
                continue
            try:
                parsed = parse_markdown(text.replace("\r\n", "\n"))
            except ValueError as exc:
                yield Problem(path=str(path), reason=str(exc))
                continue
            yield self._record(path, parsed, ctx)

    # ------------------------------------------------------------------ building the record

    def _record(self, path: Path, parsed: Parsed, ctx: ReadContext) -> Record:
        front, meta = parsed.front, parsed.meta
        title = _clean(
            str(front.get("title") or parsed.title or path.stem.replace("-", " ").replace("_", " "))
        )
        doc_kind = classify(path, front, title, [s.heading for s in parsed.sections]) or NOTE
        fallback_tz = _zone(ctx.org_timezone, UTC)
        raw_date = _first(front, _DATE_KEYS)
        if raw_date is None:
            raw_date = next((meta[k][0] for k in _DATE_KEYS if k in meta), None)
        declared = _first(front, _TZ_KEYS) or next((meta[k][0] for k in _TZ_KEYS if k in meta), None)
        tz = _zone(declared or _stated_zone(parsed), fallback_tz)
        if isinstance(raw_date, datetime) and raw_date.tzinfo and not _first(front, _TZ_KEYS):
            tz = raw_date.tzinfo
        started = _as_datetime(raw_date, tz)
        # whether the date the document's own acts are timed by says the time of day (a title's never does)
        started_clock = started is not None and _gives_clock(raw_date)
        if started is None:
            found = _DATE_IN_TEXT.search(f"{title} {path.stem}")
            if found:
                started = _as_datetime(found.group(1), tz)
        raw_updated = _first(front, _UPDATED_KEYS) or next(
            (meta[k][0] for k in _UPDATED_KEYS if k in meta), None
        )
        updated = _as_datetime(raw_updated, tz)
        updated_clock = updated is not None and _gives_clock(raw_updated)
        services, service_from = _services(front, meta, title, path)
        doc = _Doc(
            path=path,
            key=f"doc:{path.as_posix()}",
            parsed=parsed,
            doc_kind=doc_kind,
            title=title,
            services=services,
            service_from=service_from,
            tz=tz,
            day=started.astimezone(tz).date() if started else None,
        )
        date_only = started is None or not isinstance(raw_date, datetime)
        ts_source = "document"
        if started is None:
            ts_source = "updated" if updated else "file_mtime"
            started = updated or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            started_clock = updated_clock
        chunks = self._chunks(doc, updated or started)
        locators = {s.heading: c.locator for s, c in zip(parsed.sections, chunks, strict=True)}

        authors = [doc.people.add(r) for r in self._people(front, meta, _AUTHOR_KEYS) if not r.is_bot]
        editor_refs = [r for r in parse_people(_first(front, _EDITOR_KEYS)) if not r.is_bot]
        if not editor_refs:
            editor_refs = [
                r for k in _EDITOR_KEYS for v in meta.get(k, []) for r in parse_people(v) if not r.is_bot
            ]
        editor = doc.people.add(editor_refs[0]) if editor_refs else None

        incidents: list[IncidentIn] = []
        incident_key: str | None = None
        if doc_kind == POSTMORTEM:
            incident_key = self._incident_key(path, front, meta, parsed)
            doc.evidence = _link_evidence(path, parsed, incident_key, dated=ts_source == "document")
            created, resolved, started_clock = self._postmortem_people(
                doc, incident_key, started, date_only, locators, started_clock
            )
            status = front.get("status") or next((meta[k][0] for k in ("status",) if k in meta), None)
            severity = normalise_severity(
                _first(front, _SEVERITY_KEYS) or next((meta[k][0] for k in _SEVERITY_KEYS if k in meta), None)
            )
            resolved_at = (
                _as_datetime(_first(front, ("resolved_at", "resolved", "ended", "end")), tz) or resolved
            )
            incidents.append(
                IncidentIn(
                    key=incident_key,
                    scope=service_scope(doc.services[0]),
                    title=title,
                    severity=severity,
                    created_at=created,
                    resolved_at=resolved_at,
                    status=str(status).strip().lower() if status else None,
                    chunk_locator=chunks[0].locator if chunks else None,
                )
            )
            started = created

        written = started if doc_kind != POSTMORTEM else (updated or started)
        written_clock = started_clock if doc_kind != POSTMORTEM or not updated else updated_clock
        first = chunks[0].locator if chunks else None
        for person in authors:
            self._emit(
                doc,
                person,
                AUTHORED_DOC,
                written,
                None,
                first,
                {"ts_source": ts_source} | _clock(written_clock),
            )
        if editor is not None:
            self._emit(
                doc,
                editor,
                EDITED_DOC,
                updated or written,
                None,
                first,
                {"ts_source": "updated" if updated else ts_source}
                | _clock(updated_clock if updated else written_clock),
            )

        return Record(
            kind="markdown",
            key=doc.key,
            path=str(path),
            title=title,
            occurred_at=started,
            activities=doc.activities,
            chunks=chunks,
            incidents=incidents,
            document=DocumentIn(
                doc_kind=doc_kind,
                title=title,
                path=str(path),
                authors=authors,
                last_editor=editor,
                updated_at=updated,
                scope=service_scope(doc.services[0]),
            ),
        )

    @staticmethod
    def _people(front: dict[str, Any], meta: dict[str, list[str]], keys: Iterable[str]) -> list[PersonRef]:
        refs = parse_people(_first(front, keys))
        if not refs:
            refs = [r for k in keys for v in meta.get(k, []) for r in parse_people(v)]
        return refs

    @staticmethod
    def _chunks(doc: _Doc, ts: datetime) -> list[ChunkIn]:
        """One chunk per section; locators are unique within the record."""
        out: list[ChunkIn] = []
        used: set[str] = set()
        for section in doc.parsed.sections:
            base = f"{doc.key}#{slug(section.heading)}"
            locator, n = base, 2
            while locator in used:
                locator, n = f"{base}-{n}", n + 1
            used.add(locator)
            out.append(
                ChunkIn(
                    text=f"{doc.title}\n## {section.heading}\n{section.body}",
                    kind=doc.doc_kind,
                    locator=locator,
                    scope=service_scope(doc.services[0]),
                    title=f"{doc.title} — {section.heading}",
                    ts=ts,
                )
            )
        return out

    @staticmethod
    def _incident_key(path: Path, front: dict[str, Any], meta: dict[str, list[str]], parsed: Parsed) -> str:
        """A PagerDuty/Opsgenie incident the postmortem names, else ``postmortem:<id or file stem>``."""
        for system in ("pagerduty", "opsgenie"):
            # "PagerDuty: Q1ABC" names the incident in that tool: use the tool's own key
            named = front.get(system) or (meta[system][0] if system in meta else None)
            if named and re.fullmatch(r"[A-Za-z0-9_-]+", str(named).strip()):
                return f"{system}:{str(named).strip()}"
        value = _first(front, _INCIDENT_KEYS) or next((meta[k][0] for k in _INCIDENT_KEYS if k in meta), None)
        if value is not None:
            text = str(value).strip()
            if re.match(r"^(pagerduty|opsgenie):", text):
                return text
            refs = incident_refs(text)
            if refs:
                return refs[0]
            return f"postmortem:{slug(text)}"
        links = [
            v
            for k in ("links", "pagerduty_url", "incident_url")
            for v in ([front.get(k)] if front.get(k) else [])
        ]
        refs = incident_refs(" ".join(str(v) for v in links))
        return refs[0] if refs else f"postmortem:{slug(path.stem)}"

    def _postmortem_people(
        self,
        doc: _Doc,
        incident: str,
        started: datetime,
        date_only: bool,
        locators: dict[str, str],
        started_clock: bool,
    ) -> tuple[datetime, datetime | None, bool]:
        """Emit role and timeline activities; return the incident's start and resolution times, and whether
        the start says the time of day (``started_clock`` for the document's date; a timeline's always does)."""
        front, meta = doc.parsed.front, doc.parsed.meta
        roles: list[tuple[PersonRef, str, str | None]] = []  # person, action, chunk locator
        for key, action in _ROLE_KEYS.items():
            for ref in parse_people(front.get(key)):
                roles.append((ref, action, None))
            for value in meta.get(key, []):
                roles.extend((ref, action, None) for ref in parse_people(value))
        for section in doc.parsed.sections:
            section_role = _ROLE_KEYS.get(section.heading.lower().strip(": "))
            if section_role is None and section.heading.lower() not in (
                "people",
                "roles",
                "participants",
                "team",
            ):
                continue
            for line in section.lines:
                item = _clean(line).lstrip("-*+ ").strip()
                if not item or _META.match(item) or item.startswith("#"):
                    continue
                role = section_role or RESPONDER
                low = item.lower()
                if re.search(r"\b(?:incident commander|ic)\b", low):
                    role = COMMANDER
                elif re.search(r"\b(?:scribe|attendee|observer)\b", low):
                    role = ATTENDEE
                roles.extend((ref, role, locators.get(section.heading)) for ref in parse_people(item))
        roles = [(doc.people.add(r), a, loc) for r, a, loc in roles if not r.is_bot]

        events = self._timeline(doc, started, locators)
        # a bare date says only the day: the first timeline entry is the better start
        from_timeline = bool(doc.line_times) and date_only
        created = min(doc.line_times) if from_timeline else started
        created_clock = from_timeline or started_clock
        resolved = max((e[0] for e in events if e[2] == RESOLVED), default=None)

        done: set[tuple[str, str]] = set()
        for ref, action, loc in roles:
            ident = (doc.people.ident(ref), action)
            if ident in done:
                continue
            done.add(ident)
            self._emit(doc, ref, action, created, incident, loc, _clock(created_clock))
        commanders = {doc.people.ident(r) for r, a, _ in roles if a == COMMANDER}
        for ts, ref, did, loc, line in events:
            who = doc.people.ident(ref)
            if did is not None:
                self._emit(doc, ref, did, ts, incident, loc, {"line": excerpt(line)})
            ident = (who, RESPONDER)
            if did != NOTIFIED and ident not in done and who not in commanders:
                done.add(ident)
                self._emit(doc, ref, RESPONDER, ts, incident, loc)
        return created, resolved, created_clock

    def _emit(
        self,
        doc: _Doc,
        person: PersonRef,
        action: str,
        ts: datetime,
        incident: str | None,
        locator: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add one activity per service scope the document is about."""
        person = doc.people.by_key.get(doc.people.ident(person), person)
        for service in doc.services:
            scope = service_scope(service)
            doc.activities.append(
                ActivityIn(
                    person=person,
                    scope=scope,
                    action=action,
                    ts=ts,
                    incident=incident,
                    detail={
                        "doc": doc.key,
                        "service_from": doc.service_from,
                        **doc.evidence,
                        **(detail or {}),
                    },
                    chunk_locator=locator,
                )
            )

    # ------------------------------------------------------------------ timeline

    def _timeline(
        self, doc: _Doc, started: datetime, locators: dict[str, str]
    ) -> list[tuple[datetime, PersonRef, str | None, str | None, str]]:
        """(ts, person, action or None, chunk locator, line) for every person a timeline line names."""
        out: list[tuple[datetime, PersonRef, str | None, str | None, str]] = []
        base_day = doc.day or started.astimezone(doc.tz).date()
        for section in doc.parsed.sections:
            if not any(word in section.heading.lower() for word in TIMELINE_HEADINGS):
                continue
            day = base_day
            previous: datetime | None = None
            subheads = dict(section.subheadings)
            for idx, raw in enumerate(section.lines):
                if idx in subheads:
                    found = _DATE_IN_TEXT.search(subheads[idx])
                    if found:
                        day = date.fromisoformat(found.group(1))
                        previous = None
                line = _clean(raw)
                m = _TIME_LINE.match(line)
                if not m or not m.group("rest").strip():
                    continue
                ts, day, previous = self._line_time(m, day, previous, doc.tz)
                if ts is None:
                    continue
                doc.line_times.append(ts)
                rest = re.sub(r"\s*\|\s*", " ", m.group("rest")).strip()
                for ref, action in self._line_people(rest, doc.people):
                    out.append((ts, doc.people.add(ref), action, locators.get(section.heading), line))
        return out

    @staticmethod
    def _line_time(
        m: re.Match[str], day: date, previous: datetime | None, tz: tzinfo
    ) -> tuple[datetime | None, date, datetime | None]:
        """The timestamp of a timeline line; a time earlier than the last one rolls over to the next day."""
        hour, minute, second = int(m.group("h")), int(m.group("m")), int(m.group("s") or 0)
        ampm = (m.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59 or second > 59:
            return None, day, previous
        explicit = _row_day(m, day)
        if explicit:
            day = explicit
        line_tz = _zone(m.group("tz"), tz) if m.group("tz") else tz
        ts = datetime.combine(day, time(hour, minute, second), tzinfo=line_tz)
        if not explicit and previous is not None and ts < previous:
            day = day + timedelta(days=1)
            ts = datetime.combine(day, time(hour, minute, second), tzinfo=line_tz)
        ts = _fixed(ts)
        return ts, day, ts

    @staticmethod
    def _mentions(text: str, people: People) -> list[tuple[int, int, PersonRef]]:
        """(start, end, person) of every @handle and known name in ``text``."""
        found: list[tuple[int, int, PersonRef]] = []
        for m in _HANDLE.finditer(text):
            ref = _ref(handle=m.group(1))
            if ref is not None and not ref.is_bot:
                found.append((m.start(), m.end(), ref))
        taken = [(s, e) for s, e, _ in found]
        for name in people.names() + people.handles():
            for m in re.finditer(rf"(?<![@\w]){re.escape(name)}\b", text):
                if not any(s <= m.start() < e for s, e in taken):
                    found.append((m.start(), m.end(), _ref(name=name)))  # type: ignore[arg-type]
                    taken.append((m.start(), m.end()))
        return sorted(found, key=lambda x: x[0])

    def _line_people(self, text: str, people: People) -> list[tuple[PersonRef, str | None]]:
        """The people a timeline line names and what each did."""
        mentions = self._mentions(text, people)
        verbs = [(m.start(), m.end(), action) for action, rx in _VERBS for m in rx.finditer(text)]
        objects = [(m.start(), m.end(), action) for action, rx in _OBJECT_VERBS for m in rx.finditer(text)]
        if not mentions:
            lead = _NAME.match(text)
            first_verb = min((s for s, _, _ in verbs + objects), default=None)
            if (
                lead
                and first_verb is not None
                and first_verb >= lead.end()  # 'Restarted the pods': the verb is the lead, not its subject
                and text[lead.end() : first_verb].strip() in ("", "was", "has", "had")
                and not is_row_verb(lead.group(0).split()[0])
            ):
                name = lead.group(0)
                if _looks_like_name(name) and not is_bot_name(name) and not is_service_account(name):
                    mentions = [(lead.start(), lead.end(), _ref(name=name))]  # type: ignore[list-item]
            by = re.search(rf"\bby\s+({_NAME.pattern})", text)
            if by and not mentions and _looks_like_name(by.group(1)) and not is_row_verb(by.group(1)):
                mentions = [(by.start(1), by.end(1), _ref(name=by.group(1)))]  # type: ignore[list-item]
        if not mentions:
            return []
        result: list[tuple[PersonRef, str | None]] = []
        for start, end, action in objects:
            after = [m for m in mentions if m[0] >= end]
            passive = [
                m for m in mentions if m[1] <= start and text[m[1] : start].strip() in ("was", "were", "got")
            ]
            # "escalated to @bob", "paged @bob": the person after the verb; "@bob was paged": before it
            target: tuple[int, int, PersonRef] | None
            if after and (action == ESCALATED or not passive):
                target = after[0]
            else:
                target = passive[-1] if passive else None
            if target is not None:
                result.append((target[2], action))
        for start, end, action in verbs:
            by = re.match(r"^[\w\s]{0,30}?\bby\s+", text[end:])
            subject = None
            if by:
                subject = next((m for m in mentions if m[0] == end + by.end()), None)
            if subject is None:
                before = [m for m in mentions if m[1] <= start]
                blocked = any(o[1] <= start and (not before or o[0] > before[-1][1]) for o in objects)
                subject = before[-1] if before and not blocked else None
            if subject is not None:
                result.append((subject[2], action))
        named = {id(r) for r, _ in result}
        first_mention = mentions[0]
        if id(first_mention[2]) not in named and first_mention[0] <= 2:
            result.append(
                (first_mention[2], None)
            )  # "14:05 @alice investigating": a responder without a named action
        seen: set[tuple[str, str | None]] = set()
        unique: list[tuple[PersonRef, str | None]] = []
        for ref, did in result:
            key = (ref.handle or ref.name or "", did)
            if key not in seen:
                seen.add(key)
                unique.append((ref, did))
        return unique
