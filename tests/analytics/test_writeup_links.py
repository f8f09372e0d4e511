"""Postmortems tied to the incident they write up: ids in the file name, text or front matter, and
the write-up's own times when it has no date (real shapes: ``pm-<id>.md``, a bracketed title)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.analytics import find_rescues
from agent.analytics.linking import postmortem_links
from ingest.db import Activity
from ingest.pipeline import ingest_paths

from . import realshape
from .realshape import T0

UNDATED = """# [auth-gateway] TLS handshake errors

## Summary

Handshakes failed for 30 minutes.

## Timeline

* [{paged}] PagerDuty paged @ada for auth-gateway
* [{ack}] @ada acknowledged and started investigating
* [{fix}] @kim ran `kubectl -n auth rollout restart deploy/auth-gateway`
* [{end}] @kim resolved the incident
"""

FRONT_MATTER = """---
service: auth-gateway
date: {day}
jira: OPS-77
---
# Postmortem: gateway signing key rotation

## Timeline

- 10:00 UTC — @kim rotated the key
"""


def _stamp(t) -> str:
    return f"{t:%H:%M}"


def _write(root: Path) -> Path:
    realshape.write(root)
    first = T0 + timedelta(hours=6)  # the first incident, PESC000, paged at 15:00
    pm = root / "postmortems"
    pm.mkdir()
    (pm / "pm-pesc000.md").write_text(
        UNDATED.format(
            paged=_stamp(first),
            ack=_stamp(first + timedelta(minutes=2)),
            fix=_stamp(first + timedelta(minutes=35)),
            end=_stamp(first + timedelta(minutes=40)),
        )
    )
    (pm / "pm-no-such-id9.md").write_text(
        UNDATED.format(paged="01:00", ack="01:02", fix="01:30", end="01:40")
    )
    (pm / "key-rotation.md").write_text(FRONT_MATTER.format(day=first.date().isoformat()))
    return root


@pytest.fixture
def pm_ws(plain_ws, tmp_path: Path):
    ingest_paths(plain_ws, [_write(tmp_path / "export")], facts_only=True)
    return plain_ws


def test_ingest_stores_the_ids_and_dating_a_write_up_names(pm_ws) -> None:
    with pm_ws.session() as s:
        details = {
            (d or {}).get("doc", "").rsplit("/", 1)[-1]: d
            for (d,) in s.execute(select(Activity.detail).where(Activity.source == "markdown"))
        }
    assert details["pm-pesc000.md"]["name_ids"] == ["pesc000"]
    assert details["pm-pesc000.md"]["dated"] is False
    assert details["key-rotation.md"]["dated"] is True
    assert "jira:OPS-77" in details["key-rotation.md"]["refs"]


def test_a_write_up_links_to_the_page_its_file_name_names_and_takes_its_time(pm_ws) -> None:
    with pm_ws.session() as s:
        links = postmortem_links(s)
    lk = links["postmortem:pm-pesc000"]
    assert (lk.incident, lk.rule, lk.dated) == ("pagerduty:PESC000", "file-name-id", False)
    assert lk.shift.total_seconds() % 86400 == 0  # the ingest day moved onto the page's day, same clock
    assert "postmortem:pm-no-such-id9" not in links  # an id-like token that names no stored incident


def test_a_write_up_front_matter_naming_a_jira_key_links_to_that_ticket(plain_ws, tmp_path: Path) -> None:
    root = _write(tmp_path / "export")
    (root / "jira").mkdir()
    (root / "jira" / "search.json").write_text(
        '{"startAt": 0, "maxResults": 50, "total": 1, "issues": [{"key": "OPS-77", "fields": {'
        '"summary": "Rotate the gateway signing key", "created": "2026-01-05T16:00:00.000+0000",'
        '"issuetype": {"name": "Incident"}, "status": {"name": "Done"}, "labels": ["incident"],'
        '"components": [{"name": "auth-gateway"}], "reporter": {"displayName": "Kim Tanaka",'
        '"emailAddress": "kim@corp.example"}}}]}'
    )
    ingest_paths(plain_ws, [root], facts_only=True)
    with plain_ws.session() as s:
        links = postmortem_links(s)
    lk = next(lk for key, lk in links.items() if key.startswith("postmortem:key-rotation"))
    assert (lk.incident, lk.rule) == ("jira:OPS-77", "explicit-id")


def test_an_undated_write_up_adds_no_rescue_of_its_own(pm_ws) -> None:
    with pm_ws.session() as s:
        rescued = {r.incident for r in find_rescues(s)}
    assert "postmortem:pm-pesc000" not in rescued
    assert "pagerduty:PESC000" in rescued  # the page's own log still shows Kim's rescue


def test_a_by_name_pull_in_in_a_linked_thread_then_a_pagerduty_resolve_is_a_rescue(
    plain_ws, tmp_path: Path
) -> None:
    root = realshape.write(tmp_path / "export", escalations=0, reassigns=0, advice=0, timeouts=0, pulled=2)
    ingest_paths(plain_ws, [root], facts_only=True)
    with plain_ws.session() as s:
        found = {r.incident: r for r in find_rescues(s)}
    assert set(found) == {"pagerduty:PPRS000", "pagerduty:PPRS001"}
    r = found["pagerduty:PPRS000"]
    assert "pulled-in" in r.kind.split("+")
    assert (r.person, r.pulled_by) == ("kim-tanaka", "ada-byron")
    assert any("alert" in lk for lk in r.links)  # the thread -> page link is shown as evidence


def test_the_level_two_on_call_pulled_in_by_name_who_resolves_in_pagerduty_is_a_rescue(
    plain_ws, tmp_path: Path
) -> None:
    root = realshape.write(
        tmp_path / "export",
        escalations=0,
        reassigns=0,
        advice=0,
        timeouts=0,
        everyday=True,
        pulled=1,
        pulled_to="lou",
    )
    ingest_paths(plain_ws, [root], facts_only=True)
    with plain_ws.session() as s:
        found = {r.incident: r for r in find_rescues(s)}
    r = found["pagerduty:PPRS000"]
    assert (r.person, r.pulled_by) == ("lou-reyes", "ada-byron")
    assert "pagerduty:PLV2000" not in found  # level 2 picking up a page nobody pulled her into


def test_patterns_json_lists_each_write_up_link_with_its_rule(pm_ws) -> None:
    import json

    from typer.testing import CliRunner

    from agent.cli import app

    res = CliRunner().invoke(app, ["--home", str(pm_ws.home), "patterns", "--json"])
    assert res.exit_code == 0, res.output
    written = [lk for lk in json.loads(res.stdout)["links"] if lk["item"].startswith("postmortem:")]
    by_item = {lk["item"]: lk for lk in written}
    lk = by_item["postmortem:pm-pesc000"]
    assert (lk["source"], lk["incident"], lk["rule"]) == ("markdown", "pagerduty:PESC000", "file-name-id")
    assert lk["scope"] == "service:auth-gateway" and "pesc000" in lk["why"].lower()
    assert "postmortem:pm-no-such-id9" not in by_item  # names no stored incident: not linked, not listed
    text = CliRunner().invoke(app, ["--home", str(pm_ws.home), "patterns"])
    assert text.exit_code == 0 and "file-name-id" in text.output
