"""The git adapter against real repositories built with the git CLI in temporary folders."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.adapters.base import ReadContext
from ingest.adapters.git import GitAdapter, Mailmap, is_bot
from ingest.records import Problem, Record

ENV_BASE = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "GIT_COMMITTER_NAME": "Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    """Run git in ``repo`` with a clean environment."""
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**ENV_BASE, **(env or {})},
        input=stdin,
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


def commit(repo: Path, files: dict[str, str], message: str, name: str, email: str, date: str) -> None:
    """Write files and commit them as the given author at the given date."""
    for rel, content in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    git(repo, "add", "-A")
    git(
        repo,
        "commit",
        "-q",
        "-m",
        message,
        env={"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date},
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A small working copy with a mailmap, a bot, co-authors and a multi-line message."""
    root = tmp_path / "Payments-Service"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(
        root,
        {"api/server.py": "x = 1\n", "README.md": "hi\n"},
        "Initial commit",
        "Alice Old",
        "alice@old-laptop.local",
        "2024-03-10T01:30:00-05:00",
    )
    commit(
        root,
        {"api/server.py": "x = 2\n", "db/schema.sql": "create table t();\n"},
        "Fix pool exhaustion\n\nThe connection pool ran dry under retry storms.\nCap retries and raise the pool.\n\n"
        "Co-authored-by: Bob Builder <bob@example.org>\nCo-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
        "Alice Smith",
        "alice@example.org",
        "2024-03-10T03:30:00-04:00",
    )
    commit(
        root,
        {"requirements.txt": "requests==2\n"},
        "Bump requests",
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        "2024-03-11T09:00:00+00:00",
    )
    commit(
        root,
        {"deploy/ci.yaml": "steps: []\n"},
        "Nightly pipeline update",
        "Jenkins",
        "jenkins@ci.example.org",
        "2024-03-11T10:00:00+00:00",
    )
    commit(
        root,
        {
            ".mailmap": "Alice Smith <alice@example.org> <alice@old-laptop.local>\n"
            "Bob Builder <bob@example.org> bobby <bobby@home.example>\n"
        },
        "Add mailmap",
        "bobby",
        "bobby@home.example",
        "2024-03-12T12:00:00+05:30",
    )
    return root


def read_all(adapter: GitAdapter, paths: list[Path], name: str | None = None) -> list[Record | Problem]:
    return list(adapter.read(paths, ReadContext(name=name)))


def test_sniff_claims_working_copy_and_bare_repo(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "payments.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    adapter = GitAdapter()
    assert adapter.sniff(repo, None)
    assert adapter.sniff(bare, None)
    assert not adapter.sniff(tmp_path, None)
    assert not adapter.sniff(repo / "README.md", None)


def test_commits_people_scopes_and_mailmap(repo: Path) -> None:
    out = read_all(GitAdapter(), [repo])
    assert not [o for o in out if isinstance(o, Problem)]
    records = {r.title: r for r in out if isinstance(r, Record)}
    assert set(records) == {
        "Initial commit",
        "Fix pool exhaustion",
        "Bump requests",
        "Nightly pipeline update",
        "Add mailmap",
    }
    assert all(r.key.startswith("commit:") and len(r.key) == len("commit:") + 40 for r in records.values())

    # .mailmap merges the old laptop email into Alice Smith <alice@example.org>
    first = records["Initial commit"]
    assert {a.person.email for a in first.activities} == {"alice@example.org"}
    assert {a.person.name for a in first.activities} == {"Alice Smith"}
    assert first.activities[0].person.links == ["alice@old-laptop.local"]
    # root files only: the repository scope, named from the folder
    assert [a.scope for a in first.activities] == ["repo:payments-service", "path:payments-service/api"]

    fix = records["Fix pool exhaustion"]
    by_person: dict[str, set[str]] = {}
    for a in fix.activities:
        assert a.action == "commit"
        by_person.setdefault(a.person.email or "", set()).add(a.scope)
    # author and human co-author, not the bot co-author; one activity per scope
    assert set(by_person) == {"alice@example.org", "bob@example.org"}
    assert by_person["bob@example.org"] == {
        "repo:payments-service",
        "path:payments-service/api",
        "path:payments-service/db",
    }
    bob = next(a for a in fix.activities if a.person.email == "bob@example.org")
    assert bob.detail["role"] == "co-author"
    assert sorted(bob.person.links) == ["bobby", "bobby@home.example"]
    # a body of two lines makes a chunk, trailers excluded
    assert len(fix.chunks) == 1
    assert "retry storms" in fix.chunks[0].text and "Co-authored-by" not in fix.chunks[0].text
    assert fix.chunks[0].kind == "commit"
    assert all(a.chunk_locator == fix.chunks[0].locator for a in fix.activities)
    assert not first.chunks

    # bots are not people
    assert records["Bump requests"].activities == []
    assert records["Nightly pipeline update"].activities == []

    # mailmap with a commit name: bobby <bobby@home.example> -> Bob Builder <bob@example.org>
    mm = records["Add mailmap"]
    assert {a.person.email for a in mm.activities} == {"bob@example.org"}


def test_offsets_are_kept_across_dst(repo: Path) -> None:
    records = {r.title: r for r in read_all(GitAdapter(), [repo]) if isinstance(r, Record)}
    before = records["Initial commit"].occurred_at
    after = records["Fix pool exhaustion"].occurred_at
    assert before is not None and after is not None
    assert before.utcoffset() == timedelta(hours=-5)
    assert after.utcoffset() == timedelta(hours=-4)
    assert after - before == timedelta(hours=1)  # 01:30 EST -> 03:30 EDT is one hour
    assert records["Add mailmap"].occurred_at.utcoffset() == timedelta(hours=5, minutes=30)  # type: ignore[union-attr]


def test_bare_repo_name_and_explicit_name(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "ledger.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    out = [r for r in read_all(GitAdapter(), [bare]) if isinstance(r, Record)]
    assert len(out) == 5
    scopes = {a.scope for r in out for a in r.activities}
    assert "repo:ledger" in scopes and "path:ledger/db" in scopes
    # the bare repository's .mailmap is read from HEAD
    first = next(r for r in out if r.title == "Initial commit")
    assert first.activities[0].person.links == ["alice@old-laptop.local"]

    named = [r for r in read_all(GitAdapter(), [bare], name="Core Ledger") if isinstance(r, Record)]
    assert {a.scope for r in named for a in r.activities if a.scope.startswith("repo:")} == {
        "repo:core-ledger"
    }


def test_not_a_repo_and_empty_repo(tmp_path: Path, repo: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    plain = tmp_path / "plain"
    plain.mkdir()
    out = read_all(GitAdapter(), [plain, empty, repo])
    problems = [o for o in out if isinstance(o, Problem)]
    assert len(problems) == 1 and problems[0].path == str(plain)
    assert "git" in problems[0].reason and "\n" not in problems[0].reason
    assert len([o for o in out if isinstance(o, Record)]) == 5  # the good repository still comes out


def test_ten_thousand_commits(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    stream: list[str] = []
    authors = [
        ("Ann", "ann@example.org"),
        ("Ben", "ben@example.org"),
        ("renovate[bot]", "bot@renovateapp.com"),
    ]
    base = 1_700_000_000
    for i in range(10_000):
        name, email = authors[i % 3]
        msg = f"change {i}\n"
        data = f"{i}\n"
        stream.append(
            f"commit refs/heads/main\nmark :{i + 1}\n"
            f"author {name} <{email}> {base + i * 60} +0100\n"
            f"committer {name} <{email}> {base + i * 60} +0100\n"
            f"data {len(msg.encode())}\n{msg}"
            + (f"from :{i}\n" if i else "")
            + f"M 100644 inline svc{i % 4}/f{i % 50}.txt\ndata {len(data.encode())}\n{data}\n"
        )
    git(root, "fast-import", "--quiet", stdin="".join(stream).encode())
    records = [r for r in GitAdapter().read([root], ReadContext()) if isinstance(r, Record)]
    assert len(records) == 10_000
    with_people = [r for r in records if r.activities]
    assert len(with_people) == 10_000 - 3333  # renovate's commits carry no activity
    assert sum(len(r.activities) for r in with_people) == 2 * len(with_people)
    assert records[0].occurred_at.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]


def test_is_bot_and_mailmap_forms() -> None:
    assert is_bot("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
    assert is_bot("CI", "ci@example.org")
    assert is_bot("GitHub", "noreply@github.com")
    assert is_bot("deploy-bot", "ops@example.org")
    assert not is_bot("Grant Slater", "github@example.org")
    assert not is_bot("Cindy", "12345+cindy@users.noreply.github.com")
    assert not is_bot("Abbott", "abbott@example.org")
    mm = Mailmap.parse(
        "# comment\nProper Name <commit@x.org>\n<proper@x.org> <old@x.org>\n"
        "Jane Doe <jane@x.org> jd <JD@home.org>\n"
    )
    assert mm.map("Whoever", "commit@x.org") == ("Proper Name", "commit@x.org")
    assert mm.map("Old", "OLD@x.org") == ("Old", "proper@x.org")
    assert mm.map("jd", "jd@home.org") == ("Jane Doe", "jane@x.org")
    assert mm.map("other", "jd@home.org") == ("other", "jd@home.org")
    assert mm.links("jane@x.org", "Jane Doe") == ["JD@home.org", "jd"]


def _same_instance(a: object, b: object) -> None:
    """Two pydantic values alike field by field, in field order, with the same fields set."""
    from pydantic import BaseModel

    assert type(a) is type(b)
    if isinstance(a, BaseModel):
        assert isinstance(b, BaseModel)
        assert list(a.__dict__) == list(b.__dict__)
        assert a.model_fields_set == b.model_fields_set
        assert (
            a.__pydantic_extra__ == b.__pydantic_extra__ and a.__pydantic_private__ == b.__pydantic_private__
        )
        for name in a.__dict__:
            _same_instance(a.__dict__[name], b.__dict__[name])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same_instance(x, y)
    else:
        assert a == b


def test_records_built_without_validation_equal_validated_ones(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapter builds its records unvalidated (``trusted``); validating the same values gives the same records."""
    import ingest.adapters.git as git_adapter

    fast = read_all(GitAdapter(), [repo])
    monkeypatch.setattr(git_adapter, "trusted", git_adapter._validated)
    slow = read_all(GitAdapter(), [repo])
    assert len(fast) == len(slow) == 5
    for a, b in zip(fast, slow, strict=True):
        assert isinstance(a, Record) and isinstance(b, Record)
        _same_instance(a, b)
        assert a == b and a.model_dump_json() == b.model_dump_json() and a.content_hash() == b.content_hash()
    assert any(r.chunks for r in fast if isinstance(r, Record))
    assert any(p.links for r in fast if isinstance(r, Record) for p in (a.person for a in r.activities))
