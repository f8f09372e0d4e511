"""The eval command's contract: thresholds from one file, reports in the workspace, the CI line, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.cli import app
from evals import report, runner
from evals.metrics import Metric


def test_thresholds_file_holds_the_targets():
    import yaml

    targets = yaml.safe_load(runner.THRESHOLDS.read_text(encoding="utf-8"))["targets"]
    assert targets["hero.f1"] == 0.95 and targets["rescue.recall"] == 0.9 and targets["classes.ari"] == 0.8
    assert targets["rescue.precision"] == 0.9 and targets["questions.v2.test_correct"] == 0.9
    values, directions = runner.load_thresholds()
    for name, target in targets.items():  # every target is gated, by a floor that is never above it
        assert directions[name] == "min" and 0 < values[name] <= target, name
    assert values["drafting.step_recall"] == 0.8 and values["drafting.citation_validity"] == 1.0
    assert values["questions.invented"] == 0 and directions["questions.invented"] == "max"


def test_judge_min_max_missing_and_info():
    assert Metric("a", 0.96, "", 0.95).judge().status == "pass"
    assert Metric("a", 0.94, "", 0.95).judge().status == "fail"
    assert Metric("a", 0.0, "", 0.0, direction="max").judge().status == "pass"
    assert Metric("a", 1.0, "", 0.0, direction="max").judge().status == "fail"
    assert Metric("a", None, "", 0.8).judge().status == "missing"
    assert Metric("a", None, "").judge().status == "info"
    metrics = [
        Metric("x", 1.0, "", 0.5).judge(),
        Metric("y", None, "", 0.5).judge(),
        Metric("z", 0.3, "").judge(),
    ]
    assert report.summary_line(metrics) == "eval: 1 passed, 1 failed"


def _fake_run(metrics):
    def run(home=None, record=False, work_dir=None, cases=None):
        return [m.judge() for m in metrics], {
            "started": "t",
            "seconds": 1.0,
            "claude_mode": "cassette replay",
            "timings": {"x": 1.0},
        }

    return run


@pytest.mark.parametrize(("value", "code"), [(0.99, 0), (0.5, 1)])
def test_cli_writes_reports_and_ends_with_the_ci_line(tmp_path, monkeypatch, value, code):
    metrics = [
        Metric("hero.f1", value, "Hero detection F1", 0.95, failing_cases=["org: missed p on s"]),
        Metric("review.approved_as_is", 0.5, "Share approved as is"),
    ]
    monkeypatch.setattr(runner, "run", _fake_run(metrics))
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "eval"])
    assert result.exit_code == code, result.output
    lines = result.output.rstrip("\n").splitlines()
    assert lines[-1] == f"eval: {1 - code} passed, {code} failed"
    md = (tmp_path / "reports" / "eval-report.md").read_text()
    assert "| `hero.f1`" in md and "≥ 0.950" in md and ("**FAIL**" in md) == bool(code)
    data = json.loads((tmp_path / "reports" / "eval-report.json").read_text())
    assert data["failed"] == code and data["metrics"][0]["threshold"] == 0.95


def test_cli_json_mode_prints_one_object(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run", _fake_run([Metric("hero.f1", 0.5, "F1", 0.95)]))
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "eval", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] == 0 and data["failed"] == 1 and data["metrics"][0]["status"] == "fail"
