"""The four ways round the rules of what counts (issue 12), each closed: a second identity of the hero,
the hero's edit published under someone else's approval, and a hero judged at draft time."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.drafting import decide, start_drafts
from agent.ledger import (
    RULE_HERO_IDENTITY,
    RULE_NON_HERO_APPROVAL,
    RULE_SELF_CONFIRM,
    RULE_STALE_VERSION,
    Action,
    Decision,
    LedgerRefusal,
    get_draft,
    independence,
    log_practice,
    record_distinct,
)

from .helpers import HERO, SCOPE, add_incidents, approve_pack

APPROVE = Decision(action=Action.APPROVE)

SECOND_IDENTITIES = {
    "merge-suggestion": ("p-gs-git", ("G. S.", "gs-git@forge.example", "gsgit")),
    "same-name": ("p-gs-name", ("Grant Slater", "g.slater.work@forge.example", "grant-forge")),
    "email-local-part": ("p-gs-mail", ("G S", "grant@home.example", "gsmail")),
    "alias": ("p-gs-handle", ("Grant S", "gs@forge.example", "grant")),
}
"""A second, unmerged identity of the hero, one per kind of suspected link."""


def add_person(ws, pid: str, name: str, email: str, handle: str, space: str = "forge") -> str:
    """A person seen in another source (their aliases live in that source's space)."""
    from ingest.db import Alias, Person

    with ws.session() as s:
        s.add(Person(id=pid, name=name, email=email))
        s.flush()
        for kind, sp, value, display in (
            ("email", "", email, email),
            ("handle", space, handle, "@" + handle),
            ("name", space, name.lower(), name),
        ):
            s.add(Alias(person_id=pid, kind=kind, space=sp, value=value, display=display, source=space))
    return pid


def _second_identity(ws, link: str) -> str:
    from ingest.db import MergeSuggestion

    pid, person = SECOND_IDENTITIES[link]
    add_person(ws, pid, *person)
    if link == "merge-suggestion":
        with ws.session() as s:
            s.add(MergeSuggestion(person_a=HERO, person_b=pid, reason="same name in different sources"))
    return pid


def _pending(ws, kind="knowledge-pack"):
    (draft_id,) = start_drafts(ws, scope=SCOPE, kind=kind)
    return draft_id


def _verdict(ws):
    (v,) = independence(ws, scope=SCOPE).scopes
    return v


@pytest.mark.parametrize("link", sorted(SECOND_IDENTITIES))
def test_a_second_identity_of_the_hero_cannot_approve(org, link):
    alt = _second_identity(org, link)
    draft_id = _pending(org)
    result = decide(org, draft_id, alt, APPROVE, 1)
    assert result.outcome == "ok" and result.status == "awaiting-non-hero-approval", result
    assert result.rule == RULE_NON_HERO_APPROVAL
    assert f"{alt} may be the hero {HERO}" in result.message
    assert "aliases file" in result.message and "people distinct" in result.message
    assert get_draft(org, draft_id).published == []
    assert _verdict(org).verdict == "dependent"


def test_a_second_identity_of_the_hero_cannot_practise_or_confirm_the_hero(org):
    alt = _second_identity(org, "same-name")
    pack = approve_pack(org)
    practice = log_practice(org, alt, SCOPE, "led-alone", "success", artifact=pack, confirmed_by="p-ana")
    assert practice.outcome == "refused" and practice.rule == RULE_HERO_IDENTITY
    assert "may be the hero" in practice.message and "people distinct" in practice.message
    # someone's second identity cannot confirm their own practice either
    ana2 = "p-ana-2"
    add_person(org, ana2, "Ana Lee", "ana.lee@other.example", "analee2")
    own = log_practice(org, "p-ana", SCOPE, "led-alone", "success", artifact=pack, confirmed_by=ana2)
    assert own.outcome == "refused" and own.rule == RULE_SELF_CONFIRM


def test_a_hero_with_two_unmerged_identities_never_reaches_independent(org):
    alt = _second_identity(org, "email-local-part")
    pack = _pending(org)
    decide(org, pack, alt, APPROVE, 1)
    for person, by in ((alt, HERO), (HERO, alt), ("p-ana", alt), ("p-bo", HERO)):
        assert log_practice(org, person, SCOPE, "led-alone", "success", confirmed_by=by).outcome == "refused"
    v = _verdict(org)
    assert v.verdict == "dependent", v
    # a non-hero approves; the others practise; the hero's split share still holds the scope back
    assert decide(org, pack, "p-cy", APPROVE, 1).status == "approved"
    for person in ("p-ana", "p-bo"):
        assert log_practice(org, person, SCOPE, "led-alone", "success", confirmed_by="p-cy").outcome == "ok"
    v = _verdict(org)
    assert v.verdict == "narrowing" and v.hero == HERO, v
    # the hero's other self resolving the real incidents does not lower the hero's share
    add_incidents(org, {alt: 30}, days_ago=3)
    v = _verdict(org)
    assert v.verdict != "independent", v


def test_a_non_hero_settles_that_two_look_alike_people_are_different(org):
    alt = _second_identity(org, "same-name")
    with pytest.raises(LedgerRefusal):
        record_distinct(org, alt, HERO, by=HERO)  # the hero cannot settle it
    with pytest.raises(LedgerRefusal):
        record_distinct(org, alt, HERO, by=alt)
    record_distinct(org, alt, HERO, by="p-ana", note="two people called Grant Slater")
    draft_id = _pending(org)
    assert decide(org, draft_id, alt, APPROVE, 1).status == "approved"


def test_the_heros_edit_is_a_new_version_that_needs_a_non_hero_approval(org):
    draft_id = _pending(org)
    original = get_draft(org, draft_id).markdown
    edited = original + "\n- Always page Grant first.\n"
    by_hero = decide(
        org, draft_id, HERO, Decision(action=Action.APPROVE_WITH_EDITS, edited_markdown=edited), 1
    )
    assert by_hero.outcome == "ok" and by_hero.status == "awaiting-non-hero-approval"
    view = get_draft(org, draft_id)
    assert view.version == 2 and view.markdown == edited
    # a non-hero approving the unedited version they read is a conflict, not an approval of the edit
    stale = decide(org, draft_id, "p-ana", APPROVE, 1)
    assert stale.outcome == "conflict" and stale.rule == RULE_STALE_VERSION
    assert get_draft(org, draft_id).published == []
    done = decide(org, draft_id, "p-ana", APPROVE, 2)
    assert done.outcome == "ok" and done.status == "approved"
    (pub,) = get_draft(org, draft_id).published
    assert pub["version"] == 2
    text = Path(pub["path"]).read_text(encoding="utf-8")
    body, footer = text.split("\n\n---\n", 1)
    assert body == edited.rstrip()
    assert "Approved by Ana Lee (p-ana)" in footer and HERO not in footer.split("Draft ")[0]
    import hashlib

    assert hashlib.sha256(edited.encode()).hexdigest() in footer
    assert "Practice that counted" in footer


def test_a_non_heros_edit_publishes_exactly_their_version(org):
    draft_id = _pending(org)
    edited = get_draft(org, draft_id).markdown + "\n- Check the pgbouncer dashboard.\n"
    result = decide(
        org, draft_id, "p-bo", Decision(action=Action.APPROVE_WITH_EDITS, edited_markdown=edited), 1
    )
    assert result.status == "approved" and result.version == 2
    (pub,) = get_draft(org, draft_id).published
    assert Path(pub["path"]).read_text(encoding="utf-8").split("\n\n---\n")[0] == edited.rstrip()


def test_the_hero_is_judged_now_not_when_the_draft_was_made(org):
    pack = approve_pack(org, approver="p-ana")
    assert _verdict(org).verdict == "documented-unpractised"
    add_incidents(org, {"p-ana": 60}, days_ago=2)  # Ana becomes the scope's hero
    v = _verdict(org)
    assert v.hero == "p-ana", v
    assert v.verdict == "dependent" and pack not in v.approved_artifacts
    assert any("no longer counts" in r for r in v.reasons), v.reasons
    # and a new draft of the scope: Ana's approval now waits for a non-hero
    runbook = _pending(org, "runbook")
    assert decide(org, runbook, "p-ana", APPROVE, 1).status == "awaiting-non-hero-approval"
