"""Property: no sequence of drafts, decisions, practice and incidents makes a scope independent without
approved material (approved by a non-hero), confirmed practice by non-heroes, and a falling hero share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.orgs import HashEmbedder
from evals.runner import DATASETS
from evals.scorers import drafting, rules

EXAMPLES = int(os.environ.get("UNDERSTUDY_RULES_EXAMPLES", "8"))
"""Sequences hypothesis tries per run (each builds a real workspace: SQLite, Chroma, offline drafts)."""

DATA = drafting.load_dataset(DATASETS)
people = st.sampled_from(rules.PEOPLE)
op = st.one_of(
    st.builds(lambda k: rules.Op("draft", {"kind": k}), st.sampled_from(rules.DRAFT_KINDS)),
    st.builds(
        lambda d, r, a: rules.Op("decide", {"draft": d, "reviewer": r, "action": a}),
        st.integers(0, 3),
        people,
        st.sampled_from(rules.DECISIONS),
    ),
    st.builds(
        lambda p, k, o, c: rules.Op("practice", {"person": p, "kind": k, "outcome": o, "confirmed_by": c}),
        people,
        st.sampled_from(rules.PRACTICE_KINDS),
        st.sampled_from(rules.OUTCOMES),
        st.none() | people,
    ),
    st.builds(lambda e, b: rules.Op("confirm", {"entry": e, "by": b}), st.integers(0, 3), people),
    st.builds(lambda p, n: rules.Op("incidents", {"person": p, "count": n}), people, st.integers(1, 6)),
)
sequences = st.tuples(st.sampled_from(("knowledge-pack", "runbook")), st.lists(op, min_size=1, max_size=12))


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(sequences)
def test_no_sequence_reaches_independent_without_what_counts(seq):
    first_kind, ops = seq
    with tempfile.TemporaryDirectory() as tmp:
        ws = rules.new_workspace(Path(tmp), "ws", DATA, HashEmbedder())
        verdict, violations = rules.run_sequence(ws, DATA, [rules.Op("draft", {"kind": first_kind}), *ops])
    assert verdict in ("dependent", "documented-unpractised", "narrowing", "independent")
    assert violations == [], violations


def test_the_oracle_sees_a_legitimate_path_to_independent(tmp_path):
    """The property is not vacuous: a sequence that does everything right reaches independent."""
    ws = rules.new_workspace(tmp_path, "ws", DATA, HashEmbedder())
    ops = [
        rules.Op("draft", {"kind": "knowledge-pack"}),
        rules.Op("decide", {"draft": 0, "reviewer": "p-ana", "action": "approve"}),
        rules.Op(
            "practice", {"person": "p-ana", "kind": "led-alone", "outcome": "success", "confirmed_by": "p-bo"}
        ),
        rules.Op(
            "practice", {"person": "p-bo", "kind": "drill", "outcome": "success", "confirmed_by": "p-cy"}
        ),
        rules.Op("incidents", {"person": "p-ana", "count": 6}),
        rules.Op("incidents", {"person": "p-bo", "count": 6}),
    ]
    verdict, violations = rules.run_sequence(ws, DATA, ops)
    assert violations == []
    assert verdict == "independent"


def test_the_hero_alone_never_makes_it_count(tmp_path):
    """Only the hero approves: nothing counts, whatever practice follows."""
    ws = rules.new_workspace(tmp_path, "ws", DATA, HashEmbedder())
    ops = [
        rules.Op("draft", {"kind": "knowledge-pack"}),
        rules.Op("decide", {"draft": 0, "reviewer": DATA["hero"], "action": "approve"}),
        rules.Op(
            "practice", {"person": "p-ana", "kind": "led-alone", "outcome": "success", "confirmed_by": "p-bo"}
        ),
        rules.Op(
            "practice", {"person": "p-bo", "kind": "drill", "outcome": "success", "confirmed_by": "p-cy"}
        ),
        rules.Op("incidents", {"person": "p-ana", "count": 20}),
    ]
    verdict, violations = rules.run_sequence(ws, DATA, ops)
    assert violations == []
    assert verdict == "dependent"
