"""Shared fixtures: a fresh workspace per test, a clean environment, no network, one real embedder."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
        raise RuntimeError(
            f"test tried to reach the network: {address!r} (tests are offline; use a cassette)"
        )
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _offline_and_clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test: no network, no key from the developer's shell, its own workspace."""
    for var in list(os.environ):
        if var.startswith("UNDERSTUDY_") or var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("UNDERSTUDY_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield
    from ingest.db import dispose_engines

    dispose_engines()


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2, loaded once per test session."""
    from ingest.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


class CountingEmbedder:
    """Wraps the real embedder and counts what it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.texts = 0

    def encode(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts)

    def __getattr__(self, name: str):
        """Everything else (the splitter, the model reference) is the real embedder's, so tests split as production does."""
        return getattr(self.inner, name)


@pytest.fixture
def counting_embedder(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def ws(tmp_path: Path, counting_embedder: CountingEmbedder):
    """A fresh workspace with the real (counting) embedder."""
    from ingest.workspace import Workspace

    return Workspace.open(tmp_path / "ws", embedder=counting_embedder)


@pytest.fixture(scope="session")
def sample_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample organisation (seed 7, scale 1), generated once per session."""
    from ingest.sample import generate

    out = tmp_path_factory.mktemp("org")
    generate(out, seed=7)
    return out


@pytest.fixture(scope="session", autouse=True)
def _secrets_corpus() -> None:
    """The seeded secret corpus is generated, not committed (fake tokens look like leaks to scanners)."""
    from evals.scorers.secrets import ensure_corpus

    ensure_corpus(Path(__file__).parent / "fixtures" / "secrets")
