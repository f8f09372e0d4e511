"""The ingest pipeline end to end: idempotence, replacement, identity, redaction, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from ingest.db import Activity, Chunk, Person, Quarantine
from ingest.pipeline import ingest_paths
from tests.ingest.minorg import write_org, write_slack


def counts(ws) -> dict[str, int]:
    with ws.session() as s:
        return {
            "people": s.scalar(select(func.count()).select_from(Person).where(Person.merged_into.is_(None))),
            "activities": s.scalar(select(func.count()).select_from(Activity)),
            "chunks": s.scalar(select(func.count()).select_from(Chunk)),
            "vectors": ws.index.count(),
        }


def test_ingest_twice_adds_nothing_and_embeds_nothing(ws, tmp_path, counting_embedder):
    org = write_org(tmp_path / "org")
    first = ingest_paths(ws, [org])
    assert first.records > 0 and first.chunks > 0 and first.activities > 0
    assert not first.quarantined, first.quarantined
    before = counts(ws)
    assert before["chunks"] == before["vectors"] == first.chunks
    calls = counting_embedder.calls
    second = ingest_paths(ws, [org])
    assert (second.records, second.chunks, second.activities, second.people) == (0, 0, 0, 0)
    assert second.skipped >= 4
    assert counting_embedder.calls == calls, "unchanged input must not be embedded again"
    assert counts(ws) == before


def test_changed_record_replaces_old_version(ws, tmp_path):
    root = tmp_path / "org"
    exp = write_slack(root)
    ingest_paths(ws, [exp])
    before = counts(ws)
    # edit one message of the thread: the thread's chunk is replaced, not duplicated
    day = exp / "inc-payments-api" / "2026-01-01.json"
    msgs = json.loads(day.read_text())
    msgs[1]["text"] = msgs[1]["text"].replace("pgbouncer", "the replica lag dashboard")
    day.write_text(json.dumps(msgs))
    again = ingest_paths(ws, [exp])
    assert again.records >= 1
    after = counts(ws)
    assert after == before
    with ws.session() as s:
        texts = [t for (t,) in s.execute(select(Chunk.text)).all()]
    assert any("replica lag dashboard" in t for t in texts)
    assert not any("pgbouncer" in t for t in texts)
    hits = ws.index.query("replica lag dashboard", n=10)
    assert all("pgbouncer" not in h.text for h in hits)


def test_identities_merge_across_sources_and_bots_are_not_people(ws, tmp_path):
    org = write_org(tmp_path / "org")
    ingest_paths(ws, [org])
    with ws.session() as s:
        people = s.execute(select(Person).where(Person.merged_into.is_(None))).scalars().all()
        names = sorted(p.name for p in people)
        bot_acts = s.scalar(
            select(func.count()).select_from(Activity).where(Activity.person_id.like("%bot%"))
        )
    # Grant: Slack (Grant.Slater@Example.org), PagerDuty (grant.slater@example.org), deploys CSV email
    assert names.count("Grant Slater") == 1
    assert names.count("Maya Ortiz") == 1
    assert not any("bot" in n.lower() or n == "PagerDuty" for n in names)
    assert bot_acts == 0


def test_secrets_are_redacted_before_storage_and_embedding(ws, tmp_path):
    org = write_org(tmp_path / "org")
    summary = ingest_paths(ws, [org])
    assert summary.redacted >= 1
    with ws.session() as s:
        texts = " ".join(t for (t,) in s.execute(select(Chunk.text)).all())
    assert "xoxb-1234567890" not in texts
    stored = ws.index.collection.get(include=["documents"])["documents"]
    assert not any("xoxb-1234567890" in d for d in stored)


def test_time_zones_are_kept(ws, tmp_path):
    org = write_org(tmp_path / "org")
    ingest_paths(ws, [org])
    with ws.session() as s:
        offsets = {
            o for (o,) in s.execute(select(Activity.tz_offset).where(Activity.source == "pagerduty")).all()
        }
    assert 60 in offsets  # +01:00 in the PagerDuty export


def bad_corpus(root: Path) -> dict[str, str]:
    """Bad files, each with a word its quarantine reason must contain."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "broken.json").write_text('{"incidents": [{"id": "P1", "title": ')
    (root / "latin1.md").write_bytes(b"# Runbook\n\ncaf\xe9 \xff\xfe broken bytes\n")
    good = zipfile.ZipFile(root / "truncated.zip", "w")
    good.writestr("users.json", "[]")
    good.writestr("channels.json", "[]")
    good.close()
    data = (root / "truncated.zip").read_bytes()
    (root / "truncated.zip").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(root / "escape.zip", "w") as z:
        z.writestr("users.json", json.dumps([]))
        z.writestr("channels.json", json.dumps([]))
        z.writestr("../../etc/evil.json", "[]")
    (root / "mystery.csv").write_text("alpha,beta\n1,2\n")
    return {
        "broken.json": "",
        "latin1.md": "",
        "truncated.zip": "",
        "escape.zip": "",
        "mystery.csv": "unknown format",
    }


def test_bad_input_is_quarantined_and_the_rest_goes_on(ws, tmp_path):
    org = write_org(tmp_path / "org")
    ingest_paths(ws, [org])
    before = counts(ws)
    bad = tmp_path / "bad"
    expected = bad_corpus(bad)
    summary = ingest_paths(ws, [bad, org])
    names = {Path(q.path).name for q in summary.quarantined}
    for name, word in expected.items():
        assert name in names, f"{name} was not quarantined: {summary.quarantined}"
        reason = next(q.reason for q in summary.quarantined if Path(q.path).name == name)
        assert word in reason
        assert reason and "\n" not in reason
    assert counts(ws) == before, "nothing already stored may be lost"
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Quarantine)) >= len(expected)


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_json_summary_and_exit_code(tmp_path):
    org = write_org(tmp_path / "org")
    bad = tmp_path / "org" / "zz-bad.json"
    bad.write_text("{not json")
    res = run_cli(tmp_path / "home", "ingest", str(org), "--json")
    assert res.returncode == 1, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {
        "files",
        "records",
        "people",
        "activities",
        "chunks",
        "skipped",
        "redacted",
        "quarantined",
    }
    assert [Path(q["path"]).name for q in out["quarantined"]] == ["zz-bad.json"]
    assert out["chunks"] > 0
    assert "zz-bad.json" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_help_does_not_import_torch():
    code = (
        "import sys; from typer.testing import CliRunner; from agent.cli import app; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb', 'anthropic', 'langgraph') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


def test_usage_errors_exit_2_with_a_clear_line(tmp_path):
    res = run_cli(tmp_path / "home", "ingest", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert "no such file" in res.stderr
    res = run_cli(tmp_path / "home", "ingest", str(tmp_path), "--source", "fax")
    assert res.returncode == 2 and "--source" in res.stderr


def test_postmortem_naming_a_paged_incident_does_not_count_it_twice(ws, tmp_path):
    from ingest.db import Incident

    org = tmp_path / "org"
    from tests.ingest.minorg import write_pagerduty

    write_pagerduty(org)
    pm = org / "postmortems"
    pm.mkdir()
    (pm / "2026-01-01-pool.md").write_text(
        "---\ntitle: Payments pool exhausted\ndate: '2026-01-01'\nincident: PINC001\nservice: payments-api\n"
        "severity: P1\n---\n# Payments pool exhausted\n\n## Timeline\n- 02:30 Grant Slater restarted the pool\n"
        "- 03:00 Grant Slater resolved the incident\n"
    )
    ingest_paths(ws, [org])
    with ws.session() as s:
        keys = sorted(k for (k,) in s.execute(select(Incident.key)).all())
        pm_incidents = {
            i for (i,) in s.execute(select(Activity.incident).where(Activity.source == "markdown")).all()
        }
    assert keys == [f"pagerduty:PINC00{n}" for n in range(1, 5)]
    assert pm_incidents == {"pagerduty:PINC001"}


def test_a_name_in_a_postmortem_is_the_known_person_but_accounts_only_suggest(ws, tmp_path):
    from ingest.db import MergeSuggestion

    org = write_org(tmp_path / "org")
    pm = org / "postmortems"
    pm.mkdir()
    (pm / "2026-01-02-pool.md").write_text(
        "---\ntitle: Payments pool exhausted\ndate: '2026-01-02'\nservice: payments-api\n---\n"
        "# Payments pool exhausted\n\n## Timeline\n- 02:30 Maya Ortiz restarted the pool\n"
    )
    repo = org / "ops-repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "payments-api").mkdir()
    (repo / "payments-api" / "values.yaml").write_text("replicas: 3\n")
    run("add", ".")
    run(
        "-c", "user.name=Grant Slater", "-c", "user.email=grant@personal.example", "commit", "-qm", "scale up"
    )
    ingest_paths(ws, [org])
    with ws.session() as s:

        def ids(name):
            return {
                p
                for (p,) in s.execute(
                    select(Person.id).where(Person.name == name, Person.merged_into.is_(None))
                ).all()
            }

        mayas, grants = ids("Maya Ortiz"), ids("Grant Slater")
        pm_people = {
            p for (p,) in s.execute(select(Activity.person_id).where(Activity.source == "markdown")).all()
        }
        git_people = {
            p for (p,) in s.execute(select(Activity.person_id).where(Activity.source == "git")).all()
        }
        suggestions = [
            set(pair) for pair in s.execute(select(MergeSuggestion.person_a, MergeSuggestion.person_b)).all()
        ]
    # the postmortem's mention of Maya is the Maya that chat and paging know
    assert len(mayas) == 1 and mayas <= pm_people
    # a git account named Grant Slater with another email stays apart and is only suggested
    assert len(grants) == 2 and len(git_people) == 1
    assert grants in suggestions


def test_each_distinct_text_is_redacted_once_per_run(ws, tmp_path, monkeypatch):
    """An adapter redacts a message for its judgement text and the pipeline redacts what it stores:
    the same text is scanned for secrets once, and secrets are still replaced and counted."""
    from collections import Counter

    from ingest import redact as redact_mod

    scanned: Counter[str] = Counter()
    real = redact_mod.Redactor.redact

    def counting(self: redact_mod.Redactor, text: str) -> tuple[str, int]:
        scanned[text] += 1
        return real(self, text)

    monkeypatch.setattr(redact_mod.Redactor, "redact", counting)
    fresh = f" run {tmp_path.name}"  # a text no earlier test redacted (redactions are remembered)
    slack = write_slack(tmp_path / "org", extra_text=fresh + " token=xoxb-1234567890-abcdefghij")
    summary = ingest_paths(ws, [slack], facts_only=True)
    assert any(fresh in t for t in scanned)
    assert max(scanned.values()) == 1, scanned.most_common(3)
    assert summary.redacted >= 1
    with ws.session() as s:
        stored = json.dumps([d for (d,) in s.execute(select(Activity.detail))])
        texts = " ".join(t for (t,) in s.execute(select(Chunk.text)))
    assert "xoxb-1234567890" not in stored + texts
    assert "[REDACTED:" in stored and "[REDACTED:" in texts
