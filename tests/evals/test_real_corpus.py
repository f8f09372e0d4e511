"""The real corpus: fixtures rebuilt without code, checks settled by truth commands, and a gate that bites."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.analytics import HeroRule
from evals import report
from evals.real import gitmeta
from evals.scorers import real


def _git(repo: Path, *args: str, **env: str) -> str:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=base | env
    ).stdout


def _commit(repo: Path, path: str, text: str, who: str, email: str, message: str) -> None:
    f = repo / path
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    _git(repo, "add", "-A")
    ident = {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": email,
    }
    _git(repo, "commit", "-q", "-m", message, **ident)


@pytest.fixture
def source_repo(tmp_path: Path) -> Path:
    """A small real repository: two people, a mailmap, a co-author trailer, a bot and a merge."""
    repo = tmp_path / "src"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(
        repo,
        ".mailmap",
        "Ann Lee <ann@example.org> <ann@old.example.org>\n",
        "Ann Lee",
        "ann@old.example.org",
        "mailmap",
    )
    _commit(
        repo,
        "roles/web.rb",
        "secret code\n",
        "Ann Lee",
        "ann@example.org",
        "web role\n\nlong body text\n\nCo-authored-by: Bo Chan <bo@example.org>",
    )
    _git(repo, "checkout", "-q", "-b", "side")
    _commit(repo, "cookbooks/db.rb", "more code\n", "dependabot[bot]", "bot@example.org", "bump")
    _git(repo, "checkout", "-q", "main")
    _commit(repo, "roles/db.rb", "db code\n", "Bo Chan", "bo@example.org", "db role")
    _git(
        repo,
        "merge",
        "-q",
        "--no-ff",
        "side",
        "-m",
        "merge side",
        GIT_AUTHOR_NAME="Bo Chan",
        GIT_AUTHOR_EMAIL="bo@example.org",
        GIT_COMMITTER_NAME="Bo Chan",
        GIT_COMMITTER_EMAIL="bo@example.org",
    )
    return repo


def test_gitmeta_keeps_who_changed_what_but_no_code(source_repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "h.bundle"
    assert gitmeta.build(source_repo, bundle) == 4
    clone = tmp_path / "clone.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(clone)], check=True)
    assert _git(clone, "shortlog", "-sne", "HEAD") == _git(
        source_repo, "shortlog", "-sne", "--no-merges", "HEAD"
    )
    assert _git(clone, "log", "--merges", "--oneline", "HEAD") == ""
    assert _git(clone, "show", "HEAD:.mailmap") == _git(source_repo, "show", "HEAD:.mailmap")
    web_sha = _git(source_repo, "log", "-1", "--format=%H", "HEAD", "--", "roles/web.rb").strip()
    assert _git(clone, "show", "HEAD:roles/web.rb") == web_sha + "\n"
    assert "secret code" not in _git(clone, "log", "-p", "HEAD")
    dated = sorted(_git(clone, "log", "--format=%aI %an %s", "HEAD").splitlines())
    assert dated == sorted(
        _git(source_repo, "log", "--no-merges", "--format=%aI %an %s", "HEAD").splitlines()
    )


def test_gitmeta_facts_only_keeps_trailers_not_prose(source_repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "f.bundle"
    gitmeta.build(source_repo, bundle, facts_only=True)
    clone = tmp_path / "facts.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(clone)], check=True)
    messages = _git(clone, "log", "--format=%B%x00", "HEAD")
    assert "long body text" not in messages and "web role" not in messages
    assert "Co-authored-by: Bo Chan <bo@example.org>" in messages
    assert _git(clone, "shortlog", "-sne", "HEAD") == _git(
        source_repo, "shortlog", "-sne", "--no-merges", "HEAD"
    )


def test_every_case_names_its_source_and_prep() -> None:
    cases = real.case_dirs()
    assert len(cases) >= 6
    for case in cases:
        note = (case / "SOURCE").read_text(encoding="utf-8")
        for field in ("repository:", "commit:", "licence:"):
            assert field in note, f"{case.name}/SOURCE lacks {field}"
        assert (case / "prep.sh").exists() or (case / "prep.py").exists(), case.name


def test_every_check_has_an_expected_outcome_with_reasons_for_failures() -> None:
    import yaml

    expected = real.load_expected()
    keys = {
        f"{case.name}/{c['id']}"
        for case in real.case_dirs()
        for c in yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))["checks"]
    }
    assert keys == set(expected)
    for key, spec in expected.items():
        assert spec["expect"] in ("pass", "fail"), key
        if spec["expect"] == "fail":
            assert len(spec.get("reason", "")) > 20, f"{key} fails without a reason"


def _scope(**kw):
    base = {
        "scope": "repo:x",
        "hero": None,
        "top_person": None,
        "top_share": 0.0,
        "events": 10,
        "bus_factor": 1,
    }
    return SimpleNamespace(**(base | kw))


def test_a_hero_claim_needs_a_majority_in_the_truth_whatever_the_product_says() -> None:
    people = real.People(names={"p1": "Ann"}, owners={"ann": {"p1"}})
    result = SimpleNamespace(scopes=[_scope(hero="p1", top_person="p1", top_share=0.9)], heroes=[])
    spec = {"check": "hero_is", "scope": "repo:x"}
    assert real.judge(spec, ["6 Ann", "4 Bo"], result, people)[0] is True
    passed, truth, _ = real.judge(spec, ["5 Ann", "5 Bo"], result, people)
    assert passed is False and "no majority" in truth


def test_a_top_person_split_in_two_is_a_miss_even_when_one_half_tops_the_scope() -> None:
    people = real.People(names={"p1": "Ann", "p2": "Ann"}, owners={"ann": {"p1", "p2"}})
    result = SimpleNamespace(scopes=[_scope(top_person="p1", top_share=0.6)], heroes=[])
    passed, _, said = real.judge(
        {"check": "top_person", "scope": "repo:x"}, ["6 Ann", "4 Bo"], result, people
    )
    assert passed is False and "split over 2 people" in said


def test_a_split_person_fails_one_person_and_a_bot_person_fails_not_people() -> None:
    people = real.People(
        names={"p1": "Ann", "p2": "Ann L"}, owners={"a@x": {"p1"}, "b@x": {"p2"}, "ci[bot]": {"p2"}}
    )
    result = SimpleNamespace(scopes=[], heroes=[])
    assert real.judge({"check": "one_person"}, ["a@x", "b@x"], result, people)[0] is False
    assert real.judge({"check": "one_person"}, ["a@x"], result, people)[0] is True
    assert real.judge({"check": "not_people"}, ["ci[bot]"], result, people)[0] is False
    assert real.judge({"check": "not_people"}, ["dependabot[bot]"], result, people)[0] is True


def test_a_failing_truth_command_fails_the_check(tmp_path: Path) -> None:
    lines, error = real.run_truth("exit 3", tmp_path)
    assert lines == [] and "exited 3" in error


def test_the_markdown_report_shows_each_check_with_its_truth_command() -> None:
    r = real.CheckResult(
        "case-a", "hero", "hero_is", "claim", "git shortlog -sn | head", "top Ann", "hero Bo"
    )
    metrics = [m.judge() for m in real.metrics_of([r], {"real.regressions": 0.0})]
    md = report.to_markdown(metrics, {"started": "now", "seconds": 1})
    assert "Real corpus: per case and check" in md
    assert "git shortlog -sn \\| head" in md and "hero Bo" in md and "**FAIL**" in md
    gate = next(m for m in metrics if m.name == "real.regressions")
    assert gate.status == "fail" and gate.value == 1.0


@pytest.mark.slow
def test_the_real_corpus_has_no_regressions(tmp_path: Path) -> None:
    """Every check expected to pass passes; every known failure is reported as failing, with its reason."""
    metrics = {m.name: m.judge() for m in real.score(tmp_path, {"real.regressions": 0.0})}
    assert metrics["real.regressions"].status == "pass", metrics["real.regressions"].failing_cases
    rows = metrics["real.cases_passed"].details["results"]
    assert len({r["case"] for r in rows}) >= 6
    known = metrics["real.known_failures"].failing_cases
    assert len(known) == sum(1 for r in rows if r["expected"] == "fail" and r["outcome"] == "fail")


def test_hero_detection_turned_off_fails_the_real_corpus_gate(tmp_path: Path, monkeypatch) -> None:
    """With no scope able to have a hero, a real hero the truth names (chef's roles folder) is missed: the gate fails."""
    import agent.analytics.heromap as heromap

    case = ["osm-chef"]
    healthy = {m.name: m.judge() for m in real.score(tmp_path / "healthy", {}, cases=case)}
    assert healthy["real.regressions"].status == "pass", healthy["real.regressions"].failing_cases
    absurd = HeroRule(min_top_share=2.0, min_rescues=10**6, min_escalations_in=10**6)
    monkeypatch.setattr(heromap, "HeroRule", lambda: absurd)
    broken = {m.name: m.judge() for m in real.score(tmp_path / "broken", {}, cases=case)}
    gate = broken["real.regressions"]
    assert gate.status == "fail"
    assert any("hero-of-roles" in c for c in gate.failing_cases)


def test_bot_detection_turned_off_fails_the_real_corpus_gate(tmp_path: Path, monkeypatch) -> None:
    """If automation counted as people, the bot-heavy history's bots would be people: the gate fails."""
    import ingest.adapters.git as git_adapter
    import ingest.identity as identity

    case = ["danluu-postmortems-bots"]
    healthy = {m.name: m.judge() for m in real.score(tmp_path / "healthy", {}, cases=case)}
    assert healthy["real.regressions"].status == "pass", healthy["real.regressions"].failing_cases
    monkeypatch.setattr(git_adapter, "is_bot", lambda name, email: False)
    monkeypatch.setattr(identity, "is_bot_ref", lambda ref: False)
    broken = {m.name: m.judge() for m in real.score(tmp_path / "broken", {}, cases=case)}
    gate = broken["real.regressions"]
    assert gate.status == "fail"
    assert any("bots-are-not-people" in c for c in gate.failing_cases)
