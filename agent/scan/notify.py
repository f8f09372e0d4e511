"""Scan notifications: a Slack incoming-webhook message with the top findings and the review queue link."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

WEBHOOK_TIMEOUT_SECONDS = 10.0
"""A webhook that has not answered in ten seconds has failed; the scan's data is already stored."""

TOP_FINDINGS = 5
"""Findings listed in the message (the full list is in the report)."""


def slack_message(report: dict[str, Any], review_url: str) -> dict[str, Any]:
    """The message in Slack's incoming-webhook format: ``text`` (fallback) and ``blocks``."""
    findings = report.get("findings", [])
    if findings:
        head = f"Understudy scan #{report['scan_id']}: {len(findings)} new finding(s)"
    else:
        head = f"Understudy scan #{report['scan_id']}: nothing new"
    lines = [f"• {f['text']}" for f in findings[:TOP_FINDINGS]]
    if len(findings) > TOP_FINDINGS:
        lines.append(f"… and {len(findings) - TOP_FINDINGS} more in the report")
    drafts = report.get("drafts", [])
    queue = f"<{review_url}|Review queue>" + (
        f" ({len(drafts)} new draft(s) pending review)" if drafts else ""
    )
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": head[:150]}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": queue}})
    text = "\n".join([head, *lines, f"Review queue: {review_url}"])
    return {"text": text, "blocks": blocks}


def send_webhook(
    url: str, payload: dict[str, Any], timeout: float = WEBHOOK_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """POST the payload; returns ``{"sent": bool, "status": int | None, "error": str | None}`` and never raises."""
    body = json.dumps(payload).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the URL is the configured webhook
            status = int(resp.status)
            reply = resp.read(200).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return {"sent": False, "status": exc.code, "error": f"webhook answered HTTP {exc.code}"}
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"sent": False, "status": None, "error": f"webhook failed: {reason}"}
    if not 200 <= status < 300:
        return {"sent": False, "status": status, "error": f"webhook answered HTTP {status}: {reply}"}
    return {"sent": True, "status": status, "error": None}
