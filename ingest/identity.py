"""Identity resolution: one person, many aliases.

Rules (DESIGN.md "People"):
- aliases merge automatically on a shared email (case-insensitive), on explicit links
  (a Slack profile's email, a PagerDuty user's email, a git ``.mailmap``), and on the
  same full name within one source;
- a name matching across sources only *suggests* a merge (``merge_suggestions``), unless both
  people's accounts (an e-mail's local part, a handle) spell that name the same way
  (``spells_name``: 'heriksen' in chat and 'heriksen@ops…' in paging), which links them explicitly;
- an aliases file settles the rest;
- bots and integrations never become people.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Text, bindparam, cast, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ingest.adapters.accounts import is_service_account
from ingest.db import (
    Activity,
    Alias,
    MergeSuggestion,
    Person,
    RecordRow,
    Shift,
    bulk_insert,
    table_of,
    utcnow,
)
from ingest.records import PersonRef, slug

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SLACK_ID_RE = re.compile(r"^[UW][A-Z0-9]{6,12}$")

HANDLE_SPACES = {"slack": "chat", "markdown": "chat", "github": "forge", "git": "forge"}
"""Handles are shared between chat sources (a postmortem's @handle is a Slack handle) and between forges."""

MENTION_SOURCES = frozenset({"markdown"})
"""Sources whose bare names are mentions in prose (postmortems, runbooks), not accounts."""

EXTRA_MERGE_TABLES: list[tuple[Any, str]] = []
"""(table, column) pairs of other layers holding person ids to rewrite on a merge (the ledger registers here)."""


class AliasFileError(ValueError):
    """The aliases file is not in the DESIGN.md format."""


def _norm_name(name: str) -> str:
    return " ".join(name.replace(".", " ").split()).lower()


def candidate_aliases(ref: PersonRef) -> list[tuple[str, str, str, str]]:
    """(kind, space, value, display) aliases an observation carries."""
    out: list[tuple[str, str, str, str]] = []
    if ref.email and EMAIL_RE.match(ref.email.strip()):
        out.append(("email", "", ref.email.strip().lower(), ref.email.strip()))
    if ref.key:
        out.append(("key", ref.source, ref.key.strip(), ref.key.strip()))
    if ref.handle:
        h = ref.handle.strip().lstrip("@")
        if h:
            out.append(("handle", HANDLE_SPACES.get(ref.source, ref.source), h.lower(), "@" + h))
    if ref.name and ref.name.strip():
        out.append(("name", ref.source, _norm_name(ref.name), ref.name.strip()))
    for link in ref.links:
        link = link.strip()
        if EMAIL_RE.match(link):
            out.append(("email", "", link.lower(), link))
        elif link:
            out.append(("name", ref.source, _norm_name(link), link))
    return out


def is_bot_ref(ref: PersonRef) -> bool:
    """Bots and integrations: flagged by the adapter, or named like one."""
    if ref.is_bot:
        return True
    for text in (ref.name, ref.handle, ref.email, ref.key):
        if text and ("[bot]" in text.lower() or text.lower() in {"slackbot", "uslackbot"}):
            return True
    return is_service_account(ref.name, ref.email, ref.handle)


class Resolver:
    """Canonical ids, creation and merges within one session (aliases files, look-ups by alias)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str, str], str] = {}
        self.people: dict[str, Person | None] = {}
        self.created = 0
        self.merged = 0

    def person(self, person_id: str) -> Person | None:
        """The person row, held strongly for the resolver's life (the session's identity map is weak)."""
        if person_id not in self.people:
            self.people[person_id] = self.session.get(Person, person_id)
        return self.people[person_id]

    def canonical(self, person_id: str) -> str:
        seen = set()
        while person_id not in seen:
            seen.add(person_id)
            row = self.person(person_id)
            if row is None or not row.merged_into:
                return person_id
            person_id = row.merged_into
        return person_id

    def _create(self, ref: PersonRef) -> str:
        pid = unique_person_id(ref, lambda p: self.person(p) is not None)
        row = Person(
            id=pid,
            name=(ref.name or ref.handle or ref.email or ref.key or pid).strip(),
            email=ref.email.strip().lower() if ref.email else None,
            timezone=ref.timezone,
        )
        self.session.add(row)
        self.session.flush()
        self.people[pid] = row
        self.created += 1
        return pid

    def _merge_all(self, ids: set[str]) -> str:
        rows = sorted(
            self.session.execute(select(Person).where(Person.id.in_(ids))).scalars(),
            key=lambda p: (p.created_at, p.id),
        )
        target = rows[0].id
        for other in rows[1:]:
            merge_people(self.session, other.id, target)
            self.merged += 1
        for key, pid in list(self.cache.items()):
            if pid in ids:
                self.cache[key] = target
        return target


def unique_person_id(ref: PersonRef, taken: Any) -> str:
    """A new person id from the observation's name (``taken(id)`` says whether an id is in use)."""
    base_text = (
        ref.name or (ref.email.split("@")[0] if ref.email else None) or ref.handle or ref.key or "person"
    )
    base = slug(base_text)[:56] or "person"
    pid, n = base, 1
    while taken(pid):
        n += 1
        pid = f"{base}-{n}"
    return pid


@dataclass
class _PersonState:
    """What a run knows of one person row."""

    id: str
    name: str
    email: str | None
    timezone: str | None
    merged_into: str | None
    created_at: datetime


class RunResolver:
    """Identity resolution for one ingest run, held in memory; new rows go out in bulk with each batch.

    The people, aliases and merge suggestions are read once when the run starts; every batch then
    resolves without a query and :meth:`flush` writes what it added inside the batch's transaction.
    A merge (rare) flushes first and runs :func:`merge_people` in that same transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.created = 0
        self.merged = 0
        self.load()

    def load(self) -> None:
        """(Re)read the identity tables; pending additions are dropped (after a rolled-back batch)."""
        with Session(self.engine) as s:
            self.people: dict[str, _PersonState] = {
                r.id: _PersonState(r.id, r.name, r.email, r.timezone, r.merged_into, r.created_at)
                for r in s.execute(
                    select(
                        Person.id,
                        Person.name,
                        Person.email,
                        Person.timezone,
                        Person.merged_into,
                        Person.created_at,
                    )
                )
            }
            self.aliases: dict[tuple[str, str, str], str] = {}
            self.names: dict[str, list[tuple[str, str]]] = {}
            for kind, space, value, pid in s.execute(
                select(Alias.kind, Alias.space, Alias.value, Alias.person_id)
            ):
                self.aliases[(kind, space, value)] = pid
                if kind == "name":
                    self.names.setdefault(value, []).append((space, pid))
            self.suggested: set[tuple[str, str]] = {
                (a, b) for a, b in s.execute(select(MergeSuggestion.person_a, MergeSuggestion.person_b))
            }
        self._seen: dict[tuple[Any, ...], str | None] = {}
        self._new_people: dict[str, _PersonState] = {}
        self._new_aliases: list[dict[str, Any]] = []
        self._new_suggestions: list[dict[str, str]] = []
        self._changed: set[str] = set()

    def canonical(self, person_id: str) -> str:
        seen = set()
        while person_id not in seen:
            seen.add(person_id)
            row = self.people.get(person_id)
            if row is None or not row.merged_into:
                return person_id
            person_id = row.merged_into
        return person_id

    def _lookup(self, key: tuple[str, str, str]) -> str | None:
        return self.aliases.get(key) or self.aliases.get((key[0], "*", key[2]))

    def resolve(self, session: Session, ref: PersonRef) -> str | None:
        """The person id for ``ref`` (creating or merging as the rules say); None for bots."""
        seen = (
            ref.source,
            ref.key,
            ref.name,
            ref.email,
            ref.handle,
            ref.is_bot,
            ref.timezone,
            tuple(ref.links),
        )
        if (
            seen in self._seen
        ):  # the same observation again resolves the same way: its aliases are all known now
            known = self._seen[seen]
            return self.canonical(known) if known is not None else None
        person_id = self._resolve(session, ref)
        self._seen[seen] = person_id
        return person_id

    def _resolve(self, session: Session, ref: PersonRef) -> str | None:
        if is_bot_ref(ref):
            return None
        cands = candidate_aliases(ref)
        if not cands:
            return None
        found: set[str] = set()
        missing: list[tuple[str, str, str, str]] = []
        for cand in cands:
            pid = self._lookup(cand[:3])
            if pid is None:
                missing.append(cand)
            else:
                found.add(self.canonical(pid))
        if not found:
            person_id = self._mentioned_person(ref) or self._create(ref)
        else:
            person_id = next(iter(found)) if len(found) == 1 else self._merge_all(session, found)
        for kind, space, value, display in missing:
            if (kind, space, value) in self.aliases:
                continue  # the same alias twice in one observation
            self.aliases[(kind, space, value)] = person_id
            if kind == "name":
                self.names.setdefault(value, []).append((space, person_id))
            self._new_aliases.append(
                dict(
                    person_id=person_id,
                    kind=kind,
                    space=space,
                    value=value,
                    display=display,
                    source=ref.source,
                )
            )
        if missing and ref.name:
            person_id = self._suggest_cross_source(session, person_id, ref)
        person = self.people.get(person_id)
        if person is not None:
            before = (person.name, person.email, person.timezone)
            if ref.timezone and not person.timezone:
                person.timezone = ref.timezone
            if ref.email and not person.email:
                person.email = ref.email.strip().lower()
            if ref.name and (person.name == person.id or "@" in person.name) and " " in ref.name.strip():
                person.name = ref.name.strip()
            if (person.name, person.email, person.timezone) != before and person_id not in self._new_people:
                self._changed.add(person_id)
        return person_id

    def _mentioned_person(self, ref: PersonRef) -> str | None:
        """A full name written in a document (no account behind it) that names exactly one known person.

        A postmortem's "Bob Smith restarted the primary" is a mention, not an account: it refers to the
        one person of that name the other sources know. Accounts (chat, paging, git) with the same name
        still only suggest a merge.
        """
        if ref.source not in MENTION_SOURCES or ref.email or ref.key or not ref.name:
            return None
        name = _norm_name(ref.name)
        if " " not in name:
            return None
        ids = {self.canonical(pid) for space, pid in self.names.get(name, []) if space != ref.source}
        return ids.pop() if len(ids) == 1 else None

    def _create(self, ref: PersonRef) -> str:
        pid = unique_person_id(ref, lambda p: p in self.people)
        row = _PersonState(
            id=pid,
            name=(ref.name or ref.handle or ref.email or ref.key or pid).strip(),
            email=ref.email.strip().lower() if ref.email else None,
            timezone=ref.timezone,
            merged_into=None,
            created_at=utcnow(),
        )
        self.people[pid] = row
        self._new_people[pid] = row
        self.created += 1
        return pid

    def _merge_all(self, session: Session, ids: set[str]) -> str:
        self.flush(session)
        rows = sorted((self.people[i] for i in ids), key=lambda p: (_naive(p.created_at), p.id))
        target = rows[0]
        for other in rows[1:]:
            merge_people(session, other.id, target.id)
            other.merged_into = target.id
            target.email = target.email or other.email
            target.timezone = target.timezone or other.timezone
            self.merged += 1
        return target.id

    def _account_tokens(self, person_id: str, ref: PersonRef | None = None) -> set[str]:
        """Handles and e-mail local parts known for a person (and carried by ``ref``), normalised."""
        values = [self.people[person_id].email if person_id in self.people else None]
        if ref is not None:
            values += [ref.email, *(x for x in ref.links if EMAIL_RE.match(x.strip()))]
        out = {_account_token(v.split("@")[0]) for v in values if v and "@" in v}
        if ref is not None and ref.handle:
            out.add(_account_token(ref.handle))
        return out - {""}

    def _same_account_name(self, person_id: str, other: str, ref: PersonRef, name: str) -> bool:
        """Whether the two people's accounts spell the shared full name the same way (see ``spells_name``)."""
        mine = {t for t in self._account_tokens(person_id, ref) if spells_name(t, name)}
        if not mine:
            return False
        theirs = self._account_tokens(other)
        for token in mine:
            for space in ACCOUNT_SPACES:
                pid = self._lookup(("handle", space, token))
                if pid is not None and self.canonical(pid) == other:
                    theirs.add(token)
        return bool(mine & theirs)

    def _suggest_cross_source(self, session: Session, person_id: str, ref: PersonRef) -> str:
        """Suggest merging same-named people of other sources; merge when their accounts corroborate it.

        Returns the person's id after any merge."""
        name = _norm_name(ref.name or "")
        if " " not in name:
            return person_id  # single words are too weak to suggest anything
        for space, other in list(self.names.get(name, [])):
            if space == ref.source:
                continue
            other = self.canonical(other)
            person_id = self.canonical(person_id)
            if other == person_id:
                continue
            if self._same_account_name(person_id, other, ref, name):
                person_id = self._merge_all(session, {person_id, other})
                continue
            a, b = sorted((person_id, other))
            if (a, b) not in self.suggested:
                self.suggested.add((a, b))
                self._new_suggestions.append(
                    dict(
                        person_a=a,
                        person_b=b,
                        reason=f"same name {ref.name!r} in different sources",
                        status="open",
                    )
                )
        return self.canonical(person_id)

    def flush(self, session: Session) -> None:
        """Write the people, aliases and suggestions added since the last flush (in ``session``'s transaction)."""
        if self._new_people:
            bulk_insert(
                session,
                table_of(Person),
                [
                    dict(
                        id=p.id,
                        name=p.name,
                        email=p.email,
                        timezone=p.timezone,
                        merged_into=p.merged_into,
                        created_at=p.created_at,
                    )
                    for p in self._new_people.values()
                ],
            )
            self._new_people = {}
        if self._new_aliases:
            bulk_insert(session, table_of(Alias), self._new_aliases)
            self._new_aliases = []
        if self._new_suggestions:
            bulk_insert(session, table_of(MergeSuggestion), self._new_suggestions)
            self._new_suggestions = []
        if self._changed:
            table = table_of(Person)
            session.execute(
                update(table)
                .where(table.c.id == bindparam("pid"))
                .values(name=bindparam("n"), email=bindparam("e"), timezone=bindparam("tz")),
                [
                    {"pid": p.id, "n": p.name, "e": p.email, "tz": p.timezone}
                    for p in (self.people[i] for i in sorted(self._changed))
                ],
            )
            self._changed = set()


ACCOUNT_SPACES = ("*", *sorted(set(HANDLE_SPACES.values())), "pagerduty", "opsgenie", "jira", "deploys")
"""Spaces whose handles are account names (chat, forge, paging, tickets, deploy logs)."""

MIN_SURNAME = 3
"""Shortest surname an account name must contain to corroborate a full name ('Li', 'Ng' are too common)."""


def _account_token(value: str) -> str:
    """An account name without case and separators: 'Harriet.Eriksen' -> 'harrieteriksen'."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


def spells_name(token: str, name: str) -> bool:
    """Whether an account name spells the person's full name: it holds the surname and starts with the
    first name or its initial ('heriksen', 'harriet.eriksen', 'eriksenh' for Harriet Eriksen).

    Two people of one full name whose accounts in different sources (an e-mail's local part, a handle)
    are the same such spelling are one person: a name alone only suggests a merge (DESIGN.md), a name
    plus an account spelling it the same way in both sources is an explicit link. A first name alone
    ('grant') or a surname under ``MIN_SURNAME`` letters corroborates nothing."""
    words = [_account_token(w) for w in name.split()]
    words = [w for w in words if w]
    if len(words) < 2 or len(words[-1]) < MIN_SURNAME:
        return False
    first, last = words[0], words[-1]
    return last in token and (token.startswith(first[0]) or token.endswith(first[0])) and token != last


def _naive(dt: datetime) -> datetime:
    """A datetime comparable with any other (rows read back from SQLite are aware, new ones too)."""
    return dt.replace(tzinfo=None) if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


def merge_people(session: Session, source_id: str, target_id: str) -> None:
    """Fold ``source_id`` into ``target_id`` everywhere facts and ledger refer to people."""
    if source_id == target_id:
        return
    session.execute(update(Alias).where(Alias.person_id == source_id).values(person_id=target_id))
    session.execute(update(Activity).where(Activity.person_id == source_id).values(person_id=target_id))
    session.execute(update(Shift).where(Shift.person_id == source_id).values(person_id=target_id))
    session.execute(update(RecordRow).where(RecordRow.last_editor == source_id).values(last_editor=target_id))
    session.flush()  # authors changed in this session are read back below
    rec_t = table_of(RecordRow)
    authored = [
        {"rid": rid, "authors": sorted({target_id if a == source_id else a for a in authors})}
        for rid, authors in session.execute(
            select(rec_t.c.id, rec_t.c.authors).where(
                rec_t.c.authors.is_not(None),
                cast(rec_t.c.authors, Text).contains(json.dumps(source_id), autoescape=True),
            )
        )
        if authors and source_id in authors
    ]
    if authored:
        session.execute(
            update(rec_t).where(rec_t.c.id == bindparam("rid")).values(authors=bindparam("authors")),
            authored,
        )
    for table, column in EXTRA_MERGE_TABLES:
        session.execute(
            update(table).where(getattr(table.c, column) == source_id).values({column: target_id})
        )
    source = session.get(Person, source_id)
    target = session.get(Person, target_id)
    if source is not None:
        source.merged_into = target_id
        if target is not None:
            target.email = target.email or source.email
            target.timezone = target.timezone or source.timezone
    session.execute(
        update(MergeSuggestion)
        .where(or_(MergeSuggestion.person_a == source_id, MergeSuggestion.person_b == source_id))
        .where(or_(MergeSuggestion.person_a == target_id, MergeSuggestion.person_b == target_id))
        .values(status="merged")
    )
    session.flush()


def resolve_person(session: Session, alias: str) -> str | None:
    """The person id for any alias (id, email, handle, Slack id, name); None if unknown or ambiguous."""
    text = alias.strip()
    if not text:
        return None
    person = session.get(Person, text)
    if person is not None:
        return Resolver(session).canonical(person.id)
    value = text.lstrip("@").lower()
    candidates = {value, _norm_name(text)}
    rows = session.execute(select(Alias.person_id).where(Alias.value.in_(candidates))).all()
    if not rows:
        rows = session.execute(select(Alias.person_id).where(Alias.value == text)).all()
    resolver = Resolver(session)
    ids = {resolver.canonical(r[0]) for r in rows}
    if len(ids) == 1:
        return ids.pop()
    return None


def classify_alias(text: str) -> tuple[str, str, str]:
    """(kind, space, value) of an alias written in an aliases file."""
    t = text.strip()
    if EMAIL_RE.match(t):
        return ("email", "", t.lower())
    if t.startswith("@"):
        return ("handle", "*", t[1:].lower())
    if SLACK_ID_RE.match(t):
        return ("key", "*", t)
    if " " in t:
        return ("name", "*", _norm_name(t))
    return ("handle", "*", t.lower())


def load_aliases_file(path: Path) -> list[dict[str, Any]]:
    """Parse an aliases file: ``people: [{name, aliases: [...]}]``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AliasFileError(
            f"{path}: not valid YAML ({exc.__class__.__name__}); expected 'people: [{{name, aliases}}]'"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise AliasFileError(f"{path}: expected a mapping with a 'people' list (see DESIGN.md, People)")
    out = []
    for i, entry in enumerate(data["people"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("aliases", []), list):
            raise AliasFileError(f"{path}: people[{i}] needs 'name' and an 'aliases' list")
        out.append(
            {"name": str(entry.get("name") or ""), "aliases": [str(a) for a in entry.get("aliases", [])]}
        )
    return out


def apply_aliases(session: Session, entries: list[dict[str, Any]]) -> int:
    """Settle identities from an aliases file: merge every person any alias names; return merges made."""
    resolver = Resolver(session)
    merges = 0
    for entry in entries:
        name = entry["name"]
        keys = [classify_alias(a) for a in entry["aliases"]]
        if name:
            keys.append(("name", "*", _norm_name(name)))
        ids: set[str] = set()
        for kind, space, value in keys:
            q = select(Alias.person_id).where(Alias.kind == kind, Alias.value == value)
            if space not in ("*",):
                q = q.where(Alias.space == space)
            ids.update(resolver.canonical(r[0]) for r in session.execute(q).all())
            if kind == "handle":  # an alias file's bare word may be a login or key too
                ids.update(
                    resolver.canonical(r[0])
                    for r in session.execute(
                        select(Alias.person_id).where(
                            Alias.kind.in_(["key", "name"]), Alias.value.in_([value, value.upper()])
                        )
                    ).all()
                )
        if not ids:
            target = resolver._create(PersonRef(source="aliases", name=name or entry["aliases"][0]))
        elif len(ids) == 1:
            target = ids.pop()
        else:
            before = resolver.merged
            target = resolver._merge_all(ids)
            merges += resolver.merged - before
        person = session.get(Person, target)
        if person is not None and name:
            person.name = name
        for kind, space, value in keys:
            exists = session.execute(
                select(Alias.id).where(Alias.kind == kind, Alias.space == space, Alias.value == value)
            ).first()
            if not exists:
                session.add(
                    Alias(
                        person_id=target, kind=kind, space=space, value=value, display=value, source="aliases"
                    )
                )
                session.flush()
    return merges
