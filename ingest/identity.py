"""Identity resolution: one person, many aliases.

Rules (DESIGN.md "People"):
- aliases merge automatically on a shared email (case-insensitive), on explicit links
  (a Slack profile's email, a PagerDuty user's email, a git ``.mailmap``), and on the
  same full name within one source;
- a name matching across sources only *suggests* a merge (``merge_suggestions``);
- an aliases file settles the rest;
- bots and integrations never become people.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ingest.db import Activity, Alias, MergeSuggestion, Person, RecordRow, Shift
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
    return False


class Resolver:
    """Resolves observations to person ids within one session, caching as it goes."""

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

    def resolve(self, ref: PersonRef) -> str | None:
        """The person id for ``ref`` (creating or merging as the rules say); None for bots."""
        if is_bot_ref(ref):
            return None
        cands = candidate_aliases(ref)
        if not cands:
            return None
        keys = [(k, s, v) for k, s, v, _ in cands]
        found: set[str] = set()
        missing = []
        for key in keys:
            pid = self.cache.get(key)
            if pid is None:
                row = self.session.execute(
                    select(Alias.person_id).where(
                        Alias.kind == key[0], Alias.space.in_([key[1], "*"]), Alias.value == key[2]
                    )
                ).first()
                if row:
                    pid = row[0]
            if pid is None:
                missing.append(key)
            else:
                found.add(self.canonical(pid))
        if not found:
            person_id = self._mentioned_person(ref) or self._create(ref)
        else:
            person_id = sorted(found)[0] if len(found) == 1 else self._merge_all(found)
        for (kind, space, value, display), key in zip(cands, keys, strict=True):
            if key in missing:
                self.session.add(
                    Alias(
                        person_id=person_id,
                        kind=kind,
                        space=space,
                        value=value,
                        display=display,
                        source=ref.source,
                    )
                )
                self.session.flush()
            self.cache[key] = person_id
        if missing and ref.name:
            self._suggest_cross_source(person_id, ref)
        person = self.person(person_id)
        if person is not None:
            if ref.timezone and not person.timezone:
                person.timezone = ref.timezone
            if ref.email and not person.email:
                person.email = ref.email.strip().lower()
            if ref.name and (person.name == person.id or "@" in person.name) and " " in ref.name.strip():
                person.name = ref.name.strip()
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
        rows = self.session.execute(
            select(Alias.person_id).where(
                Alias.kind == "name", Alias.value == name, Alias.space != ref.source
            )
        ).all()
        ids = {self.canonical(r[0]) for r in rows}
        return ids.pop() if len(ids) == 1 else None

    def _create(self, ref: PersonRef) -> str:
        base_text = (
            ref.name or (ref.email.split("@")[0] if ref.email else None) or ref.handle or ref.key or "person"
        )
        base = slug(base_text)[:56] or "person"
        pid, n = base, 1
        while self.person(pid) is not None:
            n += 1
            pid = f"{base}-{n}"
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

    def _suggest_cross_source(self, person_id: str, ref: PersonRef) -> None:
        name = _norm_name(ref.name or "")
        if " " not in name:
            return  # single words are too weak to suggest anything
        others = self.session.execute(
            select(Alias.person_id).where(
                Alias.kind == "name", Alias.value == name, Alias.space != ref.source
            )
        ).all()
        for (other,) in others:
            other = self.canonical(other)
            if other == person_id:
                continue
            a, b = sorted((person_id, other))
            exists = self.session.execute(
                select(MergeSuggestion.id).where(MergeSuggestion.person_a == a, MergeSuggestion.person_b == b)
            ).first()
            if not exists:
                self.session.add(
                    MergeSuggestion(
                        person_a=a, person_b=b, reason=f"same name {ref.name!r} in different sources"
                    )
                )
                self.session.flush()


def merge_people(session: Session, source_id: str, target_id: str) -> None:
    """Fold ``source_id`` into ``target_id`` everywhere facts and ledger refer to people."""
    if source_id == target_id:
        return
    session.execute(update(Alias).where(Alias.person_id == source_id).values(person_id=target_id))
    session.execute(update(Activity).where(Activity.person_id == source_id).values(person_id=target_id))
    session.execute(update(Shift).where(Shift.person_id == source_id).values(person_id=target_id))
    session.execute(update(RecordRow).where(RecordRow.last_editor == source_id).values(last_editor=target_id))
    for rec in session.execute(select(RecordRow).where(RecordRow.authors.is_not(None))).scalars():
        if rec.authors and source_id in rec.authors:
            rec.authors = sorted({target_id if a == source_id else a for a in rec.authors})
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
