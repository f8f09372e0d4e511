"""Review and practice flows end to end through the UI; the ledger, read through the agent API, shows the result."""

from __future__ import annotations

from .helpers import open_draft, table, texts


def _view(ws, draft_id):
    from agent.ledger import get_draft

    return get_draft(ws, draft_id)


def _last_decision(ws, draft_id):
    return _view(ws, draft_id).decisions[-1]


def test_approve(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    at.button(key="draft_approve").click().run()
    assert not at.exception, at.exception
    decision = _last_decision(ui_ws, cast.draft_id)
    assert (decision["action"], decision["outcome"], decision["reviewer"]) == ("approve", "ok", cast.reviewer)
    assert _view(ui_ws, cast.draft_id).status == "approved"
    assert "Recorded: approve" in texts(at)


def test_approve_with_edits_keeps_the_diff(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    version = _view(ui_ws, cast.draft_id).version
    area = at.text_area(key=f"draft_edit::{cast.draft_id}::{version}")
    area.input(area.value + "\n\nReviewer note: page the secondary before the hero.\n")
    at.button(key="draft_approve_edits").click().run()
    assert not at.exception, at.exception
    decision = _last_decision(ui_ws, cast.draft_id)
    assert (decision["action"], decision["outcome"]) == ("approve-with-edits", "ok")
    assert "+Reviewer note: page the secondary before the hero." in decision["diff"]
    assert _view(ui_ws, cast.draft_id).status == "approved"


def test_request_changes(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    version = _view(ui_ws, cast.draft_id).version
    at.text_area(key=f"draft_reason::{cast.draft_id}::{version}").input("Add the rollback command.")
    at.button(key="draft_request_changes").click().run()
    assert not at.exception, at.exception
    decisions = [d for d in _view(ui_ws, cast.draft_id).decisions if d["outcome"] == "ok"]
    assert (decisions[-1]["action"], decisions[-1]["text"], decisions[-1]["reviewer"]) == (
        "request-changes",
        "Add the rollback command.",
        cast.reviewer,
    )


def test_reject_needs_a_reason_then_rejects(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    at.button(key="draft_reject").click().run()
    assert "Refused" in texts(at) and "needs a reason" in texts(at)
    assert _view(ui_ws, cast.draft_id).status == "pending"
    version = _view(ui_ws, cast.draft_id).version
    at.text_area(key=f"draft_reason::{cast.draft_id}::{version}").input("Wrong service entirely.")
    at.button(key="draft_reject").click().run()
    decision = _last_decision(ui_ws, cast.draft_id)
    assert (decision["action"], decision["text"], decision["outcome"]) == (
        "reject",
        "Wrong service entirely.",
        "ok",
    )
    assert _view(ui_ws, cast.draft_id).status == "rejected"


def test_hero_alone_does_not_make_it_count(ui_ws, cast, app):
    at = open_draft(app(cast.hero), cast.draft_id)
    at.button(key="draft_approve").click().run()
    assert not at.exception, at.exception
    assert _view(ui_ws, cast.draft_id).status == "awaiting-non-hero-approval"
    page = texts(at)
    assert "Why this does not count yet" in page
    assert "needs at least one approver who is not that hero" in page
    # someone else approving makes it count
    other = open_draft(app(cast.reviewer), cast.draft_id)
    other.button(key="draft_approve").click().run()
    assert _view(ui_ws, cast.draft_id).status == "approved"


def test_race_between_two_reviewers_is_shown(ui_ws, cast, app):
    first = open_draft(app(cast.reviewer), cast.draft_id)
    second = open_draft(app(cast.other), cast.draft_id)
    first.button(key="draft_approve").click().run()
    version = _view(ui_ws, cast.draft_id).version
    second.text_area(key=f"draft_reason::{cast.draft_id}::{version}").input("Too vague.")
    second.button(key="draft_reject").click().run()
    assert not second.exception, second.exception
    assert "Another reviewer decided first" in texts(second)
    outcomes = [(d["reviewer"], d["action"], d["outcome"]) for d in _view(ui_ws, cast.draft_id).decisions]
    assert (cast.reviewer, "approve", "ok") in outcomes
    assert (cast.other, "reject", "conflict") in outcomes
    assert _view(ui_ws, cast.draft_id).status == "approved"


def test_decision_carries_the_signed_in_identity_only(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    at.query_params["reviewer"] = cast.other
    at.button(key="draft_approve").click().run()
    assert _last_decision(ui_ws, cast.draft_id)["reviewer"] == cast.reviewer


def _approve(ws, cast):
    from agent.drafting import decide
    from agent.review import Decision

    result = decide(
        ws, cast.draft_id, cast.reviewer, Decision(action="approve"), _view(ws, cast.draft_id).version
    )
    assert result.status == "approved", result


def test_practice_log_and_confirm(ui_ws, cast, app):
    from agent.ledger import practice_history

    _approve(ui_ws, cast)
    scope = _view(ui_ws, cast.draft_id).scope
    at = app(cast.other)
    at.switch_page("views/practice.py").run()
    at.selectbox(key="practice_artifact").select(cast.draft_id)
    at.selectbox(key="practice_kind").select("led-with-support")
    at.selectbox(key="practice_outcome").select("partial")
    at.text_area(key="practice_notes").input("Hesitated at the failover step.")
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    entries = practice_history(ui_ws, person=cast.other)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["scope"], entry["kind"], entry["outcome"], entry["logged_by"]) == (
        scope,
        "led-with-support",
        "partial",
        cast.other,
    )
    assert entry["notes"] == "Hesitated at the failover step." and entry["confirmer"] is None

    # the practitioner cannot confirm their own entry: the ledger refuses, the page says why
    at.switch_page("views/practice.py").run()
    at.selectbox(key="practice_confirm_id").select(entry["id"])
    at.button(key="practice_confirm").click().run()
    assert "nobody confirms their own practice" in texts(at)
    assert practice_history(ui_ws, person=cast.other)[0]["confirmer"] is None

    witness = app(cast.reviewer)
    witness.switch_page("views/practice.py").run()
    witness.selectbox(key="practice_confirm_id").select(entry["id"])
    witness.button(key="practice_confirm").click().run()
    assert not witness.exception, witness.exception
    confirmed = practice_history(ui_ws, person=cast.other)[0]
    assert (confirmed["confirmer"], confirmed["counts"]) == (cast.reviewer, True)
    history = table(witness, "notes")
    assert "Hesitated at the failover step." in set(history["notes"])


def test_audit_lists_and_exports_decisions(ui_ws, cast, app):
    at = open_draft(app(cast.reviewer), cast.draft_id)
    at.button(key="draft_approve").click().run()
    at.switch_page("views/audit.py").run()
    assert not at.exception, at.exception
    rows = table(at, "subject")
    decided = rows[(rows["action"] == "decide") & (rows["subject"] == cast.draft_id)]
    assert list(decided["actor"]) == [cast.reviewer]
    assert "Approved as-is" in [m.label for m in at.metric]
    assert at.metric[0].value == "100%"
    csv = at.get("download_button")[0]
    assert csv.proto.label == "Download CSV"
