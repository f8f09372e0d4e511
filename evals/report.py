"""The eval report: a rich table on the terminal, a JSON report and a markdown report in the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.metrics import Metric

MAX_CASES_IN_MARKDOWN = 15
"""Failing cases listed per metric in the markdown report (the JSON report keeps them all)."""


def fmt(value: float | None, unit: str = "") -> str:
    """A metric value for people: three decimals, integers as integers, missing as a dash."""
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) >= 1 and unit != "share":
        return str(int(value))
    return f"{value:.3f}"


def threshold_text(m: Metric) -> str:
    if m.threshold is None:
        return "(info)"
    return f"{'≥' if m.direction == 'min' else '≤'} {fmt(m.threshold)}"


def claude_text(m: Metric) -> str:
    if m.claude is not None:
        return f"{fmt(m.claude)} ({m.claude_note})" if m.claude_note else fmt(m.claude)
    return m.claude_note or ""


def summary(metrics: list[Metric]) -> tuple[int, int]:
    """(metrics meeting their threshold, metrics missing it); informational metrics are not counted."""
    counted = [m for m in metrics if m.counted]
    passed = sum(1 for m in counted if m.passed)
    return passed, len(counted) - passed


def summary_line(metrics: list[Metric]) -> str:
    """The line CI reads: ``eval: N passed, M failed``."""
    passed, failed = summary(metrics)
    return f"eval: {passed} passed, {failed} failed"


def to_json(metrics: list[Metric], meta: dict[str, Any]) -> dict[str, Any]:
    passed, failed = summary(metrics)
    return {**meta, "passed": passed, "failed": failed, "metrics": [m.to_json() for m in metrics]}


def to_markdown(metrics: list[Metric], meta: dict[str, Any]) -> str:
    """A person-readable report: the table, then the failing cases of every metric that has them."""
    passed, failed = summary(metrics)
    lines = [
        "# Understudy eval report",
        "",
        f"- Run: {meta.get('started')} ({meta.get('seconds')} s)",
        f"- Claude column: {meta.get('claude_mode')}",
        "- Thresholds: `evals/thresholds.yaml`; datasets: `evals/datasets/`",
        f"- Result: **{passed} passed, {failed} failed**",
        "",
        "| metric | offline value | Claude | threshold | result | dataset |",
        "|---|---|---|---|---|---|",
    ]
    for m in metrics:
        status = {"pass": "pass", "fail": "**FAIL**", "missing": "**FAIL (missing)**", "info": "info"}[
            m.status
        ]
        lines.append(
            f"| `{m.name}` — {m.description} | {fmt(m.value)} | {claude_text(m)} | {threshold_text(m)} "
            f"| {status} | {m.dataset} |"
        )
    shown = [m for m in metrics if m.failing_cases]
    if shown:
        lines += ["", "## Failing cases", ""]
        for m in shown:
            lines.append(f"### `{m.name}` ({m.status}, {len(m.failing_cases)} cases)")
            lines.append("")
            lines += [f"- {c}" for c in m.failing_cases[:MAX_CASES_IN_MARKDOWN]]
            if len(m.failing_cases) > MAX_CASES_IN_MARKDOWN:
                lines.append(
                    f"- … and {len(m.failing_cases) - MAX_CASES_IN_MARKDOWN} more in eval-report.json"
                )
            lines.append("")
    for m in metrics:
        lines += table_markdown(m.details.get("table"))
    timings = meta.get("timings") or {}
    if timings:
        lines += ["", "## Timings (seconds)", "", "| step | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in timings.items()]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table_markdown(table: dict[str, Any] | None) -> list[str]:
    """A metric's own table (``details["table"]``: title, columns, rows) as markdown lines, or none."""
    if not table or not table.get("rows"):
        return []
    cols = table["columns"]
    out = ["", f"## {table['title']}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table["rows"]]
    return out + [""]


def write(folder: Path, metrics: list[Metric], meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``eval-report.json`` and ``eval-report.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / "eval-report.json"
    md = folder / "eval-report.md"
    js.write_text(json.dumps(to_json(metrics, meta), indent=2, default=str) + "\n", encoding="utf-8")
    md.write_text(to_markdown(metrics, meta), encoding="utf-8")
    return js, md


def print_table(console: Any, metrics: list[Metric], meta: dict[str, Any]) -> None:
    """The rich table of every metric."""
    from rich.table import Table

    table = Table(title=f"Understudy evals (Claude column: {meta.get('claude_mode')})")
    for col in ("metric", "offline", "Claude", "threshold", "result"):
        table.add_column(col)
    style = {"pass": "green", "fail": "red", "missing": "red", "info": "dim"}
    for m in metrics:
        table.add_row(
            m.name, fmt(m.value), claude_text(m), threshold_text(m), f"[{style[m.status]}]{m.status}[/]"
        )
    console.print(table)
    for m in metrics:
        if m.status in ("fail", "missing"):
            console.print(f"[red]{m.name}[/]: " + "; ".join(m.failing_cases[:3]), highlight=False)
