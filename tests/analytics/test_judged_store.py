"""Messages are judged once per version of the rules: later map calls read the stored verdicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from agent.analytics import judged, judgement
from agent.analytics.judged import JudgedMessage
from agent.analytics.judgement import judge
from ingest.db import Activity, Alias

from .builders import T0, Facts

H = timedelta(hours=1)
FIX = "try this: `kubectl -n pay rollout restart deploy/pay-api`"


def _org(f: Facts) -> int:
    for p in ("alice", "bob", "carol"):
        f.person(p)
    with f.ws.session() as s:
        s.add(
            Alias(
                person_id="alice", kind="key", space="slack", value="UALICE", display="UALICE", source="slack"
            )
        )
    pay = "service:pay"
    f.incident("pd:j1", pay, T0, resolved=T0 + 2 * H)
    f.act("bob", pay, "chat_message", T0 + H, incident="pd:j1", detail={"text": FIX}, source="slack")
    f.act(
        "carol",
        pay,
        "chat_message",
        T0 + H,
        detail={"text": "paging <@UALICE> can you look?", "mentions": ["UALICE"]},
        source="slack",
    )
    return f.act("carol", pay, "chat_message", T0 + 2 * H, detail={"text": "thanks all"}, source="slack")


def _facts(ws) -> list[tuple]:
    with ws.session() as s:
        return [(x.activity_id, x.person, x.action, x.scope, x.incident, x.ts, x.by) for x in judge(s)]


def _no_judging(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("judged again")

    monkeypatch.setattr(judgement, "judge_message", refuse)


def test_a_second_map_reads_stored_verdicts_instead_of_judging_again(
    facts: Facts, monkeypatch: pytest.MonkeyPatch
) -> None:
    _org(facts)
    first = _facts(facts.ws)
    assert {a for _, _, a, *_ in first} == {"fix_shared", "mentioned"}
    with facts.ws.session() as s:
        assert s.scalar(select(func.count()).select_from(JudgedMessage)) == 3  # negatives too
    _no_judging(monkeypatch)
    assert _facts(facts.ws) == first


def test_new_messages_are_judged_and_old_ones_read(facts: Facts, monkeypatch: pytest.MonkeyPatch) -> None:
    _org(facts)
    before = _facts(facts.ws)
    calls: list[str] = []
    real = judgement.judge_message

    def counting(text: str, *a: object) -> object:
        calls.append(text)
        return real(text, *a)

    monkeypatch.setattr(judgement, "judge_message", counting)
    facts.act("alice", "service:pay", "chat_message", T0 + 3 * H, detail={"text": "rolled back the deploy"})
    after = _facts(facts.ws)
    assert calls == ["rolled back the deploy"]
    assert len(after) == len(before) + 1


def test_a_change_of_rules_judges_every_message_again(facts: Facts, monkeypatch: pytest.MonkeyPatch) -> None:
    _org(facts)
    first = _facts(facts.ws)
    monkeypatch.setattr(judged, "rules_fingerprint", lambda: "other-rules")
    calls: list[str] = []
    real = judgement.judge_message
    monkeypatch.setattr(judgement, "judge_message", lambda t, *a: calls.append(t) or real(t, *a))
    assert _facts(facts.ws) == first
    assert len(calls) == 3
    with facts.ws.session() as s:
        assert set(s.scalars(select(JudgedMessage.rules))) == {"other-rules"}  # stale verdicts dropped


def test_a_deleted_message_takes_its_verdict_with_it(facts: Facts) -> None:
    last = _org(facts)
    _facts(facts.ws)
    with facts.ws.session() as s:
        s.execute(delete(Activity).where(Activity.id == last))
    with facts.ws.session() as s:
        assert s.scalar(select(func.count()).select_from(JudgedMessage)) == 2


def test_stored_verdicts_hold_what_was_judged(facts: Facts) -> None:
    last = _org(facts)
    _facts(facts.ws)
    with facts.ws.session() as s:
        rows = {
            aid: (positive, fix, pulled)
            for aid, positive, fix, pulled in s.execute(
                select(
                    JudgedMessage.activity_id, JudgedMessage.positive, JudgedMessage.fix, JudgedMessage.pulled
                )
            )
        }
        raw = s.execute(select(func.count()).where(JudgedMessage.pulled.is_(None))).scalar()
    assert sorted(rows.values(), key=repr) == sorted(
        [(True, True, None), (True, False, ["UALICE"]), (False, False, None)], key=repr
    )
    assert rows[last] == (False, False, None)
    assert raw == 2  # no pull-ins is SQL NULL, not the JSON text 'null'
