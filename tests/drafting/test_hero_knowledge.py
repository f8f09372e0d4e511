"""Drafts carry what the hero gave in linked threads (cited), and escalation guidance a responder can follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.drafting.evidence import gather, hero_knowledge
from agent.drafting.offline import LOG_LINE, OfflineDrafter

from .conftest import HERO, SCOPE, add_chunk, seed_org

STUCK_THREAD = """[2026-01-08 02:10:00Z] PagerDuty [bot]: Triggered #7 payments-api: webhook backlog growing
[2026-01-08 02:14:00Z] Ana Lee: stuck, the backlog keeps growing, @gslater can you look?
[2026-01-08 02:20:00Z] Grant Slater: try this: drain the retry queue with `payq drain --queue stripe-retries --max 500`
[2026-01-08 02:24:00Z] Grant Slater: if the consumers stay at zero, it means the broker lost its lease; never restart the broker itself
[2026-01-08 02:31:00Z] Ana Lee: applied, backlog is going down, resolving"""

PAGER_LOG = "2026-01-08T02:16:00+00:00 escalated to Grant Slater by Ana Lee (level 2)"


def _seed(ws) -> dict[str, str]:
    from ingest.db import Activity, RecordRow

    ids = seed_org(ws)
    when = datetime.now(UTC) - timedelta(days=5)
    ids["stuck"] = add_chunk(
        ws,
        "slack-inc-7",
        STUCK_THREAD,
        "chat_thread",
        title="#inc-payments thread",
        persons=[HERO, "p-ana"],
        when=when,
    )
    ids["log"] = add_chunk(
        ws, "pd-log-7", PAGER_LOG, "pagerduty", title="log entries", persons=[HERO], when=when
    )
    with ws.session() as s:
        rec = s.query(RecordRow).filter_by(key="pd-log-7").one()
        for n in range(3):
            s.add(
                Activity(
                    record_id=rec.id,
                    person_id=HERO,
                    scope=SCOPE,
                    action="escalated",
                    ts=when,
                    weight=2.0,
                    source="test",
                    incident=f"INC-{n + 1}",
                    chunk_id=ids["log"],
                )
            )
    return ids


def test_the_heros_fixes_in_a_thread_are_found_with_their_chunk(ws) -> None:
    ids = _seed(ws)
    with ws.session() as s:
        items = hero_knowledge(s, HERO, ["Grant Slater", "@gslater"], scope=SCOPE)
    fix = next(i for i in items if "payq drain" in i["text"])
    assert fix["kind"] == "fix" and fix["chunk_id"] == ids["stuck"]
    assert fix["command"] == "payq drain --queue stripe-retries --max 500"
    judgement = next(i for i in items if "broker lost its lease" in i["text"])
    assert judgement["chunk_id"] == ids["stuck"]
    assert not any("backlog keeps growing" in i["text"] for i in items)  # Ana's words are not the hero's


def test_knowledge_pack_and_runbook_carry_the_heros_fixes_cited_and_escalation_in_sentences(ws) -> None:
    ids = _seed(ws)
    evidence = gather(ws, SCOPE, HERO)
    pack = OfflineDrafter().draft("knowledge-pack", SCOPE, "Grant Slater", evidence).artifact
    knows = [c for c in pack.what_the_hero_knows if "payq drain" in c.text]
    assert knows and knows[0].citations == [ids["stuck"]], [c.text for c in pack.what_the_hero_knows]
    assert any("payq drain" in (s.command or "") for s in pack.runbook_steps)
    runbook = OfflineDrafter().draft("runbook", SCOPE, "Grant Slater", evidence).artifact
    assert any(s.command == "payq drain --queue stripe-retries --max 500" for s in runbook.steps)
    for artifact in (pack, runbook):
        assert artifact.escalation, "no escalation guidance"
        first = artifact.escalation[0]
        assert first.text.startswith(f"If {SCOPE} does not recover") and "page Grant Slater" in first.text
        assert "the last 3 times" in first.text
        assert all(c in evidence for c in first.citations)
        assert not any(LOG_LINE.search(e.text) for e in artifact.escalation), [
            e.text for e in artifact.escalation
        ]
