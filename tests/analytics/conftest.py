"""Fixtures of the analytics tests: a fresh workspace and a fact builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.workspace import Workspace

from .builders import Facts


@pytest.fixture
def plain_ws(tmp_path: Path) -> Workspace:
    """A fresh workspace without an embedder (the map never embeds)."""
    return Workspace.open(tmp_path / "ws")


@pytest.fixture
def facts(plain_ws: Workspace) -> Facts:
    return Facts(plain_ws)
