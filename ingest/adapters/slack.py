"""Slack workspace exports (a folder or a .zip): one record per thread, and the users directory.

Layout: ``users.json``, ``channels.json`` (and ``groups.json``, ``dms.json``, ``mpims.json``),
one folder per conversation holding ``YYYY-MM-DD.json`` message arrays.  Replies of a thread may
sit in later day files; they are grouped by ``thread_ts`` across the whole conversation.

Zip files are read in memory, never extracted.  Entries that would escape the export folder,
symlinks, and entries whose size or compression ratio is absurd are refused with a Problem.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import stat
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest import actions
from ingest.adapters._common import (
    ITEM_ERRORS,
    NameIndex,
    channel_scope,
    clean_text,
    epoch_ts,
    evidence_text,
    excerpt,
    incident_refs,
    item_problem,
    service_scope,
)
from ingest.adapters.base import Adapter, ReadContext, Shape, json_value, register
from ingest.records import ActivityIn, ChunkIn, PersonRef, Problem, Record

MAX_ENTRY_BYTES = 512 * 1024 * 1024
"""Largest uncompressed zip entry read (512 MiB): a day file is kilobytes, users.json of a 100k-seat
workspace is ~200 MB."""

MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
"""Largest total uncompressed size of an export zip (8 GiB), far above any text-only export."""

MAX_COMPRESSION_RATIO = 200
"""Largest uncompressed/compressed ratio of one entry.  JSON deflates 5-20x, highly repetitive JSON
stays under ~100x; zip bombs reach ~1000x per deflate layer."""

RATIO_MIN_BYTES = 1024 * 1024
"""The ratio check applies to entries above 1 MiB uncompressed: tiny files may compress absurdly
(an all-spaces file) and cannot hurt."""

SNIFF_BYTES = 256 * 1024
"""Bytes of a damaged zip scanned for ``channels.json``/``users.json`` names when sniffing."""

DIRECTORY_FILES = ("users.json", "channels.json", "groups.json", "dms.json", "mpims.json")
"""The export's top-level metadata files."""

IGNORED_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "reminder_add",
        "tombstone",
        "message_deleted",
        "message_changed",
        "joiner_notification",
        "joiner_notification_for_inviter",
        "sh_room_created",
        "channel_convert_to_private",
        "channel_posting_permissions",
    }
)
"""Message subtypes that are membership or housekeeping, not conversation."""

BOT_SUBTYPES = frozenset({"bot_message", "slackbot_response"})
"""Message subtypes written by integrations."""

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_ALERT = re.compile(
    r"^\W{0,12}\[(?:FIRING|ALERT|TRIGGERED)(?::\d+)?\]\s*([A-Za-z0-9][\w.\-]*[A-Za-z0-9])\s*[:\u2014\u2013]\s*\S",
    re.IGNORECASE,
)
"""An alert bot's opening line naming its service: Alertmanager's ``[FIRING:1] <service>: <summary>``."""
_INCIDENT_CHANNEL = re.compile(r"^(?:inc|incident|ir|sev\d?|outage|war-?room)[-_]", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- sources


class _Tree:
    """The files of one export, whether a folder or a zip, relative to the export root."""

    label: str  # the folder or zip path, for problems and record paths

    def names(self) -> list[str]:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        raise NotImplementedError

    def record_path(self, name: str) -> str:
        raise NotImplementedError

    def close(self) -> None:
        return None


class _FolderTree(_Tree):
    """An unpacked export folder (symlinks are not followed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        self.refused: list[Problem] = []

    def names(self) -> list[str]:
        out: list[str] = []
        self.refused = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            for d in list(dirnames):
                if (here / d).is_symlink():
                    dirnames.remove(d)
                    self.refused.append(Problem(path=str(here / d), reason="symlink refused in Slack export"))
            for f in filenames:
                p = here / f
                if not f.endswith(".json"):
                    continue
                if p.is_symlink():
                    self.refused.append(Problem(path=str(p), reason="symlink refused in Slack export"))
                    continue
                out.append(p.relative_to(self.root).as_posix())
        return sorted(out)

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def record_path(self, name: str) -> str:
        return str(self.root / name)


class _ZipTree(_Tree):
    """A zipped export, checked entry by entry before anything is read."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, prefix: str, entries: dict[str, zipfile.ZipInfo]):
        self.path = path
        self.label = str(path)
        self.zf = zf
        self.prefix = prefix
        self.entries = entries

    def names(self) -> list[str]:
        return sorted(self.entries)

    def read(self, name: str) -> bytes:
        info = self.entries[name]
        with self.zf.open(info) as fh:
            data = fh.read(MAX_ENTRY_BYTES + 1)
        if len(data) > MAX_ENTRY_BYTES:
            raise ValueError(f"entry larger than {MAX_ENTRY_BYTES} bytes")
        return data

    def record_path(self, name: str) -> str:
        return str(self.path)

    def close(self) -> None:
        self.zf.close()


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is refused, or None when it is safe to read."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "entry escapes the export folder"
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        return "symlink entry refused"
    if info.file_size > MAX_ENTRY_BYTES:
        return f"entry too large when uncompressed ({info.file_size} bytes > {MAX_ENTRY_BYTES})"
    if info.file_size > RATIO_MIN_BYTES and info.compress_size > 0:
        ratio = info.file_size / info.compress_size
        if ratio > MAX_COMPRESSION_RATIO:
            return f"compression ratio {ratio:.0f}x exceeds {MAX_COMPRESSION_RATIO}x (zip bomb?)"
    if info.file_size > RATIO_MIN_BYTES and info.compress_size == 0:
        return "entry claims data but has none (zip bomb?)"
    return None


def _open_zip(path: Path) -> tuple[_ZipTree | None, list[Problem]]:
    """Open a zipped export, refusing unsafe entries; a damaged zip yields only a Problem."""
    problems: list[Problem] = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        return None, [Problem(path=str(path), reason=f"corrupt or truncated zip: {exc}")]
    infos = [i for i in zf.infolist() if not i.is_dir()]
    total = 0
    safe: list[zipfile.ZipInfo] = []
    for info in infos:
        reason = _unsafe_reason(info)
        if reason:
            problems.append(
                Problem(path=str(path), record=info.filename, reason=f"{reason}: {info.filename}")
            )
            continue
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            problems.append(
                Problem(
                    path=str(path),
                    record=info.filename,
                    reason=f"export larger than {MAX_TOTAL_BYTES} bytes uncompressed; stopped at {info.filename}",
                )
            )
            break
        safe.append(info)
    # the export root is the folder holding channels.json (or users.json), shallowest first
    roots = sorted(
        (
            posixpath.dirname(i.filename)
            for i in safe
            if posixpath.basename(i.filename) in ("channels.json", "users.json")
        ),
        key=lambda d: (d.count("/"), d),
    )
    prefix = (roots[0] + "/") if roots and roots[0] else ""
    entries = {
        i.filename[len(prefix) :]: i
        for i in safe
        if i.filename.startswith(prefix) and i.filename.endswith(".json")
    }
    return _ZipTree(path, zf, prefix, entries), problems


# ---------------------------------------------------------------------------------------------- model


@dataclass
class _Conversation:
    """A channel, private group, DM or multi-person DM of the export."""

    id: str
    name: str
    folder: str
    general: bool = False


@dataclass
class _Thread:
    """Messages of one thread, in time order."""

    channel: _Conversation
    thread_ts: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    first_name: str = ""  # day file the thread's first message came from


def _person(user: dict[str, Any]) -> PersonRef:
    profile = user.get("profile") or {}
    uid = str(user.get("id") or "")
    return PersonRef(
        source="slack",
        key=uid or None,
        name=profile.get("real_name") or user.get("real_name") or profile.get("display_name") or None,
        email=(profile.get("email") or None),
        handle=user.get("name") or profile.get("display_name") or None,
        is_bot=bool(user.get("is_bot") or user.get("is_app_user") or uid == "USLACKBOT"),
        timezone=user.get("tz") or None,
    )


# ---------------------------------------------------------------------------------------------- adapter


@register
class SlackAdapter(Adapter):
    """A Slack workspace export, unpacked or zipped."""

    kind = "slack"
    folder = True

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """A folder or zip holding users.json and channels.json."""
        if path.is_dir():
            return (path / "users.json").is_file() and (path / "channels.json").is_file()
        if path.suffix.lower() != ".zip" or not path.is_file():
            return False
        try:
            with zipfile.ZipFile(path) as zf:
                base = {posixpath.basename(n) for n in zf.namelist()}
            return "users.json" in base and "channels.json" in base
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            # damaged: claim it when its local headers name the export files, so read() reports it
            try:
                with path.open("rb") as fh:
                    head = fh.read(SNIFF_BYTES)
            except OSError:
                return False
            return b"channels.json" in head or b"users.json" in head

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Every export in ``paths`` (folders or zips; a users.json path stands for its folder)."""
        seen: set[Path] = set()
        for raw in paths:
            path = raw.parent if raw.is_file() and raw.suffix.lower() == ".json" else raw
            if path in seen:
                continue
            seen.add(path)
            if path.is_dir():
                tree: _Tree = _FolderTree(path)
                problems: list[Problem] = []
            elif path.is_file():
                opened, problems = _open_zip(path)
                yield from problems
                if opened is None:
                    continue
                tree = opened
            else:
                yield Problem(path=str(path), reason="not found")
                continue
            try:
                yield from self._read_tree(tree)
            except ITEM_ERRORS as exc:  # reliability fuzz: e.g. a wrongly-typed users.json entry
                yield item_problem(tree.label, None, exc)
            finally:
                tree.close()

    # ------------------------------------------------------------------------------------------

    def _load(self, tree: _Tree, name: str) -> Any:
        """JSON of one entry, or a Problem naming the export and entry."""
        try:
            return json_value(tree.read(name))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return self._problem(tree, name, f"invalid JSON: {excerpt(str(exc), 160)}")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError) as exc:
            return self._problem(tree, name, f"unreadable entry: {excerpt(str(exc), 160)}")

    @staticmethod
    def _problem(tree: _Tree, name: str, reason: str) -> Problem:
        if isinstance(tree, _ZipTree):
            return Problem(path=tree.label, record=name, reason=f"{reason} ({name})")
        return Problem(path=tree.record_path(name), reason=reason)

    def _read_tree(self, tree: _Tree) -> Iterator[Record | Problem]:
        names = tree.names()
        if isinstance(tree, _FolderTree):
            yield from tree.refused
        present = set(names)

        users: dict[str, dict[str, Any]] = {}
        if "users.json" in present:
            loaded = self._load(tree, "users.json")
            if isinstance(loaded, Problem):
                yield loaded
            elif isinstance(loaded, list):
                users = {str(u["id"]): u for u in loaded if isinstance(u, dict) and u.get("id")}
            else:
                yield self._problem(tree, "users.json", "users.json is not a list of users")

        people = {uid: _person(u) for uid, u in users.items()}
        name_index = NameIndex(_name_index(users))
        if people:
            team = next((str(u.get("team_id")) for u in users.values() if u.get("team_id")), None)
            yield Record(
                kind=self.kind,
                key=f"directory:{team or Path(tree.label).stem}",
                path=tree.record_path("users.json"),
                title="Slack users",
                people=sorted(people.values(), key=lambda p: p.key or ""),
            )

        conversations: dict[str, _Conversation] = {}
        for meta in ("channels.json", "groups.json", "mpims.json", "dms.json"):
            if meta not in present:
                continue
            loaded = self._load(tree, meta)
            if isinstance(loaded, Problem):
                yield loaded
                continue
            for ch in loaded if isinstance(loaded, list) else []:
                if not isinstance(ch, dict) or not ch.get("id"):
                    continue
                cid = str(ch["id"])
                name = str(ch.get("name") or cid)
                folder = cid if meta == "dms.json" else name
                conversations[folder] = _Conversation(
                    id=cid,
                    name=name if meta != "dms.json" else f"dm-{cid}",
                    folder=folder,
                    general=bool(ch.get("is_general")) or meta in ("dms.json", "mpims.json"),
                )

        by_folder: dict[str, list[str]] = defaultdict(list)
        for name in names:
            folder, _, base = name.rpartition("/")
            if folder and "/" not in folder and _DAY_FILE.match(base):
                by_folder[folder].append(name)

        for folder in sorted(by_folder):
            conv = conversations.get(folder) or _Conversation(id=folder, name=folder, folder=folder)
            yield from self._read_conversation(tree, conv, sorted(by_folder[folder]), people, name_index)

    def _read_conversation(
        self,
        tree: _Tree,
        conv: _Conversation,
        day_files: list[str],
        people: dict[str, PersonRef],
        names: NameIndex,
    ) -> Iterator[Record | Problem]:
        threads: dict[str, _Thread] = {}
        for name in day_files:
            loaded = self._load(tree, name)
            if isinstance(loaded, Problem):
                yield loaded
                continue
            if not isinstance(loaded, list):
                yield self._problem(tree, name, "day file is not a list of messages")
                continue
            for msg in loaded:
                if not isinstance(msg, dict) or not msg.get("ts"):
                    continue
                if msg.get("subtype") in IGNORED_SUBTYPES:
                    continue
                tts = str(msg.get("thread_ts") or msg["ts"])
                thread = threads.get(tts)
                if thread is None:
                    thread = threads[tts] = _Thread(channel=conv, thread_ts=tts, first_name=name)
                thread.messages.append(msg)
        scope = channel_scope(conv.name, general=conv.general)
        # an incident channel (inc-*, incident-*) that references exactly one incident is that
        # incident's room: its threads that name none belong to it.  A long-lived channel naming
        # several incidents links only the threads that name one.
        channel_incident = None
        if _INCIDENT_CHANNEL.match(conv.name):
            named = {
                ref for t in threads.values() for m in t.messages for ref in incident_refs(_message_text(m))
            }
            if len(named) == 1:
                channel_incident = named.pop()
        mention_names = _mention_names(people)
        for tts in sorted(threads, key=float_or_zero):
            thread = threads[tts]
            thread.messages.sort(key=lambda m: float_or_zero(m.get("ts")))
            # an export may repeat a message (thread_broadcast, overlapping exports): keep one per ts
            unique: dict[str, dict[str, Any]] = {}
            for m in thread.messages:
                unique.setdefault(str(m["ts"]), m)
            thread.messages = list(unique.values())
            try:
                yield self._thread_record(tree, thread, scope, people, names, channel_incident, mention_names)
            except ITEM_ERRORS as exc:  # reliability fuzz: a wrongly-typed message field
                yield item_problem(tree.label, f"thread {tts}", exc)

    def _thread_record(
        self,
        tree: _Tree,
        thread: _Thread,
        scope: str,
        people: dict[str, PersonRef],
        names: NameIndex,
        channel_incident: str | None = None,
        mention_names: dict[str, str] | None = None,
    ) -> Record:
        conv = thread.channel
        if mention_names is None:
            mention_names = _mention_names(people)
        locator = f"{conv.folder}/{thread.thread_ts}"
        lines: list[str] = []
        activities: list[ActivityIn] = []
        refs: list[str] = []
        parsed: list[tuple[dict[str, Any], datetime | None, str, PersonRef | None, str, str]] = []
        for msg in thread.messages:
            ts = epoch_ts(msg.get("ts"))
            raw = _message_text(msg)
            text = clean_text(raw, mention_names)
            author, speaker = self._author(msg, people)
            parsed.append((msg, ts, raw, author, speaker, text))
            when = ts.strftime("%Y-%m-%d %H:%M:%SZ") if ts else "?"
            lines.append(f"[{when}] {speaker}: {text}")
            for ref in incident_refs(raw):
                if ref not in refs:
                    refs.append(ref)
        incident = refs[0] if refs else channel_incident
        # a thread opened by an alert bot naming its service belongs to that service, whatever the
        # (team) channel is called; the alert line is kept as evidence for linking it to the page
        alert = _alert_line(parsed[0][2]) if parsed and parsed[0][3] is None else None
        if alert is not None and not scope.startswith("channel:"):
            scope = service_scope(alert[0])

        for msg, ts, raw, author, _speaker, text in parsed:
            if author is None or author.is_bot or ts is None:
                continue
            # evidence for judgement at analysis time (agent.analytics.judgement): the message's text,
            # whom it mentions by id, which known names it writes outside code
            mentions = [
                [uid, token]
                for token, uid in _mentions(raw)
                if uid != author.key and not _is_bot(people, uid)
            ]
            explicit = {uid for uid, _ in mentions}
            plain = _CODE.sub(" ", text)
            named: list[list[str]] = []
            for uid, start, end in names.find(plain):
                if uid in explicit or uid == author.key or any(n[0] == uid for n in named):
                    continue
                named.append([uid, plain[start:end]])
            detail: dict[str, Any] = {"ts": str(msg.get("ts")), "text": evidence_text(raw)}
            if mentions:
                detail["mentions"] = mentions
            if named:
                detail["named"] = named
            if alert:
                detail["thread_alert"] = alert[1]
                detail["thread_start"] = thread.thread_ts
            activities.append(
                ActivityIn(
                    person=author,
                    scope=scope,
                    action=actions.CHAT,
                    ts=ts,
                    incident=incident,
                    chunk_locator=locator,
                    detail=detail,
                )
            )

        first_ts = next((ts for _, ts, _, _, _, _ in parsed if ts), None)
        first_text = parsed[0][5] if parsed else ""
        title = f"#{conv.name}: {excerpt(first_text, 80)}"
        chunk = ChunkIn(
            text=f"#{conv.name} thread\n" + "\n".join(lines),
            kind="chat_thread",
            locator=locator,
            scope=scope,
            title=title,
            ts=first_ts,
        )
        # A thread only bots wrote in (alert fired / resolved) carries no human knowledge: keep the
        # record (alert volume is a fact) but do not spend the embedding model on it.
        human = any(author is not None and not author.is_bot for _, _, _, author, _, _ in parsed)
        return Record(
            kind=self.kind,
            key=f"thread:{conv.id}:{thread.thread_ts}",
            path=tree.record_path(thread.first_name),
            title=title,
            occurred_at=first_ts,
            activities=activities,
            chunks=[chunk] if human else [],
        )

    @staticmethod
    def _author(msg: dict[str, Any], people: dict[str, PersonRef]) -> tuple[PersonRef | None, str]:
        """The person who wrote a message (None for bots) and the name shown for them."""
        known = people.get(str(msg.get("user") or ""))
        bot_name = (
            msg.get("username")
            or (msg.get("bot_profile") or {}).get("name")
            or (known.label() if known else "bot")
        )
        if msg.get("bot_id") or msg.get("subtype") in BOT_SUBTYPES:
            return None, f"{bot_name} [bot]"
        uid = msg.get("user")
        if not uid:
            return None, str(bot_name)
        uid = str(uid)
        person = people.get(uid)
        if person is None:
            profile = msg.get("user_profile") or {}
            person = PersonRef(
                source="slack",
                key=uid,
                name=profile.get("real_name") or None,
                handle=profile.get("name") or profile.get("display_name") or None,
                is_bot=uid == "USLACKBOT",
            )
        if person.is_bot:
            return None, f"{person.label()} [bot]"
        return person, person.name or person.handle or uid


FIRST_NAME_MIN = 3
"""Shortest first name matched in plain text (shorter ones collide with ordinary words)."""


def _name_index(users: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Written names (full, first, display, handle) that identify exactly one person -> user id."""
    seen: dict[str, set[str]] = defaultdict(set)
    for uid, u in users.items():
        if u.get("is_bot") or u.get("is_app_user") or u.get("deleted") or uid == "USLACKBOT":
            continue
        profile = u.get("profile") or {}
        real = str(profile.get("real_name") or u.get("real_name") or "").strip()
        candidates = {
            real,
            real.split()[0] if real else "",
            str(profile.get("first_name") or ""),
            str(profile.get("display_name") or ""),
            str(u.get("name") or ""),
        }
        for c in candidates:
            c = c.strip().lower()
            if len(c) >= FIRST_NAME_MIN:
                seen[c].add(uid)
    return {name: next(iter(ids)) for name, ids in seen.items() if len(ids) == 1}


_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)


def _alert_line(raw: str) -> tuple[str, str] | None:
    """(service, the alert line) when a message is an alert naming its service, else None."""
    line = (raw or "").strip().splitlines()[0] if (raw or "").strip() else ""
    m = _ALERT.match(line)
    if m is None:
        return None
    return m.group(1), excerpt(line)


def _mention_names(people: dict[str, PersonRef]) -> dict[str, str]:
    """The name written after '@' for each user id (what :func:`clean_text` puts for ``<@U…>``)."""
    return {uid: (p.handle or p.name or uid) for uid, p in people.items()}


def _is_bot(people: dict[str, PersonRef], uid: str) -> bool:
    """Whether a mentioned user id is a known bot (a mention of an integration pulls nobody in)."""
    known = people.get(uid)
    return bool(known and known.is_bot)


def float_or_zero(value: Any) -> float:
    """A Slack ts as a float for ordering (0.0 when missing)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _mentions(raw: str) -> list[tuple[str, str]]:
    """(token as written, user id) of each distinct ``<@U…>`` mention."""
    out: dict[str, str] = {}
    for m in _MENTION.finditer(raw or ""):
        out.setdefault(m.group(1), m.group(0))
    return [(token, uid) for uid, token in out.items()]


def _message_text(msg: dict[str, Any]) -> str:
    """A message's text, with attachment fallbacks and file names (alerts often live there)."""
    parts = [str(msg.get("text") or "")]
    for att in msg.get("attachments") or []:
        if isinstance(att, dict):
            extra = att.get("fallback") or att.get("text") or att.get("title")
            if extra and extra not in parts[0]:
                parts.append(str(extra))
    for f in msg.get("files") or []:
        if isinstance(f, dict) and (f.get("title") or f.get("name")):
            parts.append(f"[file: {f.get('title') or f.get('name')}]")
    return "\n".join(p for p in parts if p)
