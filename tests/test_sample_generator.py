"""The sample organisation: deterministic, in real formats, and true to its ground truth."""

from __future__ import annotations

import csv
import json
import subprocess
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from ingest.sample import VARIANTS, GroundTruth, generate
from ingest.sample.generator import is_offhours

BALANCED_MAX_SHARE = 0.4
"""No one may hold more than this share of a balanced scope (the brief's ~40%)."""


HERO_MIN_SHARE = 0.5
"""A planted hero holds at least this share of their scope's defining activity."""


# ---------------------------------------------------------------- reading the raw data back


class Raw:
    """The generated files read back without using the generator's internals."""

    def __init__(self, out: Path, truth: GroundTruth) -> None:
        self.out, self.truth = out, truth
        self.incidents: list[dict[str, Any]] = []
        for page in sorted(
            (out / "pagerduty").glob("incidents-*.json"), key=lambda p: int(p.stem.split("-")[1])
        ):
            self.incidents += json.loads(page.read_text())["incidents"]
        self.logs: dict[str, list[dict[str, Any]]] = {}
        for page in (out / "pagerduty").glob("log_entries-*.json"):
            for e in json.loads(page.read_text())["log_entries"]:
                self.logs.setdefault(e["incident"]["id"], []).append(e)
        self.by_pd = {p.pd_id: p.id for p in truth.people}
        self.by_slack = {p.slack_id: p.id for p in truth.people}
        self.by_email = {e.lower(): p.id for p in truth.people for e in p.emails}
        self.shifts: list[tuple[str, datetime, datetime, str]] = []  # schedule, start, end, person id
        for s in json.loads((out / "pagerduty" / "oncalls.json").read_text())["oncalls"]:
            self.shifts.append(
                (
                    s["schedule"]["summary"],
                    datetime.fromisoformat(s["start"]),
                    datetime.fromisoformat(s["end"]),
                    self.by_pd[s["user"]["id"]],
                )
            )
        with (out / "oncall" / "schedule.csv").open() as fh:
            for row in csv.DictReader(fh):
                self.shifts.append(
                    (
                        row["schedule"],
                        datetime.fromisoformat(row["start"]),
                        datetime.fromisoformat(row["end"]),
                        self.by_email[row["email"].lower()],
                    )
                )

    def service(self, inc: dict[str, Any]) -> str:
        return inc["service"]["summary"]

    def resolver(self, inc: dict[str, Any]) -> str | None:
        for e in self.logs[inc["id"]]:
            if e["type"] == "resolve_log_entry" and e["agent"]["type"] == "user_reference":
                return self.by_pd[e["agent"]["id"]]
        return None

    def on_call(self, at: datetime) -> set[str]:
        return {p for _, s, e, p in self.shifts if s <= at < e}

    def resolve_shares(self, service: str, since: date | None = None, until: date | None = None) -> Counter:
        shares: Counter = Counter()
        for inc in self.incidents:
            created = datetime.fromisoformat(inc["created_at"])
            if self.service(inc) != service:
                continue
            if since and created.date() < since or until and created.date() >= until:
                continue
            who = self.resolver(inc)
            if who:
                shares[who] += 1
        return shares

    def deploy_shares(self, service: str, action: str) -> Counter:
        shares: Counter = Counter()
        with (self.out / "deploys" / "deploys.csv").open() as fh:
            for row in csv.DictReader(fh):
                if (
                    row["service"] == service
                    and row["action"] == action
                    and row["actor"].lower() in self.by_email
                ):
                    shares[self.by_email[row["actor"].lower()]] += 1
        return shares

    def threads(self, channel: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for day in sorted((self.out / "slack" / channel).glob("*.json")):
            for m in json.loads(day.read_text()):
                if "thread_ts" in m:
                    out.setdefault(m["thread_ts"], []).append(m)
        return out


def top_share(counter: Counter) -> float:
    total = sum(counter.values())
    return max(counter.values()) / total if total else 0.0


def tree_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def git_history(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%an|%ae|%at|%cn|%s", "--name-status"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def default_org(tmp_path_factory: pytest.TempPathFactory) -> Raw:
    out = tmp_path_factory.mktemp("default")
    return Raw(out, generate(out))


# ---------------------------------------------------------------- determinism and formats


def test_same_seed_writes_identical_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=11)
    b = generate(tmp_path / "b", seed=11)
    assert a == b
    files_a, files_b = tree_files(tmp_path / "a"), tree_files(tmp_path / "b")
    assert files_a.keys() == files_b.keys()
    assert [k for k in files_a if files_a[k] != files_b[k]] == []
    assert git_history(tmp_path / "a" / "repos" / "ops-config") == git_history(
        tmp_path / "b" / "repos" / "ops-config"
    )


def test_different_seeds_differ(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=1, months=2)
    b = generate(tmp_path / "b", seed=2, months=2)
    assert {h.person for h in a.heroes} != {h.person for h in b.heroes} or a.rescues != b.rescues
    assert (tmp_path / "a" / "deploys" / "deploys.csv").read_bytes() != (
        tmp_path / "b" / "deploys" / "deploys.csv"
    ).read_bytes()


def test_regenerating_into_the_same_folder_replaces_it(tmp_path: Path) -> None:
    first = generate(tmp_path, seed=3, months=1)
    second = generate(tmp_path, seed=3, months=1)
    assert first == second
    assert (
        int(
            subprocess.run(
                ["git", "-C", str(tmp_path / "repos" / "ops-config"), "rev-list", "--count", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        == first.counts["commits"]
    )


def test_every_json_file_parses_with_real_field_names(default_org: Raw) -> None:
    out = default_org.out
    for path in out.rglob("*.json"):
        json.loads(path.read_text())  # raises on a broken file
    users = json.loads((out / "slack" / "users.json").read_text())
    assert all({"id", "name", "is_bot", "profile"} <= u.keys() for u in users)
    humans = [u for u in users if not u["is_bot"]]
    assert all({"real_name", "email"} <= u["profile"].keys() and u["tz"] for u in humans)
    assert any(u["is_bot"] and u["profile"]["bot_id"] for u in users)
    channels = json.loads((out / "slack" / "channels.json").read_text())
    names = {c["name"] for c in channels}
    assert {"general", "inc-payments-api", "search-indexer-ops"} <= names
    assert all((out / "slack" / n).is_dir() for n in names)
    day_files = list((out / "slack").glob("*/20*.json"))
    assert day_files and all(len(p.stem) == 10 for p in day_files)
    msgs = [m for p in day_files for m in json.loads(p.read_text())]
    assert all(m["type"] == "message" and "ts" in m for m in msgs)
    assert any(m.get("subtype") == "bot_message" and m.get("bot_id") for m in msgs)
    parents = [m for m in msgs if m.get("reply_count")]
    assert parents and all(len(m["replies"]) == m["reply_count"] for m in parents)
    assert any(m.get("reactions") for m in msgs)

    inc_pages = sorted((out / "pagerduty").glob("incidents-*.json"))
    assert len(inc_pages) >= 2
    pages = [json.loads(p.read_text()) for p in sorted(inc_pages, key=lambda p: int(p.stem.split("-")[1]))]
    assert [p["more"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert [p["offset"] for p in pages] == [i * pages[0]["limit"] for i in range(len(pages))]
    fields = {
        "id",
        "incident_number",
        "title",
        "status",
        "urgency",
        "priority",
        "service",
        "assignments",
        "acknowledgements",
        "escalation_policy",
        "teams",
        "created_at",
        "last_status_change_at",
        "last_status_change_by",
        "resolved_at",
    }
    for inc in default_org.incidents:
        assert fields <= inc.keys()
        assert inc["priority"]["summary"] in {"P1", "P2", "P3", "P4"}
        assert all(a["assignee"]["type"] == "user_reference" for a in inc["assignments"])
    types = Counter(e["type"] for es in default_org.logs.values() for e in es)
    for kind in ("trigger", "notify", "acknowledge", "assign", "escalate", "annotate", "resolve"):
        assert types[f"{kind}_log_entry"] > 0, kind
    service_agents = [
        e
        for es in default_org.logs.values()
        for e in es
        if e["agent"] and e["agent"]["type"] == "service_reference"
    ]
    assert any(e["type"] == "resolve_log_entry" for e in service_agents)
    pd_users = json.loads((out / "pagerduty" / "users.json").read_text())["users"]
    assert all({"id", "name", "email", "time_zone"} <= u.keys() for u in pd_users)
    oncalls = json.loads((out / "pagerduty" / "oncalls.json").read_text())["oncalls"]
    assert all(
        {"user", "schedule", "escalation_policy", "escalation_level", "start", "end"} <= o.keys()
        for o in oncalls
    )
    with (out / "deploys" / "deploys.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["timestamp", "service", "actor", "action", "outcome"]
    assert {r["action"] for r in rows} == {"deploy", "rollback", "hotfix", "failover", "migration"}
    assert "github-actions[bot]" in {r["actor"] for r in rows}


def test_timestamps_carry_dst_correct_offsets(default_org: Raw) -> None:
    zones = {s.name: s.timezone for s in default_org.truth.services}
    seen: set[tuple[str, str]] = set()
    for entries in default_org.logs.values():
        for e in entries:
            stamp = datetime.fromisoformat(e["created_at"])
            assert stamp.tzinfo is not None
            zone = zones[e["service"]["summary"]]
            assert stamp.utcoffset() == stamp.astimezone(ZoneInfo(zone)).utcoffset(), e["created_at"]
            seen.add((zone, e["created_at"][-6:]))
    assert {
        ("Europe/Berlin", "+01:00"),
        ("Europe/Berlin", "+02:00"),
        ("America/New_York", "-05:00"),
        ("America/New_York", "-04:00"),
    } <= seen


def test_documents_and_repository(default_org: Raw) -> None:
    out, truth = default_org.out, default_org.truth
    posts = sorted((out / "postmortems").glob("*.md"))
    assert posts
    with_front = [p for p in posts if p.read_text().startswith("---\n")]
    assert 0 < len(with_front) < len(posts)
    for p in with_front:
        front = yaml.safe_load(p.read_text().split("---\n")[1])
        assert {
            "title",
            "date",
            "service",
            "severity",
            "incident_commander",
            "responders",
            "timezone",
        } <= front.keys()
    for p in posts:
        text = p.read_text()
        for section in ("## Summary", "## Timeline", "## Root cause", "## Resolution", "## Action items"):
            assert section in text, (p.name, section)
    runbooks = {p.stem for p in (out / "runbooks").glob("*.md")}
    assert runbooks == {s.name for s in truth.services if s.has_runbook}
    assert {s.name for s in truth.services if not s.has_runbook}
    repo = out / "repos" / "ops-config"
    assert (repo / "payments-api" / "values.yaml").is_file() and (repo / "postgres").is_dir()
    history = git_history(repo)
    assert "dependabot[bot]" in history
    mailmap = (repo / ".mailmap").read_text()
    mapped = next(a for a in truth.aliases if a.via == "mailmap")
    assert all(e in mailmap for e in mapped.aliases)
    assert all(e in history for e in mapped.aliases)


# ---------------------------------------------------------------- ground truth against the data


def test_ground_truth_file_round_trips(default_org: Raw) -> None:
    saved = GroundTruth.model_validate_json((default_org.out / "ground_truth.json").read_text())
    assert saved == default_org.truth
    assert len(saved.balanced_scopes) >= 8
    assert {h.kind for h in saved.heroes} == {"rescuer", "offhours-db", "deploy-gatekeeper", "chat-only"}
    ids = {p.id for p in saved.people}
    assert all(h.person in ids for h in saved.heroes) and len(ids) == len(saved.people)
    for scope in saved.balanced_scopes + [s for h in saved.heroes for s in h.scopes]:
        kind, _, rest = scope.partition(":")
        assert kind in {"service", "task"} and rest == rest.lower() and " " not in rest


def test_every_incident_has_a_class_and_classes_recur(default_org: Raw) -> None:
    truth = default_org.truth
    ids = {i["id"] for i in default_org.incidents}
    assert ids == set(truth.incident_classes)
    per_class = Counter(truth.incident_classes.values())
    assert sum(1 for n in per_class.values() if n >= 3) >= 10
    for label in per_class:
        assert truth.reference_fixes[f"class:{label}"]
    assert truth.reference_fixes["service:payments-api"]


def test_rescues_are_resolved_by_someone_not_assigned_nor_on_call(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    assert len(truth.rescues) >= 10
    incidents = {i["id"]: i for i in raw.incidents}
    for r in truth.rescues:
        inc = incidents[r.incident]
        assert raw.service(inc) == r.service
        assert raw.resolver(inc) == r.person
        assert r.person not in {raw.by_pd[a["assignee"]["id"]] for a in inc["assignments"]}
        assert r.person not in raw.on_call(datetime.fromisoformat(inc["created_at"]))
    rescued = {r.incident for r in truth.rescues}
    for inc in raw.incidents:  # nothing else is a rescue by the same definition
        who = raw.resolver(inc)
        if who and inc["id"] not in rescued:
            assigned = {raw.by_pd[a["assignee"]["id"]] for a in inc["assignments"]}
            assert who in assigned, inc["id"]


def test_rescuer_is_pulled_in_by_name_and_also_rotates(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    hero = next(h for h in truth.heroes if h.kind == "rescuer")
    person = truth.person(hero.person)
    assert top_share(raw.resolve_shares("payments-api")) >= HERO_MIN_SHARE
    assert raw.resolve_shares("payments-api").most_common(1)[0][0] == person.id
    assert person.id in {p for _, _, _, p in raw.shifts}
    texts = [m["text"] for t in raw.threads("inc-payments-api").values() for m in t]
    assert any(f"<@{person.slack_id}> can you take a look" in t for t in texts)
    assert any(f"paging {person.name.split()[0]}" in t for t in texts)


def test_offhours_database_expert(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    hero = next(h for h in truth.heroes if h.kind == "offhours-db")
    off = [
        i
        for i in raw.incidents
        if raw.service(i) == "postgres"
        and raw.resolver(i)
        and is_offhours(datetime.fromisoformat(i["created_at"]), "Europe/Berlin")
    ]
    assert len(off) >= 10
    assert sum(raw.resolver(i) == hero.person for i in off) / len(off) >= 0.8
    assert top_share(raw.resolve_shares("postgres")) >= HERO_MIN_SHARE
    escalated = {e.incident for e in truth.escalations if e.service == "postgres"}
    assert escalated
    for inc in raw.incidents:
        if inc["id"] in escalated:
            assert any(
                e["type"] == "escalate_log_entry" and raw.by_pd[e["assignees"][0]["id"]] == hero.person
                for e in raw.logs[inc["id"]]
            )
    handle = truth.person(hero.person).handles[0]
    name = truth.person(hero.person).name
    named = [
        p
        for p in (raw.out / "postmortems").glob("*postgres*.md")
        if f"@{handle}" in p.read_text() or name in p.read_text()
    ]
    assert named
    assert top_share(raw.deploy_shares("postgres", "failover")) >= HERO_MIN_SHARE


def test_deploy_gatekeeper_owns_deploys_and_rollbacks(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    hero = next(h for h in truth.heroes if h.kind == "deploy-gatekeeper")
    for action in ("deploy", "rollback"):
        shares = raw.deploy_shares("checkout-web", action)
        assert shares.most_common(1)[0][0] == hero.person
        assert top_share(shares) >= 0.7, action
    assert "service:checkout-web" in truth.balanced_scopes


def test_chat_only_expert_is_never_in_pagerduty_for_their_service(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    hero = next(h for h in truth.heroes if h.kind == "chat-only")
    person = truth.person(hero.person)
    svc = hero.scopes[0].split(":", 1)[1]
    svc_incidents = [i for i in raw.incidents if raw.service(i) == svc]
    for inc in svc_incidents:
        for e in raw.logs[inc["id"]]:
            refs = [e.get("agent") or {}, e.get("user") or {}, *e.get("assignees", [])]
            assert person.pd_id not in {r.get("id") for r in refs}
    fixes = [f for f in truth.chat_fixes if f.person == hero.person]
    assert len(fixes) >= 0.6 * len([i for i in svc_incidents if raw.resolver(i)])
    threads = raw.threads(fixes[0].channel)
    for f in fixes:
        hero_lines = [m["text"] for m in threads[f.thread_ts] if m.get("user") == person.slack_id]
        assert any("`" in t for t in hero_lines)
    assert any(person.pd_id in {a["assignee"]["id"] for a in i["assignments"]} for i in raw.incidents)


def test_balanced_scopes_are_flat(default_org: Raw) -> None:
    raw, truth = default_org, default_org.truth
    assert truth.balanced_scopes
    for scope in truth.balanced_scopes:
        kind, _, rest = scope.partition(":")
        if kind == "service":
            shares = raw.resolve_shares(rest)
        else:
            action, _, svc = rest.partition(":")
            shares = raw.deploy_shares(svc, action)
        assert sum(shares.values()) >= 5, scope
        assert top_share(shares) <= BALANCED_MAX_SHARE, (scope, shares)


def test_understaffed_team_and_identities(default_org: Raw) -> None:
    truth, out = default_org.truth, default_org.out
    assert "service:ml-inference" in truth.understaffed_scopes
    assert len(truth.teams["ml"]) <= 2
    assert 4 <= len(truth.teams) <= 6 and 25 <= len(truth.people) <= 40
    assert 8 <= len(truth.services) <= 12
    slack = {
        u["id"]: u["profile"]["email"]
        for u in json.loads((out / "slack" / "users.json").read_text())
        if not u["is_bot"]
    }
    pd = {u["id"]: u["email"] for u in json.loads((out / "pagerduty" / "users.json").read_text())["users"]}
    cased = [p for p in truth.people if slack[p.slack_id] != pd[p.pd_id]]
    assert cased and all(slack[p.slack_id].lower() == pd[p.pd_id] for p in cased)
    aliases = yaml.safe_load((out / "aliases.yaml").read_text())
    needing = [a for a in truth.aliases if a.needs_aliases_file]
    assert needing and len(aliases["people"]) == len(needing)
    for entry, alias in zip(aliases["people"], needing, strict=True):
        assert entry["name"] == truth.person(alias.person).name
        assert set(alias.aliases) <= set(entry["aliases"])
    assert {b.name for b in truth.bots} >= {"PagerDuty", "dependabot[bot]", "github-actions[bot]"}


# ---------------------------------------------------------------- variants


def test_forming_hero_appears_only_after_forms_at(tmp_path: Path) -> None:
    truth = generate(tmp_path, variant="forming")
    raw = Raw(tmp_path, truth)
    hero = next(h for h in truth.heroes if h.forms_at is not None)
    assert hero.scopes == ["service:notifications"] and hero.forms_at_date
    before = raw.resolve_shares("notifications", until=hero.forms_at_date)
    after = raw.resolve_shares("notifications", since=hero.forms_at_date)
    assert top_share(before) <= BALANCED_MAX_SHARE
    assert after.most_common(1)[0][0] == hero.person and top_share(after) >= HERO_MIN_SHARE
    assert all(
        datetime.fromisoformat(i["created_at"]).date() >= hero.forms_at_date
        for i in raw.incidents
        if i["id"] in {r.incident for r in truth.rescues if r.person == hero.person}
    )
    assert "service:notifications" not in truth.balanced_scopes


def test_balanced_variant_has_no_heroes(tmp_path: Path) -> None:
    truth = generate(tmp_path, variant="balanced")
    raw = Raw(tmp_path, truth)
    assert truth.heroes == [] and truth.rescues == [] and truth.chat_fixes == []
    assert "service:payments-api" in truth.balanced_scopes and "service:postgres" in truth.balanced_scopes
    for svc in ("payments-api", "postgres", "search-indexer"):
        assert top_share(raw.resolve_shares(svc)) <= BALANCED_MAX_SHARE, svc


def test_unmerged_variant_needs_aliases_it_does_not_get(tmp_path: Path) -> None:
    truth = generate(tmp_path, variant="unmerged", months=2)
    assert not (tmp_path / "aliases.yaml").exists() and truth.aliases_file is None
    needing = {a.person for a in truth.aliases if a.needs_aliases_file}
    assert len(needing) >= 2 and {h.person for h in truth.heroes if h.kind == "rescuer"} <= needing


def test_chat_only_small_team_and_noisy_variants(tmp_path: Path) -> None:
    default = generate(tmp_path / "d", months=2)
    chat = generate(tmp_path / "c", variant="chat_only", months=2)
    assert sum(h.kind == "chat-only" for h in chat.heroes) == 2
    small = generate(tmp_path / "s", variant="small_team", months=2)
    assert {"service:ml-inference", "service:feature-store"} <= set(small.understaffed_scopes)
    noisy = generate(tmp_path / "n", variant="noisy", months=2)
    assert noisy.counts["slack_messages"] > 1.5 * default.counts["slack_messages"]
    assert len(noisy.bots) > len(default.bots)
    assert any(label.endswith("flapping-alert") for label in noisy.incident_classes.values())


def test_scale_multiplies_volume_and_unknown_variant_is_refused(tmp_path: Path) -> None:
    small = generate(tmp_path / "a", months=2, scale=0.5)
    big = generate(tmp_path / "b", months=2, scale=2.0)
    for key in ("incidents", "slack_messages", "deploys", "commits"):
        assert big.counts[key] > 2.5 * small.counts[key], key
    assert len(big.people) == len(small.people)
    with pytest.raises(ValueError, match="unknown variant"):
        generate(tmp_path / "c", variant="nope")
    assert "forming" in VARIANTS


@pytest.mark.parametrize("seed", [37, 41])
def test_noisy_variant_generates_on_seeds_with_a_flapping_alert_near_the_end(
    tmp_path: Path, seed: int
) -> None:
    truth = generate(tmp_path / "n", seed=seed, variant="noisy")
    assert truth.counts["incidents"] > 0
    assert any(label.endswith("flapping-alert") for label in truth.incident_classes.values())
