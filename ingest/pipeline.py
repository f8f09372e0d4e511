"""The ingest pipeline: find units, detect kinds, read records, store facts, then embed chunks.

Two phases, ordered so that a run killed at any point is repaired by the next:

1. **Facts.** A file group whose files are all unchanged (same hash, status ``done``) is skipped
   without parsing. A large group is parsed (hashed and redacted) in a child process while this one
   stores (:mod:`ingest.childread`). Records are stored in bulk, one transaction per batch; a record whose content
   hash is unchanged is skipped; a changed record replaces its old rows. Identity resolution is
   held in memory for the run (:class:`ingest.identity.RunResolver`). Chunks are stored with
   ``embedded = False``. Source files are marked ``done`` once their facts are committed, so
   ``map``, ``whatif`` and ``patterns`` work before any vector exists.
2. **Vectors.** Every chunk still unembedded is embedded and upserted, then flagged; a crash
   between the two is harmless. ``--facts-only`` stops after phase one and ``understudy embed``
   runs phase two later. A run that did not finish leaves its run row ``running`` (a facts-only
   run leaves it ``facts``); the next run reconciles Chroma with SQLite before it starts.
"""

from __future__ import annotations

import gc
import hashlib
import os
import subprocess
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from ingest.actions import weight_of
from ingest.adapters.base import Adapter, ReadContext, Shape, json_shape, load_all, remembered_shapes
from ingest.childread import Item, ReaderFailed, read_in_child, use_child
from ingest.db import (
    IN_CHUNK,
    Activity,
    Chunk,
    Incident,
    IngestRun,
    Person,
    Quarantine,
    RecordRow,
    Shift,
    SourceFile,
    bulk_insert,
    select_in,
    table_of,
    utcnow,
)
from ingest.identity import AliasFileError, RunResolver, apply_aliases, load_aliases_file
from ingest.records import SOURCE_KINDS, Problem, Record, file_hash
from ingest.redact import redact_stored
from ingest.workspace import Workspace

SOURCE_CHOICES = ("auto", *SOURCE_KINDS)

RECORD_BATCH = 2000
"""Records stored per transaction: large enough to amortise commits and statements, small enough that a
batch holds SQLite's write lock well under a second (reviews and scans write while ingest runs)."""

EMBED_BATCH = 256
"""Chunks embedded and upserted per step."""

RUN_RUNNING, RUN_FACTS, RUN_DONE = "running", "facts", "done"
"""Ingest run states: ``facts`` is a ``--facts-only`` run, whose vectors the ``embed`` phase still owes."""

GC_YOUNG_THRESHOLD = 50_000
"""Net allocations between collections of the garbage collector's youngest generation during the facts
phase (Python's default is 700): about a tenth less CPU on a generated organisation, the same peak memory."""

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".understudy", ".venv", "chroma"}
"""Folders never walked into when a folder is given."""

SKIP_FILES = {"ground_truth.json", "aliases.yaml", "aliases.yml", ".DS_Store"}
"""Files beside data that are not data (the sample generator's truth, an aliases file)."""


@dataclass
class Summary:
    """What one run added (DESIGN.md ``ingest --json``)."""

    files: int = 0
    records: int = 0
    people: int = 0
    activities: int = 0
    chunks: int = 0
    skipped: int = 0
    redacted: int = 0
    quarantined: list[Problem] = field(default_factory=list)
    embedded: int = 0
    vectors: int = 0
    merges: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "people": self.people,
            "activities": self.activities,
            "chunks": self.chunks,
            "skipped": self.skipped,
            "redacted": self.redacted,
            "quarantined": [
                {"path": q.path, "reason": q.reason, "record": q.record} for q in self.quarantined
            ],
        }


@dataclass
class Unit:
    """A file or folder that one adapter reads."""

    path: Path
    kind: str


def _is_git_repo(path: Path) -> bool:
    return (path / ".git").exists() or (
        (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()
    )


def _folder_kind(path: Path, adapters: dict[str, Adapter]) -> str | None:
    for kind, adapter in adapters.items():
        if adapter.folder:
            try:
                if adapter.sniff(path, None):
                    return kind
            except Exception:  # noqa: BLE001 - a sniff that fails claims nothing
                continue
    return None


def detect(path: Path, adapters: dict[str, Adapter]) -> str | None:
    """The source kind of a file or folder, from its content."""
    shape: Shape | None = None
    if path.is_file() and path.suffix.lower() == ".json":
        shape = json_shape(path)
    for kind, adapter in adapters.items():
        if adapter.folder != path.is_dir() and not (adapter.folder and path.suffix.lower() == ".zip"):
            continue
        try:
            if adapter.sniff(path, shape):
                return kind
        except Exception:  # noqa: BLE001
            continue
    return None


def discover(
    paths: Iterable[Path], source: str, adapters: dict[str, Adapter]
) -> tuple[list[Unit], list[Problem]]:
    """Expand the given paths into units of known kind (and problems for the rest)."""
    units: list[Unit] = []
    problems: list[Problem] = []
    forced = None if source == "auto" else source

    def visit(path: Path, top: bool) -> None:
        if path.is_symlink() and not top:
            return
        if path.is_dir():
            kind = forced if (forced and adapters[forced].folder) else _folder_kind(path, adapters)
            if kind:
                units.append(Unit(path, kind))
                return
            for child in sorted(path.iterdir()):
                if child.name in SKIP_DIRS or (child.name.startswith(".") and child.name != ".mailmap"):
                    continue
                visit(child, False)
            return
        if path.name in SKIP_FILES or path.name.startswith(".") or not path.is_file():
            return
        if forced and not adapters[forced].folder:
            units.append(Unit(path, forced))
            return
        kind = detect(path, adapters)
        if kind:
            units.append(Unit(path, kind))
        elif top or path.suffix.lower() in {
            ".json",
            ".csv",
            ".md",
            ".markdown",
            ".zip",
            ".yaml",
            ".yml",
            ".jsonl",
        }:
            problems.append(
                Problem(
                    path=str(path),
                    reason=f"unknown format: not recognised as any of {', '.join(SOURCE_KINDS)}; pass --source KIND if it is one",
                )
            )

    for p in paths:
        visit(Path(p).resolve(), True)
    return units, problems


def unit_hash(unit: Unit) -> tuple[str, int]:
    """Content hash (and size) of a unit: the file, or every file of a folder; a git repo by its refs."""
    path = unit.path
    if path.is_file():
        return file_hash(path), path.stat().st_size
    h = hashlib.sha256()
    size = 0
    if unit.kind == "git":
        try:
            refs = subprocess.run(
                ["git", "-C", str(path), "for-each-ref", "--format=%(objectname) %(refname)"],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            ).stdout
            head = subprocess.run(
                ["git", "-C", str(path), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            refs, head = "", ""
        h.update(refs.encode())
        h.update(head.encode())
        mailmap = path / ".mailmap"
        if mailmap.exists():
            h.update(mailmap.read_bytes())
        return h.hexdigest(), 0
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            fp = Path(root) / name
            if fp.is_symlink():
                continue
            h.update(str(fp.relative_to(path)).encode())
            h.update(file_hash(fp).encode())
            size += fp.stat().st_size
    return h.hexdigest(), size


def _source_rows(s: Session, units: list[Unit]) -> dict[str, SourceFile]:
    """The stored source-file rows of ``units``, by path (one query per :data:`IN_CHUNK` paths)."""
    paths = [str(u.path) for u in units]
    out: dict[str, SourceFile] = {}
    for start in range(0, len(paths), IN_CHUNK):
        for row in s.scalars(select(SourceFile).where(SourceFile.path.in_(paths[start : start + IN_CHUNK]))):
            out[row.path] = row
    return out


def chunk_id(kind: str, record_key: str, locator: str) -> str:
    """Stable id of a chunk, also its id in Chroma."""
    return hashlib.sha256(f"{kind}|{record_key}|{locator}".encode()).hexdigest()[:32]


def _redact_value(value: Any, counter: list[int]) -> Any:
    if isinstance(value, str):
        text, n = redact_stored(value)
        counter[0] += n
        return text
    if isinstance(value, dict):
        return {k: _redact_value(v, counter) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, counter) for v in value]
    return value


def pre_redact(rec: Record) -> tuple[int, ...]:
    """Redact a record's stored texts in place (after its hash is taken): secrets replaced in its title, then
    each chunk (text and title), each activity's detail and each incident's title, in that order."""
    counts = []
    for owner, fields in (
        ([rec], ("title",)),
        (rec.chunks, ("text", "title")),
        (rec.activities, ("detail",)),
        (rec.incidents, ("title",)),
    ):
        for part in owner:
            counter = [0]
            for name in fields:
                setattr(part, name, _redact_value(getattr(part, name), counter))
            counts.append(counter[0])
    return tuple(counts)


@contextmanager
def fewer_collections(young: int = GC_YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the block with the cyclic garbage collector's youngest generation collected less often.

    Reading and storing a batch allocates hundreds of thousands of small objects that stay alive until
    the batch is stored, so the default threshold (700 allocations) runs a collection every few records,
    each one walking the whole batch again. Reference counting still frees everything at once; the
    thresholds are restored when the block ends."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class Ingestor:
    """One ingest run over a workspace."""

    def __init__(self, ws: Workspace, progress: bool = False) -> None:
        self.ws = ws
        self.progress = progress
        self.summary = Summary()
        self.adapters = load_all()
        self.stale_chunks: list[str] = []
        self._resolver: RunResolver | None = None
        self._merges_seen = 0

    @property
    def resolver(self) -> RunResolver:
        """The run's identity resolver (read from the database on first use)."""
        if self._resolver is None:
            self._resolver = RunResolver(self.ws.engine)
        return self._resolver

    # ------------------------------------------------------------------ run
    def run(
        self,
        paths: list[Path],
        source: str = "auto",
        aliases: Path | None = None,
        name: str | None = None,
        facts_only: bool = False,
    ) -> Summary:
        """Phase one stores the facts (committed, so the map works at once); phase two embeds, unless ``facts_only``."""
        with self.ws.session() as s:
            last = s.execute(select(IngestRun).order_by(IngestRun.id.desc()).limit(1)).scalar_one_or_none()
            interrupted = last is not None and last.status in (RUN_RUNNING, RUN_FACTS)
            run = IngestRun(status=RUN_RUNNING)
            s.add(run)
            s.flush()
            run_id = run.id
            people_before = set(s.scalars(select(Person.id).where(Person.merged_into.is_(None))))
        if interrupted and not facts_only:
            from ingest.repair import reconcile

            reconcile(self.ws)

        alias_entries = None
        if aliases is not None:
            try:
                alias_entries = load_aliases_file(aliases)
            except AliasFileError as exc:
                self.summary.quarantined.append(
                    Problem(path=str(aliases), reason=str(exc).split(": ", 1)[-1])
                )

        with remembered_shapes():  # discovery outlines each JSON file; its adapter asks again
            units, problems = discover(paths, source, self.adapters)
            for p in problems:
                self._quarantine(p)
            groups: dict[str, list[Unit]] = {}
            for u in units:
                groups.setdefault(u.kind, []).append(u)
            ctx = ReadContext(name=name, org_timezone=self.ws.settings.org_timezone)
            with self._progress() as bar:
                with fewer_collections():
                    for kind in sorted(groups, key=lambda k: SOURCE_KINDS.index(k)):
                        self._ingest_group(kind, groups[kind], ctx, bar)
                if alias_entries is not None:
                    with self.ws.session() as s:
                        self.summary.merges += apply_aliases(s, alias_entries)
                with self.ws.session() as s:
                    people_after = set(s.scalars(select(Person.id).where(Person.merged_into.is_(None))))
                    self.summary.people = len(people_after - people_before)
                    if facts_only:
                        self._finish(s, run_id, RUN_FACTS)
                if not facts_only:
                    self._embed_pending(bar)

        if not facts_only:
            with self.ws.session() as s:
                self._finish(s, run_id, RUN_DONE)
        return self.summary

    def _finish(self, s: Session, run_id: int, status: str) -> None:
        finished = s.get(IngestRun, run_id)
        if finished is not None:
            finished.status = status
            finished.finished_at = utcnow()
            finished.summary = self.summary.to_json()

    # ------------------------------------------------------------ progress
    def _progress(self) -> Any:
        from contextlib import nullcontext

        if not self.progress:
            return nullcontext(None)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )

    # --------------------------------------------------------------- group
    def _ingest_group(self, kind: str, units: list[Unit], ctx: ReadContext, bar: Any) -> None:
        states: dict[str, tuple[str, int]] = {}
        unchanged = True
        with self.ws.session() as s:
            known = _source_rows(s, units)
            for u in units:
                digest, size = unit_hash(u)
                states[str(u.path)] = (digest, size)
                row = known.get(str(u.path))
                if row is None or row.content_hash != digest or row.status not in ("done", "quarantined"):
                    unchanged = False
            if unchanged:
                for u in units:
                    row = known[str(u.path)]
                    if row.status == "quarantined":
                        reason = s.execute(
                            select(Quarantine.reason)
                            .where(Quarantine.path == str(u.path))
                            .order_by(Quarantine.id.desc())
                            .limit(1)
                        ).scalar_one_or_none()
                        self.summary.quarantined.append(
                            Problem(
                                path=str(u.path),
                                reason=f"{reason or 'unreadable'} (unchanged since it was quarantined)",
                            )
                        )
                    else:
                        self.summary.skipped += 1
                return
            for u in units:
                digest, size = states[str(u.path)]
                row = known.get(str(u.path))
                if row is None:
                    row = SourceFile(
                        path=str(u.path), kind=kind, content_hash=digest, size=size, status="started"
                    )
                    s.add(row)
                    known[row.path] = row  # the same path given twice is one file
                else:
                    row.kind, row.content_hash, row.size, row.status = kind, digest, size, "started"

        adapter = self.adapters[kind]
        task = bar.add_task(f"{kind}", total=None) if bar is not None else None
        bad_files: dict[str, str] = {}
        batch: list[Record] = []
        digests: list[str | None] = []
        redacted: list[tuple[int, ...] | None] = []
        paths = [u.path for u in units]
        items: Generator[Item, None, None]
        if use_child(sum(size for _, size in states.values()), self.ws.settings.read_child_min_bytes):
            items = read_in_child(adapter, paths, ctx, pre_redact)
        else:
            items = ((item, None, None) for item in adapter.read(paths, ctx))
        try:
            with closing(items):
                for item, item_digest, counts in items:
                    if isinstance(item, Problem):
                        self._quarantine(item)
                        if item.record is None:
                            bad_files[item.path] = item.reason
                        continue
                    batch.append(item)
                    digests.append(item_digest)
                    redacted.append(counts)
                    if len(batch) >= RECORD_BATCH:
                        self._store_batch(batch, digests, redacted)
                        if task is not None:
                            bar.advance(task, len(batch))
                        batch, digests, redacted = [], [], []
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the rest of the run
            name = exc.name if isinstance(exc, ReaderFailed) else exc.__class__.__name__
            reason = f"{kind} reader failed: {name}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            for u in units:
                bad_files.setdefault(str(u.path), reason)
            self._quarantine(Problem(path=", ".join(str(u.path) for u in units)[:900], reason=reason))
        if batch:
            self._store_batch(batch, digests, redacted)
            if task is not None:
                bar.advance(task, len(batch))
        if task is not None:
            bar.update(task, total=bar.tasks[task].completed)
        with self.ws.session() as s:
            known = _source_rows(s, units)
            for u in units:
                row = known[str(u.path)]
                row.status = "quarantined" if str(u.path) in bad_files else "done"
                row.ingested_at = utcnow()
                if str(u.path) not in bad_files:
                    self.summary.files += 1

    def _quarantine(self, problem: Problem) -> None:
        self.summary.quarantined.append(problem)
        with self.ws.session() as s:
            s.add(Quarantine(path=problem.path[:1000], record=problem.record, reason=problem.reason))
        log = self.ws.settings.quarantine_path / "quarantine.log"
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"{utcnow().isoformat()} {problem.line()}\n")

    # --------------------------------------------------------------- store
    def _store_batch(
        self,
        records: list[Record],
        digests: list[str | None] | None = None,
        redacted: list[tuple[int, ...] | None] | None = None,
    ) -> None:
        """Store a batch of records in one transaction, with bulk statements; unchanged records are skipped.

        ``digests`` are content hashes already taken and ``redacted`` the :func:`pre_redact` counts of records
        already redacted (both from a child reader); ``None`` entries are computed here."""
        try:
            with self.ws.session() as s:
                self._store_batch_in(s, records, digests, redacted)
        except BaseException:
            self.resolver.load()  # the batch rolled back: forget what it added
            raise

    def _store_batch_in(
        self,
        s: Session,
        records: list[Record],
        digests: list[str | None] | None = None,
        redacted: list[tuple[int, ...] | None] | None = None,
    ) -> None:
        rec_t = table_of(RecordRow)
        keys_by_kind: dict[str, list[str]] = {}
        for r in records:
            keys_by_kind.setdefault(r.kind, []).append(r.key)
        existing: dict[tuple[str, str], tuple[int, str, bool]] = {}
        for kind, keys in keys_by_kind.items():
            for rid, key, rhash, complete in select_in(
                s, rec_t, ("id", "key", "record_hash", "complete"), {"kind": kind}, "key", keys
            ):
                existing[(kind, key)] = (rid, rhash, bool(complete))
        todo: list[tuple[Record, str, int | None]] = []
        seen: set[tuple[str, str]] = set()
        pre: dict[int, tuple[int, ...]] = {}
        for i, rec in enumerate(records):
            ident = (rec.kind, rec.key)
            if ident in seen:
                continue  # the same record twice in one batch: first wins
            seen.add(ident)
            digest = (digests[i] if digests else None) or rec.content_hash()
            counts = redacted[i] if redacted else None
            if counts is not None:
                pre[id(rec)] = counts
            old = existing.get(ident)
            if old is not None and old[1] == digest and old[2]:
                continue
            todo.append((rec, digest, old[0] if old else None))
        if not todo:
            return

        replaced = [rid for _, _, rid in todo if rid is not None]
        old_chunks: dict[int, dict[str, str]] = {}
        chunk_t = table_of(Chunk)
        for start in range(0, len(replaced), IN_CHUNK):
            part = replaced[start : start + IN_CHUNK]
            for rid, cid, chash in s.execute(
                select(chunk_t.c.record_id, chunk_t.c.id, chunk_t.c.content_hash).where(
                    chunk_t.c.record_id.in_(part), chunk_t.c.embedded.is_(True)
                )
            ):
                old_chunks.setdefault(rid, {})[cid] = chash
            for model in (Activity, Incident, Shift, Chunk):
                table = table_of(model)
                s.execute(delete(table).where(table.c.record_id.in_(part)))

        resolver = self.resolver
        counter = [0]

        def red(value: Any, counts: tuple[int, ...] | None, index: int) -> Any:
            if counts is None:
                return _redact_value(value, counter)
            counter[0] += counts[index]  # redacted by the child reader
            return value

        def red_detail(value: Any, seen: dict[int, tuple[Any, int]]) -> Any:
            """``red(value, None, …) or None``, once per object: a record's activities often share one detail
            dict (a commit's per scope); every use still counts its secrets, as a call per activity did."""
            hit = seen.get(id(value))
            if hit is None:
                found = [0]
                hit = seen[id(value)] = (_redact_value(value, found) or None, found[0])
            counter[0] += hit[1]
            return hit[0]

        new_rows: list[dict[str, Any]] = []
        updated_rows: list[dict[str, Any]] = []
        for rec, digest, rid in todo:
            for ref in rec.people:
                resolver.resolve(s, ref)
            doc = rec.document
            authors = sorted({pid for a in (doc.authors if doc else []) if (pid := resolver.resolve(s, a))})
            last_editor = resolver.resolve(s, doc.last_editor) if doc and doc.last_editor else None
            values = dict(
                record_hash=digest,
                path=rec.path,
                title=red(rec.title, pre.get(id(rec)), 0),
                occurred_at=rec.occurred_at,
                doc_kind=doc.doc_kind if doc else None,
                doc_scope=doc.scope if doc else None,
                authors=authors,
                last_editor=last_editor,
                updated_at=doc.updated_at if doc else None,
                complete=True,
            )
            if rid is None:
                new_rows.append(dict(kind=rec.kind, key=rec.key, **values))
            else:
                updated_rows.append(dict(rid=rid, **values))
        resolver.flush(s)

        ids: dict[tuple[str, str], int] = {}
        for row in (*new_rows, *updated_rows):
            row["authors"] = sorted({resolver.canonical(a) for a in row["authors"]}) or None
            if row["last_editor"]:
                row["last_editor"] = resolver.canonical(row["last_editor"])
        if new_rows:
            new_ids = bulk_insert(s, rec_t, new_rows, ids=True)
            if new_ids is not None:
                ids.update(
                    ((row["kind"], row["key"]), rid) for row, rid in zip(new_rows, new_ids, strict=True)
                )
            else:  # not known without reading them back
                new_keys: dict[str, list[str]] = {}
                for row in new_rows:
                    new_keys.setdefault(row["kind"], []).append(row["key"])
                for kind, keys in new_keys.items():
                    for rid, key in select_in(s, rec_t, ("id", "key"), {"kind": kind}, "key", keys):
                        ids[(kind, key)] = rid
        if updated_rows:
            s.execute(
                update(rec_t)
                .where(rec_t.c.id == bindparam("rid"))
                .values({k: bindparam(k) for k in updated_rows[0] if k != "rid"}),
                updated_rows,
            )
        self.summary.records += len(todo)

        chunk_rows: list[dict[str, Any]] = []
        act_rows: list[dict[str, Any]] = []
        shift_rows: list[dict[str, Any]] = []
        incident_rows: list[dict[str, Any]] = []
        known_incidents = self._known_incidents(s, todo)
        for rec, _digest, rid in todo:
            record_id = rid if rid is not None else ids[(rec.kind, rec.key)]
            olds = old_chunks.get(record_id, {}) if rid is not None else {}
            chunk_ids: dict[str, str] = {}
            mine: list[dict[str, Any]] = []
            counts = pre.get(id(rec))
            nc, na = 1 + len(rec.chunks), 1 + len(rec.chunks) + len(rec.activities)
            for ci, c in enumerate(rec.chunks):
                cid = chunk_id(rec.kind, rec.key, c.locator)
                if cid in chunk_ids.values():
                    continue
                chunk_ids[c.locator] = cid
                text = red(c.text, counts, 1 + ci)
                content_hash = hashlib.sha256(text.encode()).hexdigest()
                mine.append(
                    dict(
                        id=cid,
                        record_id=record_id,
                        kind=c.kind,
                        scope=c.scope,
                        title=red(c.title, counts, 1 + ci) if counts is None else c.title,
                        text=text,
                        content_hash=content_hash,
                        source=rec.kind,
                        path=rec.path,
                        locator=c.locator,
                        ts=c.ts,
                        embedded=olds.get(cid) == content_hash,
                    )
                )
            chunk_rows.extend(mine)
            self.summary.chunks += sum(1 for c in mine if c["id"] not in olds)
            mine_ids = {c["id"] for c in mine}
            self.stale_chunks.extend(cid for cid in olds if cid not in mine_ids)
            only_chunk = mine[0]["id"] if len(mine) == 1 else None
            first_chunk = mine[0]["id"] if mine else None

            linked = self._link_incidents(rec, known_incidents)
            details: dict[int, tuple[Any, int]] = {}  # one redaction per detail object the activities share
            for ai, a in enumerate(rec.activities):
                pid = resolver.resolve(s, a.person)
                if pid is None:
                    continue
                offset = a.ts.utcoffset()
                act_rows.append(
                    dict(
                        record_id=record_id,
                        person_id=pid,
                        scope=a.scope,
                        action=a.action,
                        ts=a.ts,
                        tz_offset=int(offset.total_seconds() // 60) if offset is not None else 0,
                        weight=weight_of(a.action),
                        incident=linked.get(a.incident or "", a.incident),
                        source=rec.kind,
                        chunk_id=chunk_ids.get(a.chunk_locator or "") or only_chunk,
                        detail=red_detail(a.detail, details)
                        if counts is None
                        else red(a.detail, counts, nc + ai) or None,
                    )
                )
            for ii, inc in enumerate(rec.incidents):
                target = linked.get(inc.key, inc.key)
                if known_incidents.get(target.lower()) == target:
                    continue  # another source told us of this incident first
                known_incidents.setdefault(inc.key.lower(), inc.key)
                incident_rows.append(
                    dict(
                        key=inc.key,
                        record_id=record_id,
                        scope=inc.scope,
                        title=red(inc.title, counts, na + ii),
                        severity=inc.severity,
                        status=inc.status,
                        created_at=inc.created_at,
                        resolved_at=inc.resolved_at,
                        source=rec.kind,
                        chunk_id=chunk_ids.get(inc.chunk_locator or "") or first_chunk,
                        incident_class=None,
                    )
                )
            for sh in rec.shifts:
                pid = resolver.resolve(s, sh.person)
                if pid is None:
                    continue
                shift_rows.append(
                    dict(
                        record_id=record_id,
                        person_id=pid,
                        schedule=sh.schedule,
                        scope=sh.scope,
                        level=sh.level,
                        start=sh.start,
                        end=sh.end,
                    )
                )
        resolver.flush(s)
        for row in act_rows:
            row["person_id"] = resolver.canonical(row["person_id"])
        for row in shift_rows:
            row["person_id"] = resolver.canonical(row["person_id"])
        for rows, model in (
            (chunk_rows, Chunk),
            (incident_rows, Incident),
            (act_rows, Activity),
            (shift_rows, Shift),
        ):
            bulk_insert(s, table_of(model), rows)
        self.summary.activities += len(act_rows)
        self.summary.redacted += counter[0]
        self.summary.merges += resolver.merged - self._merges_seen
        self._merges_seen = resolver.merged

    @staticmethod
    def _known_incidents(s: Session, todo: list[tuple[Record, str, int | None]]) -> dict[str, str]:
        """Stored incidents a batch's records name (their own keys and a postmortem's paging-tool twins), by lower-cased key."""
        exact: set[str] = set()
        twins: set[str] = set()
        for rec, _, _ in todo:
            exact.update(inc.key for inc in rec.incidents)
            for key in {a.incident for a in rec.activities if a.incident} | {i.key for i in rec.incidents}:
                if key.startswith("postmortem:"):
                    ident = key.split(":", 1)[1].lower()
                    twins.update(f"{tool}:{ident}" for tool in ("pagerduty", "opsgenie"))
        table = table_of(Incident)
        found: dict[str, str] = {}
        for keys, column in ((sorted(exact), table.c.key), (sorted(twins), func.lower(table.c.key))):
            for start in range(0, len(keys), IN_CHUNK):
                for (k,) in s.execute(select(table.c.key).where(column.in_(keys[start : start + IN_CHUNK]))):
                    found.setdefault(k.lower(), k)
        return found

    @staticmethod
    def _link_incidents(rec: Record, known: dict[str, str]) -> dict[str, str]:
        """Map a postmortem's own incident key onto the paging tool's key when that incident is known.

        A postmortem that writes ``incident: Q4PDPZC4M3JVBH`` names the PagerDuty (or Opsgenie)
        incident without saying which tool; without this the same incident would count twice.
        ``known`` holds the incidents stored, and stored earlier in the batch, by lower-cased key.
        """
        keys = {a.incident for a in rec.activities if a.incident} | {i.key for i in rec.incidents}
        out: dict[str, str] = {}
        for key in keys:
            if not key.startswith("postmortem:"):
                continue
            ident = key.split(":", 1)[1].lower()
            for tool in ("pagerduty", "opsgenie"):
                if f"{tool}:{ident}" in known:
                    out[key] = known[f"{tool}:{ident}"]
                    break
        return out

    # --------------------------------------------------------------- embed
    def _embed_pending(self, bar: Any) -> None:
        """Embed every chunk not yet in the index (and drop the vectors of chunks this run replaced)."""
        if self.stale_chunks:
            self.ws.index.delete(self.stale_chunks)
            self.stale_chunks = []
        with self.ws.session() as s:
            total = s.execute(select(Chunk.id).where(Chunk.embedded.is_(False))).all()
        if not total:
            return
        self.ws.index.sync_store()
        task = bar.add_task("embedding", total=len(total)) if bar is not None else None
        index = self.ws.index
        while True:
            with self.ws.session() as s:
                rows = s.execute(
                    select(
                        Chunk.id,
                        Chunk.text,
                        Chunk.content_hash,
                        Chunk.kind,
                        Chunk.scope,
                        Chunk.source,
                        Chunk.path,
                        Chunk.locator,
                        Chunk.ts,
                        Chunk.title,
                    )
                    .where(Chunk.embedded.is_(False))
                    .order_by(Chunk.id)
                    .limit(EMBED_BATCH)
                ).all()
            if not rows:
                break
            by_hash: dict[str, list[float]] = {}
            hashes = sorted({r.content_hash for r in rows})
            with self.ws.session() as s:
                donors = s.execute(
                    select(Chunk.content_hash, Chunk.id).where(
                        Chunk.content_hash.in_(hashes), Chunk.embedded.is_(True)
                    )
                ).all()
            donor_ids = {h: cid for h, cid in donors}
            if donor_ids:
                got = index.get_embeddings(list(donor_ids.values()))
                for h, cid in donor_ids.items():
                    if cid in got:
                        by_hash[h] = got[cid]
            todo: dict[str, str] = {}
            for r in rows:
                if r.content_hash not in by_hash:
                    todo.setdefault(r.content_hash, r.text)
            if todo:
                vectors = index.embedder.encode(list(todo.values()))
                by_hash.update(zip(todo.keys(), vectors, strict=True))
                self.summary.embedded += len(todo)
            index.upsert(
                [r.id for r in rows],
                [r.text for r in rows],
                [
                    {
                        "kind": r.kind,
                        "scope": r.scope or "",
                        "source": r.source,
                        "path": r.path,
                        "locator": r.locator,
                        "title": (r.title or "")[:300],
                        "ts": int(r.ts.timestamp()) if r.ts else 0,
                    }
                    for r in rows
                ],
                [by_hash[r.content_hash] for r in rows],
            )
            with self.ws.session() as s:
                s.execute(update(Chunk).where(Chunk.id.in_([r.id for r in rows])).values(embedded=True))
            self.summary.vectors += len(rows)
            if task is not None:
                bar.advance(task, len(rows))


def ingest_paths(
    ws: Workspace,
    paths: list[Path],
    source: str = "auto",
    aliases: Path | None = None,
    name: str | None = None,
    progress: bool = False,
    facts_only: bool = False,
) -> Summary:
    """Ingest ``paths`` into the workspace; see the module docstring for the order of work."""
    if source not in SOURCE_CHOICES:
        raise ValueError(f"unknown source kind {source!r}")
    return Ingestor(ws, progress=progress).run(
        [Path(p) for p in paths], source=source, aliases=aliases, name=name, facts_only=facts_only
    )


def pending_vectors(ws: Workspace) -> int:
    """Chunks stored but not yet embedded (what ``understudy embed`` still has to do)."""
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(Chunk).where(Chunk.embedded.is_(False))) or 0)


def embed_pending(ws: Workspace, progress: bool = False) -> Summary:
    """The embedding phase alone: reconcile the index with the facts and its filter store, then embed what is pending."""
    from ingest.repair import reconcile

    ingestor = Ingestor(ws, progress=progress)
    with ws.session() as s:
        run = IngestRun(status=RUN_RUNNING)
        s.add(run)
        s.flush()
        run_id = run.id
    reconcile(ws)
    ws.index.sync_store()
    with ingestor._progress() as bar:
        ingestor._embed_pending(bar)
    with ws.session() as s:
        ingestor._finish(s, run_id, RUN_DONE)
    return ingestor.summary


def safe_zip_members(path: Path) -> Iterator[zipfile.ZipInfo]:
    """Zip entries that stay inside the archive's folder (for adapters that read zips)."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if name.startswith("/") or ".." in Path(name).parts:
                continue
            yield info
