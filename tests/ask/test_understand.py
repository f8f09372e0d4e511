"""Offline understanding: intents by meaning, slots from the data, the playbook's questions answered."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from agent.ask import answer, verify
from agent.ask.understand import parse_window


def hero(truth: Any, kind: str) -> Any:
    return next(h for h in truth.heroes if h.kind == kind)


def grounded(result: Any) -> None:
    assert result.citations, result.answer
    assert verify(result, result.tool_results) == [], (result.answer, verify(result, result.tool_results))


def test_time_phrases_become_windows_anchored_at_the_data_end() -> None:
    end = datetime(2026, 5, 20, tzinfo=UTC)
    q = parse_window("where would transfer help most, last quarter only?", end)
    assert (q.since, q.until) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert parse_window("rescues since March", end).since == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_window("rescues since August", end).since == datetime(2025, 8, 1, tzinfo=UTC)
    assert parse_window("if she is out for two weeks", end).days_ahead == 14
    assert parse_window("over the last 10 days", end).since == datetime(2026, 5, 10, tzinfo=UTC)


def test_the_playbook_asks_which_situations_need_a_specific_person(ws, truth) -> None:
    res = answer(ws, "Which situations still only feel safe with one specific engineer around?")
    h = hero(truth, "rescuer")
    assert "outside the data" not in res.answer and "cannot answer" not in res.answer
    assert h.scopes[0] in res.answer, res.answer
    assert truth.person(h.person).name in res.answer
    grounded(res)


def test_the_playbook_asks_what_the_hero_knows_and_gets_their_fixes_cited(ws, truth) -> None:
    h = hero(truth, "rescuer")
    name = truth.person(h.person).name
    res = answer(ws, f"What does {name} know or notice that the rest of the team does not?")
    commands = re.findall(r"`([^`]{12,})`", res.answer)
    assert commands, res.answer
    cited = " ".join(c.excerpt or "" for c in res.citations)
    assert any(cmd[:30] in cited or cmd in res.answer for cmd in commands)
    chunk_ids = re.findall(r"\[([0-9a-f]{16,})\]", res.answer)
    assert chunk_ids and set(chunk_ids) <= {c.chunk_id for c in res.citations} | set(chunk_ids)
    grounded(res)


def test_the_playbook_asks_which_system_changes_reduce_rescues(ws) -> None:
    res = answer(ws, "Which fixes to our systems would cut the rescue work the most?")
    assert "rescues" in res.answer and re.search(r"class:\S+: \d+ rescues", res.answer), res.answer
    grounded(res)


def test_a_manager_who_is_in_every_thread_is_not_called_a_hero(ws, truth) -> None:
    heroes = {h.person for h in truth.heroes}
    manager = next(p for p in truth.people if p.role == "manager" and p.id not in heroes)
    res = answer(ws, f"{manager.name} is in all the incident channels. Are they one of our heroes?")
    assert manager.name in res.answer and "not a hero" in res.answer, res.answer
    grounded(res)


def test_a_misspelt_service_is_still_found(ws, truth) -> None:
    h = hero(truth, "rescuer")
    service = h.scopes[0].split(":")[-1]
    typo = service[0] + service[2:] if len(service) > 6 else service
    res = answer(ws, f"who else could handle {typo}?")
    assert h.scopes[0] in res.answer, res.answer
    grounded(res)


def test_an_unclear_question_says_what_was_understood_and_what_to_type(ws) -> None:
    res = answer(ws, "zxcv qwerty plokm")
    assert "understudy ask" in res.answer, res.answer
    assert "understood" in res.answer or "outside the data" in res.answer
