"""Cassettes are bound to their request: the body hash covers model, system prompt, messages and tools."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from evals.cassettes import DIGEST_HEADER, body_digest_matcher, request_digest


def _body(**over):
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "system": "You draft operational documents.",
        "messages": [{"role": "user", "content": "Scope: service:x\nToday: 2026-11-26\n"}],
        "tools": [{"name": "submit_knowledge_pack"}],
    }
    body.update(over)
    return json.dumps(body)


def _req(body, digest=None):
    return SimpleNamespace(body=body, headers={DIGEST_HEADER: [digest]} if digest else {})


def test_hash_covers_model_system_messages_and_tools():
    base = request_digest(_body())
    assert request_digest(_body(model="claude-opus-4")) != base
    assert request_digest(_body(system="Be brief.")) != base
    assert request_digest(_body(messages=[{"role": "user", "content": "other"}])) != base
    assert request_digest(_body(tools=[])) != base


def test_hash_ignores_sampling_settings_and_the_date_of_the_day():
    base = request_digest(_body())
    assert request_digest(_body(max_tokens=10)) == base
    later = _body(messages=[{"role": "user", "content": "Scope: service:x\nToday: 2027-01-02\n"}])
    assert request_digest(later) == base


def test_matcher_replays_a_bound_request_and_refuses_a_changed_or_unbound_one():
    recorded = _req(None, request_digest(_body()))
    body_digest_matcher(_req(_body()), recorded)
    with pytest.raises(AssertionError, match="request body changed"):
        body_digest_matcher(_req(_body(system="Be brief.")), recorded)
    with pytest.raises(AssertionError, match="no body hash"):
        body_digest_matcher(_req(_body()), _req(None))
    body_digest_matcher(_req(_body()), _req(_body(max_tokens=1)))  # a stored body is hashed as stored
