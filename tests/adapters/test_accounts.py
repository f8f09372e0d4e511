"""Assistants, bots and service accounts are not people: git trailers and authors, markdown write-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.adapters.accounts import is_service_account
from ingest.adapters.base import ReadContext
from ingest.adapters.git import GitAdapter
from ingest.adapters.markdown import MarkdownAdapter
from ingest.records import Record
from tests.adapters.test_git import commit, git


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Claude", "noreply@anthropic.com"),  # Claude Code's trailer
        ("Claude Opus 4.1", "noreply@anthropic.com"),
        ("Copilot", "175728472+Copilot@users.noreply.github.com"),  # GitHub Copilot's agent
        ("Cursor Agent", "cursoragent@cursor.com"),
        ("codefactor-io", "support@codefactor.io"),
        ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com"),
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
        ("github-actions", "41898282+github-actions[bot]@users.noreply.github.com"),
        ("jenkins", "jenkins@ci.example.org"),
        ("deploy-bot", "ops@example.org"),
        ("svc-payments", "svc-payments@example.org"),
        ("ci", None),
        ("root", "root@ip-10-0-0-12.ec2.internal"),  # the account a cron job runs under
        (None, "cron@scheduler.example.org"),
    ],
)
def test_assistants_bots_and_service_accounts(name: str | None, email: str | None) -> None:
    assert is_service_account(name, email)


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Claude Dupont", "claude@dupont.fr"),  # a person called Claude
        ("Claude", "claude.martin@example.org"),
        ("Cindy Wu", "12345+cindy@users.noreply.github.com"),  # a person's GitHub noreply address
        ("Grant Slater", "github@example.org"),
        ("Talbot", "talbot@example.org"),
        ("Ed Ng", "ed@example.org"),
        ("Devin Carter", "devin@example.org"),
    ],
)
def test_people_stay_people(name: str, email: str) -> None:
    assert not is_service_account(name, email)


def read_repo(root: Path) -> list[Record]:
    out = list(GitAdapter().read([root], ReadContext()))
    assert all(isinstance(r, Record) for r in out), out
    return out  # type: ignore[return-value]


def test_co_authors_are_people_and_assistants_are_not(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(
        root,
        {"terraform/dns.tf": "a\n"},
        "Move MX records to Workspace\n\nCo-authored-by: Tim Volkert <tvolkert@example.org>\n"
        "Co-Authored-By: Claude <noreply@anthropic.com>",
        "Ian Hickson",
        "ian@example.org",
        "2023-08-25T15:27:00-07:00",
    )
    commit(
        root,
        {"chef/roles/db.rb": "b\n"},
        "Raise the pool size\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n"
        "Co-authored-by: codefactor-io <support@codefactor.io>\n"
        "Co-authored-by: Maria Garcia <12345+mgarcia@users.noreply.github.com>",
        "Tim Volkert",
        "tvolkert@example.org",
        "2023-08-26T10:00:00-07:00",
    )
    commit(
        root,
        {"chef/roles/db.rb": "c\n"},
        "Bump chef from 17 to 18",
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        "2023-08-27T10:00:00-07:00",
    )
    by_commit = {
        r.title: sorted({(a.person.name or "", a.detail["role"]) for a in r.activities})
        for r in read_repo(root)
    }
    assert by_commit == {
        "Move MX records to Workspace": [("Ian Hickson", "author"), ("Tim Volkert", "co-author")],
        "Raise the pool size": [("Maria Garcia", "co-author"), ("Tim Volkert", "author")],
        "Bump chef from 17 to 18": [],
    }


def test_write_up_names_no_service_account(tmp_path: Path) -> None:
    path = tmp_path / "postmortems" / "2025-02-03-billing-api.md"
    path.parent.mkdir()
    path.write_text(
        "# 2025-02-03: billing-api — invoices stuck\n\n## Timeline\n\n"
        "- 02:10 @svc-billing restarted the invoice workers\n"
        "- 02:12 @deploy-bot rolled back the release\n"
        "- 02:20 @jenkins deployed 4.2.1\n"
        "- 02:30 @ana resolved the incident\n\n## Root cause\n\nA bad release.\n\n## Impact\n\nLate invoices.\n",
        encoding="utf-8",
    )
    (rec,) = list(MarkdownAdapter().read([path], ReadContext()))
    assert isinstance(rec, Record)
    people = {a.person.handle for a in rec.activities if not a.person.is_bot}
    assert people == {"ana"}
