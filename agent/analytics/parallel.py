"""Independent read-only parts of the map, each on its own database session, on threads.

The hero map is a handful of independent scans (the time-banded aggregate, the rescue rules, the
escalation graph). Most of their time is spent inside the database driver, which releases Python's
GIL while a query runs, so on a machine with more than one core they overlap. Each part gets its own
session (and so its own connection): a SQLAlchemy session is not shared between threads.

Parts run on threads only when another connection sees what the caller's session sees: a database
file or a server (not an in-memory SQLite database, which is one per connection), and a caller's
session with no writes of its own pending. Otherwise, or with ``UNDERSTUDY_MAP_THREADS=1``, each part
runs at once on the caller's session, in the order submitted, as it always did.

Verdicts of :func:`agent.analytics.judgement.judge` are memoised per session; the workers' sessions
share the caller's memo, so a part that judges messages must find them judged already (the caller
judges first): two threads judging at once would both store their verdicts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from agent.analytics.judgement import JUDGE_MEMO

T = TypeVar("T")

THREADS_ENV = "UNDERSTUDY_MAP_THREADS"
"""Environment variable: how many threads the map's parts may use (1: one after the other)."""

MAX_THREADS = 4
"""The map has about six independent parts of unequal size; more threads than this only wait."""


def thread_count() -> int:
    """Threads for the map's parts: ``UNDERSTUDY_MAP_THREADS`` if set, else the cores (at most 4)."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be a whole number, not {raw!r}") from None
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


def _shareable(session: Session) -> bool:
    """Whether a second connection sees the same data as this session does now."""
    from agent.analytics.judged import pending_writes

    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return False
    return not pending_writes(session)


class Workers:
    """Runs ``fn(session, *args)`` for the map's parts: on threads with sessions of their own when it is
    safe (see the module's docstring), else at once on the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        n = thread_count()
        threaded = n > 1 and _shareable(session)
        self.pool = ThreadPoolExecutor(n, thread_name_prefix="understudy-map") if threaded else None

    @property
    def threaded(self) -> bool:
        return self.pool is not None

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        if self.pool is not None:
            return self.pool.submit(self._own_session, fn, args, kwargs)
        done: Future[T] = Future()
        try:
            done.set_result(fn(self.session, *args, **kwargs))
        except BaseException as exc:  # raised again by .result(), where a thread's would be
            done.set_exception(exc)
        return done

    def _own_session(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        with Session(self.session.get_bind()) as own:
            own.info[JUDGE_MEMO] = self.session.info.setdefault(JUDGE_MEMO, {})
            return fn(own, *args, **kwargs)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
