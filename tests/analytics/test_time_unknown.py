"""A write-up that gives only a date (or no date) says nothing about the hour: its acts are no one's night.

The markdown adapter records that a document's act has no time of day (``time_unknown`` in its detail);
the map counts such acts as events but in neither the off-hours nor the sleep band. Acts whose time the
document does give (a front-matter datetime, a timeline line) keep their band."""

from __future__ import annotations

from pathlib import Path

from agent.analytics import compute_map
from agent.analytics.metrics import aggregate
from ingest.adapters.base import ReadContext
from ingest.adapters.markdown import MarkdownAdapter
from ingest.pipeline import ingest_paths
from ingest.records import TIME_UNKNOWN, Record


def _write(folder: Path, name: str, front: str, body: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"---\n{front}\n---\n# Postmortem\n\n## Summary\nThe queue stalled.\n{body}", encoding="utf-8"
    )
    return path


ROLES = 'type: postmortem\nservice: billing-queue\nauthor: "Ana Silva <ana@example.com>"\nincident_commander: "Ben Okafor <ben@example.com>"'

TIMELINE = "\n## Timeline\n- 23:10 Ben Okafor paged\n- 23:40 Ben Okafor resolved the incident\n"


def _read(path: Path) -> Record:
    (rec,) = [r for r in MarkdownAdapter().read([path], ReadContext()) if isinstance(r, Record)]
    return rec


def test_a_bare_date_leaves_the_documents_acts_without_a_time_of_day(tmp_path: Path) -> None:
    rec = _read(_write(tmp_path / "postmortems", "stall.md", f"{ROLES}\ndate: 2026-03-04"))
    assert rec.activities
    assert all(a.detail.get(TIME_UNKNOWN) is True for a in rec.activities), [
        (a.action, a.detail) for a in rec.activities
    ]


def test_an_undated_write_up_is_timed_by_its_file_and_says_so(tmp_path: Path) -> None:
    rec = _read(_write(tmp_path / "postmortems", "stall.md", ROLES))
    assert rec.activities and all(a.detail.get(TIME_UNKNOWN) is True for a in rec.activities)


def test_a_date_in_the_file_name_gives_the_day_only(tmp_path: Path) -> None:
    """An unreadable front-matter date does not lend its text to the file name's date."""
    rec = _read(_write(tmp_path / "postmortems", "2026-03-04-stall.md", f"{ROLES}\ndate: sometime in March"))
    assert rec.occurred_at is not None and rec.occurred_at.date().isoformat() == "2026-03-04"
    assert rec.activities and all(a.detail.get(TIME_UNKNOWN) is True for a in rec.activities)


def test_a_datetime_or_a_timeline_gives_the_time_of_day(tmp_path: Path) -> None:
    timed = _read(_write(tmp_path / "a", "stall.md", f'{ROLES}\ndate: "2026-03-04 23:15"'))
    assert timed.activities and not any(TIME_UNKNOWN in a.detail for a in timed.activities)
    lined = _read(_write(tmp_path / "b", "stall.md", f"{ROLES}\ndate: 2026-03-04", TIMELINE))
    # the timeline's first line is the incident's start: the roles are timed by it, the lines by themselves
    assert lined.activities and not any(TIME_UNKNOWN in a.detail for a in lined.activities), [
        (a.action, a.detail) for a in lined.activities
    ]


def test_the_map_counts_no_night_for_a_date_only_write_up(tmp_path: Path, ws) -> None:
    folder = tmp_path / "export" / "postmortems"
    for n in range(3):  # midnight UTC: the sleep band, were the hour known
        _write(folder, f"stall-{n}.md", f"{ROLES}\ndate: 2026-03-0{n + 2}")
    _write(folder, "late.md", f'{ROLES}\ndate: "2026-03-09 23:15"')  # a real late hour
    ingest_paths(ws, [tmp_path / "export"], facts_only=True)

    with ws.session() as s:
        stats = aggregate(s, "UTC")[("service:billing-queue", "")]
    events = stats.events
    sleep = sum(p.sleep_events for p in stats.people.values())
    off = sum(p.off_events for p in stats.people.values())
    late_acts = events // 4  # each write-up gives the same acts
    assert events >= 8 and sleep == late_acts and off == 0, (events, sleep, off)

    scope = next(s for s in compute_map(ws).scopes if s.scope == "service:billing-queue")
    assert scope.events == events and scope.sleep_share == round(late_acts / events, 3)


def test_the_map_reads_the_mark_on_every_act_the_adapter_marks(sample_org: Path, tmp_path: Path) -> None:
    """The map reads ``time_unknown`` only on ``TIME_UNKNOWN_ACTIONS``: the adapter marks no other act."""
    from agent.analytics.metrics import TIME_UNKNOWN_ACTIONS

    folder = tmp_path / "docs"
    for n, front in enumerate(
        (ROLES, f"{ROLES}\ndate: 2026-03-04", "type: runbook\nowner: Ana Silva\nupdated: 2026-03-04")
    ):
        _write(folder / str(n), "doc.md", front, TIMELINE if n == 0 else "")
    paths = sorted(folder.rglob("*.md")) + sorted((sample_org / "postmortems").rglob("*.md"))
    marked = {
        a.action
        for rec in MarkdownAdapter().read(paths, ReadContext())
        if isinstance(rec, Record)
        for a in rec.activities
        if a.detail.get(TIME_UNKNOWN)
    }
    assert marked and marked <= set(TIME_UNKNOWN_ACTIONS), marked
