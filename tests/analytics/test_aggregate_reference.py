"""The map's per-scope aggregates, summed by the database, equal a row-by-row Python reference."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from agent.analytics.capability import PRESENCE_ACTIONS
from agent.analytics.metrics import CLASS_PREFIX, aggregate
from agent.analytics.rules import PAGE_ACTIONS, HeroRule
from agent.analytics.timebands import (
    BUSINESS,
    PACK_BASE,
    SLEEP,
    band_of,
    unpack_bands,
    week_hour_bands,
)
from ingest.db import Incident, Person
from ingest.workspace import Workspace

from .builders import Facts

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", None, "Mars/Olympus")
ACTIONS = (
    "paged",
    "acknowledged",
    "resolved",
    "chat_message",
    "escalated",
    "commit",
    "notified",
    "mentioned",
)


def _reference(rows, zone_of, merged, org_zone, weights, incident_class):
    out: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(dict)
    for pid, scope, action, ts, inc in rows:
        keys = [scope] + ([CLASS_PREFIX + incident_class[inc]] if inc in incident_class else [])
        band = band_of(ts, zone_of[pid], org_zone)
        page = action in PAGE_ACTIONS
        for key in keys:
            p = out[(key, "")].setdefault(merged.get(pid, pid), [0.0, 0, 0, 0, 0, 0, 0])
            p[0] += weights.get(action, 1.0)
            p[1] += 1
            p[2] += page
            p[3] += band != BUSINESS and band != SLEEP
            p[4] += band == SLEEP
            p[5] += page and band == SLEEP
            p[6] += action not in PRESENCE_ACTIONS  # capability: acts beyond presence
    return out


def test_aggregate_equals_row_by_row_reference_across_zones_and_dst(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "ws", org_timezone="Europe/Lisbon")
    f = Facts(ws)
    rng = random.Random(13)
    people = [f.person(f"p{i}", tz=ZONES[i % len(ZONES)]) for i in range(12)]
    zone_of = {p: ZONES[i % len(ZONES)] for i, p in enumerate(people)}
    merged = {"p11": "p3", "p10": "p4"}
    with ws.session() as s:
        for src, dst in merged.items():
            s.execute(update(Person).where(Person.id == src).values(merged_into=dst))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    incident_class = {}
    for k in range(6):
        key = f"INC-{k}"
        f.incident(key, f"service:s{k % 3}", start + timedelta(days=30 * k))
        if k % 2 == 0:
            incident_class[key] = f"db-{k % 4}"
    with ws.session() as s:
        for key, cls in incident_class.items():
            s.execute(update(Incident).where(Incident.key == key).values(incident_class=cls))
    rows = []
    for _ in range(1500):
        ts = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        inc = rng.choice([None, *sorted({f"INC-{k}" for k in range(6)})])
        rows.append((rng.choice(people), f"service:s{rng.randrange(4)}", rng.choice(ACTIONS), ts, inc))
    for pid, scope, action, ts, inc in rows:
        f.act(pid, scope, action, ts, incident=inc)
    rule = HeroRule()
    with ws.session() as s:
        got = aggregate(s, ws.settings.org_timezone, rule=rule)
    want = _reference(rows, zone_of, merged, ws.settings.org_timezone, rule.weight_table(), incident_class)
    assert set(got) == set(want)
    for key, st in got.items():
        assert {
            pid: [p.weight, p.events, p.pages, p.off_events, p.sleep_events, p.sleep_pages, p.doing]
            for pid, p in st.people.items()
        } == want[key], key
        assert list(st.people) == sorted(st.people)


def test_week_hour_table_and_packing() -> None:
    table = week_hour_bands()
    assert len(table) == 168
    # hour 0 is Thursday 00:00 local: sleep; Thursday 10:00 business; Saturday 12:00 off-hours
    assert table[0] == str(SLEEP) and table[10] == str(BUSINESS) and table[2 * 24 + 12] == "1"
    assert unpack_bands(7 + 5 * PACK_BASE) == (7, 5)
