"""The body of ``understudy scan`` (kept here so ``agent/cli.py`` stays a thin list of commands)."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NEW = 0, 1, 2, 3


def default_runner() -> str | None:
    """Who runs the scan when ``--by`` is not given: the login name ($USER)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def run_scan_command(
    workspace: Callable[[], Any],
    paths: list[Path] | None,
    as_json: bool,
    fail_on_new: bool,
    by: str | None,
    emit_json: Callable[[Any], None],
    console: Callable[[], Any],
    fail: Callable[..., Any],
) -> int:
    """Run a scan, print the report, and return the exit code."""
    import typer

    from agent.scan import ScanBusy, SourcesError, run_scan

    for p in paths or []:
        if not p.exists():
            fail(f"{p}: no such file or folder", EXIT_USAGE)
    ws = workspace()
    try:
        report = run_scan(ws, paths=list(paths) if paths else None, by=by or default_runner())
    except ScanBusy as exc:
        fail(str(exc))
    except SourcesError as exc:
        fail(str(exc), EXIT_USAGE)
    data = report.model_dump(mode="json")
    if as_json:
        emit_json(data)
    else:
        _render(console(), data)
    for q in report.ingest.get("quarantined", []):
        typer.echo(f"understudy: quarantined {q['path']}: {q['reason']}", err=True)
    if report.webhook and not report.webhook.get("sent"):
        typer.echo(f"understudy: {report.webhook.get('error')} (the scan's data is stored)", err=True)
    for err in report.draft_errors:
        typer.echo(f"understudy: drafting failed for {err}", err=True)
    if fail_on_new and report.new:
        return EXIT_NEW
    return EXIT_OK


def _render(con: Any, data: dict[str, Any]) -> None:
    from rich.table import Table

    con.print(
        f"Scan #{data['scan_id']} (previous: {data['previous_scan'] or 'none'}), "
        f"ingested {data['ingest'].get('records', 0)} new records"
    )
    if not data["findings"]:
        con.print("Nothing new since the last scan.")
    else:
        table = Table(title="New since the last scan")
        for col in ("kind", "scope", "finding"):
            table.add_column(col)
        for f in data["findings"]:
            table.add_row(f["kind"], f.get("scope") or "-", f["text"])
        con.print(table)
    if data["drafts"]:
        con.print(f"Drafts started, pending review: {', '.join(data['drafts'])} — {data['review_url']}")
    con.print(f"Report: {data['report_md']}")
