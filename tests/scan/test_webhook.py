"""Scan notifications: a Slack incoming-webhook message to a local server; a failing webhook never loses the scan."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from agent.scan import run_scan
from agent.scan.models import ScanSnapshot
from agent.scan.notify import slack_message
from ingest.workspace import Workspace

REVIEW_URL = "http://127.0.0.1:8501/review"


class Hook:
    """A local HTTP server that records POSTed JSON and answers with a chosen status."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no_service")

            def log_message(self, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/XXXX"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def _person(ws, pid: str, name: str, handle: str) -> None:
    from ingest.db import Alias, Person

    with ws.session() as s:
        s.add(Person(id=pid, name=name))
        s.flush()
        s.add(Alias(person_id=pid, kind="handle", space="chat", value=handle, display=handle, source="test"))


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "runbook.md"
    src.write_text("# Runbook: rotate keys\n\nRotate with `keyctl rotate`.\n")
    return src


def test_scan_posts_findings_and_the_review_link(tmp_path: Path, embedder) -> None:
    with Hook() as hook:
        ws = Workspace.open(tmp_path / "ws", embedder=embedder, webhook_url=hook.url, review_url=REVIEW_URL)
        _person(ws, "p-gina", "Gina Ops", "gina-ops")  # a person running every scan by hand
        src = _source(tmp_path)
        for _ in range(3):
            report = run_scan(ws, [src], by="gina-ops")
    assert report.webhook == {"sent": True, "status": 200, "error": None}
    assert len(hook.bodies) == 3
    last = hook.bodies[-1]
    assert set(last) == {"text", "blocks"} and last["blocks"][0]["type"] == "header"
    assert "understudy:scans" in last["text"] and REVIEW_URL in last["text"]
    assert any(REVIEW_URL in b.get("text", {}).get("text", "") for b in last["blocks"])
    saved = json.loads(Path(report.report_json).read_text())
    assert saved["webhook"]["sent"] is True


def test_a_failing_webhook_is_reported_and_the_scan_stands(tmp_path: Path, embedder) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    ws = Workspace.open(tmp_path / "ws", embedder=embedder, webhook_url=closed)
    report = run_scan(ws, [_source(tmp_path)], by="hal-ops")
    assert report.webhook["sent"] is False and "webhook failed" in report.webhook["error"]
    with ws.session() as session:
        row = session.get(ScanSnapshot, report.scan_id)
        assert row.status == "done" and row.report_json == report.report_json
    with Hook(status=404) as hook:
        ws404 = Workspace.open(tmp_path / "ws404", embedder=embedder, webhook_url=hook.url)
        bad = run_scan(ws404, [_source(tmp_path)], by="hal-ops")
    assert bad.webhook == {"sent": False, "status": 404, "error": "webhook answered HTTP 404"}


def test_slack_message_lists_top_findings_and_counts_the_rest() -> None:
    findings = [{"text": f"finding {i}"} for i in range(7)]
    msg = slack_message({"scan_id": 9, "findings": findings, "drafts": ["d-1"]}, REVIEW_URL)
    assert msg["text"].startswith("Understudy scan #9: 7 new finding(s)")
    assert "finding 4" in msg["text"] and "finding 5" not in msg["text"] and "and 2 more" in msg["text"]
    assert f"<{REVIEW_URL}|Review queue> (1 new draft(s) pending review)" in json.dumps(msg["blocks"])
