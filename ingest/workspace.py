"""A workspace: the settings, the database engine and the vector index of one home folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ingest.db import get_engine, session_scope
from ingest.embed import Embedder
from ingest.index import Index
from ingest.settings import Settings, ensure_workspace, load_settings


class Workspace:
    """Everything one ``--home`` holds. Cheap to create; parts open on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        ensure_workspace(settings)

    @classmethod
    def open(
        cls, home: str | Path | None = None, embedder: Embedder | None = None, **overrides: Any
    ) -> Workspace:
        """The workspace at ``home`` (else ``$UNDERSTUDY_HOME``, else ``./.understudy``)."""
        return cls(load_settings(home, **overrides), embedder=embedder)

    @property
    def home(self) -> Path:
        return self.settings.home_path

    @cached_property
    def engine(self) -> Engine:
        engine = get_engine(self.settings.db_url)
        if self.settings.db_url.startswith("sqlite:///"):
            with suppress(OSError):
                self.settings.sqlite_path.chmod(0o600)
        return engine

    @cached_property
    def index(self) -> Index:
        return Index(self.settings, embedder=self._embedder)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work on the facts-and-ledger database."""
        with session_scope(self.engine) as session:
            yield session
