"""The rules of what counts, one test per rule (each would fail if its rule were removed)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from agent.drafting import decide, start_drafts
from agent.ledger import (
    RULE_APPROVED_ARTIFACT,
    RULE_NON_HERO_APPROVAL,
    RULE_SELF_CONFIRM,
    RULE_STALE_VERSION,
    Action,
    Decision,
    audit_log,
    confirm_practice,
    get_draft,
    independence,
    list_drafts,
    log_practice,
    practice_history,
    review_stats,
)

from .helpers import HERO, SCOPE, add_incidents, approve_pack

APPROVE = Decision(action=Action.APPROVE)


def _pending(ws, kind="knowledge-pack"):
    (draft_id,) = start_drafts(ws, scope=SCOPE, kind=kind)
    return draft_id


def test_hero_alone_never_approves(org):
    draft_id = _pending(org)
    assert get_draft(org, draft_id).hero == HERO
    result = decide(org, draft_id, "@gslater", APPROVE, 1)  # the hero, by a chat-handle alias
    assert result.outcome == "ok"
    assert result.status == "awaiting-non-hero-approval"
    assert result.rule == RULE_NON_HERO_APPROVAL
    view = get_draft(org, draft_id)
    assert view.status == "awaiting-non-hero-approval" and "awaiting non-hero approval" in view.status_note
    assert view.published == []
    # practice cannot hang on it yet
    refused = log_practice(
        org, "ana@example.org", SCOPE, "led-alone", "success", artifact=draft_id, confirmed_by="bochen"
    )
    assert refused.outcome == "refused" and refused.rule == RULE_APPROVED_ARTIFACT
    # a non-hero approval makes it count, and it is published once
    done = decide(org, draft_id, "Ana Lee", APPROVE, 1)
    assert done.outcome == "ok" and done.status == "approved"
    view = get_draft(org, draft_id)
    assert view.status == "approved" and len(view.published) == 1
    assert {d["reviewer"] for d in view.decisions} == {"p-grant", "p-ana"}


def test_unknown_reviewer_is_refused(org):
    draft_id = _pending(org)
    result = decide(org, draft_id, "mallory@evil.example", APPROVE, 1)
    assert result.outcome == "refused" and "not a known person" in result.message
    assert get_draft(org, draft_id).status == "pending"


def test_stale_version_is_a_recorded_conflict(org):
    draft_id = _pending(org)
    changed = decide(
        org, draft_id, "p-ana", Decision(action=Action.REQUEST_CHANGES, text="Add the DNS step"), 1
    )
    assert changed.outcome == "ok"
    view = get_draft(org, draft_id)
    assert view.version == 2 and view.status == "pending"  # redrafted with the reviewer's words
    assert "Add the DNS step" in view.markdown
    stale = decide(org, draft_id, "p-bo", APPROVE, 1)
    assert stale.outcome == "conflict" and stale.rule == RULE_STALE_VERSION
    assert get_draft(org, draft_id).status == "pending"
    rows = get_draft(org, draft_id).decisions
    assert [(r["reviewer"], r["outcome"]) for r in rows] == [("p-ana", "ok"), ("p-bo", "conflict")]


def test_two_reviewers_racing_both_get_an_outcome_and_nothing_is_lost(org):
    draft_id = _pending(org)
    barrier = threading.Barrier(2)
    results = {}

    def review(who, decision):
        barrier.wait()
        results[who] = decide(org, draft_id, who, decision, 1)

    threads = [
        threading.Thread(target=review, args=("p-ana", APPROVE)),
        threading.Thread(target=review, args=("p-bo", Decision(action=Action.REJECT, text="too thin"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    outcomes = sorted(r.outcome for r in results.values())
    assert outcomes == ["conflict", "ok"], results
    decisions = get_draft(org, draft_id).decisions
    assert sorted(d["reviewer"] for d in decisions) == ["p-ana", "p-bo"]
    assert sorted(d["outcome"] for d in decisions) == ["conflict", "ok"]
    winner = next(r for r in results.values() if r.outcome == "ok")
    assert get_draft(org, draft_id).status == winner.status


def test_self_confirmed_practice_is_refused(org):
    pack = approve_pack(org)
    at_log = log_practice(org, "p-bo", SCOPE, "led-alone", "success", confirmed_by="bo@example.org")
    assert at_log.outcome == "refused" and at_log.rule == RULE_SELF_CONFIRM
    entry = log_practice(org, "p-bo", SCOPE, "led-alone", "success", artifact=pack)
    assert entry.outcome == "ok" and entry.entry["counts"] is False
    self_confirm = confirm_practice(org, entry.id, "bochen")
    assert self_confirm.outcome == "refused" and self_confirm.rule == RULE_SELF_CONFIRM
    assert practice_history(org, person="p-bo")[0]["confirmer"] is None
    ok = confirm_practice(org, entry.id, "p-cy")
    assert ok.outcome == "ok" and ok.entry["confirmer"] == "p-cy"


def test_practice_on_a_rejected_or_pending_draft_is_refused(org):
    pending = _pending(org, "runbook")
    refused = log_practice(org, "p-bo", SCOPE, "drill", "success", artifact=pending, confirmed_by="p-cy")
    assert refused.outcome == "refused" and refused.rule == RULE_APPROVED_ARTIFACT
    assert (
        decide(org, pending, "p-ana", Decision(action=Action.REJECT, text="wrong service"), 1).status
        == "rejected"
    )
    refused = log_practice(org, "p-bo", SCOPE, "drill", "success", artifact=pending, confirmed_by="p-cy")
    assert refused.outcome == "refused" and "rejected" in refused.message
    # with no artifact named and none approved for the scope, practice has nothing to count toward
    none = log_practice(org, "p-bo", SCOPE, "drill", "success", confirmed_by="p-cy")
    assert none.outcome == "refused" and none.rule == RULE_APPROVED_ARTIFACT
    # an approved transfer plan is not practice material
    plan = approve_pack(org, kind="transfer-plan")
    wrong = log_practice(org, "p-bo", SCOPE, "drill", "success", artifact=plan, confirmed_by="p-cy")
    assert wrong.outcome == "refused" and wrong.rule == RULE_APPROVED_ARTIFACT
    assert practice_history(org, scope=SCOPE) == []


def _verdict(ws):
    (v,) = independence(ws, scope=SCOPE).scopes
    return v


def test_independence_moves_only_with_approved_material_and_confirmed_practice(org):
    assert _verdict(org).verdict == "dependent"
    pack = _pending(org)
    decide(org, pack, HERO, APPROVE, 1)  # the hero alone: still no approved material
    assert _verdict(org).verdict == "dependent"
    decide(org, pack, "p-ana", APPROVE, 1)
    v = _verdict(org)
    assert v.verdict == "documented-unpractised" and pack in v.approved_artifacts
    unconfirmed = log_practice(org, "p-ana", SCOPE, "led-alone", "success")
    assert unconfirmed.outcome == "ok"
    assert _verdict(org).verdict == "documented-unpractised"  # unconfirmed practice does not count
    confirm_practice(org, unconfirmed.id, "p-cy")
    v = _verdict(org)
    assert v.verdict == "narrowing" and v.practised_people == ["p-ana"]
    assert any("more people" in m for m in v.missing)


def test_hero_still_resolving_most_incidents_stays_short_of_independent(org):
    approve_pack(org)
    for person in ("p-ana", "p-bo", "p-cy"):
        for _ in range(3):
            assert log_practice(org, person, SCOPE, "led-alone", "success", confirmed_by=HERO).outcome == "ok"
    v = _verdict(org)
    assert v.verdict == "narrowing", v
    assert any("real incidents still route to the hero" in m for m in v.missing)
    # once others resolve the real incidents, the same practice makes the scope independent
    add_incidents(org, {"p-ana": 10, "p-bo": 10, "p-cy": 10}, days_ago=3)
    v = _verdict(org)
    assert v.verdict == "independent", v.reasons


def test_old_or_failed_practice_does_not_make_independent(org):
    add_incidents(org, {"p-ana": 20, "p-bo": 20}, days_ago=3)
    approve_pack(org)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    assert (
        log_practice(org, "p-ana", SCOPE, "led-alone", "success", date=long_ago, confirmed_by="p-cy").outcome
        == "ok"
    )
    assert log_practice(org, "p-bo", SCOPE, "led-alone", "failed", confirmed_by="p-cy").outcome == "ok"
    assert _verdict(org).verdict == "documented-unpractised"
    assert log_practice(org, "p-ana", SCOPE, "led-alone", "success", confirmed_by="p-cy").outcome == "ok"
    assert log_practice(org, "p-bo", SCOPE, "game-day", "success", confirmed_by="p-cy").outcome == "ok"
    assert _verdict(org).verdict == "independent"


def test_approve_with_edits_keeps_a_diff_and_publishes_the_edit(org):
    draft_id = _pending(org)
    edited = get_draft(org, draft_id).markdown + "\n- Check the pgbouncer dashboard before restarting.\n"
    result = decide(
        org, draft_id, "p-bo", Decision(action=Action.APPROVE_WITH_EDITS, edited_markdown=edited), 1
    )
    assert result.outcome == "ok" and result.status == "approved"
    view = get_draft(org, draft_id)
    diff = view.decisions[0]["diff"]
    assert diff.startswith("---") and "+- Check the pgbouncer dashboard" in diff
    with open(view.published[0]["path"], encoding="utf-8") as fh:
        assert "Check the pgbouncer dashboard" in fh.read()
    assert review_stats(org)["approved_with_edits"] == 1
    actions = {(r["action"], r["outcome"]) for r in audit_log(org, {"subject": draft_id})}
    assert ("decide", "ok") in actions and ("publish", "ok") in actions


def test_list_drafts_pages_ten_thousand_fast(org):

    from agent.ledger.models import Draft

    now = datetime.now(UTC)
    with org.session() as s:
        s.add_all(
            [
                Draft(
                    id=f"d-bulk{i:05d}",
                    kind="runbook",
                    scope=f"service:s{i % 50}",
                    status="pending",
                    version=1,
                    decision_seq=0,
                    graph_seq=0,
                    flag_count=0,
                    citation_count=1,
                    created_at=now - timedelta(seconds=i),
                    updated_at=now,
                )
                for i in range(10_000)
            ]
        )
    rows, total = list_drafts(org, status="pending", limit=50, offset=9_000)
    assert total == 10_000 and len(rows) == 50 and rows[0]["id"] == "d-bulk09000"
    assert list_drafts(org, scope="service:s7", limit=500)[1] == 200


def test_practice_logged_for_a_day_is_stored_at_noon_of_that_day(org):
    from datetime import date

    pack = approve_pack(org)
    entry = log_practice(org, "p-bo", SCOPE, "drill", "success", artifact=pack, date=date(2026, 3, 9))
    assert entry.outcome == "ok"
    stored = practice_history(org, person="p-bo")[0]
    assert str(stored["date"]).startswith("2026-03-09"), stored
    assert "12:00" in str(stored["date"]), stored
