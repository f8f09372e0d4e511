"""Shares, effective responders, bus factor and off-hours bands, hand-computed, on a real SQLite workspace."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from agent.analytics import HeroRule, compute_map
from agent.analytics.metrics import aggregate, bus_factor, effective_responders
from agent.analytics.timebands import BUSINESS, OFF_HOURS, SLEEP, band_of, offset_periods, zone_or_none
from ingest.workspace import Workspace

from .builders import T0, Facts


def _scope(result, name):
    return next(s for s in result.scopes if s.scope == name)


def test_shares_effective_responders_and_bus_factor(facts: Facts) -> None:
    for p in ("alice", "bob", "carol"):
        facts.person(p)
    rows = [("alice", "service:a", "resolved", T0 + timedelta(hours=i)) for i in range(2)]
    rows += [("bob", "service:a", "acknowledged", T0 + timedelta(hours=i)) for i in range(2)]
    rows += [("carol", "service:a", "notified", T0 + timedelta(hours=i)) for i in range(4)]
    facts.acts(rows)
    s = _scope(compute_map(facts.ws), "service:a")
    # weights: alice 2 x 3.0 = 6, bob 2 x 1.0 = 2, carol 4 x 0.25 = 1; total 9
    assert s.events == 8
    assert s.top_person == "alice"
    assert s.top_share == pytest.approx(6 / 9, abs=1e-3)
    expected_eff = 1 / ((6 / 9) ** 2 + (2 / 9) ** 2 + (1 / 9) ** 2)
    assert s.effective_responders == pytest.approx(expected_eff, abs=0.01)
    assert s.bus_factor == 1
    assert s.shares == pytest.approx({"alice": 0.667, "bob": 0.222, "carol": 0.111}, abs=1e-3)


def test_bus_factor_needs_more_than_half() -> None:
    assert bus_factor([1, 1]) == 2
    assert bus_factor([2, 1, 1]) == 2  # the top person has exactly half: not more than half
    assert bus_factor([3, 1, 1]) == 1
    assert bus_factor([1, 1, 1, 1]) == 3
    assert bus_factor([]) == 0
    assert effective_responders([1, 1, 1, 1]) == pytest.approx(4.0)
    assert effective_responders([1]) == pytest.approx(1.0)


def test_weights_are_configurable(facts: Facts) -> None:
    facts.person("alice")
    facts.person("bob")
    facts.acts([("alice", "service:a", "resolved", T0), ("bob", "service:a", "notified", T0)])
    default = _scope(compute_map(facts.ws), "service:a")
    assert default.top_share == pytest.approx(3.0 / 3.25, abs=1e-3)
    flat = _scope(
        compute_map(facts.ws, rule=HeroRule(weights={"resolved": 1.0, "notified": 1.0})), "service:a"
    )
    assert flat.top_share == pytest.approx(0.5)


def test_bots_without_a_person_row_never_count(facts: Facts) -> None:
    facts.person("alice")
    facts.acts([("alice", "service:a", "resolved", T0)] + [("deploy-bot", "service:a", "resolved", T0)] * 20)
    result = compute_map(facts.ws)
    s = _scope(result, "service:a")
    assert s.events == 1 and s.top_share == 1.0
    assert {p.id for p in result.people} == {"alice"}


# Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) at 2024-03-31 01:00 UTC (the last Sunday of March).
BERLIN_CASES = [
    (datetime(2024, 3, 25, 7, 30, tzinfo=UTC), BUSINESS),  # Mon 08:30 CET
    (datetime(2024, 4, 1, 6, 30, tzinfo=UTC), BUSINESS),  # Mon 08:30 CEST (07:30 had the offset not changed)
    (datetime(2024, 4, 1, 5, 30, tzinfo=UTC), SLEEP),  # Mon 07:30 CEST
    (datetime(2024, 3, 29, 16, 30, tzinfo=UTC), BUSINESS),  # Fri 17:30 CET
    (datetime(2024, 4, 5, 16, 30, tzinfo=UTC), OFF_HOURS),  # Fri 18:30 CEST
    (datetime(2024, 3, 31, 0, 30, tzinfo=UTC), SLEEP),  # Sun 01:30 CET, just before the switch
    (datetime(2024, 3, 31, 1, 30, tzinfo=UTC), SLEEP),  # Sun 03:30 CEST, just after
    (datetime(2024, 3, 30, 12, 0, tzinfo=UTC), OFF_HOURS),  # Sat 13:00 CET: weekend daytime
    (datetime(2024, 3, 26, 20, 30, tzinfo=UTC), OFF_HOURS),  # Tue 21:30 CET
    (datetime(2024, 4, 2, 20, 30, tzinfo=UTC), SLEEP),  # Tue 22:30 CEST
]
# America/New_York went EST (UTC-5) -> EDT (UTC-4) on 2024-03-10.
NEW_YORK_CASES = [
    (datetime(2024, 3, 4, 13, 30, tzinfo=UTC), BUSINESS),  # Mon 08:30 EST
    (datetime(2024, 3, 11, 12, 30, tzinfo=UTC), BUSINESS),  # Mon 08:30 EDT
    (datetime(2024, 3, 4, 22, 30, tzinfo=UTC), BUSINESS),  # Mon 17:30 EST (Tue in UTC)
    (datetime(2024, 3, 5, 2, 30, tzinfo=UTC), OFF_HOURS),  # Mon 21:30 EST
    (datetime(2024, 3, 9, 4, 0, tzinfo=UTC), SLEEP),  # Fri 23:00 EST
]
# No zone of their own: the organisation's zone, Asia/Kolkata (UTC+5:30, a half-hour offset).
KOLKATA_CASES = [
    (datetime(2024, 3, 4, 2, 45, tzinfo=UTC), BUSINESS),  # Mon 08:15 IST
    (datetime(2024, 3, 4, 2, 15, tzinfo=UTC), SLEEP),  # Mon 07:45 IST
    (datetime(2024, 3, 4, 12, 45, tzinfo=UTC), OFF_HOURS),  # Mon 18:15 IST
]


def test_python_reference_bands() -> None:
    for ts, band in BERLIN_CASES:
        assert band_of(ts, "Europe/Berlin") == band, ts
    for ts, band in NEW_YORK_CASES:
        assert band_of(ts, "America/New_York") == band, ts
    for ts, band in KOLKATA_CASES:
        assert band_of(ts, None, "Asia/Kolkata") == band, ts


def test_dst_transition_found_to_the_second() -> None:
    zone = zone_or_none("Europe/Berlin")
    assert zone is not None
    periods = offset_periods(zone, datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 11, 30, tzinfo=UTC))
    starts = [(datetime.fromtimestamp(t, UTC), off) for t, off in periods]
    assert starts[1] == (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), 7200)
    assert starts[2] == (datetime(2024, 10, 27, 1, 0, tzinfo=UTC), 3600)
    assert len(starts) == 3


def _band_counts(ws: Workspace, scope: str) -> tuple[int, int, int]:
    with ws.session() as s:
        st = aggregate(s, ws.settings.org_timezone, scopes={scope})[(scope, "")]
    events = st.events
    sleep = sum(p.sleep_events for p in st.people.values())
    off = sum(p.off_events for p in st.people.values())
    return events - sleep - off, off, sleep


def test_off_hours_in_each_persons_zone_across_dst(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "ws", org_timezone="Asia/Kolkata")
    f = Facts(ws)
    f.person("berta", tz="Europe/Berlin")
    f.person("nick", tz="America/New_York")
    f.person("kiran")  # no zone: the organisation's
    f.person("mars", tz="Mars/Olympus_Mons")  # unknown zone: the organisation's
    f.acts([("berta", "service:berlin", "chat_message", ts) for ts, _ in BERLIN_CASES])
    f.acts([("nick", "service:ny", "chat_message", ts) for ts, _ in NEW_YORK_CASES])
    f.acts([("kiran", "service:in", "chat_message", ts) for ts, _ in KOLKATA_CASES])
    f.acts([("mars", "service:mars", "chat_message", ts) for ts, _ in KOLKATA_CASES])
    for scope, cases in (
        ("service:berlin", BERLIN_CASES),
        ("service:ny", NEW_YORK_CASES),
        ("service:in", KOLKATA_CASES),
        ("service:mars", KOLKATA_CASES),
    ):
        expected = tuple(sum(1 for _, b in cases if b == band) for band in (BUSINESS, OFF_HOURS, SLEEP))
        assert _band_counts(ws, scope) == expected, scope
    result = compute_map(ws)
    berlin = _scope(result, "service:berlin")
    assert berlin.off_hours_share == pytest.approx(7 / 10)  # 3 off-hours + 4 sleep of 10
    assert berlin.sleep_share == pytest.approx(4 / 10)


def test_sql_bands_match_python_on_random_times(tmp_path) -> None:
    """The SQL classification agrees with zoneinfo on 600 random instants in four zones over two years."""
    ws = Workspace.open(tmp_path / "ws", org_timezone="Europe/London")
    f = Facts(ws)
    zones = {
        "p-berlin": "Europe/Berlin",
        "p-ny": "America/New_York",
        "p-syd": "Australia/Sydney",
        "p-org": None,
    }
    for pid, tz in zones.items():
        f.person(pid, tz=tz)
    rng = random.Random(3)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows = []
    expected: dict[str, list[int]] = {pid: [0, 0, 0] for pid in zones}
    for pid, tz in zones.items():
        for _ in range(150):
            ts = start + timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
            rows.append((pid, "service:" + pid, "chat_message", ts))
            expected[pid][band_of(ts, tz, "Europe/London")] += 1
    f.acts(rows)
    for pid in zones:
        assert list(_band_counts(ws, "service:" + pid)) == expected[pid], pid


def test_window_narrows_the_map(facts: Facts) -> None:
    facts.person("alice")
    facts.person("bob")
    facts.acts([("alice", "service:a", "resolved", T0 + timedelta(days=i)) for i in range(10)])
    facts.acts([("bob", "service:a", "resolved", T0 + timedelta(days=30 + i)) for i in range(10)])
    early = _scope(compute_map(facts.ws, until=T0 + timedelta(days=20)), "service:a")
    late = _scope(compute_map(facts.ws, since=T0 + timedelta(days=20)), "service:a")
    both = _scope(compute_map(facts.ws), "service:a")
    assert (early.top_person, early.top_share, early.events) == ("alice", 1.0, 10)
    assert (late.top_person, late.top_share, late.events) == ("bob", 1.0, 10)
    assert both.top_share == 0.5 and both.bus_factor == 2
