"""Property: no sequence of drafts, decisions, edits, practice and incidents (some by a second identity of the
hero) gets a verdict above what DESIGN.md allows; and the generated sequences reach every verdict."""

from __future__ import annotations

import os
import random
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.orgs import HashEmbedder
from evals.runner import DATASETS
from evals.scorers import drafting, rules

EXAMPLES = int(os.environ.get("UNDERSTUDY_RULES_EXAMPLES", "6"))
"""Sequences hypothesis tries per run (each builds a real workspace: SQLite, Chroma, offline drafts)."""

SPREAD_SEQUENCES = 6
"""Sequences drawn from the generator to check it reaches every verdict."""

LENGTH = 12
"""Steps per generated sequence."""

DATA = drafting.load_dataset(DATASETS)


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.integers(0, 2**32 - 1), st.sampled_from((*rules.AIMS, None)))
def test_no_sequence_gets_a_verdict_above_what_counts(seed, aim):
    ops = rules.random_ops(random.Random(seed), LENGTH, aim)
    with tempfile.TemporaryDirectory() as tmp:
        ws = rules.new_workspace(Path(tmp), "ws", DATA, HashEmbedder())
        verdict, violations, _ = rules.run_sequence(ws, DATA, ops)
    assert verdict in rules.VERDICTS
    assert violations == [], violations


def test_the_generated_sequences_reach_every_verdict(tmp_path):
    rng = random.Random(20260101)
    verdicts: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for i in range(SPREAD_SEQUENCES):
        ws = rules.new_workspace(tmp_path, f"ws{i}", DATA, HashEmbedder())
        ops = rules.random_ops(rng, LENGTH, rules.AIMS[i % len(rules.AIMS)])
        verdict, violations, oracle = rules.run_sequence(ws, DATA, ops)
        assert violations == [], violations
        verdicts[verdict] += 1
        expected[oracle] += 1
    assert set(expected) == set(rules.VERDICTS) and set(verdicts) == set(rules.VERDICTS), (expected, verdicts)
    assert verdicts["independent"] >= SPREAD_SEQUENCES / 4, verdicts


def _run(tmp_path, ops):
    ws = rules.new_workspace(tmp_path, "ws", DATA, HashEmbedder())
    return rules.run_sequence(ws, DATA, [rules.Op("draft", {"kind": "knowledge-pack"}), *ops])


LEGIT = [
    rules.Op(
        "practice", {"person": "p-ana", "kind": "led-alone", "outcome": "success", "confirmed_by": "p-bo"}
    ),
    rules.Op("practice", {"person": "p-bo", "kind": "drill", "outcome": "success", "confirmed_by": "p-cy"}),
    rules.Op("incidents", {"person": "p-ana", "count": 6}),
    rules.Op("incidents", {"person": "p-bo", "count": 6}),
]


def test_the_oracle_sees_a_legitimate_path_to_independent(tmp_path):
    approve = rules.Op("decide", {"draft": 0, "reviewer": "p-ana", "action": "approve"})
    verdict, violations, expected = _run(tmp_path, [approve, *LEGIT])
    assert (verdict, expected, violations) == ("independent", "independent", [])


def test_the_heros_second_identity_never_makes_it_count(tmp_path):
    """The hero's other self approves and edits: nothing counts, whatever practice follows."""
    ops = [
        rules.Op("decide", {"draft": 0, "reviewer": rules.HERO_ALT, "action": "approve-with-edits"}),
        rules.Op("decide", {"draft": 0, "reviewer": rules.HERO_ALT, "action": "approve"}),
        *LEGIT,
    ]
    verdict, violations, expected = _run(tmp_path, ops)
    assert (verdict, expected, violations) == ("dependent", "dependent", [])


def test_the_oracle_flags_a_ledger_that_counts_the_heros_second_identity(tmp_path, monkeypatch):
    """The property can fail: with identity checks switched off, the hero's other self makes it count."""
    from agent.ledger import rules as ledger_rules

    monkeypatch.setattr(
        ledger_rules,
        "_raw_link",
        lambda s, a, b: None if a != b else ledger_rules.Link(a, b, "same-person", ""),
    )
    ops = [rules.Op("decide", {"draft": 0, "reviewer": rules.HERO_ALT, "action": "approve"}), *LEGIT]
    verdict, violations, expected = _run(tmp_path, ops)
    assert expected == "dependent" and verdict == "independent"
    assert violations and "DESIGN.md allows at most dependent" in violations[0]
