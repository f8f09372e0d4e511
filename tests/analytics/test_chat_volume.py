"""Chatter is not capability: writing most of a channel's messages makes a top person, not a hero."""

from __future__ import annotations

from datetime import timedelta

from agent.analytics import compute_map

from .builders import T0, Facts

M = timedelta(minutes=7)
# the shape of a community Slack export: one person writes 58% of the human messages of #tools
MESSAGES = {"maria": 58, "dev": 20, "kim": 12, "lee": 10}


def _channel(f: Facts, scope: str) -> None:
    for p in MESSAGES:
        f.person(p, tz="UTC")
    f.acts(
        [
            (p, scope, "chat_message", T0 + (i * 4 + k) * M)
            for k, (p, n) in enumerate(MESSAGES.items())
            for i in range(n)
        ]
    )


def test_most_messages_make_a_top_person_not_a_hero(facts: Facts) -> None:
    _channel(facts, "service:tools")
    result = compute_map(facts.ws)
    tools = next(s for s in result.scopes if s.scope == "service:tools")
    assert tools.top_person == "maria" and tools.top_share == 0.58 and tools.effective_responders <= 2.5
    assert tools.hero is None
    assert result.heroes == []


def test_the_same_voice_who_also_fixes_things_is_the_hero(facts: Facts) -> None:
    _channel(facts, "service:tools")
    facts.acts([("maria", "service:tools", "resolved", T0 + i * timedelta(days=1)) for i in range(6)])
    result = compute_map(facts.ws)
    tools = next(s for s in result.scopes if s.scope == "service:tools")
    assert tools.hero == "maria"
