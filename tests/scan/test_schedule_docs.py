"""The scheduling snippets parse and each runs ``understudy --home … scan --fail-on-new``."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import yaml

SCHEDULE = Path(__file__).resolve().parents[2] / "docs" / "schedule"


def calls_scan(argv: list[str]) -> None:
    assert any(a.endswith("understudy") for a in argv), argv
    assert "--home" in argv and argv[argv.index("--home") + 1], argv
    assert "scan" in argv and "--fail-on-new" in argv, argv
    assert argv.index("--home") < argv.index("scan") < argv.index("--fail-on-new"), argv


def test_crontab_line_has_five_fields_and_runs_the_scan() -> None:
    lines = [
        ln for ln in (SCHEDULE / "crontab").read_text().splitlines() if ln.strip() and not ln.startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert len(fields) == 6
    minute, hour, dom, month, dow, command = fields
    assert minute.isdigit() and 0 <= int(minute) < 60 and hour.isdigit() and 0 <= int(hour) < 24
    assert dom == "*" and month == "*" and dow == "1-5"
    calls_scan(shlex.split(command.split(">>")[0]))


def test_systemd_units_have_their_sections_and_run_the_scan() -> None:
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str  # type: ignore[assignment,method-assign]
    service.read(SCHEDULE / "understudy-scan.service")
    assert {"Unit", "Service"} <= set(service.sections())
    assert service["Service"]["Type"] == "oneshot"
    assert "3" in service["Service"]["SuccessExitStatus"].split()
    calls_scan(shlex.split(service["Service"]["ExecStart"]))
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.optionxform = str  # type: ignore[assignment,method-assign]
    timer.read(SCHEDULE / "understudy-scan.timer")
    assert {"Unit", "Timer", "Install"} <= set(timer.sections())
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_kubernetes_cronjob_runs_the_scan() -> None:
    doc = yaml.safe_load((SCHEDULE / "cronjob.yaml").read_text())
    assert doc["kind"] == "CronJob" and doc["apiVersion"] == "batch/v1"
    assert len(doc["spec"]["schedule"].split()) == 5
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"
    container = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    calls_scan(container["args"])


def test_github_actions_workflow_is_scheduled_and_runs_the_scan() -> None:
    doc = yaml.safe_load((SCHEDULE / "github-actions.yml").read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert len(triggers["schedule"][0]["cron"].split()) == 5
    runs = [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
    scans = [r for r in runs if " scan " in f" {r} "]
    assert scans
    calls_scan(shlex.split(scans[0]))


def test_scheduling_doc_links_every_snippet() -> None:
    doc = (SCHEDULE.parent / "scheduling.md").read_text()
    for f in SCHEDULE.iterdir():
        assert f"schedule/{f.name}" in doc, f.name
