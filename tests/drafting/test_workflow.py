"""The workflow pauses for review, survives processes and crashes, and publishes exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.drafting import repair, start_drafts
from agent.drafting.graph import build_graph, checkpointer
from agent.drafting.offline import OfflineDrafter
from agent.ledger import Action, Decision, get_draft
from agent.ledger.models import Publication
from agent.ledger.service import record_decision
from agent.review import UnexpectedReviewResponse, parse_review_response

from .conftest import SCOPE, seed_org


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("UNDERSTUDY_") and not k.startswith("ANTHROPIC_")
    }
    env.update(UNDERSTUDY_HOME=str(home), UNDERSTUDY_OFFLINE="1", HF_HUB_OFFLINE="1")
    return env


def test_paused_draft_is_resumed_from_a_new_process(ws):
    seed_org(ws)
    (draft_id,) = start_drafts(ws, scope=SCOPE, kind="runbook")
    with checkpointer(ws) as saver:
        graph = build_graph(ws, OfflineDrafter()).compile(checkpointer=saver)
        assert graph.get_state({"configurable": {"thread_id": draft_id}}).next == ("await_review",)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "--home",
            str(ws.home),
            "drafts",
            "decide",
            draft_id,
            "--reviewer",
            "ana@example.org",
            "--approve",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=_env(ws.home),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["outcome"] == "ok" and out["status"] == "approved" and out["id"]
    view = get_draft(ws, draft_id)
    assert view.status == "approved" and len(view.published) == 1
    assert Path(view.published[0]["path"]).exists()
    with checkpointer(ws) as saver:
        graph = build_graph(ws, OfflineDrafter()).compile(checkpointer=saver)
        assert graph.get_state({"configurable": {"thread_id": draft_id}}).next == ()


def test_crash_between_decision_and_publish_is_repaired_once(ws):
    seed_org(ws)
    (draft_id,) = start_drafts(ws, scope=SCOPE, kind="knowledge-pack")
    # the decision is recorded, then the process "dies" before the workflow moves on
    assert record_decision(ws, draft_id, "p-bo", Decision(action=Action.APPROVE), 1).outcome == "ok"
    assert get_draft(ws, draft_id).published == []
    assert repair(ws) == [draft_id]
    first = get_draft(ws, draft_id).published
    assert len(first) == 1
    mtime = Path(first[0]["path"]).stat().st_mtime_ns
    assert repair(ws) == []  # nothing left behind
    from agent.ledger.publish import publish

    assert publish(ws, draft_id, 1) == first[0]["path"]  # publish is idempotent by (draft, version)
    with ws.session() as s:
        assert s.query(Publication).filter_by(draft_id=draft_id).count() == 1
    assert Path(first[0]["path"]).stat().st_mtime_ns == mtime
    assert len(list(ws.settings.exports_path.glob(f"*{draft_id}*.md"))) == 1


def test_request_changes_redrafts_and_pauses_again(ws):
    seed_org(ws)
    from agent.drafting import decide

    (draft_id,) = start_drafts(ws, scope=SCOPE, kind="drill")
    r = decide(ws, draft_id, "p-cy", Decision(action=Action.REQUEST_CHANGES, text="Use the March outage"), 1)
    assert r.outcome == "ok"
    view = get_draft(ws, draft_id)
    assert view.version == 2 and view.status == "pending" and "Use the March outage" in view.markdown
    assert start_drafts(ws, scope=SCOPE, kind="drill") == [draft_id]  # not drafted twice


def test_review_contract_refuses_unexpected_responses():
    with pytest.raises(UnexpectedReviewResponse):
        parse_review_response("approve")
    with pytest.raises(UnexpectedReviewResponse):
        parse_review_response({"type": "review-response", "draft_id": "d-1"})
    with pytest.raises(ValueError):
        Decision(action=Action.REJECT)
    ok = parse_review_response(
        {
            "type": "review-response",
            "draft_id": "d-1",
            "decision_id": 3,
            "seq": 1,
            "version": 1,
            "action": "approve",
            "status_after": "approved",
        }
    )
    assert ok.action is Action.APPROVE
