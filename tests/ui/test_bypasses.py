"""The bypasses of issue 12 tried through the review UI: the hero's second identity, the hero's edit."""

from __future__ import annotations

from .helpers import PASSWORD, open_draft, texts


def second_identity(ws, cast) -> str:
    """An unmerged account of the hero: the same full name seen in another source, with a UI account."""
    from agent.ledger.accounts import authenticate
    from ingest.db import Alias, Person
    from review_ui.auth import add_reviewer

    alt = cast.hero + "-alt"
    with ws.session() as s:
        name = s.get(Person, cast.hero).name
        s.add(Person(id=alt, name=name, email="someone.else@forge.example"))
        s.flush()
        s.add(
            Alias(person_id=alt, kind="name", space="forge", value=name.lower(), display=name, source="forge")
        )
        s.add(Alias(person_id=alt, kind="handle", space="forge", value=alt, display=alt, source="forge"))
    add_reviewer(ws, alt, PASSWORD, by=authenticate(ws, cast.reviewer, PASSWORD))
    return alt


def test_the_heros_second_identity_cannot_approve_in_the_ui(ui_ws, cast, app):
    from agent.ledger import get_draft

    alt = second_identity(ui_ws, cast)
    at = open_draft(app(alt), cast.draft_id)
    at.button(key="draft_approve").click().run()
    assert not at.exception, at.exception
    view = get_draft(ui_ws, cast.draft_id)
    assert view.status == "awaiting-non-hero-approval" and view.published == []
    shown = texts(at)
    assert f"may be the hero {cast.hero}" in shown and "people distinct" in shown


def test_the_heros_edit_in_the_ui_is_a_new_version_awaiting_a_non_hero(ui_ws, cast, app):
    from agent.ledger import get_draft

    before = get_draft(ui_ws, cast.draft_id)
    at = open_draft(app(cast.hero), cast.draft_id)
    area = at.text_area(key=f"draft_edit::{cast.draft_id}::{before.version}")
    area.input(area.value + "\n\nAlways page the hero first.\n")
    at.button(key="draft_approve_edits").click().run()
    assert not at.exception, at.exception
    view = get_draft(ui_ws, cast.draft_id)
    assert view.version == before.version + 1 and view.markdown.endswith("Always page the hero first.\n")
    assert view.status == "awaiting-non-hero-approval" and view.published == []
    # a non-hero who opened the old version and approves it does not approve the hero's edit
    from agent.drafting import decide
    from agent.ledger import Action, Decision

    stale = decide(ui_ws, cast.draft_id, cast.reviewer, Decision(action=Action.APPROVE), before.version)
    assert stale.outcome == "conflict" and get_draft(ui_ws, cast.draft_id).published == []
