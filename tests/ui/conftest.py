"""Fixtures for the review UI: a real workspace built once from the sample organisation, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .helpers import APP, APP_TIMEOUT, PASSWORD, sign_in

SAMPLE_SCALE = 0.15
"""Sample-organisation scale for the UI tests: enough for heroes and drafts, quick to ingest."""

SAMPLE_MONTHS = 2
"""Months of sample history for the UI tests."""


@dataclass(frozen=True)
class Cast:
    """Who is who in the test workspace: a draft, its scope's hero, and two other reviewers."""

    draft_id: str
    drafts: tuple[str, ...]
    hero: str
    reviewer: str
    other: str


def _build_template(root: Path, embedder: Any) -> tuple[Path, Cast]:
    from agent.drafting import start_drafts
    from agent.ledger import list_drafts
    from agent.ledger.accounts import authenticate
    from ingest.db import Person, dispose_engines
    from ingest.pipeline import ingest_paths
    from ingest.sample import generate
    from ingest.workspace import Workspace
    from review_ui.auth import add_reviewer

    org, home = root / "org", root / "home"
    generate(org, seed=7, scale=SAMPLE_SCALE, months=SAMPLE_MONTHS, start=date(2026, 1, 1))
    ws = Workspace.open(home, embedder=embedder)
    ingest_paths(ws, [org], progress=False)
    start_drafts(ws, kind="runbook")
    rows, _ = list_drafts(ws, status="pending", limit=100)
    with_hero = [r for r in rows if r["hero"]]
    assert with_hero, f"the sample organisation gave no pending draft about a hero's scope: {rows}"
    first = with_hero[0]
    with ws.session() as session:
        others = [
            p.id for p in session.query(Person).filter(Person.merged_into.is_(None)).order_by(Person.id)
        ]
    others = [p for p in others if p not in {r["hero"] for r in rows}]
    cast = Cast(first["id"], tuple(r["id"] for r in with_hero), first["hero"], others[0], others[1])
    add_reviewer(ws, cast.reviewer, PASSWORD)  # the first account: an admin, who makes the others
    admin = authenticate(ws, cast.reviewer, PASSWORD)
    for person in (cast.hero, cast.other):
        add_reviewer(ws, person, PASSWORD, by=admin)
    dispose_engines()
    return home, cast


@pytest.fixture(scope="session")
def ui_template(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> tuple[Path, Cast]:
    """A workspace with the sample organisation ingested, runbooks drafted and three reviewer accounts."""
    return _build_template(tmp_path_factory.mktemp("ui-template"), embedder)


@pytest.fixture
def cast(ui_template: tuple[Path, Cast]) -> Cast:
    return ui_template[1]


@pytest.fixture
def ui_ws(ui_template: tuple[Path, Cast], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh copy of the template workspace, named by ``$UNDERSTUDY_HOME`` for the app."""
    from ingest.workspace import Workspace

    home = tmp_path / "ui-home"
    shutil.copytree(ui_template[0], home)
    monkeypatch.setenv("UNDERSTUDY_HOME", str(home))
    monkeypatch.setenv("UNDERSTUDY_OFFLINE", "true")
    return Workspace.open(home)


@pytest.fixture
def app() -> Callable[..., Any]:
    """A factory of AppTests of the review UI, signed in as ``person`` when one is given."""
    from streamlit.testing.v1 import AppTest

    def make(person: str | None = None, password: str = PASSWORD) -> Any:
        at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
        at.run()
        assert not at.exception, at.exception
        if person is not None:
            sign_in(at, person, password)
        return at

    return make
