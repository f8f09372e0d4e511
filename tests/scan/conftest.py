"""Fixtures of the scan tests: the forming organisation scanned early (once per session), copied per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .org import Scanned, copy_home, scanned_early

FIRST_RUNNER = "alice-ops"
"""Who runs the first two scans (a login name, not a person of the organisation)."""


@pytest.fixture(scope="session")
def early_scanned(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Scanned:
    """The early part of the forming organisation, scanned once."""
    return scanned_early(tmp_path_factory.mktemp, embedder, FIRST_RUNNER)


@pytest.fixture
def scanned_home(early_scanned: Scanned, tmp_path: Path) -> Path:
    """A private copy of the early-scanned workspace."""
    return copy_home(early_scanned.home, tmp_path / "home")
