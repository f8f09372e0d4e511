"""Every page of the review UI renders against a real workspace, and only for a signed-in reviewer."""

from __future__ import annotations

import pytest

from .helpers import PASSWORD, open_draft, sign_in, table, texts

PAGES = {
    "views/queue.py": "Review queue",
    "views/draft.py": "Draft",
    "views/practice.py": "Practice",
    "views/hero_map.py": "Hero map",
    "views/independence.py": "Independence",
    "views/ask.py": "Ask",
    "views/audit.py": "Audit",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_signed_in(page, ui_ws, cast, app):
    at = app(cast.reviewer)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [PAGES[page]]


def test_queue_lists_pending_drafts(ui_ws, cast, app):
    at = app(cast.reviewer)
    rows = table(at, "id")
    assert set(cast.drafts) <= set(rows["id"])
    assert set(rows["status"]) == {"pending"}
    assert "risk" in rows.columns and list(rows["risk"]) == sorted(rows["risk"], reverse=True)


def test_queue_opens_a_draft(ui_ws, cast, app):
    at = app(cast.reviewer)
    at.selectbox(key="queue_open_id").select(cast.draft_id)
    at.button(key="queue_open").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Draft"]
    assert at.text_input(key="draft_id_input").value == cast.draft_id


def test_draft_shows_evidence_for_each_citation(ui_ws, cast, app):
    from agent.ledger import get_draft

    view = get_draft(ui_ws, cast.draft_id)
    at = open_draft(app(cast.reviewer), cast.draft_id)
    labels = [e.label for e in at.expander]
    cited = {c for claim in view.claims for c in claim["citations"]}
    assert cited, "the drafted runbook cites nothing"
    for chunk_id in cited:
        assert any(label.startswith(chunk_id) for label in labels), chunk_id
    assert view.markdown.splitlines()[0].lstrip("# ") in texts(at)


def test_signed_out_sees_only_the_sign_in_page(ui_ws, cast, app):
    at = app()
    assert [t.value for t in at.title] == ["Sign in to review"]
    at.session_state["draft_id"] = cast.draft_id
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/draft.py")  # not even registered until someone signs in
    at.run()
    assert [t.value for t in at.title] == ["Sign in to review"]
    assert not [b for b in at.button if b.key and b.key.startswith("draft_")]
    assert not [d for d in _decisions(ui_ws, cast.draft_id)]


def test_a_page_refuses_without_an_identity(ui_ws, cast, app):
    from streamlit.testing.v1 import AppTest

    from .helpers import APP

    at = AppTest.from_file(str(APP.with_name("views") / "draft.py"), default_timeout=60)
    at.session_state["draft_id"] = cast.draft_id
    at.run()
    assert not at.exception, at.exception
    assert "Sign in to use the review UI" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("draft_")]


def _decisions(ws, draft_id):
    from agent.ledger import get_draft

    return get_draft(ws, draft_id).decisions


def test_query_parameters_cannot_sign_in(ui_ws, cast, app):
    from streamlit.testing.v1 import AppTest

    from .helpers import APP

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["reviewer"] = cast.reviewer
    at.query_params["_understudy_identity"] = cast.reviewer
    at.query_params["draft"] = cast.draft_id
    at.run()
    assert [t.value for t in at.title] == ["Sign in to review"]
    assert "_understudy_identity" not in at.session_state


def test_wrong_password_is_refused(ui_ws, cast, app):
    at = sign_in(app(), cast.reviewer, PASSWORD + "x")
    assert [t.value for t in at.title] == ["Sign in to review"]
    assert "do not match" in texts(at)


def test_sign_in_with_any_alias(ui_ws, cast, app):
    from ingest.db import Alias

    with ui_ws.session() as session:
        alias = session.query(Alias).filter(Alias.person_id == cast.reviewer, Alias.kind == "email").first()
    assert alias is not None, "the sample reviewer has no e-mail alias"
    at = sign_in(app(), alias.display, PASSWORD)
    assert [t.value for t in at.title] == ["Review queue"]
    assert cast.reviewer in at.sidebar.markdown[0].value


def test_sign_out(ui_ws, cast, app):
    at = app(cast.reviewer)
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in to review"]


def test_ask_page_says_when_ask_is_missing(ui_ws, cast, app):
    import importlib.util

    at = app(cast.reviewer)
    at.switch_page("views/ask.py").run()
    if importlib.util.find_spec("agent.ask") is None:
        assert "not built yet" in texts(at)
    else:
        assert at.text_input(key="ask_question") is not None


def test_hero_map_shows_the_ranked_risk_table(ui_ws, cast, app):
    from agent.analytics import compute_map

    at = app(cast.reviewer)
    at.switch_page("views/hero_map.py").run()
    rows = table(at, "risk")
    expected = sorted(compute_map(ui_ws).scopes, key=lambda s: s.risk, reverse=True)
    assert list(rows["scope"]) == [s.scope for s in expected]
    at.multiselect(key="map_whatif").select(cast.hero).run()
    assert not at.exception, at.exception


def test_independence_shows_documented_unpractised(ui_ws, cast, app):
    from agent.drafting import decide
    from agent.ledger import get_draft
    from agent.review import Decision

    view = get_draft(ui_ws, cast.draft_id)
    assert (
        decide(ui_ws, cast.draft_id, cast.reviewer, Decision(action="approve"), view.version).outcome == "ok"
    )
    at = app(cast.reviewer)
    at.switch_page("views/independence.py").run()
    assert not at.exception, at.exception
    rows = table(at, "verdict")
    row = rows[rows["scope"] == view.scope]
    assert len(row) == 1 and "documented-unpractised" in row["verdict"].iloc[0]
    assert "documented, unpractised" in texts(at)
