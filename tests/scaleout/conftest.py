"""Scale-out fixtures: the PostgreSQL and Chroma servers that `.ci/scaleout.sh` starts.

The root conftest clears every ``UNDERSTUDY_*`` variable before each test, so the two URLs are
read here, at import, and put back for each test. Missing URLs fail the test (never skip): a
selected scale-out test that cannot reach its servers has not shown anything.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

DATABASE_URL = os.environ.get("UNDERSTUDY_DATABASE_URL")
CHROMA_URL = os.environ.get("UNDERSTUDY_CHROMA_URL")


@dataclass
class Servers:
    """Where this test's state lives: its own PostgreSQL database and the Chroma server."""

    database_url: str
    chroma_url: str


def _require() -> tuple[str, str]:
    missing = [
        name
        for name, value in (("UNDERSTUDY_DATABASE_URL", DATABASE_URL), ("UNDERSTUDY_CHROMA_URL", CHROMA_URL))
        if not value
    ]
    if missing:
        pytest.fail(f"scale-out tests need {' and '.join(missing)} (run `make test-scaleout`)", pytrace=False)
    if not DATABASE_URL.startswith("postgresql"):  # type: ignore[union-attr]
        pytest.fail(f"UNDERSTUDY_DATABASE_URL must be a PostgreSQL URL, got {DATABASE_URL!r}", pytrace=False)
    return DATABASE_URL, CHROMA_URL  # type: ignore[return-value]


def _reset_chroma(chroma_url: str) -> None:
    """Drop the chunk collection so each test starts from an empty vector store."""
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from ingest.index import COLLECTION

    parsed = urlparse(chroma_url)
    client = chromadb.HttpClient(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 8000,
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    with contextlib.suppress(Exception):  # absent already: nothing to drop
        client.delete_collection(COLLECTION)


@pytest.fixture
def servers(_offline_and_clean: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    """A fresh PostgreSQL database and an empty Chroma collection, with the env pointing at them."""
    base_url, chroma_url = _require()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ingest.db import dispose_engines

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    _reset_chroma(chroma_url)
    monkeypatch.setenv("UNDERSTUDY_DATABASE_URL", url)
    monkeypatch.setenv("UNDERSTUDY_CHROMA_URL", chroma_url)
    try:
        yield Servers(database_url=url, chroma_url=chroma_url)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
