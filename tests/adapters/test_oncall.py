"""The on-call adapter against PagerDuty on-calls pages and a CSV export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ingest.adapters.base import ReadContext, json_shape
from ingest.adapters.oncall import OncallAdapter, schedule_scope
from ingest.records import Problem, Record

FIXTURES = Path(__file__).parent.parent / "fixtures" / "oncall"
PAGE1 = FIXTURES / "oncalls-page1.json"
PAGE2 = FIXTURES / "oncalls-page2.json"
CSV = FIXTURES / "shifts.csv"


def read(paths: list[Path], tz: str = "UTC") -> tuple[list[Record], list[Problem]]:
    out = list(OncallAdapter().read(paths, ReadContext(org_timezone=tz)))
    return [r for r in out if isinstance(r, Record)], [p for p in out if isinstance(p, Problem)]


def test_sniff() -> None:
    adapter = OncallAdapter()
    assert adapter.sniff(PAGE1, json_shape(PAGE1))
    assert adapter.sniff(CSV, None)
    deploys = Path(__file__).parent.parent / "fixtures" / "deploys"
    assert not adapter.sniff(deploys / "deploys.csv", None)
    assert not adapter.sniff(deploys / "deployments.json", json_shape(deploys / "deployments.json"))


def test_json_pages_make_one_record_per_schedule_per_page() -> None:
    records, problems = read([PAGE1, PAGE2])
    assert problems == []
    by_key = {r.key.split("/")[-1]: r for r in records}
    assert set(by_key) == {
        "oncalls-page1.json#psch001",
        "oncalls-page1.json#psch002",
        "oncalls-page2.json#psch001",
        "oncalls-page2.json#policy-pep9xyz",
    }
    shifts = [s for r in records for s in r.shifts]
    assert {s.person.name for s in shifts} == {"Alice Smith", "Bob Builder", "Carol Jones", "Dana Lee"}
    alice = next(s for s in shifts if s.person.name == "Alice Smith")
    # PagerDuty ids are kept as keys so these merge with the pagerduty adapter's people
    assert alice.person.source == "pagerduty" and alice.person.key == "PU00ALC"
    assert alice.scope == "service:payments-api" and alice.level == 1
    # offsets kept across the DST change; the shift is 47 hours long, not 48
    assert alice.start.utcoffset() == timedelta(hours=-5) and alice.end.utcoffset() == timedelta(hours=-4)
    assert alice.end - alice.start == timedelta(hours=47)
    bob = next(s for s in shifts if s.person.name == "Bob Builder")
    assert bob.person.email == "bob@example.org" and bob.level == 2 and bob.scope == "service:payments-api"
    # always-on-call (null start/end) is clipped to the page's window
    dana = next(s for s in shifts if s.person.name == "Dana Lee")
    assert dana.scope == "service:search" and dana.level == 3
    assert (dana.start.isoformat(), dana.end.isoformat()) == (
        "2024-03-11T09:00:00-04:00",
        "2024-03-13T09:00:00-04:00",
    )


def test_always_on_call_alone_is_skipped(tmp_path: Path) -> None:
    page = tmp_path / "oncalls.json"
    page.write_text(
        '{"oncalls": [{"user": {"id": "PU1", "summary": "Zed"}, "schedule": null, '
        '"escalation_policy": {"id": "PEP", "summary": "Core"}, "escalation_level": 1, "start": null, "end": null}]}'
    )
    records, problems = read([page])
    assert records == [] and problems == []


def test_csv_with_bom_reordered_columns_and_bad_rows() -> None:
    records, problems = read([CSV], tz="Europe/London")
    lines = sorted((p.record, p.reason) for p in problems)
    assert [rec for rec, _ in lines] == ["line 4", "line 5", "line 6"]
    assert "unreadable start or end" in lines[0][1]
    assert "5 fields" in lines[1][1]
    assert "UTF-8" in lines[2][1]
    by_schedule = {r.title: r for r in records}
    assert set(by_schedule) == {"On-call: Checkout Service On-Call", "On-call: Search - Secondary"}
    checkout = by_schedule["On-call: Checkout Service On-Call"].shifts
    assert [s.person.name for s in checkout] == ["Erin Park", "Frank Ocean"]
    assert checkout[1].person.email == "frank@example.org"
    assert all(s.scope == "service:checkout-service" for s in checkout)
    # naive times take the org zone: London is on BST until 27 October, GMT after
    assert checkout[0].start.isoformat() == "2024-10-26T09:00:00+01:00"
    assert checkout[0].end.isoformat() == "2024-10-28T09:00:00+00:00"
    assert checkout[1].start.utcoffset() == timedelta(hours=1)  # explicit offsets kept
    search = by_schedule["On-call: Search - Secondary"].shifts
    assert [(s.person.name, s.level, s.scope) for s in search] == [("Judy", 2, "service:search")]


def test_missing_columns_and_invalid_json(tmp_path: Path) -> None:
    bad_csv = tmp_path / "oncall.csv"
    bad_csv.write_text("user,email,start\nann,ann@example.org,2024-01-01\n")
    bad_json = tmp_path / "oncalls.json"
    bad_json.write_text('{"oncalls": [{"user": {"id": "PU1", "summary": "Ann"}, "start": ')
    records, problems = read([bad_csv, bad_json, PAGE1])
    assert len(problems) == 2
    assert "schedule" in problems[0].reason and "end" in problems[0].reason
    assert "invalid JSON" in problems[1].reason
    assert len(records) == 2  # the good page still comes out


def test_schedule_scope() -> None:
    assert schedule_scope("Payments API - Primary") == "service:payments-api"
    assert schedule_scope("Search (Secondary) On-Call Rotation") == "service:search"
    assert schedule_scope("Primary On-Call") is None
