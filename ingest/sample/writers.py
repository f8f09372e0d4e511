"""Streaming writers for the sample organisation's files: JSON pages, Slack day files, CSV, git."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any


def dump_json(path: Path, data: Any) -> None:
    """Write JSON deterministically (sorted keys, two-space indent, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class PageWriter:
    """Writes a PagerDuty list endpoint as numbered pages (``name-1.json``...) with limit/offset/more."""

    def __init__(self, folder: Path, name: str, key: str, limit: int = 100) -> None:
        self.folder, self.name, self.key, self.limit = folder, name, key, limit
        self.buffer: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] | None = None
        self.pages = 0
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        """Queue one item; a full page is written once the next item shows there is more."""
        if len(self.buffer) == self.limit:
            self._write(self.buffer, more=True)
            self.buffer = []
        self.buffer.append(item)
        self.count += 1

    def _write(self, items: list[dict[str, Any]], more: bool) -> None:
        page = {
            self.key: items,
            "limit": self.limit,
            "offset": self.pages * self.limit,
            "more": more,
            "total": None,
        }
        self.pages += 1
        dump_json(self.folder / f"{self.name}-{self.pages}.json", page)

    def close(self) -> None:
        """Write the last page (``more`` false)."""
        self._write(self.buffer, more=False)
        self.buffer = []


class DayBuffer:
    """Items keyed by (file, day), flushed to disk once no later item can fall on that day."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, date], list[tuple[str, Any]]] = defaultdict(list)

    def add(self, file: str, day: date, sort_key: str, item: Any) -> None:
        """Queue an item for a file's day."""
        self.items[(file, day)].append((sort_key, item))

    def take_before(self, day: date | None) -> list[tuple[str, date, list[Any]]]:
        """Remove and return the groups of days before ``day`` (all when None), items sorted."""
        keys = sorted(k for k in self.items if day is None or k[1] < day)
        out = []
        for k in keys:
            group = self.items.pop(k)
            group.sort(key=lambda pair: pair[0])
            out.append((k[0], k[1], [item for _, item in group]))
        return out


class SlackWriter:
    """Writes channel folders of ``YYYY-MM-DD.json`` message arrays, one day at a time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.days = DayBuffer()
        self.count = 0
        self.files = 0

    def add(self, channel: str, day: date, message: dict[str, Any]) -> None:
        """Queue a message (``ts`` orders it within its day file)."""
        self.days.add(channel, day, message["ts"], message)
        self.count += 1

    def flush_before(self, day: date | None) -> None:
        """Write every day file before ``day`` (all when None)."""
        for channel, d, messages in self.days.take_before(day):
            dump_json(self.root / channel / f"{d.isoformat()}.json", messages)
            self.files += 1


class CsvWriter:
    """A CSV file written in time order, one day at a time."""

    def __init__(self, path: Path, header: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(header)
        self.days = DayBuffer()
        self.count = 0

    def add(self, day: date, sort_key: str, row: list[str]) -> None:
        """Queue a row."""
        self.days.add("", day, sort_key, row)
        self.count += 1

    def flush_before(self, day: date | None) -> None:
        """Write every row of days before ``day`` (all when None)."""
        for _, _, rows in self.days.take_before(day):
            self.writer.writerows(rows)

    def close(self) -> None:
        """Write what is left and close the file."""
        self.flush_before(None)
        self.fh.close()


class GitStream:
    """Builds a git repository by streaming commits into ``git fast-import``."""

    def __init__(self, repo: Path, branch: str = "main") -> None:
        git = shutil.which("git")
        if git is None:
            raise RuntimeError("git is not installed; the sample organisation needs it for repos/")
        self.git, self.repo, self.branch = git, repo, branch
        self.env = {
            "PATH": os.pathsep.join([str(Path(git).parent), os.defpath]),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "HOME": str(repo),
            "LC_ALL": "C",
            "TZ": "UTC",
        }
        repo.mkdir(parents=True, exist_ok=True)
        self._run("init", "-q", "-b", branch)
        self.proc = subprocess.Popen(
            [git, "fast-import", "--quiet", "--date-format=raw"],
            cwd=repo,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            bufsize=1 << 20,
        )
        assert self.proc.stdin is not None
        self.stdin = self.proc.stdin
        self.count = 0

    def _run(self, *args: str) -> None:
        subprocess.run([self.git, *args], cwd=self.repo, env=self.env, check=True, stdout=subprocess.DEVNULL)

    @staticmethod
    def _data(text: str) -> bytes:
        raw = text.encode("utf-8")
        return b"data %d\n" % len(raw) + raw + b"\n"

    def commit(
        self,
        author: tuple[str, str],
        committer: tuple[str, str],
        epoch: int,
        offset: str,
        message: str,
        files: dict[str, str],
    ) -> None:
        """Append one commit that writes ``files`` (path -> full new content)."""
        self.count += 1
        out = [f"commit refs/heads/{self.branch}\n".encode(), b"mark :%d\n" % self.count]
        out.append(f"author {author[0]} <{author[1]}> {epoch} {offset}\n".encode())
        out.append(f"committer {committer[0]} <{committer[1]}> {epoch} {offset}\n".encode())
        out.append(self._data(message))
        for path, content in sorted(files.items()):
            out.append(f"M 100644 inline {path}\n".encode())
            out.append(self._data(content))
        out.append(b"\n")
        self.stdin.write(b"".join(out))

    def close(self) -> None:
        """Finish the import and check out the working copy."""
        self.stdin.flush()
        self.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError("git fast-import failed")
        if self.count:
            self._run("reset", "-q", "--hard", self.branch)
