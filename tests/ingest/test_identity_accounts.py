"""One person split across sources by e-mail: a shared full name plus accounts that spell it alike merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.db import MergeSuggestion, Person
from ingest.identity import spells_name
from ingest.pipeline import ingest_paths
from ingest.workspace import Workspace

PEOPLE = [
    # (Slack id, handle, full name, Slack e-mail, PagerDuty id, PagerDuty e-mail)
    (
        "U0HARRIET1",
        "heriksen",
        "Harriet Eriksen",
        "harriet.eriksen@corvid.io",
        "PHARR01",
        "heriksen@ops.corvid.io",
    ),
    ("U0GRANT001", "grant", "Grant Slater", "grant.slater@corvid.io", "PGRANT1", "grant@ops.corvid.io"),
]


def _write(root: Path) -> Path:
    slack = root / "slack"
    (slack / "eng-general").mkdir(parents=True)
    (slack / "users.json").write_text(
        json.dumps(
            [
                {"id": sid, "name": handle, "real_name": name, "profile": {"real_name": name, "email": email}}
                for sid, handle, name, email, _, _ in PEOPLE
            ]
        )
    )
    (slack / "channels.json").write_text(json.dumps([{"id": "CGEN0001", "name": "eng-general"}]))
    msgs = [
        {"type": "message", "user": sid, "text": "morning", "ts": f"{1767600000 + i}.000100"}
        for i, (sid, *_) in enumerate(PEOPLE)
    ]
    (slack / "eng-general" / "2026-01-05.json").write_text(json.dumps(msgs))
    pd = root / "pagerduty"
    pd.mkdir()
    users = [{"id": pid, "type": "user", "name": name, "email": mail} for _, _, name, _, pid, mail in PEOPLE]
    (pd / "users.json").write_text(json.dumps({"users": users}))
    return root


@pytest.fixture
def people(tmp_path: Path) -> tuple[dict[str, set[str]], list[set[str]]]:
    """Full name -> unmerged person ids, and the open merge suggestions, after ingesting both sources."""
    org = _write(tmp_path / "org")
    ws = Workspace.open(tmp_path / "ws")
    ingest_paths(ws, [org / "slack", org / "pagerduty"])
    with ws.session() as s:
        by_name: dict[str, set[str]] = {}
        for pid, name in s.execute(select(Person.id, Person.name).where(Person.merged_into.is_(None))):
            by_name.setdefault(name, set()).add(pid)
        open_ = [
            {a, b}
            for a, b in s.execute(
                select(MergeSuggestion.person_a, MergeSuggestion.person_b).where(
                    MergeSuggestion.status == "open"
                )
            )
        ]
    return by_name, open_


def test_same_name_with_an_account_spelling_it_alike_in_both_sources_merges(
    people: tuple[dict[str, set[str]], list[set[str]]],
) -> None:
    by_name, _ = people
    assert len(by_name["Harriet Eriksen"]) == 1


def test_same_name_whose_accounts_only_share_a_first_name_is_only_suggested(
    people: tuple[dict[str, set[str]], list[set[str]]],
) -> None:
    by_name, suggestions = people
    assert len(by_name["Grant Slater"]) == 2
    assert by_name["Grant Slater"] in suggestions


@pytest.mark.parametrize(
    ("token", "name", "spells"),
    [
        ("heriksen", "Harriet Eriksen", True),
        ("harrieteriksen", "Harriet Eriksen", True),
        ("eriksenh", "Harriet Eriksen", True),
        ("eriksen", "Harriet Eriksen", False),  # the surname alone is a family, not a person
        ("grant", "Grant Slater", False),  # a first name alone
        ("jli", "Jun Li", False),  # a surname too short to tell people apart
        ("pszabo", "Harriet Eriksen", False),
    ],
)
def test_spells_name(token: str, name: str, spells: bool) -> None:
    assert spells_name(token, name) is spells
