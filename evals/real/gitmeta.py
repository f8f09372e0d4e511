"""Rebuild a git history as metadata only: the same commits, authors, dates, messages and paths, no code.

Real repositories' code is not ours to redistribute, and Understudy reads only who changed which paths
when. So a case's fixture is a git bundle whose commits carry each original non-merge commit's author,
committer, dates, message and changed paths; every changed file holds the original commit's id instead
of its content, except ``.mailmap``, which is kept as it was (it is identity data the git adapter reads).
Merges are dropped and the rest is laid on one line, oldest first, which changes no authorship count.
With ``--facts-only`` (for a repository without a clear licence) a message keeps only its trailer lines
(``Co-authored-by:`` and the like, which are identities) under the original commit's id.

``python -m evals.real.gitmeta SNAPSHOT OUT.bundle [--since DATE] [--until DATE] [--facts-only]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

KEPT_VERBATIM = frozenset({".mailmap"})
"""Files whose real content is kept: identity data, not code."""

SEP = "\x1e"
"""Starts each commit in the log read here."""


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True).stdout


def _commits(src: Path, since: str | None, until: str | None) -> list[str]:
    args = ["rev-list", "--reverse", "--topo-order", "--no-merges", "HEAD"]
    if since:
        args.append(f"--since={since}")
    if until:
        args.append(f"--until={until}")
    return _git(src, *args).decode().split()


_TRAILER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:\s")


def facts_message(sha: str, message: bytes) -> bytes:
    """The original commit's id and the message's trailer lines (identities), none of its prose."""
    lines = message.rstrip(b"\n").split(b"\n")
    trailers = [ln for ln in lines[1:] if _TRAILER.match(ln)]
    return sha.encode() + (b"\n\n" + b"\n".join(trailers) if trailers else b"")


def _data(blob: bytes) -> bytes:
    return b"data %d\n" % len(blob) + blob + b"\n"


def stream(src: Path, commits: list[str], facts_only: bool = False) -> bytes:
    """A ``git fast-import`` stream of ``commits`` as metadata-only commits on ``refs/heads/main``."""
    out: list[bytes] = []
    for n, sha in enumerate(commits, start=1):
        head = _git(src, "show", "-s", "--format=%an <%ae> %ad%x00%cn <%ce> %cd%x00%B", "--date=raw", sha)
        author, committer, message = head.split(b"\x00", 2)
        changes = _git(src, "diff-tree", "--no-commit-id", "-r", "-z", "--no-renames", "--root", sha)
        parts = changes.split(b"\x00")
        out.append(b"commit refs/heads/main\nmark :%d\n" % n)
        out.append(b"author " + author + b"\ncommitter " + committer + b"\n")
        if facts_only:
            message = facts_message(sha, message)
        out.append(_data(message.rstrip(b"\n") + b"\n"))
        if n > 1:
            out.append(b"from :%d\n" % (n - 1))
        for i in range(0, len(parts) - 1, 2):
            meta, path = parts[i], parts[i + 1]
            status = meta.split()[-1][:1]
            if b"160000" in meta.split()[:2]:
                continue  # a submodule link: no file to keep
            quoted = b'"' + path.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            if status == b"D":
                out.append(b"D " + quoted + b"\n")
                continue
            if path.decode(errors="replace") in KEPT_VERBATIM:
                blob = _git(src, "show", f"{sha}:{path.decode()}")
            else:
                blob = sha.encode() + b"\n"
            out.append(b"M 100644 inline " + quoted + b"\n" + _data(blob))
    return b"".join(out)


def build(
    src: Path, bundle: Path, since: str | None = None, until: str | None = None, facts_only: bool = False
) -> int:
    """Write the metadata-only history of ``src`` to ``bundle``; returns the number of commits."""
    commits = _commits(src, since, until)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "meta.git"
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
        _git(repo, "fast-import", "--quiet", data=stream(src, commits, facts_only))
        _git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
        _git(repo, "gc", "-q", "--aggressive", "--prune=now")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        _git(repo, "bundle", "create", str(bundle.resolve()), "HEAD", "refs/heads/main")
    return len(commits)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--facts-only", action="store_true")
    a = parser.parse_args()
    print(f"{build(a.snapshot, a.bundle, a.since, a.until, a.facts_only)} commits -> {a.bundle}")
