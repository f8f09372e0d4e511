"""Fixtures of the ask tests: the sample organisation (forming variant) scanned early and then in full."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scan.org import scanned_early, scanned_full


@pytest.fixture(scope="session")
def asked_home(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """A workspace holding the whole organisation and two scans (read only in these tests)."""
    return scanned_full(tmp_path_factory.mktemp, embedder, "alice-ops")


@pytest.fixture(scope="session")
def truth(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    """The organisation's ground truth."""
    return scanned_early(tmp_path_factory.mktemp, embedder, "alice-ops").org.truth


@pytest.fixture(scope="session")
def org_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    return scanned_early(tmp_path_factory.mktemp, embedder, "alice-ops").org.full


@pytest.fixture
def ws(asked_home: Path, embedder: Any) -> Any:
    from ingest.workspace import Workspace

    return Workspace.open(asked_home, embedder=embedder)
