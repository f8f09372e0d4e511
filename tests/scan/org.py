"""The sample organisation for scan and ask tests: built once per session, early part and full data.

The ``forming`` variant plants a concentration that forms at ``forms_at_date`` (ground truth). The early
copy keeps only what happened before that date (Slack day files, PagerDuty incidents and log entries,
deploys, on-call shifts, postmortems; runbooks as they are; the git repository is left out), so a scan
of it and then of the full data sees the concentration appear.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SAMPLE_SCALE = 0.3
"""Scale of the sample organisation in these tests: every planted hero still shows, ingest stays short."""

SEED = 7
"""The sample organisation's seed (DESIGN.md demo default)."""

_CACHE: dict[str, Any] = {}


@dataclass(frozen=True)
class Org:
    """The generated organisation: full data, the early copy, and the ground truth."""

    full: Path
    early: Path
    truth: Any
    cutoff: date


def _before(value: str, cutoff: datetime) -> bool:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC) < cutoff


def truncate_org(src: Path, dst: Path, cutoff_day: date) -> None:
    """Copy the organisation's sources keeping only what happened before ``cutoff_day``."""
    cutoff = datetime.combine(cutoff_day, datetime.min.time(), UTC)
    shutil.copytree(src / "runbooks", dst / "runbooks")
    shutil.copy(src / "aliases.yaml", dst / "aliases.yaml")
    for day_file in (src / "slack").rglob("*"):
        rel = day_file.relative_to(src)
        if day_file.is_dir():
            continue
        if day_file.parent != src / "slack" and date.fromisoformat(day_file.stem) >= cutoff_day:
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(day_file, dst / rel)
    (dst / "pagerduty").mkdir()
    for page in (src / "pagerduty").glob("*.json"):
        data = json.loads(page.read_text())
        for key in ("incidents", "log_entries"):
            if key in data:
                data[key] = [x for x in data[key] if _before(x["created_at"], cutoff)]
        (dst / "pagerduty" / page.name).write_text(json.dumps(data))
    for folder, column in (("deploys", "timestamp"), ("oncall", "start")):
        (dst / folder).mkdir()
        for table in (src / folder).glob("*.csv"):
            with table.open(newline="") as f:
                rows = list(csv.DictReader(f))
            with (dst / folder / table.name).open("w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
                w.writeheader()
                w.writerows(r for r in rows if _before(r[column], cutoff))
    (dst / "postmortems").mkdir()
    for pm in (src / "postmortems").glob("*.md"):
        if date.fromisoformat(pm.name[:10]) < cutoff_day:
            shutil.copy(pm, dst / "postmortems" / pm.name)


def sample_forming(root: Path) -> Org:
    """The forming-variant organisation and its early copy (generated once per process)."""
    if "org" not in _CACHE:
        from ingest.sample import generate

        full, early = root / "full", root / "early"
        truth = generate(full, seed=SEED, scale=SAMPLE_SCALE, variant="forming")
        forming = next(h for h in truth.heroes if h.forms_at_date is not None)
        truncate_org(full, early, forming.forms_at_date)
        _CACHE["org"] = Org(full=full, early=early, truth=truth, cutoff=forming.forms_at_date)
    return _CACHE["org"]


def copy_home(src: Path, dst: Path) -> Path:
    """A copy of a workspace folder (engines must be disposed before copying)."""
    from ingest.db import dispose_engines

    dispose_engines()
    shutil.copytree(src, dst)
    return dst


@dataclass
class Scanned:
    """A workspace after a scan of the early data; ``home`` is a template to copy."""

    org: Org
    home: Path
    first: Any


def scanned_early(root_factory: Any, embedder: Any, by: str) -> Scanned:
    """The early part of the forming organisation scanned once per process (``root_factory`` makes folders)."""
    if "early" not in _CACHE:
        from agent.scan import run_scan
        from ingest.workspace import Workspace

        org = sample_forming(root_factory("forming-org"))
        home = root_factory("scan-template") / "home"
        ws = Workspace.open(home, embedder=embedder)
        first = run_scan(ws, [org.early], by=by)
        _CACHE["early"] = Scanned(org=org, home=home, first=first)
    return _CACHE["early"]


def scanned_full(root_factory: Any, embedder: Any, by: str) -> Path:
    """A copy of the early-scanned workspace scanned again with the full data (once per process)."""
    if "full" not in _CACHE:
        from agent.scan import run_scan
        from ingest.workspace import Workspace

        early = scanned_early(root_factory, embedder, by)
        home = copy_home(early.home, root_factory("full-scanned") / "home")
        run_scan(Workspace.open(home, embedder=embedder), [early.org.full], by=by)
        _CACHE["full"] = home
    return _CACHE["full"]
