"""Rich rendering of an ingest summary."""

from __future__ import annotations

from typing import Any


def print_summary(console: Any, summary: Any) -> None:
    """A table of what the run added, then the quarantined files with their reasons."""
    from rich.table import Table

    table = Table(title="Ingest summary (added by this run)", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("files", "records", "people", "activities", "chunks", "skipped", "redacted"):
        table.add_row(key, str(getattr(summary, key)))
    table.add_row("quarantined", str(len(summary.quarantined)))
    console.print(table)
    if summary.quarantined:
        q = Table(title="Quarantined (the rest of the run went on)", show_header=True)
        q.add_column("file")
        q.add_column("record")
        q.add_column("reason")
        for p in summary.quarantined:
            q.add_row(p.path, p.record or "", p.reason)
        console.print(q)
