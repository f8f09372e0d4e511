"""The Slack export adapter: folders and zips, threads, mentions, bots, and hostile zips."""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.analytics.judgement import carries_fix, is_pull_in, judge_message
from ingest import actions
from ingest.adapters import slack as slack_mod
from ingest.adapters._common import channel_scope
from ingest.adapters.base import ReadContext
from ingest.adapters.slack import SlackAdapter
from ingest.records import Problem, Record

EXPORT = Path(__file__).parent.parent / "fixtures" / "slack" / "export"
INC_THREAD = "thread:C01INC:1709280120.000300"


def read(paths: list[Path]) -> tuple[dict[str, Record], list[Problem]]:
    records: dict[str, Record] = {}
    problems: list[Problem] = []
    for item in SlackAdapter().read(paths, ReadContext()):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            assert item.key not in records, f"duplicate record key {item.key}"
            records[item.key] = item
    return records, problems


def zip_export(
    dest: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = (), top: str = "acme-export/"
) -> Path:
    """Zip the fixture export under a top-level folder, plus ``extra`` entries."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(EXPORT.rglob("*.json")):
            zf.write(p, top + p.relative_to(EXPORT).as_posix())
        for info, data in extra:
            zf.writestr(info, data)
    return dest


def judged(record: Record) -> list[tuple[str, str, str]]:
    """(action, person key, the message's author or scope) judged from a thread's stored messages."""
    out: list[tuple[str, str, str]] = []
    for a in record.activities:
        assert a.action == actions.CHAT, "adapters store messages, judgement makes pull-ins and fixes"
        fix, pulled = judge_message(a.detail["text"], a.detail.get("mentions", []), a.detail.get("named", []))
        if fix:
            out.append((actions.FIX_SHARED, a.person.key or "", a.scope))
        out += [(actions.MENTIONED, key, a.person.key or "") for key in pulled]
    return out


def thread_keys(records: dict[str, Record]) -> set[str]:
    return {k for k in records if k.startswith("thread:")}


# ---------------------------------------------------------------------------------------------- folder


def test_users_directory_marks_bots_and_keeps_emails_and_zones() -> None:
    records, problems = read([EXPORT])
    assert problems == []
    people = {p.key: p for p in records["directory:T01ACME"].people}
    assert set(people) == {"U01ALICE", "U02GRANT", "U03BOB", "U04PDBOT", "USLACKBOT"}
    assert people["U02GRANT"].email == "Grant.Slater@example.com"
    assert people["U02GRANT"].name == "Grant Slater"
    assert people["U02GRANT"].handle == "grant"
    assert people["U01ALICE"].timezone == "Europe/Berlin"
    assert people["U04PDBOT"].is_bot and people["USLACKBOT"].is_bot
    assert not people["U03BOB"].is_bot


def test_one_record_per_thread_with_replies_from_later_day_files() -> None:
    records, _ = read([EXPORT])
    thread = records[INC_THREAD]
    assert len(thread.chunks) == 1
    text = thread.chunks[0].text
    # parent, two replies on day one, one reply on day two: all in one chunk, in order
    assert text.index("Alice Smith: payments-api is throwing") < text.index("Bob Jones: db connections")
    assert text.index("Grant Slater: Fixed by restarting") < text.index("thanks @grant!")
    assert "<@U" not in text and "@grant can you take a look?" in text
    assert "&amp;" not in text and "& it recovers" in text
    assert "has joined the channel" not in text  # channel_join is housekeeping
    chats = [a for a in thread.activities if a.action == actions.CHAT]
    assert [a.person.key for a in chats] == ["U01ALICE", "U03BOB", "U02GRANT", "U01ALICE"]
    # the lone message in #general is its own one-message thread
    lone = records["thread:C02GEN:1709294400.000800"]
    assert [a.person.key for a in lone.activities] == ["U03BOB"]


def test_scopes_from_channel_names() -> None:
    records, _ = read([EXPORT])
    assert {a.scope for a in records[INC_THREAD].activities} == {"service:payments-api"}
    assert records["thread:C02GEN:1709294400.000800"].chunks[0].scope == "channel:general"
    assert {a.scope for a in records["thread:C03OPS:1711848600.000100"].activities} == {"service:db"}


def test_mentions_that_ask_for_help_pull_people_in_and_thanks_does_not() -> None:
    records, _ = read([EXPORT])
    thread = records[INC_THREAD]
    mentioned = [j for j in judged(thread) if j[0] == actions.MENTIONED]
    # "can you take a look" counts; "thanks <@U02GRANT>!" does not
    assert mentioned == [(actions.MENTIONED, "U02GRANT", "U01ALICE")]
    asking = next(a for a in thread.activities if "take a look" in a.detail["text"])
    assert asking.detail["mentions"] == [["U02GRANT", "<@U02GRANT>"]]
    assert asking.ts == datetime(2024, 3, 1, 8, 2, 0, 300, tzinfo=UTC)
    paged = [j for j in judged(records["thread:C03OPS:1711848600.000100"]) if j[0] == actions.MENTIONED]
    assert paged == [(actions.MENTIONED, "U02GRANT", "U03BOB")]


def test_fixes_are_credited_to_their_author() -> None:
    records, _ = read([EXPORT])
    fixes = [j for r in records.values() for j in judged(r) if j[0] == actions.FIX_SHARED]
    assert sorted((key, scope) for _, key, scope in fixes) == [
        ("U02GRANT", "service:db"),  # "failover to db-3 done"
        ("U02GRANT", "service:payments-api"),  # restart command in backticks
    ]


def test_bots_are_never_people() -> None:
    records, _ = read([EXPORT])
    persons = [a.person for r in records.values() for a in r.activities]
    assert persons and not any(p.is_bot for p in persons)
    assert not {p.key for p in persons} & {"U04PDBOT", "USLACKBOT"}
    # the PagerDuty bot's lone message is kept as a record but yields no activity and no chunk to embed
    bot_thread = records["thread:C01INC:1709280000.000200"]
    assert bot_thread.activities == [] and bot_thread.chunks == []
    assert records["thread:C02GEN:1709295000.000900"].activities == []


def test_timestamps_are_utc_and_incident_channel_links_its_incident() -> None:
    records, _ = read([EXPORT])
    dst = records["thread:C03OPS:1711848600.000100"]  # 2024-03-31, the night Europe changes clocks
    assert dst.occurred_at == datetime(2024, 3, 31, 1, 30, 0, 100, tzinfo=UTC)
    assert all(a.ts.utcoffset().total_seconds() == 0 for a in dst.activities)
    # the thread names no incident, but its inc- channel's bot message links PagerDuty PABC123
    assert {a.incident for a in records[INC_THREAD].activities} == {"pagerduty:PABC123"}
    assert {a.incident for a in dst.activities} == {None}


def test_unknown_user_falls_back_to_message_profile() -> None:
    records, _ = read([EXPORT])
    ghost = records["thread:C03OPS:1711849500.000300"].activities[0]
    assert ghost.person.key == "U09GHOST" and ghost.person.name == "Casey Ghost"


def test_sniff_claims_export_folders_and_zips_only(tmp_path: Path) -> None:
    adapter = SlackAdapter()
    assert adapter.sniff(EXPORT, None)
    assert not adapter.sniff(EXPORT.parent.parent / "pagerduty", None)
    assert not adapter.sniff(EXPORT / "users.json", None)
    good = zip_export(tmp_path / "export.zip")
    assert adapter.sniff(good, None)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert not adapter.sniff(other, None)
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert adapter.sniff(truncated, None)  # claimed so that read() can report it


def test_malformed_day_file_is_a_problem_and_the_rest_still_comes_out(tmp_path: Path) -> None:
    copy = tmp_path / "export"
    shutil.copytree(EXPORT, copy)
    (copy / "general" / "2024-03-01.json").write_text('[{"type": "message", "text": "cut')
    records, problems = read([copy])
    assert len(problems) == 1
    assert problems[0].path.endswith("general/2024-03-01.json") and "invalid JSON" in problems[0].reason
    assert INC_THREAD in records and not any(k.startswith("thread:C02GEN") for k in records)


def test_symlink_in_folder_export_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "export"
    shutil.copytree(EXPORT, copy)
    secret = tmp_path / "secret.json"
    secret.write_text('[{"type": "message", "user": "U01ALICE", "text": "secret", "ts": "1709280000.1"}]')
    (copy / "general" / "2024-03-09.json").symlink_to(secret)
    records, problems = read([copy])
    assert any("symlink" in p.reason and p.path.endswith("2024-03-09.json") for p in problems)
    assert all("secret" not in c.text for r in records.values() for c in r.chunks)


# ---------------------------------------------------------------------------------------------- zips


def test_valid_zip_reads_like_the_folder(tmp_path: Path) -> None:
    folder_records, _ = read([EXPORT])
    zipped = zip_export(tmp_path / "export.zip")
    zip_records, problems = read([zipped])
    assert problems == []
    assert set(zip_records) == set(folder_records)
    assert zip_records[INC_THREAD].chunks[0].text == folder_records[INC_THREAD].chunks[0].text
    assert zip_records[INC_THREAD].path == str(zipped)


@pytest.mark.parametrize("name", ["../evil.json", "acme-export/../../evil.json", "/etc/evil.json"])
def test_zip_entry_escaping_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    zipped = zip_export(tmp_path / "export.zip", extra=[(zipfile.ZipInfo(name), b"[]")])
    records, problems = read([zipped])
    assert len(problems) == 1
    assert problems[0].path == str(zipped) and problems[0].record == name
    assert "escapes" in problems[0].reason and name in problems[0].reason
    assert INC_THREAD in records  # the rest of the export still comes out


def test_zip_symlink_entry_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("acme-export/general/2024-03-09.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = zip_export(tmp_path / "export.zip", extra=[(link, b"/etc/passwd")])
    records, problems = read([zipped])
    assert [(p.record, "symlink" in p.reason) for p in problems] == [
        ("acme-export/general/2024-03-09.json", True)
    ]
    assert "thread:C02GEN:1709294400.000800" in records


def test_zip_bomb_entry_is_refused(tmp_path: Path) -> None:
    bomb_name = "acme-export/general/2024-03-10.json"
    bomb = b"[" + b" " * (8 * 1024 * 1024) + b"]"  # valid JSON, deflates ~1000x
    zipped = zip_export(tmp_path / "export.zip", extra=[(bomb_name, bomb)])
    records, problems = read([zipped])
    assert len(problems) == 1 and problems[0].record == bomb_name
    assert "ratio" in problems[0].reason and bomb_name in problems[0].reason
    assert INC_THREAD in records


def test_zip_total_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_mod, "MAX_TOTAL_BYTES", 4000)
    zipped = zip_export(tmp_path / "export.zip")
    _, problems = read([zipped])
    limit = [p for p in problems if "larger than 4000 bytes" in p.reason]
    assert len(limit) == 1 and limit[0].path == str(zipped)
    assert limit[0].record is not None and limit[0].record in limit[0].reason


def test_truncated_zip_is_a_problem_and_other_exports_still_come_out(tmp_path: Path) -> None:
    good = zip_export(tmp_path / "export.zip")
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    records, problems = read([truncated, EXPORT])
    assert len(problems) == 1
    assert problems[0].path == str(truncated) and "corrupt or truncated zip" in problems[0].reason
    assert INC_THREAD in records


def test_corrupt_entry_data_is_a_problem_naming_the_entry(tmp_path: Path) -> None:
    zipped = zip_export(tmp_path / "export.zip", top="")
    data = bytearray(zipped.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("general/2024-03-01.json")
    # flip bytes inside the entry's compressed data (after its local header)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start, start + min(8, info.compress_size)):
        data[i] ^= 0xFF
    zipped.write_bytes(bytes(data))
    records, problems = read([zipped])
    assert len(problems) == 1 and problems[0].record == "general/2024-03-01.json"
    assert INC_THREAD in records


def test_plain_name_pull_in_and_pasted_errors_are_not_fixes() -> None:
    records, _ = read([EXPORT])
    thread = records["thread:C03OPS:1711850400.000400"]
    assert [(a.action, a.person.key) for a in thread.activities] == [
        (actions.CHAT, "U01ALICE"),
        (actions.CHAT, "U03BOB"),
    ]
    assert thread.activities[0].detail["named"] == [["U02GRANT", "Grant"]]
    # "paging Grant" pulls him in with no <@…>; "Grant's pool change" names him without pulling him in
    assert judged(thread) == [(actions.MENTIONED, "U02GRANT", "U01ALICE")]


# ---------------------------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("channel", "scope"),
    [
        ("inc-payments-api-2024-03-01", "service:payments-api"),
        ("payments-api-oncall", "service:payments-api"),
        ("incident-checkout", "service:checkout"),
        ("ops-db", "service:db"),
        ("team-search-alerts", "service:search"),
        ("inc-20240301-ledger-worker", "service:ledger-worker"),
        ("cart-service-on-call", "service:cart-service"),
        ("general", "channel:general"),
        ("random", "channel:random"),
        ("incidents", "channel:incidents"),
        ("inc-1234", "channel:inc-1234"),
        ("notifications-ops", "service:notifications"),  # a service whose name is also an affix
        ("alerts-notifications", "service:notifications"),
        ("ops", "channel:ops"),
        ("tools", "channel:tools"),  # a community's topic channels are not services
        ("team-d3", "channel:team-d3"),  # a team's channel is not a service
        ("get_feedback", "channel:get-feedback"),
        ("payments-api", "channel:payments-api"),  # a bare name is no incident-channel naming
    ],
)
def test_channel_scope(channel: str, scope: str) -> None:
    assert channel_scope(channel) == scope


@pytest.mark.parametrize(
    ("text", "who", "pulled"),
    [
        ("<@U2> can you take a look?", "<@U2>", True),
        ("paging <@U2>", "<@U2>", True),
        ("we need <@U2> on this", "<@U2>", True),
        ("<@U2> fixed this last time", "<@U2>", True),
        ("cc <@U2>", "<@U2>", True),
        ("<@U2> help", "<@U2>", True),
        ("thanks <@U2>!", "<@U2>", False),
        ("<@U2> deployed it yesterday", "<@U2>", False),
        ("great work <@U1> and <@U2>", "<@U2>", False),
    ],
)
def test_is_pull_in(text: str, who: str, pulled: bool) -> None:
    assert is_pull_in(text, who) is pulled


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("`kubectl -n payments rollout restart deploy/api`", True),
        ("run `SELECT pg_terminate_backend(pid) FROM pg_stat_activity`", True),
        ("```\n$ ./scripts/flush-cache.sh --all\n```", True),
        ("the fix is to raise the pool size", True),
        ("failover to db-3 done", True),
        ("seeing `CUDA out of memory` on ranker-7f9", False),
        ("`i/o timeout` resolving kubernetes.default", False),
        ("should we restart?", False),
        ("we run payments on three nodes", False),
    ],
)
def test_carries_fix(text: str, fix: bool) -> None:
    assert carries_fix(text) is fix


def test_name_index_finds_every_known_name_in_one_pass() -> None:
    from ingest.adapters._common import NameIndex

    index = NameIndex({"grant slater": "U1", "grant": "U1", "maya": "U2", "kim": "U3", "al": "U4"})
    text = "paging Grant Slater and maya; @kim is a handle, kimchi is food, al is too short"
    assert index.find(text) == [("U1", 7, 19), ("U2", 24, 28)]
    assert text[7:19] == "Grant Slater"


def test_message_text_kept_as_evidence_is_redacted_before_it_is_cut(tmp_path: Path) -> None:
    """The text stored for judgement never carries a secret, even one the length limit would cut."""
    import json

    from ingest.adapters._common import JUDGEMENT_CHARS

    export = tmp_path / "export"
    shutil.copytree(EXPORT, export)
    key = "AKIA" + "QWERTYUIOPASDFGH"
    day = export / "inc-payments-api-2024-03-01" / "2024-03-01.json"
    msgs = json.loads(day.read_text())
    msgs[2]["text"] = "x" * (JUDGEMENT_CHARS - 10) + f" use {key} to log in"
    day.write_text(json.dumps(msgs))
    records, _ = read([export])
    texts = [a.detail.get("text", "") for r in records.values() for a in r.activities]
    assert any(t.startswith("x" * 100) for t in texts)
    assert not any("AKIA" in t or "QWERTYUIOP" in t for t in texts)
