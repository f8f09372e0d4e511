"""One scan at a time per workspace: an exclusive ``fcntl`` lock on a file in the workspace.

The kernel drops the lock when its process ends, so a crashed scan never leaves a stale lock behind.
The file also says who holds it (pid, who ran it, since when) for the second scan's message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_FILE = "scan.lock"
"""Name of the lock file inside the workspace."""

POLL_SECONDS = 0.2
"""How often a waiting scan tries the lock again."""


class ScanBusy(RuntimeError):
    """Another scan holds this workspace's lock."""

    def __init__(self, holder: dict[str, Any]) -> None:
        self.holder = holder
        who = holder.get("by") or "someone"
        since = holder.get("since") or "an unknown time"
        pid = holder.get("pid")
        super().__init__(
            f"another scan is running in this workspace (pid {pid}, run by {who}, since {since}); "
            "try again when it finishes"
        )


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


@contextmanager
def scan_lock(home: Path, by: str | None, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the workspace's scan lock; wait up to ``wait_seconds`` for it, then raise :class:`ScanBusy`."""
    path = Path(home) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ScanBusy(_holder(path)) from None
                time.sleep(POLL_SECONDS)
        info = json.dumps(
            {"pid": os.getpid(), "by": by, "since": datetime.now(UTC).isoformat(timespec="seconds")}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
