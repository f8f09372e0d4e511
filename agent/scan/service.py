"""A scan: ingest what is new, measure, compare with the last snapshot, draft, report, notify.

Order of work: take the workspace's scan lock; ingest (incremental); measure; compare with the last
*finished* snapshot; store the new snapshot; start drafts for new concentrations; write the reports;
send the webhook. A scan that dies before it finishes leaves its snapshot ``running`` (never compared
against) and the data it ingested, which the next scan keeps.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from agent.scan.lock import scan_lock
from agent.scan.models import ScanSnapshot
from agent.scan.notify import send_webhook, slack_message
from agent.scan.report import render_markdown
from agent.scan.signals import SELF_SCOPES, compare, measure
from agent.scan.sources import Source, load_sources, sources_from_paths
from ingest.db import utcnow

DRAFT_KINDS = ("knowledge-pack",)
"""Drafts started for each new concentration: the knowledge pack, the material practice is tied to
(the other kinds are one ``understudy draft --scope`` away)."""

DRAFTED_FINDINGS = ("new-hero", "rising-share")
"""Finding kinds that start drafting workflows (Understudy's own scopes never do)."""


class ScanReport(BaseModel):
    """The result of one scan (also its JSON report)."""

    scan_id: int
    ran_by: str | None
    started_at: datetime
    finished_at: datetime | None = None
    previous_scan: int | None
    sources: list[str]
    ingest: dict[str, Any]
    findings: list[dict[str, Any]] = Field(default_factory=list)
    new: bool = False
    heroes: list[dict[str, Any]] = Field(default_factory=list)
    interruptions: int = 0
    drafts: list[str] = Field(default_factory=list)
    draft_errors: list[str] = Field(default_factory=list)
    report_json: str | None = None
    report_md: str | None = None
    webhook: dict[str, Any] | None = None
    review_url: str


def _ingest(ws: Any, sources: list[Source]) -> dict[str, Any]:
    from ingest.pipeline import ingest_paths

    total: dict[str, Any] = {
        "files": 0,
        "records": 0,
        "people": 0,
        "activities": 0,
        "chunks": 0,
        "skipped": 0,
        "redacted": 0,
        "quarantined": [],
    }
    for src in sources:
        if not src.path.exists():
            total["quarantined"].append({"path": str(src.path), "reason": "source path does not exist"})
            continue
        files = src.files()
        if not files:
            continue
        summary = ingest_paths(ws, files, source=src.kind, aliases=src.aliases_file()).to_json()
        for key, value in summary.items():
            total[key] = total[key] + value if key != "quarantined" else total[key] + value
    return total


def _runner_person(ws: Any, by: str | None) -> str | None:
    from ingest.identity import resolve_person

    if not by:
        return None
    with ws.session() as s:
        return resolve_person(s, by)


def run_scan(
    ws: Any,
    paths: list[Path] | None = None,
    by: str | None = None,
    wait_seconds: float = 0.0,
    drafter: Any | None = None,
    notify: bool = True,
) -> ScanReport:
    """Run one scan (raises ``ScanBusy`` when another holds the lock, ``SourcesError`` without sources)."""
    sources = sources_from_paths(paths) if paths else load_sources(ws.home)
    with scan_lock(ws.home, by, wait_seconds):
        with ws.session() as s:
            snap = ScanSnapshot(
                status="running", ran_by=by, paths=[str(x.path) for x in sources], new_count=0
            )
            s.add(snap)
            s.flush()
            scan_id = snap.id
            started = snap.started_at
        ingest = _ingest(ws, sources)
        by_person = _runner_person(ws, by)
        with ws.session() as s:
            prev = s.scalar(
                select(ScanSnapshot)
                .where(ScanSnapshot.status == "done", ScanSnapshot.id < scan_id)
                .order_by(ScanSnapshot.id.desc())
                .limit(1)
            )
            prev_id, prev_metrics = (prev.id, prev.metrics) if prev else (None, None)
            # a scan run under an account that is no known person (cron, CI, a service account) is not a
            # person's work: only people count toward "one person runs the scans by hand"
            runners = [
                r.ran_by_person
                for r in s.execute(select(ScanSnapshot).where(ScanSnapshot.status == "done")).scalars()
            ]
        runners.append(by_person)
        metrics = measure(ws, [r for r in runners if r])
        findings = compare(prev_metrics, metrics)
        drafts, errors = _start_drafts(ws, findings, drafter)
        report = ScanReport(
            scan_id=scan_id,
            ran_by=by,
            started_at=started,
            previous_scan=prev_id,
            sources=[str(x.path) for x in sources],
            ingest=ingest,
            findings=findings,
            new=bool(findings),
            heroes=metrics["heroes"],
            interruptions=len(metrics["interruptions"]),
            drafts=drafts,
            draft_errors=errors,
            review_url=ws.settings.review_url,
        )
        report.finished_at = utcnow()
        json_path, md_path = _write_reports(ws, report, metrics)
        with ws.session() as s:
            row = s.get(ScanSnapshot, scan_id)
            row.status, row.finished_at = "done", report.finished_at
            row.ran_by_person, row.ingest, row.metrics = by_person, ingest, metrics
            row.findings, row.new_count, row.drafts = findings, len(findings), drafts
            row.report_json, row.report_md = str(json_path), str(md_path)
    if notify and ws.settings.webhook_url:
        report.webhook = send_webhook(
            ws.settings.webhook_url, slack_message(report.model_dump(mode="json"), ws.settings.review_url)
        )
        _write_json(json_path, report)
    return report


def _start_drafts(
    ws: Any, findings: list[dict[str, Any]], drafter: Any | None
) -> tuple[list[str], list[str]]:
    """Pending drafts for each new concentration (existing open drafts are reused, not duplicated)."""
    from agent.drafting import start_drafts

    ids: list[str] = []
    errors: list[str] = []
    scopes = []
    for f in findings:
        scope = f.get("scope")
        if (
            f["kind"] in DRAFTED_FINDINGS
            and scope
            and scope not in SELF_SCOPES.values()
            and scope not in scopes
        ):
            scopes.append(scope)
    for scope in scopes:
        for kind in DRAFT_KINDS:
            try:
                got = start_drafts(ws, scope=scope, kind=kind, drafter=drafter)
            except Exception as exc:  # noqa: BLE001 - a failed draft is reported; the scan's data stands
                errors.append(f"{scope} {kind}: {exc}")
                continue
            for draft_id in got:
                if draft_id not in ids:
                    ids.append(draft_id)
            for f in findings:
                if f.get("scope") == scope:
                    f.setdefault("drafts", []).extend(d for d in got if d not in f.get("drafts", []))
    return ids, errors


def _write_json(path: Path, report: ScanReport) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.model_dump(mode="json"), indent=2))
    tmp.replace(path)


def _write_reports(ws: Any, report: ScanReport, metrics: dict[str, Any]) -> tuple[Path, Path]:
    folder = ws.settings.reports_path
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"scan-{report.scan_id:04d}-{stamp}"
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    report.report_json, report.report_md = str(json_path), str(md_path)
    _write_json(json_path, report)
    md_path.write_text(render_markdown(report.model_dump(mode="json"), metrics))
    return json_path, md_path


def last_scans(ws: Any, n: int = 2) -> list[dict[str, Any]]:
    """The newest finished scans (newest first) with their findings: what the Q&A engine reports as changes."""
    with ws.session() as s:
        rows = (
            s.execute(
                select(ScanSnapshot)
                .where(ScanSnapshot.status == "done")
                .order_by(ScanSnapshot.id.desc())
                .limit(n)
            )
            .scalars()
            .all()
        )
        return [
            {
                "scan_id": r.id,
                "ran_by": r.ran_by,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "findings": r.findings or [],
                "new_count": r.new_count,
                "drafts": r.drafts or [],
                "report_md": r.report_md,
                "window": (r.metrics or {}).get("window"),
            }
            for r in rows
        ]
