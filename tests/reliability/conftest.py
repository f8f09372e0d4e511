"""Reliability suite fixtures: a fresh figures file per session."""

from __future__ import annotations

import pytest

from tests.reliability.figures import ARTIFACT


@pytest.fixture(scope="session", autouse=True)
def _fresh_figures() -> None:
    """Start each session with an empty figures file so counts are this run's."""
    if ARTIFACT.exists():
        ARTIFACT.unlink()


try:  # the drafting suite's seeded hero scope (real SQLite and Chroma)
    from tests.drafting.conftest import org  # noqa: F401
except ImportError:
    from tests.drafting.conftest import org  # noqa: F401

try:  # the review UI suite's workspace with reviewer accounts
    from tests.ui.conftest import app, cast, ui_template, ui_ws  # noqa: F401
except ImportError:
    from tests.ui.conftest import app, cast, ui_template, ui_ws  # noqa: F401
