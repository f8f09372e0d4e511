"""Knowledge packs of a scope with several recurring incident classes carry the fix steps of each class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.drafting import start_drafts
from agent.drafting.evidence import MAX_EVIDENCE, class_label, gather
from agent.ledger import get_draft

from .conftest import HERO, SCOPE, seed_people

CLASSES = {
    "webhook queue backlog over 10k messages": ("queue", 14),
    "disk full on the WAL volume": ("disk", 4),
    "certificate expired on the ingress": ("cert", 2),
}
"""Incident title -> (tool name used in its fix commands, how many incidents of it): one frequent class
with many threads, two rarer ones."""


def _add(ws: Any, key: str, kind: str, title: str, text: str, incident: str, when: datetime) -> str:
    """A chunk linked to the hero and to one incident (not embedded: drafting must not need the index)."""
    from ingest.db import Activity, Chunk, RecordRow

    cid = f"c-{key}"
    with ws.session() as s:
        rec = RecordRow(kind=kind, key=key, record_hash=key, path=f"/f/{key}", title=title, occurred_at=when)
        s.add(rec)
        s.flush()
        s.add(
            Chunk(
                id=cid,
                record_id=rec.id,
                kind=kind,
                scope=SCOPE,
                title=title,
                text=text,
                content_hash=cid,
                source="test",
                path=f"/f/{key}",
                locator="all",
                ts=when,
                embedded=False,
            )
        )
        s.add(
            Activity(
                record_id=rec.id,
                person_id=HERO,
                scope=SCOPE,
                action="fix_shared" if kind == "chat_thread" else "responder",
                ts=when,
                weight=2.0,
                source="test",
                chunk_id=cid,
                incident=incident,
            )
        )
    return cid


def _incident(ws: Any, key: str, number: int, title: str, when: datetime) -> None:
    from evals.seeding import add_resolved_incident

    with ws.session() as s:
        add_resolved_incident(
            s,
            key=key,
            scope=SCOPE,
            person=HERO,
            title=f"payments-api: {title} (#{number})",
            when=when,
            path="/f/pd.json",
        )


def seed_classes(ws: Any) -> dict[str, list[str]]:
    """Incidents of three classes, each with hero fix threads and one postmortem Resolution; the rare
    classes are the newest, so a time-ordered cut keeps only the frequent one. Returns title -> steps."""
    seed_people(ws)
    start = datetime.now(UTC) - timedelta(days=90)
    steps: dict[str, list[str]] = {}
    n = 0
    for title, (tool, count) in CLASSES.items():
        resolution = [
            f"Check the {tool} state: `{tool}ctl status --all`",
            f"Drain the stuck {tool} workers: `{tool}ctl drain --stuck`",
            f"Restart the {tool} service: `kubectl -n payments rollout restart deploy/{tool}`",
        ]
        steps[title] = resolution
        for i in range(count):
            n += 1
            when = start + timedelta(hours=n)
            key = f"{tool}-{i}"
            _incident(ws, key, n, title, when)
            thread = (
                f"[2026-01-02 10:0{i % 10}:00Z] Ana Lee: {title} again\n"
                f"[2026-01-02 10:1{i % 10}:00Z] Grant Slater: first: {resolution[i % 3]}\n"
                f"[2026-01-02 10:2{i % 10}:00Z] Grant Slater: now Bump the {tool} shard {i}: "
                f"`{tool}ctl bump --shard {i}`\n"
                f"[2026-01-02 10:3{i % 10}:00Z] PagerDuty [bot]: Resolved by Grant Slater: {title}"
            )
            _add(ws, f"thread-{key}", "chat_thread", "#inc-payments-api thread", thread, key, when)
        pm = f"Postmortem: payments-api: {title} (#{n})\n## Resolution\n" + "\n".join(
            f"{j}. {step}" for j, step in enumerate(resolution, 1)
        )
        _add(ws, f"pm-{key}", "postmortem", f"Postmortem: {title} — Resolution", pm, key, when)
    return steps


def _artifact(ws: Any, draft_id: str) -> dict[str, Any]:
    """The stored artifact of a draft's latest version."""
    from sqlalchemy import select

    from agent.ledger.models import DraftVersion

    with ws.session() as s:
        return s.scalars(
            select(DraftVersion.artifact)
            .where(DraftVersion.draft_id == draft_id)
            .order_by(DraftVersion.version.desc())
        ).first()


def test_evidence_is_gathered_per_incident_class(ws):
    seed_classes(ws)
    evidence = gather(ws, SCOPE, HERO)
    chunks = [e for e in evidence.values() if e["kind"] != "fact"]
    assert len(chunks) <= MAX_EVIDENCE
    groups = {e["group"] for e in chunks}
    assert {class_label(f"payments-api: {t}") for t in CLASSES} <= groups
    assert sum(e["kind"] == "postmortem" for e in chunks) == len(CLASSES)


def test_class_scope_gathers_the_evidence_of_that_class_only(ws):
    seed_classes(ws)
    evidence = gather(ws, "class:certificate-expired", HERO)
    postmortems = [e for e in evidence.values() if e["kind"] == "postmortem"]
    assert len(postmortems) == 1 and "certificate expired" in postmortems[0]["title"]
    assert all("queue" not in e["text"] for e in evidence.values() if e["kind"] != "fact")


def test_pack_of_a_scope_with_several_classes_carries_each_class_fix_steps_cited(ws):
    expected = seed_classes(ws)
    (draft_id,) = start_drafts(ws, scope=SCOPE, kind="knowledge-pack")
    view = get_draft(ws, draft_id)
    steps = _artifact(ws, draft_id)["runbook_steps"]
    for title, resolution in expected.items():
        for step in resolution:
            command = step.split("`")[1]
            carrying = [c for c in view.claims if command in c["text"]]
            assert carrying, f"{title}: missing step {step}"
            for claim in carrying:
                assert claim["citations"] and not claim["flags"], claim
                assert all(command in view.evidence[cid]["text"] for cid in claim["citations"])
            assert any(s.get("command") == command for s in steps), f"{title}: {command} not a runbook step"
    texts = [s["text"] for s in steps]
    assert not any("[bot]" in t or t.startswith("[2026") for t in texts), texts
    assert len({s.get("command") for s in steps if s.get("command")}) == len(
        [s for s in steps if s.get("command")]
    ), "a command is listed once"
    assert all(c["citations"] and c["supported"] for c in view.claims)


def test_offline_pack_is_deterministic_across_runs(ws):
    from agent.drafting.offline import OfflineDrafter

    seed_classes(ws)
    first = OfflineDrafter().draft("knowledge-pack", SCOPE, "Grant Slater", gather(ws, SCOPE, HERO))
    second = OfflineDrafter().draft("knowledge-pack", SCOPE, "Grant Slater", gather(ws, SCOPE, HERO))
    assert first.artifact.runbook_steps and first.artifact == second.artifact
