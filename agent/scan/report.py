"""The scan's markdown report."""

from __future__ import annotations

from typing import Any


def render_markdown(report: dict[str, Any], metrics: dict[str, Any]) -> str:
    """A readable report: what is new, standing heroes, interruptions, drafts started, where to review."""
    names = metrics.get("names", {})
    lines = [f"# Understudy scan #{report['scan_id']}", ""]
    lines.append(f"- Run by: {report.get('ran_by') or 'unknown'}; started {report['started_at']}")
    window = metrics.get("window") or {}
    lines.append(f"- Data: {window.get('since')} to {window.get('until')}")
    prev = report.get("previous_scan")
    lines.append(f"- Compared with: scan #{prev}" if prev else "- Compared with: nothing (first scan)")
    ing = report.get("ingest", {})
    lines.append(
        f"- Ingested this run: {ing.get('files', 0)} files, {ing.get('records', 0)} records, "
        f"{ing.get('activities', 0)} activities; quarantined {len(ing.get('quarantined', []))}"
    )
    lines += ["", "## New since the last scan", ""]
    findings = report.get("findings", [])
    if not findings:
        lines.append("Nothing new.")
    for f in findings:
        drafts = f" — drafts: {', '.join(f['drafts'])}" if f.get("drafts") else ""
        lines.append(f"- **{f['kind']}** `{f.get('scope') or '-'}`: {f['text']}{drafts}")
    lines += [
        "",
        "## Heroes now",
        "",
        "| person | scope | label | share | rescues | effective responders | window |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in metrics.get("heroes", []):
        lines.append(
            f"| {names.get(h['person'], h['person'])} ({h['person']}) | {h['scope']} | {h['kind']} | "
            f"{h['share']:.0%} | {h['rescues']} | {h['effective_responders']} | {h['window']} |"
        )
    inter = metrics.get("interruptions", [])
    lines += ["", "## Hero interruptions for known scenarios", ""]
    lines.append(
        f"{len(inter)} pull(s) of a hero into incidents with an approved runbook and practised responders."
        if inter
        else "None recorded (no scenario has both an approved runbook and confirmed practice, "
        "or the hero was not pulled in)."
    )
    if report.get("drafts"):
        lines += ["", "## Drafts started (pending review)", ""]
        lines += [f"- {d}" for d in report["drafts"]]
    if report.get("draft_errors"):
        lines += ["", "## Drafting problems", ""] + [f"- {e}" for e in report["draft_errors"]]
    lines += ["", f"Review queue: {report.get('review_url')}", ""]
    return "\n".join(lines)
