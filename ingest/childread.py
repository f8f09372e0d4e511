"""A source group read in a child process, so that parsing overlaps storing on a second core.

The child runs the group's adapter and sends its items, in order, over a bounded queue in batches;
each record comes with its content hash, computed in the child. The parent stores exactly what it
would have stored reading in-process. An adapter exception in the child comes back as
:class:`ReaderFailed` with the exception's class name and message, after every item read before it.
The child ignores Ctrl-C (the parent stops it) and exits when its parent dies.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from ingest.adapters import base
from ingest.adapters.base import Adapter, ReadContext
from ingest.records import Problem, Record

CHILD_READ_MIN_BYTES = 8 << 20
"""Group size from which the group is parsed in a child. A ``spawn`` child sends its first items about
0.7 s after it starts (0.3 s of it importing the adapters), and the parent pays about 0.3-0.5 s of
unpickling per second of parsing it no longer does; in-process the readers parse (and hash) about 4 MB/s of
markdown, 9 MB/s of Slack and 25 MB/s of PagerDuty exports. From 8 MB the slower kinds parse for 1-2 s or
more, so the overlap outweighs the wait. Measured on the scale-7 and scale-35 sample organisations (the
generator's exports, not a scored set), with the machine under load."""

ITEMS_PER_MESSAGE = 256
"""Items (records and problems) per queue message: few enough pickles to amortise each put, small
enough that the parent starts storing soon."""

QUEUE_DEPTH = 16
"""Messages the queue holds before the child waits: bounds the memory of parsed but unstored records."""

POLL_SECONDS = 1.0
"""How often a blocked side checks that the other is still alive."""


Prepare = Callable[[Record], Any]
"""Work done on each record in the child after its content hash is taken (the pipeline redacts there)."""

Item = tuple[Record | Problem, str | None, Any]
"""What the child sends per item: the record (or problem), its content hash, what ``prepare`` returned."""


class ReaderFailed(Exception):
    """An adapter's exception raised in the child, by its class name and message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


CHILD_READ_BY_DEFAULT = False
"""Off unless asked for (``read_child_min_bytes`` / ``UNDERSTUDY_READ_CHILD_MIN_BYTES``, e.g. 8388608). Measured
back to back on the scale-35 sample organisation (119,776 records) on these 2 cores: at load 6-7 the child path
took 69.6 s against 59.1 s in-process (24% more CPU: pickling); at load 2.5-3 it took 54.8 and 55.8 s against
53.4 and 59.1 s. No run showed a gain, so the default stays in-process until a machine with idle cores does.

Why, measured 2026-12-03 on the scale-20 organisation (69,234 records) at load 0.2-0.9: in-process 27.2-30.6 s;
a child per group 30.4-30.9 s; a prototype with one child reading every group ahead of the parent (so that
the child never waits for a group to start) 30.3-31.3 s, and not kept. The child alone, draining every group
without a parent storing, took 20.7 s (parsing, hashing, pickling), the in-process run's share of it about
17 s. The cause is the machine: two copies of a pure-Python loop run side by side each take 1.5-1.9× as long
as one alone (``evals.bench.cpu_probe``: parallel throughput 1.05-1.32 that day), so the second "core" adds
a third of one at best, which pickling every record (about 20% more CPU) takes back. A gain needs two real
cores, or cutting what the child sends.

With two real cores (2026-12-06, parallel throughput 1.65-1.93, load under 1) the gain is still small: on the
scale-140 organisation (476,424 records) the child path took 100.1 s against 103.0 s in-process (user CPU 118 s
against 87 s); on scale 20, 12.7-13.1 s against 13.7-13.9 s. The parent stays busy storing (SQL writes
and identity resolution) and reading the groups below the threshold (markdown folders), so the overlap saves 3-8%
of the wall time while pickling adds a third more CPU: not worth it by default."""


def use_child(total_bytes: int, min_bytes: int | None) -> bool:
    """Whether a group of ``total_bytes`` is read in a child: from ``min_bytes`` if set, else only if on by default."""
    if min_bytes is None:
        return (
            CHILD_READ_BY_DEFAULT
            and total_bytes >= CHILD_READ_MIN_BYTES
            and len(os.sched_getaffinity(0)) >= 2
        )
    return total_bytes >= min_bytes


def _child(
    adapter: Adapter,
    paths: list[Path],
    ctx: ReadContext,
    prepare: Prepare,
    shapes: dict[Any, Any],
    out: Any,
    parent: int,
) -> None:
    """The child's body: read the group and send its items, then ``done`` or ``error``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with base.remembered_shapes():
        base.remember_shapes(shapes)
        _send_items(adapter, paths, ctx, prepare, out, parent)


def _send_items(
    adapter: Adapter, paths: list[Path], ctx: ReadContext, prepare: Prepare, out: Any, parent: int
) -> None:
    """Read the group and send its items in batches, then ``done`` or ``error``."""

    def send(msg: tuple[Any, ...]) -> None:
        # pickled here, not in the queue's feeder thread, so that a record that cannot be sent is an error
        blob = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            try:
                out.put(blob, timeout=POLL_SECONDS)
                return
            except queue.Full:
                if os.getppid() != parent:
                    os._exit(0)

    batch: list[Item] = []
    try:
        for item in adapter.read(paths, ctx):
            if isinstance(item, Record):
                digest = item.content_hash()
                batch.append((item, digest, prepare(item)))
            else:
                batch.append((item, None, None))
            if len(batch) >= ITEMS_PER_MESSAGE:
                send(("items", batch))
                batch = []
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which quarantines the group
        if batch:
            send(("items", batch))
        send(("error", exc.__class__.__name__, str(exc)))
        return
    if batch:
        send(("items", batch))
    send(("done",))


def read_in_child(
    adapter: Adapter, paths: list[Path], ctx: ReadContext, prepare: Prepare
) -> Generator[Item, None, None]:
    """The group's items, parsed by ``adapter`` in a ``spawn`` child, each record with its content hash and
    what ``prepare`` (a module-level function, run after hashing) returned for it; close it to stop the child."""
    mp = multiprocessing.get_context("spawn")
    inbox = mp.Queue(maxsize=QUEUE_DEPTH)
    proc = mp.Process(
        target=_child,
        args=(adapter, paths, ctx, prepare, base.shapes_of(paths), inbox, os.getpid()),
        daemon=True,
    )
    proc.start()
    try:
        while True:
            try:
                msg = pickle.loads(inbox.get(timeout=POLL_SECONDS))
            except queue.Empty:
                if proc.is_alive():
                    continue
                try:
                    msg = pickle.loads(inbox.get(timeout=POLL_SECONDS))
                except queue.Empty:
                    raise ReaderFailed(
                        "ReaderExited", f"reader process exited with code {proc.exitcode}"
                    ) from None
            if msg[0] == "items":
                yield from msg[1]
            elif msg[0] == "error":
                raise ReaderFailed(msg[1], msg[2])
            else:
                return
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(10)
        inbox.close()
        inbox.cancel_join_thread()
