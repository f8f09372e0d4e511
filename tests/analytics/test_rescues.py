"""Rescue detection and the escalation graph on hand-made incidents."""

from __future__ import annotations

from datetime import timedelta

from agent.analytics import escalation_graph, find_rescues
from agent.analytics.rescues import sinks
from ingest.db import Alias

from .builders import T0, Facts

H = timedelta(hours=1)


def _people(f: Facts) -> None:
    for p in ("alice", "bob", "carol", "dave", "erin", "frank"):
        f.person(p)
    with f.ws.session() as s:
        s.add(
            Alias(
                person_id="bob",
                kind="key",
                space="slack",
                value="UBOB0001",
                display="UBOB0001",
                source="slack",
            )
        )


def test_rescue_rules(facts: Facts) -> None:
    f = facts
    _people(f)
    pay = "service:pay"
    # I1: bob is assigned; alice, neither assigned nor on call, resolves -> rescue
    f.incident("pd:1", pay, T0, chunk_id=None)
    f.act("bob", pay, "assigned", T0, incident="pd:1")
    a1 = f.act("alice", pay, "resolved", T0 + H, incident="pd:1", chunk_id="c-1")
    # I2: carol is on call for the service and resolves -> not a rescue
    f.incident("pd:2", pay, T0 + 24 * H)
    f.shift("carol", pay, T0 + 20 * H, T0 + 30 * H)
    f.act("bob", pay, "assigned", T0 + 24 * H, incident="pd:2")
    f.act("carol", pay, "resolved", T0 + 25 * H, incident="pd:2")
    # I3: the assignee resolves -> not a rescue
    f.incident("pd:3", pay, T0 + 48 * H)
    f.act("bob", pay, "assigned", T0 + 48 * H, incident="pd:3")
    f.act("bob", pay, "resolved", T0 + 49 * H, incident="pd:3")
    # I4: bob pulls dave in by name in chat; dave shares the fix -> rescue (pulled in, and unassigned resolver)
    f.incident("pd:4", pay, T0 + 72 * H)
    f.act("bob", pay, "assigned", T0 + 72 * H, incident="pd:4")
    m4 = f.act(
        "dave", pay, "mentioned", T0 + 73 * H, incident="pd:4", detail={"by": "Bob", "by_key": "UBOB0001"}
    )
    x4 = f.act("dave", pay, "fix_shared", T0 + 74 * H, incident="pd:4", chunk_id="thread-4")
    # I5: erin is named but never acts -> not a rescue
    f.incident("pd:5", pay, T0 + 96 * H)
    f.act("bob", pay, "assigned", T0 + 96 * H, incident="pd:5")
    f.act("erin", pay, "mentioned", T0 + 97 * H, incident="pd:5", detail={"by_key": "UBOB0001"})
    f.act("bob", pay, "resolved", T0 + 98 * H, incident="pd:5")
    # I6: erin is on a shift without a scope (a general on-call) and resolves -> not a rescue
    f.incident("pd:6", pay, T0 + 120 * H)
    f.shift("erin", None, T0 + 119 * H, T0 + 122 * H)
    f.act("erin", pay, "resolved", T0 + 121 * H, incident="pd:6")
    # I7: carol's shift is for another service: resolving here is a rescue
    f.incident("pd:7", pay, T0 + 144 * H)
    f.shift("carol", "service:other", T0 + 140 * H, T0 + 150 * H)
    f.act("bob", pay, "assigned", T0 + 144 * H, incident="pd:7")
    f.act("carol", pay, "resolved", T0 + 145 * H, incident="pd:7")
    # I10: a postmortem names only its resolver: who was responsible is unknown -> not a rescue
    f.incident("postmortem:x", pay, T0 + 150 * H)
    f.act("dave", pay, "resolved", T0 + 151 * H, incident="postmortem:x")
    # I8: frank shares a fix in the service channel while I8 is open, without naming the incident -> chat fix
    f.incident("pd:8", pay, T0 + 168 * H, resolved=T0 + 170 * H)
    f.act("bob", pay, "assigned", T0 + 168 * H, incident="pd:8")
    f8 = f.act("frank", pay, "fix_shared", T0 + 169 * H)
    # ... and a chat fix a week later with no incident open is nothing
    f.act("frank", pay, "fix_shared", T0 + 400 * H)

    with f.ws.session() as s:
        rescues = find_rescues(s)
    got = {(r.incident, r.person): r for r in rescues}
    assert set(got) == {("pd:1", "alice"), ("pd:4", "dave"), ("pd:7", "carol"), ("pd:8", "frank")}
    assert got[("pd:1", "alice")].kind == "unassigned-resolver"
    assert got[("pd:1", "alice")].activity_ids == [a1]
    assert got[("pd:1", "alice")].chunk_ids == ["c-1"]
    r4 = got[("pd:4", "dave")]
    assert set(r4.kind.split("+")) == {"unassigned-resolver", "pulled-in"}
    assert r4.pulled_by == "bob"
    assert set(r4.activity_ids) == {m4, x4}
    assert r4.chunk_ids == ["thread-4"]
    assert got[("pd:8", "frank")].kind == "chat-fix" and got[("pd:8", "frank")].activity_ids == [f8]
    # the window bounds rescues by the time of the act
    with f.ws.session() as s:
        early = find_rescues(s, until=T0 + 100 * H)
    assert {(r.incident, r.person) for r in early} == {("pd:1", "alice"), ("pd:4", "dave")}


def test_assigned_after_the_fact_still_a_rescue(facts: Facts) -> None:
    """Being assigned only after resolving (PagerDuty bookkeeping) does not make it routine work."""
    facts.person("alice")
    facts.incident("pd:9", "service:pay", T0)
    facts.act("alice", "service:pay", "resolved", T0 + H, incident="pd:9")
    facts.act("alice", "service:pay", "assigned", T0 + 2 * H, incident="pd:9")
    with facts.ws.session() as s:
        assert [(r.incident, r.person) for r in find_rescues(s)] == [("pd:9", "alice")]


def test_postmortem_retelling_is_not_a_second_resolution(facts: Facts) -> None:
    """A postmortem's 'resolved by' (clock in another zone) does not compete with the paging log."""
    for p in ("bob", "bob2", "dave"):
        facts.person(p)
    pay = "service:pay"
    facts.incident("pd:1", pay, T0)
    facts.act("bob", pay, "assigned", T0 + 5 * H, incident="pd:1")
    facts.act("bob", pay, "resolved", T0 + 6 * H, incident="pd:1")
    facts.act(
        "bob2", pay, "resolved", T0 + H, incident="pd:1", source="markdown"
    )  # 5 h early, unmerged alias
    # a postmortem-only incident with routing known still counts its resolver
    facts.incident("pd:2", pay, T0 + 24 * H)
    facts.act("bob", pay, "assigned", T0 + 24 * H, incident="pd:2")
    facts.act("dave", pay, "resolved", T0 + 25 * H, incident="pd:2", source="markdown")
    with facts.ws.session() as s:
        assert [(r.incident, r.person) for r in find_rescues(s)] == [("pd:2", "dave")]


def test_escalation_graph_and_sinks(facts: Facts) -> None:
    f = facts
    _people(f)
    pay = "service:pay"
    for i in range(3):
        key = f"pd:e{i}"
        f.incident(key, pay, T0 + i * 24 * H)
        f.act("bob", pay, "assigned", T0 + i * 24 * H, incident=key)
        f.act("carol", pay, "escalated", T0 + i * 24 * H + H, incident=key)
        f.act("alice", pay, "reassigned", T0 + i * 24 * H + 2 * H, incident=key)
    f.act("alice", pay, "mentioned", T0, detail={"by_key": "UBOB0001"})
    with f.ws.session() as s:
        edges, indeg = escalation_graph(s)
    as_pairs = {(e.source, e.target): e for e in edges}
    assert as_pairs[("bob", "carol")].count == 3 and as_pairs[("bob", "carol")].kinds == {"escalated": 3}
    assert as_pairs[("carol", "alice")].kinds == {"reassigned": 3}
    assert as_pairs[("bob", "alice")].kinds == {"mentioned": 1}
    assert indeg[(pay, "alice")] == 4 and indeg[(pay, "carol")] == 3
    assert sinks(edges) == [{"person": "alice", "received": 4, "handed_on": 0}]


def test_fix_judged_from_a_stored_message_counts_for_the_share(facts: Facts) -> None:
    """A chat message stored with its text is judged at analysis time: the fix it hands over counts."""
    from agent.analytics.heromap import person_share

    f = facts
    _people(f)
    pay = "service:pay"
    f.incident("pd:j1", pay, T0, resolved=T0 + 2 * H)
    f.act("bob", pay, "assigned", T0, incident="pd:j1")
    text = "try this: `kubectl -n pay rollout restart deploy/pay-api`"
    f.act("bob", pay, "chat_message", T0 + H, incident="pd:j1", detail={"text": text}, source="slack")
    f.act(
        "carol", pay, "chat_message", T0 + H, incident="pd:j1", detail={"text": "any idea?"}, source="slack"
    )
    f.shift("carol", pay, T0 - H, T0 + 3 * H)
    f.act("carol", pay, "resolved", T0 + 2 * H, incident="pd:j1")
    assert person_share(f.ws, pay, "bob", since=T0 - H) == 1.0  # bob handed over the fix
    assert person_share(f.ws, pay, "carol", since=T0 - H) == 1.0  # carol, on call, applied it
