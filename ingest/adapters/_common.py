"""Helpers shared by the source adapters.

Stable API (other adapters import these; keep signatures unchanged):

Time
    ``parse_ts(value, default_tz="UTC") -> datetime | None``
        ISO-8601 string (offset kept, ``Z`` -> UTC, ``+0200`` accepted), epoch seconds or
        milliseconds (int, float or digit string, -> UTC), or a datetime.  Naive values get
        ``default_tz`` (an IANA name or tzinfo).  None when the value is empty or unreadable.
    ``epoch_ts(value) -> datetime | None``            Slack-style ``"1709287200.000100"`` -> UTC.
    ``later(a, b) -> datetime | None``               The later of two optional datetimes.

Text
    ``clean_text(text, names=None) -> str``        Slack/markup cleaning: ``<@U1>`` -> ``@name``
        (``names`` maps ids to names), ``<url|label>`` -> ``label (url)``, ``<#C1|x>`` -> ``#x``,
        ``<!here>`` -> ``@here``, HTML entities unescaped, control characters dropped.
    ``excerpt(text, limit=EXCERPT_CHARS) -> str``   One line, at most ``limit`` characters.
    ``looks_like_email(value) -> bool``

Scopes
    ``channel_scope(name, general=False) -> str``   Chat channel name -> ``service:<slug>``
        (``inc-payments-api-2024-03-01`` -> ``service:payments-api``) or ``channel:<slug>``
        for general channels and names that carry no service.
    ``service_scope(name) -> str``                   ``service:<slug>``.
    ``task_scope(action, service) -> str``           ``task:<action>:<slug>``.
    ``scope_from_tags(tags) -> str | None``          ``service:x`` / ``service=x`` / ``service/x`` tag.

People and actions
    ``is_bot_name(name) -> bool``                     ``[bot]`` logins, System, Alert API, integrations.
    ``actor_ref(source, value, is_bot=False) -> PersonRef``  A bare actor string (email or username).
    ``NameIndex(names).find(text) -> [(key, start, end)]``  Known written names in a text, one pass.
    ``evidence_text(text) -> str``                    A message's text kept for judgement (redacted, cut).
    ``mention_tokens(text) -> list[str]``             ``@handle`` tokens in plain text (no emails).
    Whether a mention pulls someone in or a message carries a fix is judged in
    ``agent.analytics.judgement``, not here.
    ``incident_refs(text) -> list[str]``              Incident keys referenced (``pagerduty:<id>``,
        ``opsgenie:<id>``), in order of appearance, without duplicates.
    ``link_refs(text) -> list[str]``                  Those, plus Jira keys and GitHub issue URLs
        (``jira:<KEY-1>``, ``github:<owner>/<repo>#<n>``): what a ticket or deploy row names.

Reading
    ``items_or_problem(path, prefix) -> Iterator[Any | Problem]``  Stream an array with ijson;
        a parse error ends the stream with one Problem (items before it are kept).
    ``load_or_problem(path) -> Any | Problem``        Load a small JSON file or say why not.
    ``shape_of(path, shape=None) -> Shape | None``    ``shape`` if given, else the outline of the
        file's readable beginning (a truncated or damaged file still shows its list keys, so the
        items before the damage can be kept).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ijson
from dateutil import parser as dateparser

from ingest.adapters.base import Shape, iter_json_items, json_shape, json_value
from ingest.records import PersonRef, Problem, slug

EXCERPT_CHARS = 200
"""Length of the text excerpts kept in activity details: enough for a sentence of context."""

EPOCH_MS_THRESHOLD = 100_000_000_000
"""Epoch numbers above this are milliseconds (1e11 seconds is the year 5138)."""

# ---------------------------------------------------------------------------------------------- time


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_ts(value: Any, default_tz: str | tzinfo = "UTC") -> datetime | None:
    """A timezone-aware datetime from an ISO string, an epoch number or a datetime; offsets are kept."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_zone(default_tz))
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = dateparser.parse(text)
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(default_tz))
    return parsed


def _from_epoch(number: float) -> datetime | None:
    if number > EPOCH_MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def epoch_ts(value: Any) -> datetime | None:
    """A Slack ``ts`` ("1709287200.000100") as a UTC datetime."""
    if value is None:
        return None
    try:
        return _from_epoch(float(value))
    except (TypeError, ValueError):
        return None


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional datetimes."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


# ---------------------------------------------------------------------------------------------- text

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_SLACK_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SLACK_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp):[^>|]+)(?:\|([^>]*))?>")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$")


def clean_text(text: str | None, names: dict[str, str] | None = None) -> str:
    """Readable text from chat markup; ``names`` maps user ids to the name written after '@'."""
    if not text:
        return ""
    names = names or {}

    def user(m: re.Match[str]) -> str:
        return "@" + (names.get(m.group(1)) or m.group(2) or m.group(1))

    def link(m: re.Match[str]) -> str:
        url, label = m.group(1), m.group(2)
        if url.startswith("mailto:"):
            return label or url[len("mailto:") :]
        return f"{label} ({url})" if label and label != url else url

    out = _SLACK_USER.sub(user, text)
    out = _SLACK_CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), out)
    out = _SLACK_SPECIAL.sub(lambda m: "@" + m.group(1), out)
    out = _SLACK_SUBTEAM.sub(lambda m: m.group(1) or "@team", out)
    out = _SLACK_LINK.sub(link, out)
    out = html.unescape(out)
    out = _CONTROL.sub("", out)
    return out.strip()


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """One line of at most ``limit`` characters, secrets redacted first (a cut secret no longer matches)."""
    from ingest.redact import redact_stored

    flat = " ".join(redact_stored(text or "")[0].split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def looks_like_email(value: str | None) -> bool:
    """Whether a string is shaped like an email address."""
    return bool(value) and bool(_EMAIL.match(value.strip()))  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------- scopes

CHANNEL_PREFIXES = frozenset(
    {
        "inc",
        "incident",
        "incidents",
        "ops",
        "oncall",
        "on-call",
        "alerts",
        "alert",
        "team",
        "sre",
        "warroom",
        "war-room",
        "help",
        "support",
        "eng",
        "prod",
        "outage",
        "sev",
        "sev1",
        "sev2",
        "sev3",
        "p1",
        "p2",
        "p3",
        "ir",
        "page",
        "pages",
        "ask",
        "x",
    }
)
"""Leading channel-name words that say what kind of channel it is, not which service."""

CHANNEL_SUFFIXES = frozenset(
    {
        "inc",
        "incident",
        "incidents",
        "ops",
        "oncall",
        "on-call",
        "alerts",
        "alert",
        "team",
        "sre",
        "warroom",
        "war-room",
        "help",
        "support",
        "eng",
        "prod",
        "outage",
        "notifications",
        "notify",
        "pages",
        "page",
        "dev",
        "devs",
        "room",
        "chat",
        "triage",
    }
)
"""Trailing channel-name words that say what kind of channel it is, not which service."""

NON_SERVICE_AFFIXES = frozenset({"team", "eng", "dev", "devs", "chat", "room", "ask", "x"})
"""Affixes that say whose channel it is (a team's, a chat room), not that incidents of a service are handled there."""

GENERAL_CHANNELS = frozenset(
    {
        "general",
        "random",
        "announcements",
        "announce",
        "social",
        "watercooler",
        "off-topic",
        "offtopic",
        "fun",
        "introductions",
        "hello",
        "lounge",
        "news",
        "all",
        "everyone",
        "dm",
        "mpdm",
    }
)
"""Channels that belong to no service: their scope is ``channel:<name>``."""

_MONTHS = frozenset(
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)


def _is_noise_token(token: str) -> bool:
    return token.isdigit() or token in _MONTHS or bool(re.fullmatch(r"\d{4}[a-z]{0,3}\d{0,4}", token))


def channel_scope(name: str, general: bool = False) -> str:
    """A chat channel's scope: ``service:<slug>`` when its name carries an incident/ops affix, else ``channel:<slug>``."""
    base = slug(name or "")
    if general or base in GENERAL_CHANNELS or base.startswith(("mpdm-", "dm-")):
        return f"channel:{base}"
    tokens = [t for t in re.split(r"[-_.]+", base) if t]
    tokens = [t for t in tokens]
    while tokens and _is_noise_token(tokens[-1]):
        tokens.pop()
    while tokens and _is_noise_token(tokens[0]):
        tokens.pop(0)
    named = list(tokens)
    # strip affixes such as inc-/-ops/-alerts, but never the last word: a service may be called
    # 'notifications' or 'alerts', and '#notifications-ops' is that service's channel
    while len(tokens) > 1 and (tokens[0] in CHANNEL_PREFIXES or _is_noise_token(tokens[0])):
        tokens.pop(0)
    while len(tokens) > 1 and (tokens[-1] in CHANNEL_SUFFIXES or _is_noise_token(tokens[-1])):
        tokens.pop()
    if len(tokens) == 1 and tokens[0] in CHANNEL_PREFIXES:
        tokens = []  # '#ops', '#incidents': a kind of channel, no service
    # 'on-call' splits into two tokens; strip the pair at either end too
    if tokens[-2:] == ["on", "call"]:
        tokens = tokens[:-2]
    if tokens[:2] == ["on", "call"]:
        tokens = tokens[2:]
    if not tokens or "-".join(tokens) in GENERAL_CHANNELS:
        return f"channel:{base}"
    stripped = [t for t in named if t not in tokens]
    if not any(t not in NON_SERVICE_AFFIXES and not _is_noise_token(t) for t in stripped):
        # no incident/ops affix: a topic or team channel (#tools, #team-d3) names no service (DESIGN.md, Scopes)
        return f"channel:{base}"
    return f"service:{'-'.join(tokens)}"


def service_scope(name: str) -> str:
    """``service:<slug>``."""
    return f"service:{slug(name)}"


def task_scope(action: str, service: str) -> str:
    """``task:<action>:<slug>``."""
    return f"task:{slug(action)}:{slug(service)}"


_SCOPE_TAG = re.compile(r"^(?:service|svc|component|app)\s*[:=/]\s*(.+)$", re.IGNORECASE)


def scope_from_tags(tags: Iterable[Any] | None) -> str | None:
    """``service:<slug>`` from a tag like ``service:payments-api`` (also ``=`` and ``/``), else None."""
    for tag in tags or []:
        m = _SCOPE_TAG.match(str(tag).strip())
        if m and m.group(1).strip():
            return service_scope(m.group(1))
    return None


# ---------------------------------------------------------------------------------------------- people

BOT_WORDS = (
    "system",
    "alert api",
    "api",
    "integration",
    "automation",
    "heartbeat",
    "webhook",
    "scheduler",
    "pagerduty",
    "opsgenie",
    "datadog",
    "prometheus",
    "alertmanager",
    "grafana",
    "nagios",
    "zabbix",
    "new relic",
    "newrelic",
    "sentry",
    "cloudwatch",
    "stackdriver",
    "jenkins",
    "github actions",
    "dependabot",
    "renovate",
    "slackbot",
    "jira automation",
    "automation for jira",
    "bot",
)
"""Actor names (whole, case-insensitive) or leading words that are integrations, never people."""


def is_bot_name(name: str | None) -> bool:
    """Whether an actor name is an integration or automation rather than a person."""
    if not name:
        return False
    low = name.strip().lower()
    if low.endswith("[bot]") or low.endswith("-bot") or low.endswith(" bot") or low.endswith("_bot"):
        return True
    if low in BOT_WORDS:
        return True
    return low.startswith(("integration:", "integration ", "api ", "automation "))


def actor_ref(source: str, value: str, is_bot: bool = False) -> PersonRef:
    """A PersonRef for a bare actor string: an email becomes ``email``, anything else a handle."""
    value = value.strip()
    bot = is_bot or is_bot_name(value)
    if looks_like_email(value):
        return PersonRef(source=source, key=value.lower(), email=value.lower(), is_bot=bot)
    return PersonRef(source=source, key=value, handle=value.lstrip("@"), name=value, is_bot=bot)


# ---------------------------------------------------------------------------------------------- pull-ins

_PLAIN_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][\w.\-]*[A-Za-z0-9_]|[A-Za-z0-9])")


_NAME_TOKEN = re.compile(r"\w+(?:[.\-'’]\w+)*")

NAME_MIN_CHARS = 3
"""Shortest written name indexed (shorter ones collide with ordinary words: "al", "jo")."""


class NameIndex:
    """All known written names (full names, first names, handles) of a source, found in one pass.

    Names are split into word tokens and indexed by their first token, so finding every name in a
    text is one tokenisation and one dictionary lookup per word: linear in the text, whatever the
    number of people (issue 13, "Names in one pass").
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for name, key in names.items():
            tokens = tuple(t.lower() for t in _NAME_TOKEN.findall(name))
            if not tokens or len(name.strip()) < NAME_MIN_CHARS:
                continue
            self._first.setdefault(tokens[0], []).append((tokens, key))
        for seqs in self._first.values():
            seqs.sort(key=lambda sk: -len(sk[0]))

    def __bool__(self) -> bool:
        return bool(self._first)

    def find(self, text: str | None) -> list[tuple[str, int, int]]:
        """(key, start, end) of each whole-word name written in ``text`` (not ``@handle`` tokens)."""
        if not text or not self._first:
            return []
        words = [(m.start(), m.end(), m.group(0).lower()) for m in _NAME_TOKEN.finditer(text)]
        out: list[tuple[str, int, int]] = []
        for i, (start, _end, word) in enumerate(words):
            seqs = self._first.get(word)
            if not seqs or (start and text[start - 1] == "@"):
                continue
            for tokens, key in seqs:
                span = words[i : i + len(tokens)]
                if len(span) == len(tokens) and all(w[2] == t for w, t in zip(span, tokens, strict=True)):
                    out.append((key, start, span[-1][1]))
                    break
        return out


JUDGEMENT_CHARS = 1200
"""Characters of a message's text kept as evidence for judgement: a long chat message or comment
(a pasted command and its explanation) is a few hundred; the chunk keeps the whole thread."""


def evidence_text(text: str | None) -> str:
    """A message's text for judgement: secrets redacted first, then cut (lines kept)."""
    from ingest.redact import redact_stored

    red = redact_stored(text or "")[0]
    return red if len(red) <= JUDGEMENT_CHARS else red[: JUDGEMENT_CHARS - 1] + "…"


def mention_tokens(text: str | None) -> list[str]:
    """``@handle`` tokens in plain text, in order, without duplicates (email addresses excluded)."""
    seen: list[str] = []
    for m in _PLAIN_MENTION.finditer(text or ""):
        token = "@" + m.group(1)
        if m.group(1).lower() in {"here", "channel", "everyone"}:
            continue
        if token not in seen:
            seen.append(token)
    return seen


_PD_URL = re.compile(r"pagerduty\.com/incidents/([A-Z0-9]{6,20})\b")
_PD_ID = re.compile(r"(?<![A-Za-z0-9/])(P(?=[A-Z]*[0-9])[A-Z0-9]{6})(?![A-Za-z0-9])")
_OG_URL = re.compile(r"opsgenie\.com/alert/detail/([0-9a-f\-]{20,})", re.IGNORECASE)


def incident_refs(text: str | None) -> list[str]:
    """Incident keys a text references: PagerDuty incident URLs or ids, Opsgenie alert URLs."""
    if not text:
        return []
    found: list[tuple[int, str]] = []
    for m in _PD_URL.finditer(text):
        found.append((m.start(), f"pagerduty:{m.group(1)}"))
    for m in _PD_ID.finditer(text):
        found.append((m.start(), f"pagerduty:{m.group(1)}"))
    for m in _OG_URL.finditer(text):
        found.append((m.start(), f"opsgenie:{m.group(1).lower()}"))
    out: list[str] = []
    for _, key in sorted(found):
        if key not in out:
            out.append(key)
    return out


_GH_ISSUE_URL = re.compile(r"github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)\b")
_JIRA_KEY = re.compile(r"(?<![A-Za-z0-9#-])([A-Z][A-Z0-9]{1,9}-[1-9]\d{0,6})(?![A-Za-z0-9-])")


def link_refs(text: str | None) -> list[str]:
    """Incident and ticket keys a text names: ``incident_refs``, Jira keys (bare or in a /browse/ URL)
    and GitHub issue or pull-request URLs, in order of appearance, without duplicates.

    A Jira-shaped token that names no stored issue ('UTF-8') is harmless: linking keeps only the
    keys that name a stored incident.
    """
    if not text:
        return []
    found: list[tuple[int, str]] = [(text.find(k.split(":", 1)[1]), k) for k in incident_refs(text)]
    for m in _GH_ISSUE_URL.finditer(text):
        found.append((m.start(), f"github:{m.group(1)}#{m.group(2)}"))
    for m in _JIRA_KEY.finditer(text):
        found.append((m.start(), f"jira:{m.group(1)}"))
    out: list[str] = []
    for _, key in sorted(found):
        if key not in out:
            out.append(key)
    return out


# ---------------------------------------------------------------------------------------------- reading


def items_or_problem(path: Path, prefix: str) -> Iterator[Any]:
    """Stream the array at ``prefix``; a parse error ends the stream with a Problem."""
    try:
        yield from iter_json_items(path, prefix)
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError, OSError) as exc:
        yield Problem(path=str(path), reason=f"invalid JSON: {excerpt(str(exc), 160)}")


def load_or_problem(path: Path) -> Any:
    """Load a small JSON file, or a Problem saying why it could not be read."""
    try:
        return json_value(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        return Problem(path=str(path), reason=f"invalid JSON: {excerpt(str(exc), 160)}")
    except OSError as exc:
        return Problem(path=str(path), reason=f"unreadable: {exc.strerror or exc}")


PARTIAL_SHAPE_EVENTS = 4000
"""Parser events read to outline a damaged file (the same budget ``json_shape`` uses)."""


def shape_of(path: Path, shape: Shape | None = None) -> Shape | None:
    """The given shape, else the file's outline, else the outline of its readable beginning."""
    if shape is not None:
        return shape
    whole = json_shape(path)
    if whole is not None:
        return whole
    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    top = ""
    keys: list[str] = []
    item_keys: list[str] = []
    state = {"in_item": False}
    try:
        with path.open("rb") as fh:
            for n, (prefix, event, value) in enumerate(ijson.parse(fh)):
                if n == 0:
                    if event not in ("start_map", "start_array"):
                        return None
                    top = "object" if event == "start_map" else "array"
                    continue
                if top == "object" and prefix == "" and event == "map_key":
                    keys.append(value)
                item_prefix = "item" if top == "array" else (f"{keys[-1]}.item" if keys else "")
                if item_prefix and prefix == item_prefix and event == "start_map" and not item_keys:
                    state["in_item"] = True
                elif state["in_item"] and prefix == item_prefix and event == "map_key":
                    item_keys.append(value)
                elif state["in_item"] and prefix == item_prefix and event == "end_map":
                    state["in_item"] = False
                if n > PARTIAL_SHAPE_EVENTS:
                    break
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError, OSError):
        pass
    if not top or (top == "object" and not keys):
        return None
    return Shape(top=top, keys=keys, item_keys=item_keys)


ITEM_ERRORS = (TypeError, AttributeError, ValueError, KeyError, IndexError, OverflowError)
"""What a wrongly-typed field raises while one item is read (pydantic errors are ValueErrors)."""


def item_problem(path: Path | str, record: str | None, exc: BaseException) -> Problem:
    """A Problem for one item whose fields have the wrong shape (the rest of the file is still read)."""
    detail = str(exc).splitlines()[0][:160] if str(exc) else ""
    return Problem(
        path=str(path), record=record, reason=f"malformed item: {exc.__class__.__name__}: {detail}"
    )
