"""The git adapter: one change activity per commit per author, read with the ``git`` CLI.

A repository (working copy or bare) is one unit.  ``git log --use-mailmap`` is streamed
over a pipe; every non-merge commit reachable from ``HEAD`` becomes one :class:`Record`
(key ``commit:<sha>``) whose activities credit the author and each ``Co-authored-by``
co-author in ``repo:<name>`` and in ``path:<name>/<folder>`` for every top-level folder
the commit touches.  Bots and automation are not people and get no activity.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest.actions import COMMIT
from ingest.adapters.accounts import is_service_account
from ingest.adapters.base import Adapter, ReadContext, Shape, register
from ingest.records import ActivityIn, ChunkIn, ModelT, PersonRef, Problem, Record, slug, trusted

FIELD = "\x1f"
"""Separates the fields of one commit in the log format (ASCII unit separator)."""

COMMIT_START = b"\x1e"
"""Starts every commit in the log output (ASCII record separator, never inside UTF-8 text)."""

LOG_FORMAT = "%x1e%H%x1f%aN%x1f%aE%x1f%aI%x1f%s%x1f%b%x1f"
"""sha, mailmapped author name and email, strict ISO author date, subject, body; files follow."""

READ_BLOCK = 1 << 16
"""Bytes read from the git pipe at a time."""

MIN_BODY_LINES_FOR_CHUNK = 2
"""A commit message is worth embedding when its body (trailers removed) has at least this many lines;
one-liners say little beyond the subject the activity already carries."""

GIT_TIMEOUT_SECONDS = 600
"""Longest a single git command may run before the repository is reported as unreadable."""

GIT_CONFIG = (
    "-c",
    "core.quotepath=off",
    "-c",
    "log.showSignature=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
    "-c",
    "color.ui=false",
)
"""Config that makes log output predictable whatever the user's git config says."""

_TRAILER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\s")
_CO_AUTHOR = re.compile(r"^\s*co-authored-by:\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]*)>\s*$", re.I | re.M)
_IDENT = re.compile(r"\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]*)>")


def _validated(cls: type[ModelT], **values: Any) -> ModelT:
    """``cls(**values)``, validated (a commit whose date has no offset fails as it always did)."""
    return cls(**values)


def is_bot(name: str | None, email: str | None) -> bool:
    """Whether a git identity is not a person: an assistant, a bot, CI or a service account.

    The one rule of :mod:`ingest.adapters.accounts` (``Co-authored-by: Claude <noreply@anthropic.com>``,
    ``Copilot``, ``dependabot[bot]``, ``codefactor-io``, ``svc-deploy``); a person's GitHub noreply
    address (``123+alice@users.noreply.github.com``) stays theirs.
    """
    return is_service_account(name, email)


@dataclass
class Mailmap:
    """A parsed ``.mailmap``: commit identities onto canonical ones, and the aliases of each."""

    by_name_email: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    by_email: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(
        default_factory=dict
    )  # canonical email (lower) -> other emails/names

    @classmethod
    def parse(cls, text: str) -> Mailmap:
        """Read the four forms of gitmailmap(5); comments and blank lines are skipped."""
        mm = cls()
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            idents = [(m.group("name") or None, m.group("email") or None) for m in _IDENT.finditer(line)]
            if not idents:
                continue
            proper_name, proper_email = idents[0]
            if len(idents) == 1:
                commit_name, commit_email = None, proper_email
                proper_email = None
            else:
                commit_name, commit_email = idents[1]
            if not commit_email:
                continue
            target = (proper_name, proper_email)
            if commit_name:
                mm.by_name_email[(commit_name.lower(), commit_email.lower())] = target
            else:
                mm.by_email[commit_email.lower()] = target
            canonical = (proper_email or commit_email).lower()
            linked = mm.aliases.setdefault(canonical, set())
            if commit_email.lower() != canonical:
                linked.add(commit_email)
            if commit_name and commit_name != proper_name:
                linked.add(commit_name)
        return mm

    def map(self, name: str, email: str) -> tuple[str, str]:
        """The canonical (name, email) of a commit identity, as ``git --use-mailmap`` would give."""
        hit = self.by_name_email.get((name.lower(), email.lower())) or self.by_email.get(email.lower())
        if not hit:
            return name, email
        return hit[0] or name, hit[1] or email

    def links(self, email: str, name: str) -> list[str]:
        """The other emails and names the mailmap maps onto this canonical identity."""
        found = self.aliases.get(email.lower(), set())
        return sorted(a for a in found if a.lower() not in (email.lower(), name.lower()))


class _IdentityMemo:
    """Per repository: whether an identity is a bot, and its mailmap links, found once per identity (a
    history repeats a few dozen authors over thousands of commits); each record gets its own links list."""

    def __init__(self, mailmap: Mailmap) -> None:
        self.mailmap = mailmap
        self._bots: dict[tuple[str, str], bool] = {}
        self._links: dict[tuple[str, str], tuple[str, ...]] = {}

    def is_bot(self, name: str, email: str) -> bool:
        key = (name, email)
        hit = self._bots.get(key)
        if hit is None:
            hit = self._bots[key] = is_bot(name, email)
        return hit

    def links(self, email: str, name: str) -> list[str]:
        key = (email, name)
        hit = self._links.get(key)
        if hit is None:
            hit = self._links[key] = tuple(self.mailmap.links(email, name))
        return list(hit)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *GIT_CONFIG, "-C", str(repo), *args],
        capture_output=True,
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )


def _first_line(blob: bytes) -> str:
    text = blob.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "git failed without a message"


def is_bare_repo(path: Path) -> bool:
    """A bare repository (or a ``.git`` folder): ``HEAD``, ``objects/`` and ``refs/``."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def repo_name(path: Path, ctx: ReadContext, several: bool) -> str:
    """The repository scope name: ``--name`` (for a single repository), else the folder's name."""
    if ctx.name and not several:
        return slug(ctx.name)
    resolved = path.resolve()
    name = resolved.name
    if name == ".git":
        name = resolved.parent.name
    elif name.endswith(".git"):
        name = name[: -len(".git")]
    return slug(name)


def _strip_trailers(body: str) -> list[str]:
    """The non-blank lines of a commit body without its final trailer block."""
    lines = body.strip().splitlines()
    end = len(lines)
    while end and (not lines[end - 1].strip() or _TRAILER.match(lines[end - 1])):
        end -= 1
    return [ln for ln in lines[:end] if ln.strip()]


@register
class GitAdapter(Adapter):
    """Reads git repositories, working copies or bare, with ``git log``."""

    kind = "git"
    folder = True

    def sniff(self, path: Path, shape: Shape | None) -> bool:
        """A folder holding ``.git``, or a bare repository."""
        return path.is_dir() and ((path / ".git").exists() or is_bare_repo(path))

    def read(self, paths: list[Path], ctx: ReadContext) -> Iterator[Record | Problem]:
        """Yield one record per non-merge commit reachable from ``HEAD`` of each repository."""
        several = len(paths) > 1
        for path in paths:
            try:
                yield from self._read_repo(path, repo_name(path, ctx, several))
            except FileNotFoundError:
                yield Problem(path=str(path), reason="the git executable was not found")
                return
            except (OSError, subprocess.SubprocessError) as exc:
                yield Problem(path=str(path), reason=f"git could not be run: {exc}")

    def _read_repo(self, path: Path, name: str) -> Iterator[Record | Problem]:
        if not path.is_dir():
            yield Problem(path=str(path), reason="not a folder, so not a git repository")
            return
        probe = _git(path, "rev-parse", "--is-bare-repository")
        if probe.returncode != 0:
            yield Problem(
                path=str(path), reason=f"not a readable git repository: {_first_line(probe.stderr)}"
            )
            return
        if _git(path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
            return  # an empty repository: nothing to read, nothing wrong
        mailmap = Mailmap.parse(self._mailmap_text(path))
        memo = _IdentityMemo(mailmap)
        proc = subprocess.Popen(
            [
                "git",
                *GIT_CONFIG,
                "-C",
                str(path),
                "log",
                "--use-mailmap",
                "--no-merges",
                "--name-only",
                "--no-renames",
                f"--format={LOG_FORMAT}",
                "HEAD",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        try:
            pending = b""
            for block in iter(lambda: proc.stdout.read(READ_BLOCK), b""):  # type: ignore[union-attr]
                pending += block
                *complete, pending = pending.split(COMMIT_START)
                for entry in complete:
                    if entry:
                        yield self._commit(path, name, entry, mailmap, memo)
            if pending:
                yield self._commit(path, name, pending, mailmap, memo)
            err = proc.stderr.read()
        finally:
            proc.stdout.close()
            rc = proc.wait()
            proc.stderr.close()
        if rc != 0:
            yield Problem(path=str(path), reason=f"git log failed: {_first_line(err)}")

    @staticmethod
    def _mailmap_text(path: Path) -> str:
        """The repository's ``.mailmap``: from the working tree, else from ``HEAD`` (bare repositories)."""
        worktree = path / ".mailmap"
        if worktree.is_file():
            return worktree.read_bytes().decode("utf-8", "replace")
        shown = _git(path, "show", "HEAD:.mailmap")
        return shown.stdout.decode("utf-8", "replace") if shown.returncode == 0 else ""

    @staticmethod
    def _commit(
        path: Path, repo: str, entry: bytes, mailmap: Mailmap, memo: _IdentityMemo | None = None
    ) -> Record | Problem:
        """One commit's log entry as a record (``memo``: what the repository's earlier commits found of the same identities)."""
        if memo is None:
            memo = _IdentityMemo(mailmap)
        text = entry.decode("utf-8", "replace")
        parts = text.split(FIELD)
        if len(parts) < 7:
            return Problem(path=str(path), reason="unexpected git log output", record=parts[0][:40] or None)
        sha, a_name, a_email, a_date, subject, body, files_blob = parts[:7]
        try:
            ts = datetime.fromisoformat(a_date.strip())
        except ValueError:
            return Problem(path=str(path), reason=f"bad author date {a_date!r}", record=f"commit:{sha}")
        # every value below is a string git wrote or an aware datetime: built without validation
        build = trusted if ts.utcoffset() is not None else _validated
        files = files_blob.splitlines()
        folders = sorted({slug(f.split("/", 1)[0]) for f in files if "/" in f.strip() and f.strip()})
        changed = sum(1 for f in files if f)
        scopes = [f"repo:{repo}"] + [f"path:{repo}/{folder}" for folder in folders]

        people: list[tuple[str, str, str]] = [(a_name, a_email, "author")]
        for m in _CO_AUTHOR.finditer(body):
            co_name, co_email = mailmap.map(m.group("name").strip(), m.group("email").strip())
            people.append((co_name, co_email, "co-author"))
        seen: set[str] = set()
        activities: list[ActivityIn] = []
        body_lines = _strip_trailers(body)
        chunk: ChunkIn | None = None
        if len(body_lines) >= MIN_BODY_LINES_FOR_CHUNK:
            chunk = build(
                ChunkIn,
                text=f"{subject}\n\n" + "\n".join(body_lines),
                kind="commit",
                locator=f"commit:{sha}",
                scope=scopes[0],
                title=subject,
                ts=ts,
            )
        for p_name, p_email, role in people:
            ident = (p_email or p_name).lower()
            if ident in seen or memo.is_bot(p_name, p_email):
                continue
            seen.add(ident)
            person = build(
                PersonRef,
                source="git",
                name=p_name or None,
                email=p_email or None,
                links=memo.links(p_email, p_name) if p_email else [],
            )
            detail = {"sha": sha, "role": role, "files": changed}
            activities.extend(
                build(
                    ActivityIn,
                    person=person,
                    scope=scope,
                    action=COMMIT,
                    ts=ts,
                    detail=detail,
                    chunk_locator=chunk.locator if chunk else None,
                )
                for scope in scopes
            )
        return build(
            Record,
            kind="git",
            key=f"commit:{sha}",
            path=str(path),
            title=subject,
            occurred_at=ts,
            activities=activities,
            chunks=[chunk] if chunk else [],
        )
