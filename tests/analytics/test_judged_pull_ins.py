"""Pull-ins judged from chat: the rescue links to the pulled-in person's latest act, found from aggregates.

The rule reads, per (incident, person), the first assignment and the latest act; these cases pin what the
rescue names on ties, merged identities, judged fixes and windows (the values the per-row reading gave).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from agent.analytics import find_rescues
from ingest.db import Alias, Person

from .builders import T0, Facts

H = timedelta(hours=1)
PAY = "service:pay"
FIX = "try this: `kubectl -n pay rollout restart deploy/pay-api`"


def _org(f: Facts) -> None:
    for p in ("bob", "dave", "dave2", "erin"):
        f.person(p)
    with f.ws.session() as s:
        for pid, key in (("dave", "UDAVE"), ("erin", "UERIN")):
            s.add(Alias(person_id=pid, kind="key", space="slack", value=key, display=key, source="slack"))
        s.execute(update(Person).where(Person.id == "dave2").values(merged_into="dave"))


def _page(f: Facts, key: str, at: object, who: str = "UDAVE") -> int:
    """``key`` assigned to bob at ``at``; bob pulls ``who`` in by name an hour later (the mention's id)."""
    f.incident(key, PAY, at, resolved=at + 6 * H)  # type: ignore[operator]
    f.act("bob", PAY, "assigned", at, incident=key)  # type: ignore[arg-type]
    return f.act(
        "bob",
        PAY,
        "chat_message",
        at + H,  # type: ignore[operator]
        incident=key,
        detail={"text": f"paging <@{who}> can you look?", "mentions": [who]},
        source="slack",
    )


def _pulled(f: Facts, **window: object) -> dict[str, tuple[str, list[int]]]:
    with f.ws.session() as s:
        return {
            r.incident: (r.kind, r.activity_ids)
            for r in find_rescues(s, **window)  # type: ignore[arg-type]
            if r.person == "dave" and "pulled-in" in r.kind
        }


def test_the_latest_act_wins_and_a_tie_goes_to_the_highest_id(facts: Facts) -> None:
    f = facts
    _org(f)
    m = _page(f, "pd:t1", T0)
    f.act("dave", PAY, "annotated", T0 + 1.5 * H, incident="pd:t1")
    f.act("dave", PAY, "acknowledged", T0 + 2 * H, incident="pd:t1")
    tie = f.act("dave", PAY, "annotated", T0 + 2 * H, incident="pd:t1")
    f.act("dave", PAY, "annotated", T0 + 0.5 * H, incident="pd:t1")  # before the pull-in, a higher id
    assert _pulled(f) == {"pd:t1": ("pulled-in", sorted([m, tie]))}


def test_a_merged_identity_acts_and_is_assigned_as_the_person(facts: Facts) -> None:
    f = facts
    _org(f)
    m2 = _page(f, "pd:t2", T0)
    f.act("dave", PAY, "annotated", T0 + 2 * H, incident="pd:t2")
    late = f.act("dave2", PAY, "annotated", T0 + 3 * H, incident="pd:t2")
    _page(f, "pd:t3", T0 + 24 * H)  # dave2 was paged before the pull-in: routed to him, no rescue
    f.act("dave2", PAY, "notified", T0 + 24 * H, incident="pd:t3")
    f.act("dave", PAY, "annotated", T0 + 26 * H, incident="pd:t3")
    _page(f, "pd:t4", T0 + 48 * H)  # dave acted only before the pull-in
    f.act("dave", PAY, "annotated", T0 + 48.5 * H, incident="pd:t4")
    assert _pulled(f) == {"pd:t2": ("pulled-in", sorted([m2, late]))}


def test_a_judged_fix_at_the_same_time_as_a_stored_act(facts: Facts) -> None:
    f = facts
    _org(f)
    m5 = _page(f, "pd:t5", T0)
    f.act("dave", PAY, "annotated", T0 + 2 * H, incident="pd:t5")
    fix5 = f.act(
        "dave", PAY, "chat_message", T0 + 2 * H, incident="pd:t5", detail={"text": FIX}, source="slack"
    )
    m6 = _page(f, "pd:t6", T0 + 24 * H)
    f.act("dave", PAY, "chat_message", T0 + 27 * H, incident="pd:t6", detail={"text": FIX}, source="slack")
    after = f.act("dave", PAY, "annotated", T0 + 27 * H, incident="pd:t6")
    pulled = _pulled(f)
    assert {k: ids for k, (_, ids) in pulled.items()} == {
        "pd:t5": sorted([m5, fix5]),
        "pd:t6": sorted([m6, after, after - 1]),  # the judged fix is also an unassigned resolver's act
    }
    assert pulled["pd:t5"][0] == "pulled-in+unassigned-resolver"


def test_acts_after_the_window_still_follow_a_pull_in_inside_it(facts: Facts) -> None:
    f = facts
    _org(f)
    m7 = _page(f, "pd:t7", T0)
    f.act("dave", PAY, "annotated", T0 + 2 * H, incident="pd:t7")
    later = f.act("dave", PAY, "resolved", T0 + 30 * H, incident="pd:t7")
    inside = _pulled(f, since=T0, until=T0 + 3 * H)
    assert inside["pd:t7"][1] == sorted({m7, later})
    assert _pulled(f, since=T0 + 3 * H) == {}
