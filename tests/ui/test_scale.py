"""The queue pages through 10,000 drafts without loading them all."""

from __future__ import annotations

from review_ui.services import PAGE_SIZE

from .helpers import table

BULK_DRAFTS = 10_000
"""Drafts inserted for the scale test (the issue's number)."""


def test_queue_with_ten_thousand_drafts(ui_ws, cast, app):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from agent.ledger.models import Draft

    now = datetime.now(UTC) + timedelta(days=1)  # newer than every drafted runbook
    rows = [
        {
            "id": f"bulk-{i:05d}",
            "kind": "runbook",
            "scope": f"service:bulk-{i % 97}",
            "hero": None,
            "status": "pending",
            "version": 1,
            "decision_seq": 0,
            "graph_seq": 0,
            "flag_count": 0,
            "citation_count": 0,
            "created_at": now - timedelta(seconds=i),
            "updated_at": now,
        }
        for i in range(BULK_DRAFTS)
    ]
    with ui_ws.session() as session:
        session.execute(insert(Draft), rows)
    at = app(cast.reviewer)
    at.switch_page("views/queue.py").run()
    assert not at.exception, at.exception
    rows = table(at, "id")
    assert len(rows) == PAGE_SIZE
    total = BULK_DRAFTS + len(cast.drafts)
    assert f"{total} drafts match" in at.caption[0].value
    # the riskiest scopes (the sample's, with risk) come before the bulk ones (no activity: risk 0)
    assert set(cast.drafts) <= set(rows["id"])
    at.radio(key="queue_order").set_value("newest first").run()
    assert table(at, "id")["id"].iloc[0] == "bulk-00000"
    page_key = "queue_page::pending|(all)|(all)"
    at.number_input(key=page_key).set_value(3).run()
    page3 = table(at, "id")
    assert list(page3["id"]) == [f"bulk-{i:05d}" for i in range(2 * PAGE_SIZE, 3 * PAGE_SIZE)]
