"""Generates the sample organisation in real export formats, with the ground truth it planted.

One ``random.Random(seed)`` drives everything and no wall clock is read, so the same arguments
write the same bytes (git object ids aside).  Events are produced day by day and written as
soon as no later event can land in the same file, so large scales stream to disk.
"""

from __future__ import annotations

import math
import random
import shutil
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ingest.records import slug
from ingest.sample.catalog import (
    ALERT_NAMES,
    CHAT_LINES,
    DOMAIN,
    NAMES,
    OUTLIER_TIMEZONES,
    PERSONAL_DOMAIN,
    SERVICES,
    TEAMS,
    IncidentClass,
    ServiceSpec,
)
from ingest.sample.truth import (
    GroundTruth,
    TruthAlias,
    TruthBot,
    TruthChatFix,
    TruthEscalation,
    TruthHero,
    TruthPerson,
    TruthRescue,
    TruthService,
)
from ingest.sample.writers import CsvWriter, GitStream, PageWriter, SlackWriter, dump_json

VARIANTS = ("default", "unmerged", "chat_only", "small_team", "forming", "balanced", "noisy")
"""The organisation variants ``generate`` knows."""

OUTPUT_ENTRIES = (
    "slack",
    "pagerduty",
    "postmortems",
    "runbooks",
    "deploys",
    "oncall",
    "repos",
    "aliases.yaml",
    "ground_truth.json",
)
"""What ``generate`` writes in ``out_dir`` (and removes first when regenerating)."""

RESCUE_SHARE = 0.75
"""Chance the rescuer is pulled in when neither primary nor secondary: puts them near 75% of resolves."""

SECONDARY_ESCALATION = 0.6
"""Chance an incident is escalated to a pull-in hero who is the secondary on call that week."""

FORMING_RESCUE_SHARE = 0.85
"""Pull-in chance for the hero that forms in the ``forming`` variant (after ``forms_at``)."""

OFFHOURS_ESCALATION = 0.9
"""Chance an off-hours database incident is escalated to the database expert."""

CHAT_FIX_SHARE = 0.8
"""Share of a chat-only hero's service incidents where they post the fix in the thread."""

CHAT_FIX_SHARE_EMPHASIS = 0.95
"""The same share in the ``chat_only`` variant."""

GATEKEEPER_SHARE = 0.85
"""Share of a gatekept service's human deploys done by the gatekeeper."""

GATEKEEPER_ROLLBACK_SHARE = 0.9
"""Share of a gatekept service's rollbacks done by the gatekeeper."""

DB_FAILOVER_SHARE = 0.85
"""Share of database failovers done by the off-hours database expert."""

TIMEOUT_ESCALATION = 0.08
"""Chance the primary misses the page and the policy escalates to the secondary."""

AUTO_RESOLVE = 0.05
"""Chance an incident clears by itself (resolved by the service, no person)."""

POSTMORTEM_SHARE = 0.6
"""Share of resolved P1/P2 incidents that get a postmortem."""

NO_FRONT_MATTER = 0.25
"""Share of postmortems written without YAML front matter."""

DEPLOY_FAILURE = 0.08
"""Chance a deploy fails and is rolled back."""

HOTFIX_SHARE = 0.1
"""Chance the resolver ships a hotfix after an incident."""

COMMITS_PER_DAY = 0.35
"""Commits per service per weekday at scale 1."""

CHAT_PER_DAY = 6.0
"""Everyday #general messages per weekday at scale 1."""

ALERTS_PER_DAY = 1.5
"""Alertmanager FIRING/RESOLVED pairs per day at scale 1."""

HANDOVER_GAP = 2
"""When the primary has resolved this many more of a service's incidents than the secondary..."""

HANDOVER_SHARE = 0.6
"""...this is the chance the incident goes to the secondary (keeps balanced services flat)."""

BALANCED_MAX_SHARE = 0.4
"""A scope is listed as balanced only if no one holds more than this share of it."""

BALANCED_MIN_EVENTS = 5
"""...and only if it has at least this many events (fewer cannot show a spread)."""

PAGE_LIMIT = 100
"""PagerDuty's maximum page size for classic pagination."""

SLACK_TEAM = "T0ACME0001"
PD_WEB = "https://acme.pagerduty.com"
PD_API = "https://api.pagerduty.com"
CI_BOT = "github-actions[bot]"
DEPENDABOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
GITHUB_COMMITTER = ("GitHub", "noreply@github.com")
_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


# ---------------------------------------------------------------- helpers


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "")


def add_months(d: date, n: int) -> date:
    """The same day-of-month ``n`` months later (clamped to the 28th for safety)."""
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def _iso(dt: datetime, tz: str) -> str:
    return dt.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def _offset(dt: datetime, tz: str) -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime("%z")


def is_offhours(dt: datetime, tz: str) -> bool:
    """Nights (20:00-08:00) and weekends in the given zone."""
    local = dt.astimezone(ZoneInfo(tz))
    return local.weekday() >= 5 or local.hour < 8 or local.hour >= 20


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# ---------------------------------------------------------------- the cast


@dataclass(eq=False)
class Person:
    """A person with every identity they have across the sources."""

    id: str
    first: str
    nick: str
    last: str
    team: str
    tz: str
    role: str
    email: str
    slack_email: str
    slack_id: str
    handle: str
    display: str
    pd_id: str
    git: tuple[str, str]
    alt_git: tuple[str, str] | None = None
    alias_name: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def doc_name(self) -> str:
        """The name documents use: the short form when the person goes by another name."""
        return self.alias_name or self.name


@dataclass
class Bot:
    """A Slack integration."""

    name: str
    user_id: str
    bot_id: str
    app_id: str


@dataclass
class Shift:
    """One week of a team schedule."""

    start: datetime
    end: datetime
    primary: Person
    secondary: Person


@dataclass
class Service:
    """A service of the organisation at generation time."""

    spec: ServiceSpec
    pd_id: str
    channel_id: str
    tz: str

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Skeleton:
    """An incident before it is played out: when, where, which class."""

    created: datetime
    service: str
    cls: IncidentClass
    flapping: bool = False


@dataclass
class PullHero:
    """A hero who gets pulled into a service's incidents by name."""

    person: Person
    share: float
    active_from: datetime


@dataclass
class Org:
    """The people, teams, services and planted dependence of one generated organisation."""

    people: list[Person]
    teams: dict[str, list[Person]]
    rotations: dict[str, list[Person]]
    services: dict[str, Service]
    bots: dict[str, Bot]
    team_ids: dict[str, str]
    policy_ids: dict[str, str]
    schedule_ids: dict[str, str]
    pull: dict[str, PullHero] = field(default_factory=dict)
    offhours: dict[str, Person] = field(default_factory=dict)
    chat: dict[str, Person] = field(default_factory=dict)
    gatekeepers: dict[str, Person] = field(default_factory=dict)
    heroes: list[TruthHero] = field(default_factory=list)
    aliases: list[TruthAlias] = field(default_factory=list)
    mailmap: list[Person] = field(default_factory=list)


class _Ids:
    """Unique random ids in the styles of Slack and PagerDuty."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def make(self, prefix: str, n: int) -> str:
        while True:
            value = prefix + "".join(self.rng.choice(_ALNUM) for _ in range(n))
            if value not in self.seen:
                self.seen.add(value)
                return value


def _build_org(rng: random.Random, ids: _Ids, variant: str, start: datetime, months: int) -> Org:
    names = list(NAMES)
    rng.shuffle(names)
    pool = iter(names)
    people: list[Person] = []
    teams: dict[str, list[Person]] = {}
    handles: set[str] = set()
    for team in TEAMS:
        members: list[Person] = []
        for i in range(team.size + team.managers):
            first, nick, last = next(pool)
            tz = (
                OUTLIER_TIMEZONES[team.slug] if (i == 1 and team.slug in OUTLIER_TIMEZONES) else team.timezone
            )
            email = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(' ', '')}@{DOMAIN}"
            handle = (_ascii(first)[0] + _ascii(last)).lower()
            while handle in handles:
                handle += "2"
            handles.add(handle)
            person = Person(
                id=slug(_ascii(f"{first} {last}")),
                first=first,
                nick=nick,
                last=last,
                team=team.slug,
                tz=tz,
                role="manager" if i >= team.size else "engineer",
                email=email,
                slack_email=email,
                slack_id=ids.make("U0", 9),
                handle=handle,
                display=first,
                pd_id=ids.make("P", 6),
                git=(f"{first} {last}", email),
            )
            members.append(person)
            people.append(person)
        teams[team.slug] = members

    rotations: dict[str, list[Person]] = {}
    for slug_, members in teams.items():
        engineers = [p for p in members if p.role == "engineer"]
        rng.shuffle(engineers)
        rotations[slug_] = engineers

    services: dict[str, Service] = {}
    team_tz = {t.slug: t.timezone for t in TEAMS}
    for spec in SERVICES:
        if spec.variants and variant not in spec.variants:
            continue
        services[spec.name] = Service(spec, ids.make("P", 6), ids.make("C0", 9), team_tz[spec.team])

    bot_names = ["PagerDuty", "Alertmanager", "Deploybot"]
    if variant == "noisy":
        bot_names += ["Jira Cloud", "Statuspage", "Datadog"]
    bots = {n: Bot(n, ids.make("U0", 9), ids.make("B0", 9), ids.make("A0", 9)) for n in bot_names}

    org = Org(
        people=people,
        teams=teams,
        rotations=rotations,
        services=services,
        bots=bots,
        team_ids={t.slug: ids.make("P", 6) for t in TEAMS},
        policy_ids={t.slug: ids.make("P", 6) for t in TEAMS},
        schedule_ids={t.slug: ids.make("P", 6) for t in TEAMS},
    )
    _plant(org, rng, variant, start, months)
    return org


def _plant(org: Org, rng: random.Random, variant: str, start: datetime, months: int) -> None:
    """Choose the heroes and identity quirks and record them."""
    rot = org.rotations
    rescuer = rng.choice(rot["payments"])
    db = rng.choice(rot["data"])
    gatekeeper = rng.choice(rot["checkout"])
    chat = rng.choice(rot["platform"])
    former = rng.choice([p for p in rot["platform"] if p is not chat])
    chat2 = rng.choice([p for p in rot["payments"] if p is not rescuer])
    if variant != "balanced":
        org.pull["payments-api"] = PullHero(rescuer, RESCUE_SHARE, start)
        org.heroes.append(TruthHero(person=rescuer.id, kind="rescuer", scopes=["service:payments-api"]))
        org.offhours["postgres"] = db
        org.heroes.append(
            TruthHero(person=db.id, kind="offhours-db", scopes=["service:postgres", "task:failover:postgres"])
        )
        org.gatekeepers["checkout-web"] = gatekeeper
        org.heroes.append(
            TruthHero(
                person=gatekeeper.id,
                kind="deploy-gatekeeper",
                scopes=["task:deploy:checkout-web", "task:rollback:checkout-web"],
            )
        )
        org.chat["search-indexer"] = chat
        org.heroes.append(TruthHero(person=chat.id, kind="chat-only", scopes=["service:search-indexer"]))
    if variant == "chat_only":
        org.chat["kafka"] = chat2
        org.heroes.append(TruthHero(person=chat2.id, kind="chat-only", scopes=["service:kafka"]))
    if variant == "forming":
        forms_at = max(1, months // 2)
        forms_date = add_months(start.date(), forms_at)
        org.pull["notifications"] = PullHero(
            former, FORMING_RESCUE_SHARE, datetime.combine(forms_date, time(), UTC)
        )
        org.heroes.append(
            TruthHero(
                person=former.id,
                kind="rescuer",
                scopes=["service:notifications"],
                forms_at=forms_at,
                forms_at_date=forms_date,
            )
        )

    # Identities that differ across sources.
    plain = [p for p in org.people if p not in (rescuer, db, gatekeeper, chat, former, chat2)]
    cased = rng.sample(plain, 2)
    for p in cased:
        local, _, domain = p.email.partition("@")
        p.slack_email = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
        org.aliases.append(
            TruthAlias(
                person=p.id,
                aliases=sorted({p.slack_email, p.email}),
                via="email-case",
                needs_aliases_file=False,
            )
        )
    mapped = rng.choice([p for p in plain if p not in cased and p.role == "engineer"])
    mapped.alt_git = (
        mapped.name,
        f"{_ascii(mapped.nick).lower()}{_ascii(mapped.last)[0].lower()}@{PERSONAL_DOMAIN}",
    )
    org.mailmap.append(mapped)
    org.aliases.append(
        TruthAlias(
            person=mapped.id,
            aliases=[mapped.email, mapped.alt_git[1]],
            via="mailmap",
            needs_aliases_file=False,
        )
    )
    renamed = [gatekeeper] + ([rescuer] if variant == "unmerged" else [])
    for p in renamed:
        p.alias_name = f"{p.nick} {p.last}" if p.nick != p.first else f"{p.first[0]}. {p.last}"
        p.display = p.nick
        p.git = (p.alias_name, f"{_ascii(p.nick).lower()}@{PERSONAL_DOMAIN}")
        org.aliases.append(
            TruthAlias(
                person=p.id, aliases=[p.git[1], p.alias_name], via="aliases-file", needs_aliases_file=True
            )
        )


def _rotation(org: Org, team: str, start: datetime, end: datetime) -> list[Shift]:
    """Weekly shifts (Monday 09:00 team time) covering [start, end)."""
    tz = ZoneInfo(next(t.timezone for t in TEAMS if t.slug == team))
    members = org.rotations[team]
    day = start.astimezone(tz).date()
    day -= timedelta(days=day.weekday())
    shifts: list[Shift] = []
    week = 0
    while True:
        s = datetime.combine(day, time(9), tz).astimezone(UTC)
        e = datetime.combine(day + timedelta(days=7), time(9), tz).astimezone(UTC)
        if s >= end:
            break
        n = len(members)
        shifts.append(Shift(s, e, members[week % n], members[(week + 1) % n]))
        day += timedelta(days=7)
        week += 1
    return shifts


# ---------------------------------------------------------------- Slack threads


class _Thread:
    """A Slack thread being written: the parent and its replies."""

    def __init__(self, sim: _Sim, channel: str, parent: dict[str, Any], parent_user: str) -> None:
        self.sim, self.channel, self.parent, self.parent_user = sim, channel, parent, parent_user
        self.replies: list[dict[str, Any]] = []
        self.reply_users: list[str] = []

    def say(self, dt: datetime, who: Person | Bot, text: str, reactions: list[Person] | None = None) -> dict:
        msg = self.sim.message(dt, who, text)
        msg["thread_ts"] = self.parent["ts"]
        msg["parent_user_id"] = self.parent_user
        if reactions:
            msg["reactions"] = [
                {
                    "name": "white_check_mark",
                    "users": [p.slack_id for p in reactions],
                    "count": len(reactions),
                }
            ]
        self.replies.append(msg)
        uid = who.slack_id if isinstance(who, Person) else who.user_id
        if uid not in self.reply_users:
            self.reply_users.append(uid)
        return msg

    def close(self) -> None:
        p = self.parent
        if self.replies:
            p["thread_ts"] = p["ts"]
            p["reply_count"] = len(self.replies)
            p["reply_users_count"] = len(self.reply_users)
            p["reply_users"] = self.reply_users
            p["latest_reply"] = self.replies[-1]["ts"]
            p["replies"] = [
                {"user": r.get("user") or self.sim.bot_user(r), "ts": r["ts"]} for r in self.replies
            ]
        for m in [p, *self.replies]:
            self.sim.post(self.channel, m)


# ---------------------------------------------------------------- the simulation


class _Sim:
    """Plays out months of operations day by day, writing every source as it goes."""

    def __init__(self, out: Path, seed: int, scale: float, variant: str, months: int, start: date) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
        if months < 1 or scale <= 0:
            raise ValueError("months must be at least 1 and scale positive")
        self.out, self.seed, self.scale, self.variant, self.months = out, seed, scale, variant, months
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)
        self.start = datetime.combine(start, time(), UTC)
        self.end = datetime.combine(add_months(start, months), time(), UTC)
        self.org = _build_org(self.rng, self.ids, variant, self.start, months)
        self.shifts = {t: _rotation(self.org, t, self.start, self.end) for t in self.org.rotations}
        self.shift_starts = {t: [s.start for s in shifts] for t, shifts in self.shifts.items()}
        self.seq = 0
        self.noise = 3.0 if variant == "noisy" else 1.0
        self.chat_share = CHAT_FIX_SHARE_EMPHASIS if variant == "chat_only" else CHAT_FIX_SHARE
        self.rescues: list[TruthRescue] = []
        self.escalations: list[TruthEscalation] = []
        self.chat_fixes: list[TruthChatFix] = []
        self.classes: dict[str, str] = {}
        self.counts: dict[str, int] = {"postmortems": 0, "runbooks": 0}
        self.git_state: dict[str, dict[str, int]] = {}
        self.resolved: dict[str, Counter[str]] = defaultdict(Counter)
        self.tasks: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.bot_by_id = {b.bot_id: b for b in self.org.bots.values()}

    # -- small builders

    def oncall(self, team: str, dt: datetime) -> tuple[Person, Person]:
        """The primary and secondary on call for a team at a time."""
        shifts = self.shifts[team]
        i = max(0, bisect_right(self.shift_starts[team], dt) - 1)
        return shifts[i].primary, shifts[i].secondary

    def ts(self, dt: datetime) -> str:
        """A unique Slack message timestamp for a moment."""
        self.seq += 1
        return f"{int(dt.timestamp())}.{self.seq % 1_000_000:06d}"

    def message(self, dt: datetime, who: Person | Bot, text: str) -> dict[str, Any]:
        if isinstance(who, Bot):
            return {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": who.bot_id,
                "username": who.name,
                "text": text,
                "ts": self.ts(dt),
            }
        return {"type": "message", "user": who.slack_id, "text": text, "ts": self.ts(dt), "team": SLACK_TEAM}

    def bot_user(self, msg: dict[str, Any]) -> str:
        """The Slack user id behind a bot message."""
        return self.bot_by_id[msg["bot_id"]].user_id

    def post(self, channel: str, msg: dict[str, Any]) -> None:
        """Queue a message for its channel's UTC day file."""
        day = datetime.fromtimestamp(int(msg["ts"].split(".")[0]), UTC).date()
        self.slack.add(channel, day, msg)

    def thread(self, channel: str, dt: datetime, who: Person | Bot, text: str) -> _Thread:
        parent = self.message(dt, who, text)
        uid = who.slack_id if isinstance(who, Person) else who.user_id
        return _Thread(self, channel, parent, uid)

    def uref(self, p: Person) -> dict[str, Any]:
        """A PagerDuty user reference."""
        return {
            "id": p.pd_id,
            "type": "user_reference",
            "summary": p.name,
            "self": f"{PD_API}/users/{p.pd_id}",
            "html_url": f"{PD_WEB}/users/{p.pd_id}",
        }

    def sref(self, svc: Service) -> dict[str, Any]:
        """A PagerDuty service reference (the agent of automatic log entries)."""
        return {
            "id": svc.pd_id,
            "type": "service_reference",
            "summary": svc.name,
            "self": f"{PD_API}/services/{svc.pd_id}",
            "html_url": f"{PD_WEB}/service-directory/{svc.pd_id}",
        }

    def tref(self, team: str) -> dict[str, Any]:
        tid = self.org.team_ids[team]
        name = next(t.name for t in TEAMS if t.slug == team)
        return {
            "id": tid,
            "type": "team_reference",
            "summary": name,
            "self": f"{PD_API}/teams/{tid}",
            "html_url": f"{PD_WEB}/teams/{tid}",
        }

    def eref(self, team: str) -> dict[str, Any]:
        eid = self.org.policy_ids[team]
        name = next(t.name for t in TEAMS if t.slug == team) + " Escalation Policy"
        return {
            "id": eid,
            "type": "escalation_policy_reference",
            "summary": name,
            "self": f"{PD_API}/escalation_policies/{eid}",
            "html_url": f"{PD_WEB}/escalation_policies/{eid}",
        }

    def schref(self, team: str) -> dict[str, Any]:
        sid = self.org.schedule_ids[team]
        name = next(t.schedule for t in TEAMS if t.slug == team)
        return {
            "id": sid,
            "type": "schedule_reference",
            "summary": name,
            "self": f"{PD_API}/schedules/{sid}",
            "html_url": f"{PD_WEB}/schedules/{sid}",
        }

    def mention(self, p: Person) -> str:
        """A Slack mention of a person."""
        return f"<@{p.slack_id}>"

    def doc_ref(self, p: Person) -> str:
        """How a postmortem names someone: a handle or a name."""
        return f"@{p.handle}" if self.rng.random() < 0.5 else p.doc_name

    def actor(self, p: Person) -> str:
        """How deploy tooling records a person: the e-mail of their git identity."""
        return p.git[1]

    # -- run

    def run(self) -> GroundTruth:
        """Write every source and the ground truth."""
        out = self.out
        self.slack = SlackWriter(out / "slack")
        self.incidents = PageWriter(out / "pagerduty", "incidents", "incidents", PAGE_LIMIT)
        self.log_entries = PageWriter(out / "pagerduty", "log_entries", "log_entries", PAGE_LIMIT)
        self.deploys = CsvWriter(
            out / "deploys" / "deploys.csv", ["timestamp", "service", "actor", "action", "outcome"]
        )
        (out / "postmortems").mkdir(parents=True, exist_ok=True)
        self.git = GitStream(out / "repos" / "ops-config")
        self._git_initial()
        skeletons = self._skeletons()
        k = 0
        day = self.start.date()
        while day < self.end.date():
            self.slack.flush_before(day)
            self.deploys.flush_before(day)
            self._chatter(day)
            self._deploy_day(day)
            self._commit_day(day)
            while k < len(skeletons) and skeletons[k].created.date() == day:
                self._incident(skeletons[k])
                k += 1
            day += timedelta(days=1)
        self.slack.flush_before(None)
        self.deploys.close()
        self.incidents.close()
        self.log_entries.close()
        self.git.close()
        self._directories()
        self._runbooks()
        aliases_file = self._aliases_file()
        truth = self._truth(aliases_file)
        dump_json(out / "ground_truth.json", truth.model_dump(mode="json"))
        return truth

    # -- incidents

    def _skeletons(self) -> list[Skeleton]:
        """Every incident's time, service and class, in time order."""
        out: list[Skeleton] = []
        for svc in self.org.services.values():
            rate = svc.spec.rate * (1.5 if self.variant == "small_team" and svc.spec.team == "ml" else 1.0)
            flapping = IncidentClass(
                f"{svc.name}-flapping-alert",
                f"{svc.name}: [FIRING] flapping health check",
                "flapping alert",
                (),
                "",
                (),
            )
            for m in range(self.months):
                lo = datetime.combine(add_months(self.start.date(), m), time(), UTC)
                hi = datetime.combine(add_months(self.start.date(), m + 1), time(), UTC)
                for _ in range(_poisson(self.rng, rate * self.scale)):
                    cls = self.rng.choice(svc.spec.classes)
                    out.append(Skeleton(self._when(lo, hi, svc), svc.name, cls))
                if self.variant == "noisy":
                    for _ in range(_poisson(self.rng, 2 * self.scale)):
                        out.append(Skeleton(self._when(lo, hi, svc), svc.name, flapping, flapping=True))
        out.sort(key=lambda s: (s.created, s.service))
        return out

    def _when(self, lo: datetime, hi: datetime, svc: Service) -> datetime:
        """A moment in [lo, hi), off-hours with the service's off-hours share."""
        want_off = self.rng.random() < svc.spec.offhours_share
        span = int((hi - lo).total_seconds())
        dt = lo
        for _ in range(60):
            dt = lo + timedelta(seconds=self.rng.randrange(span))
            if is_offhours(dt, svc.tz) == want_off:
                break
        return dt

    def _mode(
        self, svc: Service, t0: datetime, primary: Person, secondary: Person, sk: Skeleton
    ) -> tuple[str, Person | None]:
        """How an incident plays out (normal, timeout, rescue, escalate, chatfix, auto, open) and the hero in it."""
        if sk.flapping:  # a flapping alert clears itself, even in the last hours (it has no symptoms)
            return "auto", None
        if t0 > self.end - timedelta(hours=12):
            return "open", None
        if self.rng.random() < AUTO_RESOLVE:
            return "auto", None
        hero = self.org.pull.get(svc.name)
        if hero and t0 >= hero.active_from:
            if hero.person is secondary and self.rng.random() < SECONDARY_ESCALATION:
                return "escalate", hero.person
            if hero.person not in (primary, secondary) and self.rng.random() < hero.share:
                return "rescue", hero.person
        db = self.org.offhours.get(svc.name)
        if db and db is not primary and is_offhours(t0, svc.tz) and self.rng.random() < OFFHOURS_ESCALATION:
            return "escalate", db
        chat = self.org.chat.get(svc.name)
        if chat and self.rng.random() < self.chat_share:
            return "chatfix", chat
        if self.rng.random() < TIMEOUT_ESCALATION:
            return "timeout", secondary
        planted = bool(hero and t0 >= hero.active_from) or db is not None or chat is not None
        counts = self.resolved[svc.name]
        if (
            not planted
            and counts[primary.id] >= counts[secondary.id] + HANDOVER_GAP
            and self.rng.random() < HANDOVER_SHARE
        ):
            return "timeout", secondary
        return "normal", None

    def _incident(self, sk: Skeleton) -> None:
        """Play out one incident across PagerDuty, Slack, postmortems and deploys."""
        rng, svc, cls, t0 = self.rng, self.org.services[sk.service], sk.cls, sk.created
        team, tz = svc.spec.team, svc.tz
        primary, secondary = self.oncall(team, t0)
        mode, hero = self._mode(svc, t0, primary, secondary, sk)
        number = self.incidents.count + 1
        inc_id = self.ids.make("Q", 13)
        self.classes[inc_id] = cls.label
        title = cls.title
        prio = 4 if sk.flapping else rng.choices((1, 2, 3, 4), weights=cls.priority)[0]
        if not svc.spec.critical and prio == 1 and rng.random() < 0.5:
            prio = 2
        inc_ref = {
            "id": inc_id,
            "type": "incident_reference",
            "summary": f"[#{number}] {title}",
            "self": f"{PD_API}/incidents/{inc_id}",
            "html_url": f"{PD_WEB}/incidents/{inc_id}",
        }
        entries: list[dict[str, Any]] = []
        timeline: list[tuple[datetime, str]] = []

        def log(
            kind: str,
            dt: datetime,
            agent: dict[str, Any] | None,
            channel: dict[str, Any],
            summary: str,
            **extra: Any,
        ) -> dict[str, Any]:
            entry_id = self.ids.make("R", 13)
            entry = {
                "id": entry_id,
                "type": kind,
                "summary": summary,
                "self": f"{PD_API}/log_entries/{entry_id}",
                "created_at": _iso(dt, tz),
                "agent": agent,
                "channel": channel,
                "service": self.sref(svc),
                "incident": inc_ref,
                "teams": [self.tref(team)],
                "contexts": [],
                **extra,
            }
            entries.append(entry)
            return entry

        trigger = log(
            "trigger_log_entry",
            t0,
            self.sref(svc),
            {"type": "api", "summary": title},
            "Triggered through the API.",
        )
        timeline.append((t0, f"PagerDuty triggered #{number}: {title}"))
        assignments: list[dict[str, Any]] = []
        acks: list[dict[str, Any]] = []

        def assign(dt: datetime, p: Person, agent: dict[str, Any] | None, via: str) -> None:
            assignments.append({"at": _iso(dt, tz), "assignee": self.uref(p)})
            if via == "assign":
                log(
                    "assign_log_entry",
                    dt,
                    agent,
                    {"type": "auto"},
                    f"Assigned to {p.name}.",
                    assignees=[self.uref(p)],
                )
            else:
                log(
                    "escalate_log_entry",
                    dt,
                    agent,
                    {"type": via},
                    f"Escalated to {p.name}.",
                    assignees=[self.uref(p)],
                    escalation_policy=self.eref(team),
                )
            kind = rng.choice(["push_notification", "sms_notification", "phone_notification"])
            log(
                "notify_log_entry",
                dt + timedelta(seconds=5),
                self.sref(svc),
                {"type": "notification", "notification": {"type": kind, "status": "success"}},
                f"Notified {p.name} by {kind.split('_')[0]}.",
                user=self.uref(p),
            )

        def ack(dt: datetime, p: Person) -> None:
            acks.append({"at": _iso(dt, tz), "acknowledger": self.uref(p)})
            log(
                "acknowledge_log_entry",
                dt,
                self.uref(p),
                {"type": rng.choice(["mobile", "website", "slack"])},
                f"Acknowledged by {p.name}.",
                acknowledgement_timeout=1800,
            )
            timeline.append((dt, f"{self.doc_ref(p)} acknowledged"))

        assign(t0 + timedelta(seconds=1), primary, self.sref(svc), "assign")
        pd_bot = self.org.bots["PagerDuty"]
        th = self.thread(
            svc.spec.channel,
            t0 + timedelta(seconds=rng.randint(10, 40)),
            pd_bot,
            f":rotating_light: *Triggered* <{PD_WEB}/incidents/{inc_id}|#{number}> {title}\n"
            f"Service: {svc.name} | Priority: P{prio} | Assigned to: {primary.name}",
        )
        t = t0 + timedelta(minutes=rng.randint(2, 9), seconds=rng.randint(0, 59))
        responder = primary
        if mode == "timeout":
            t = t0 + timedelta(minutes=15)
            assign(t, secondary, self.sref(svc), "timeout")
            th.say(t + timedelta(seconds=20), pd_bot, f"Escalated to {secondary.name} (no acknowledgement)")
            responder = secondary
            t += timedelta(minutes=rng.randint(2, 6))
        resolver: Person | None = None
        status = "resolved"
        if mode == "auto":
            t = t0 + timedelta(minutes=rng.randint(3, 25))
            if rng.random() < 0.5:
                th.say(
                    t - timedelta(minutes=1),
                    primary,
                    rng.choice(
                        [
                            "flapping again",
                            "this one clears by itself, we should fix the alert",
                            "ignoring, it recovered",
                        ]
                    ),
                )
            log(
                "resolve_log_entry",
                t,
                self.sref(svc),
                {"type": "auto"},
                "Resolved by the service (alert cleared).",
            )
            th.say(t + timedelta(seconds=15), pd_bot, f"Resolved automatically: #{number} {title}")
            resolved_at, last_by = t, self.sref(svc)
        else:
            ack(t, responder)
            t += timedelta(minutes=1)
            th.say(t, responder, rng.choice(["ack, looking", "on it", "looking"]))
            t += timedelta(minutes=rng.randint(1, 5))
            symptom = rng.choice(cls.symptoms)
            th.say(t, responder, symptom)
            if mode == "open":
                status = "acknowledged"
                resolved_at, last_by = None, self.uref(responder)
            else:
                resolver, t = self._respond(
                    mode, th, svc, cls, t, responder, hero, inc_id, number, log, assign, ack, timeline
                )
                channel = rng.choice(["website", "mobile", "slack"])
                log(
                    "resolve_log_entry",
                    t,
                    self.uref(resolver),
                    {"type": channel},
                    f"Resolved by {resolver.name}.",
                )
                timeline.append((t, f"{self.doc_ref(resolver)} resolved the incident"))
                th.say(t + timedelta(seconds=15), pd_bot, f"Resolved by {resolver.name}: #{number} {title}")
                resolved_at, last_by = t, self.uref(resolver)
                self.resolved[svc.name][resolver.id] += 1
        th.close()
        updated = datetime.fromisoformat(entries[-1]["created_at"])
        incident = {
            "id": inc_id,
            "type": "incident",
            "summary": f"[#{number}] {title}",
            "self": inc_ref["self"],
            "html_url": inc_ref["html_url"],
            "incident_number": number,
            "title": title,
            "description": title,
            "created_at": _iso(t0, tz),
            "updated_at": _iso(updated, tz),
            "status": status,
            "incident_key": self.ids.make("", 32).lower(),
            "service": self.sref(svc),
            "assignments": assignments,
            "assigned_via": "escalation_policy",
            "acknowledgements": acks,
            "last_status_change_at": _iso(updated, tz),
            "last_status_change_by": last_by,
            "first_trigger_log_entry": {
                "id": trigger["id"],
                "type": "trigger_log_entry_reference",
                "self": trigger["self"],
            },
            "escalation_policy": self.eref(team),
            "teams": [self.tref(team)],
            "urgency": "high" if prio <= 2 else "low",
            "priority": {"id": f"PRIO{prio}", "type": "priority", "summary": f"P{prio}", "name": f"P{prio}"},
            "resolved_at": _iso(resolved_at, tz) if resolved_at else None,
            "alert_counts": {
                "all": 1,
                "triggered": 0 if resolved_at else 1,
                "resolved": 1 if resolved_at else 0,
            },
            "is_mergeable": True,
            "incident_type": {"name": "incident_default"},
        }
        self.incidents.add(incident)
        for e in entries:
            self.log_entries.add(e)
        if resolver and prio <= 2 and rng.random() < POSTMORTEM_SHARE:
            self._postmortem(svc, cls, number, inc_id, prio, t0, responder, resolver, timeline)
        if resolver and rng.random() < HOTFIX_SHARE:
            when = t + timedelta(minutes=rng.randint(30, 180))
            self._deploy_row(when, svc, resolver, "hotfix", "success")

    def _respond(
        self,
        mode: str,
        th: _Thread,
        svc: Service,
        cls: IncidentClass,
        t: datetime,
        responder: Person,
        hero: Person | None,
        inc_id: str,
        number: int,
        log: Any,
        assign: Any,
        ack: Any,
        timeline: list[tuple[datetime, str]],
    ) -> tuple[Person, datetime]:
        """Play out the middle of an incident; returns who resolves and when."""
        rng = self.rng

        def minutes(a: int, b: int) -> timedelta:
            return timedelta(minutes=rng.randint(a, b), seconds=rng.randint(0, 59))

        def fix_steps(who: Person, when: datetime, thanks: Person | None) -> datetime:
            for i, step in enumerate(cls.fix):
                when += minutes(2, 9)
                prefix = rng.choice(["", "running: ", "next: ", "now "]) if i else rng.choice(["", "first: "])
                th.say(
                    when, who, prefix + step, reactions=[thanks] if thanks and i == len(cls.fix) - 1 else None
                )
                timeline.append((when, f"{self.doc_ref(who)}: {step}"))
            return when

        if mode == "rescue":
            assert hero is not None
            t += minutes(3, 15)
            if rng.random() < 0.6:
                how = "mention"
                th.say(
                    t,
                    responder,
                    rng.choice(
                        [
                            f"{self.mention(hero)} can you take a look? {cls.phrase} again",
                            f"{self.mention(hero)} this looks like the {cls.phrase} thing from last time, any ideas?",
                        ]
                    ),
                )
            else:
                how = "paging"
                th.say(t, responder, f"paging {hero.first}, it's the {cls.phrase} problem again")
            timeline.append((t, f"{self.doc_ref(responder)} pulled in {self.doc_ref(hero)}"))
            t += minutes(2, 8)
            th.say(t, hero, rng.choice(["on it", "looking now", "I've got it"]))
            t = fix_steps(hero, t, responder)
            if rng.random() < 0.4:
                log(
                    "annotate_log_entry",
                    t,
                    self.uref(hero),
                    {"type": "note", "summary": cls.fix[-1]},
                    "Note added.",
                )
            t += minutes(2, 10)
            th.say(t, hero, "recovered, resolving in PagerDuty")
            th.say(t + timedelta(minutes=1), responder, f"thanks {self.mention(hero)} :pray:")
            self.rescues.append(TruthRescue(incident=inc_id, person=hero.id, service=svc.name, mention=how))
            return hero, t + timedelta(minutes=1)
        if mode == "escalate":
            assert hero is not None
            t += minutes(3, 12)
            th.say(
                t,
                responder,
                rng.choice(
                    ["this is beyond me, escalating in PagerDuty", "escalating to the next level in PD"]
                ),
            )
            assign(t + timedelta(seconds=30), hero, self.uref(responder), "website")
            timeline.append((t, f"{self.doc_ref(responder)} escalated to {self.doc_ref(hero)}"))
            t += minutes(4, 14)
            ack(t, hero)
            th.say(t + timedelta(minutes=1), hero, rng.choice(["here, looking", "I'm on it"]))
            t = fix_steps(hero, t + timedelta(minutes=1), None)
            t += minutes(3, 12)
            th.say(t, hero, "all green again, resolving")
            self.escalations.append(TruthEscalation(incident=inc_id, person=hero.id, service=svc.name))
            return hero, t
        if mode == "chatfix":
            assert hero is not None
            t += minutes(2, 10)
            ask = f"anyone seen {cls.phrase} before?"
            if rng.random() < 0.4:
                ask = f"{self.mention(hero)} {ask}"
            th.say(t, responder, ask)
            t += minutes(3, 20)
            th.say(t, hero, f"yes, that's the usual {cls.phrase}. {cls.cause} Do this:")
            for step in cls.fix:
                t += minutes(1, 3)
                th.say(t, hero, step)
            t += minutes(5, 20)
            th.say(
                t,
                responder,
                rng.choice(["that worked, thanks! resolving", "green again, thank you"]),
                reactions=[hero],
            )
            for step in cls.fix:
                timeline.append((t, f"{self.doc_ref(responder)}: {step}"))
            if rng.random() < 0.3:
                log(
                    "annotate_log_entry",
                    t,
                    self.uref(responder),
                    {"type": "note", "summary": "Applied the fix from the Slack thread."},
                    "Note added.",
                )
            self.chat_fixes.append(
                TruthChatFix(
                    incident=inc_id,
                    person=hero.id,
                    service=svc.name,
                    channel=svc.spec.channel,
                    thread_ts=th.parent["ts"],
                )
            )
            return responder, t + timedelta(minutes=2)
        # normal and timeout: the responder fixes it; a teammate may chime in
        if rng.random() < 0.3:
            mates = [p for p in self.org.rotations[svc.spec.team] if p is not responder]
            if mates:
                t += minutes(1, 6)
                th.say(
                    t,
                    rng.choice(mates),
                    rng.choice(
                        [
                            f"+1, saw {cls.phrase} in staging yesterday",
                            "dashboards look the same on my side",
                            "shout if you need a hand",
                        ]
                    ),
                )
        t = fix_steps(responder, t, None)
        if rng.random() < 0.3:
            log(
                "annotate_log_entry",
                t,
                self.uref(responder),
                {"type": "note", "summary": cls.fix[0]},
                "Note added.",
            )
        t += minutes(3, 20)
        th.say(t, responder, rng.choice(["recovered, resolving", "looks good now", "fixed, resolving"]))
        return responder, t

    # -- documents

    def _postmortem(
        self,
        svc: Service,
        cls: IncidentClass,
        number: int,
        inc_id: str,
        prio: int,
        t0: datetime,
        responder: Person,
        resolver: Person,
        timeline: list[tuple[datetime, str]],
    ) -> None:
        rng, tz = self.rng, svc.tz
        local = t0.astimezone(ZoneInfo(tz))
        commander = (
            responder if prio > 1 or rng.random() < 0.5 else rng.choice(self.org.rotations[svc.spec.team])
        )
        responders = []
        for p in (responder, resolver):
            if p not in responders and p is not commander:
                responders.append(p)
        if not responders:
            responders.append(
                rng.choice([p for p in self.org.rotations[svc.spec.team] if p is not commander])
            )
        title = f"{cls.title} (#{number})"
        lines: list[str] = []
        sev = f"SEV{prio}" if rng.random() < 0.5 else f"P{prio}"
        if rng.random() >= NO_FRONT_MATTER:
            front = {
                "title": title,
                "date": local.date().isoformat(),
                "service": svc.name,
                "severity": sev,
                "incident_commander": self.doc_ref(commander),
                "responders": [self.doc_ref(p) for p in responders],
                "timezone": tz,
                "incident": inc_id,
            }
            lines += ["---", yaml.safe_dump(front, sort_keys=True, allow_unicode=True).strip(), "---", ""]
            lines += [f"# {title}", ""]
        else:
            lines += [
                f"# Postmortem: {title}",
                "",
                f"Date: {local.date().isoformat()}  ",
                f"Service: {svc.name}  ",
                f"Severity: {sev}  ",
                f"Incident Commander: {commander.doc_name}  ",
                f"Responders: {', '.join(self.doc_ref(p) for p in responders) or 'none'}  ",
                f"PagerDuty: {inc_id}",
                "",
            ]
        lines += [
            "## Summary",
            "",
            f"{svc.name} was hit by {cls.phrase} starting {local.strftime('%H:%M')} {local.tzname()}: "
            f"{rng.choice(cls.symptoms)}.",
            "",
        ]
        lines += [f"## Timeline ({tz})", ""]
        for when, text in timeline:
            lines.append(f"- {when.astimezone(ZoneInfo(tz)).strftime('%H:%M')} {text}")
        lines += ["", "## Root cause", "", cls.cause, "", "## Resolution", ""]
        lines += [f"{i}. {step}" for i, step in enumerate(cls.fix, 1)]
        owner = rng.choice(self.org.rotations[svc.spec.team])
        lines += [
            "",
            "## Action items",
            "",
            f"- [ ] Alert earlier on {cls.phrase} (owner: {self.doc_ref(owner)})",
            f"- [ ] Automate the first fix step for {cls.phrase} (owner: {self.doc_ref(commander)})",
            "",
        ]
        name = f"{local.date().isoformat()}-{svc.name}-{cls.label}-{number}.md"
        (self.out / "postmortems" / name).write_text("\n".join(lines), encoding="utf-8")
        self.counts["postmortems"] += 1

    def _runbooks(self) -> None:
        folder = self.out / "runbooks"
        folder.mkdir(parents=True, exist_ok=True)
        for svc in self.org.services.values():
            if not svc.spec.has_runbook:
                continue
            team = self.org.rotations[svc.spec.team]
            authors = self.rng.sample(team, 2)
            pull = self.org.pull.get(svc.name)
            if pull and pull.active_from <= self.start and pull.person not in authors:
                authors[0] = pull.person
            editor = self.rng.choice(team)
            updated = (
                self.start + timedelta(days=self.rng.randrange(max(1, (self.end - self.start).days)))
            ).date()
            lines: list[str] = []
            if svc.name != "cart-service":
                front = {
                    "service": svc.name,
                    "title": f"{svc.name} runbook",
                    "authors": [self.doc_ref(p) for p in authors],
                    "last_updated_by": self.doc_ref(editor),
                    "last_updated": updated.isoformat(),
                }
                lines += ["---", yaml.safe_dump(front, sort_keys=True, allow_unicode=True).strip(), "---", ""]
            lines += [f"# {svc.name} runbook", ""]
            if svc.name == "cart-service":
                lines += [
                    f"Owner: {next(t.name for t in TEAMS if t.slug == svc.spec.team)}. "
                    f"Written by {', '.join(p.doc_name for p in authors)}.",
                    "",
                ]
            lines += [
                "## Overview",
                "",
                f"{svc.name} is owned by the {next(t.name for t in TEAMS if t.slug == svc.spec.team)} team. "
                f"Incidents page the {next(t.schedule for t in TEAMS if t.slug == svc.spec.team)} schedule "
                f"and are discussed in #{svc.spec.channel}.",
                "",
                "## Diagnosis",
                "",
            ]
            for cls in svc.spec.classes:
                lines += [f"### {cls.phrase.capitalize()}", "", *[f"- {s}" for s in cls.symptoms], ""]
            lines += ["## Steps", ""]
            for cls in svc.spec.classes:
                lines += [
                    f"### {cls.phrase.capitalize()}",
                    "",
                    *[f"{i}. {s}" for i, s in enumerate(cls.fix, 1)],
                    "",
                ]
            lines += [
                "## Escalation",
                "",
                "Escalate through PagerDuty to the secondary on call; do not page people directly.",
                "",
            ]
            (folder / f"{svc.name}.md").write_text("\n".join(lines), encoding="utf-8")
            self.counts["runbooks"] += 1

    # -- everyday noise, deploys, commits

    def _chatter(self, day: date) -> None:
        rng = self.rng
        weekday = day.weekday() < 5
        humans = self.org.people
        for _ in range(_poisson(rng, CHAT_PER_DAY * self.scale * self.noise * (1.0 if weekday else 0.2))):
            dt = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400))
            self.post("general", self.message(dt, rng.choice(humans), rng.choice(CHAT_LINES)))
        am = self.org.bots["Alertmanager"]
        services = list(self.org.services.values())
        for _ in range(_poisson(rng, ALERTS_PER_DAY * self.scale * self.noise)):
            svc = rng.choice(services)
            alert = rng.choice(ALERT_NAMES)
            dt = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400 - 3600))
            self.post(svc.spec.channel, self.message(dt, am, f"[FIRING:1] {alert} {svc.name} (prod)"))
            dt += timedelta(minutes=rng.randint(2, 40))
            self.post(svc.spec.channel, self.message(dt, am, f"[RESOLVED] {alert} {svc.name} (prod)"))
        if self.variant == "noisy":
            for bot, channel, text in (
                ("Jira Cloud", "general", "OPS-{n} moved to Done"),
                ("Statuspage", "general", "All systems operational"),
                ("Datadog", None, "Monitor recovered: {svc} p99 latency"),
            ):
                for _ in range(_poisson(rng, 2 * self.scale)):
                    svc = rng.choice(services)
                    dt = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400))
                    msg = text.format(n=rng.randint(100, 999), svc=svc.name)
                    self.post(channel or svc.spec.channel, self.message(dt, self.org.bots[bot], msg))

    def _deploy_row(self, dt: datetime, svc: Service, who: Person | None, action: str, outcome: str) -> None:
        if who is not None:
            self.tasks[(svc.name, action)][who.id] += 1
        actor = self.actor(who) if who else CI_BOT
        self.deploys.add(
            dt.date(), dt.isoformat(), [dt.isoformat(timespec="seconds"), svc.name, actor, action, outcome]
        )

    def _pick(self, team: list[Person], svc: Service, action: str) -> Person:
        """The less busy of two teammates: whoever has not done this task lately takes it."""
        if len(team) < 2:
            return team[0]
        a, b = self.rng.sample(team, 2)
        counts = self.tasks[(svc.name, action)]
        return a if counts[a.id] <= counts[b.id] else b

    def _deploy_day(self, day: date) -> None:
        rng = self.rng
        bot = self.org.bots["Deploybot"]
        for svc in self.org.services.values():
            team = self.org.rotations[svc.spec.team]
            keeper = self.org.gatekeepers.get(svc.name)
            n = _poisson(rng, svc.spec.deploys_per_week / 5 * self.scale) if day.weekday() < 5 else 0
            for _ in range(n):
                local = datetime.combine(day, time(9), ZoneInfo(svc.tz)) + timedelta(
                    minutes=rng.randrange(540)
                )
                dt = local.astimezone(UTC)
                human: Person | None = None
                if rng.random() >= svc.spec.ci_share:
                    if keeper and rng.random() < GATEKEEPER_SHARE:
                        human = keeper
                    else:
                        human = self._pick(team, svc, "deploy")
                failed = rng.random() < DEPLOY_FAILURE
                self._deploy_row(dt, svc, human, "deploy", "failure" if failed else "success")
                who = self.mention(human) if human else CI_BOT
                self.post(
                    "deploys",
                    self.message(
                        dt + timedelta(seconds=30),
                        bot,
                        f"`{svc.name}` deployed to production by {who}: {'failure' if failed else 'success'}",
                    ),
                )
                if failed:
                    if keeper and rng.random() < GATEKEEPER_ROLLBACK_SHARE:
                        rb = keeper
                    else:
                        rb = human or self._pick(team, svc, "rollback")
                    when = dt + timedelta(minutes=rng.randint(8, 40))
                    self._deploy_row(when, svc, rb, "rollback", "success")
                    self.post(
                        "deploys",
                        self.message(
                            when + timedelta(seconds=30),
                            bot,
                            f"`{svc.name}` rolled back by {self.mention(rb)}",
                        ),
                    )
            for action, per_month in svc.spec.extra_tasks:
                for _ in range(_poisson(rng, per_month * self.scale / 30.4)):
                    dt = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400))
                    db = self.org.offhours.get(svc.name)
                    if action == "failover" and db and rng.random() < DB_FAILOVER_SHARE:
                        who_p = db
                    else:
                        who_p = self._pick(team, svc, action)
                    self._deploy_row(dt, svc, who_p, action, "success")

    def _values(self, name: str) -> str:
        s = self.git_state[name]
        return (
            f"# {name} production values\nimage:\n  repository: registry.example.com/{name}\n"
            f"  tag: v1.{s['minor']}.{s['patch']}\nreplicas: {s['replicas']}\nresources:\n  limits:\n"
            f"    memory: {s['memory']}Mi\nalerts:\n  errorRateThreshold: {s['threshold']}\n"
        )

    def _requirements(self, name: str) -> str:
        s = self.git_state[name]
        return f"requests==2.32.{s['requests']}\nurllib3==2.2.{s['urllib3']}\nprometheus-client==0.20.0\n"

    def _git_initial(self) -> None:
        files = {"README.md": "# ops-config\n\nDeployment values and alert rules, one folder per service.\n"}
        mailmap = []
        for p in self.org.mailmap:
            assert p.alt_git is not None
            mailmap.append(f"{p.name} <{p.git[1]}> <{p.alt_git[1]}>")
        files[".mailmap"] = "\n".join(mailmap) + "\n"
        for name in self.org.services:
            self.git_state[name] = {
                "minor": 0,
                "patch": 0,
                "replicas": 3,
                "memory": 512,
                "threshold": 5,
                "requests": 0,
                "urllib3": 0,
            }
            files[f"{name}/values.yaml"] = self._values(name)
            files[f"{name}/requirements.txt"] = self._requirements(name)
        author = self.org.rotations["platform"][0]
        dt = self.start - timedelta(days=3)
        self.git.commit(
            author.git,
            author.git,
            int(dt.timestamp()),
            _offset(dt, author.tz),
            "Initial ops-config layout\n",
            files,
        )

    def _commit_day(self, day: date) -> None:
        rng = self.rng
        commits: list[tuple[datetime, tuple[str, str], tuple[str, str], str, str, dict[str, str]]] = []
        if day.weekday() < 5:
            for name, svc in self.org.services.items():
                for _ in range(_poisson(rng, COMMITS_PER_DAY * self.scale)):
                    p = rng.choice(self.org.rotations[svc.spec.team])
                    ident = p.alt_git if p.alt_git and rng.random() < 0.4 else p.git
                    dt = (
                        datetime.combine(day, time(9), ZoneInfo(p.tz)) + timedelta(minutes=rng.randrange(540))
                    ).astimezone(UTC)
                    s = self.git_state[name]
                    change = rng.choice(["tag", "tag", "replicas", "memory", "threshold"])
                    if change == "tag":
                        s["patch"] += 1
                        msg = f"{name}: bump image to v1.{s['minor']}.{s['patch']}"
                    elif change == "replicas":
                        s["replicas"] = max(2, s["replicas"] + rng.choice([-1, 1, 1]))
                        msg = f"{name}: run {s['replicas']} replicas"
                    elif change == "memory":
                        s["memory"] += 128
                        msg = f"{name}: raise memory limit to {s['memory']}Mi"
                    else:
                        s["threshold"] = max(1, s["threshold"] + rng.choice([-1, 1]))
                        msg = f"{name}: tune error-rate alert threshold to {s['threshold']}%"
                    commits.append(
                        (dt, ident, ident, p.tz, msg + "\n", {f"{name}/values.yaml": self._values(name)})
                    )
        if day.weekday() == 1:
            for name in rng.sample(
                sorted(self.org.services),
                k=min(len(self.org.services), _poisson(rng, 1.5 * self.scale * self.noise)),
            ):
                s = self.git_state[name]
                pkg = rng.choice(["requests", "urllib3"])
                old = f"2.{'32' if pkg == 'requests' else '2'}.{s[pkg]}"
                s[pkg] += 1
                new = f"2.{'32' if pkg == 'requests' else '2'}.{s[pkg]}"
                dt = datetime.combine(day, time(6), UTC) + timedelta(minutes=rng.randrange(60))
                commits.append(
                    (
                        dt,
                        DEPENDABOT,
                        GITHUB_COMMITTER,
                        "UTC",
                        f"Bump {pkg} from {old} to {new} in /{name}\n",
                        {f"{name}/requirements.txt": self._requirements(name)},
                    )
                )
        commits.sort(key=lambda c: (c[0], c[4]))
        for dt, author, committer, tz, msg, files in commits:
            self.git.commit(author, committer, int(dt.timestamp()), _offset(dt, tz), msg, files)

    # -- directories and the answer key

    def _directories(self) -> None:
        out, org = self.out, self.org
        users = []
        for p in org.people:
            zone = ZoneInfo(p.tz)
            first_day = self.start.astimezone(zone)
            users.append(
                {
                    "id": p.slack_id,
                    "team_id": SLACK_TEAM,
                    "name": p.handle,
                    "deleted": False,
                    "real_name": p.name,
                    "tz": p.tz,
                    "tz_label": first_day.tzname(),
                    "tz_offset": int((first_day.utcoffset() or timedelta()).total_seconds()),
                    "is_admin": False,
                    "is_owner": False,
                    "is_bot": False,
                    "is_app_user": False,
                    "updated": int(self.start.timestamp()),
                    "profile": {
                        "real_name": p.name,
                        "real_name_normalized": _ascii(p.name),
                        "display_name": p.display,
                        "display_name_normalized": _ascii(p.display),
                        "email": p.slack_email,
                        "title": "Engineering Manager" if p.role == "manager" else "Software Engineer",
                        "team": SLACK_TEAM,
                    },
                }
            )
        for b in org.bots.values():
            users.append(
                {
                    "id": b.user_id,
                    "team_id": SLACK_TEAM,
                    "name": slug(b.name),
                    "deleted": False,
                    "real_name": b.name,
                    "is_bot": True,
                    "is_app_user": False,
                    "updated": int(self.start.timestamp()),
                    "profile": {
                        "real_name": b.name,
                        "display_name": "",
                        "bot_id": b.bot_id,
                        "api_app_id": b.app_id,
                        "always_active": True,
                        "team": SLACK_TEAM,
                    },
                }
            )
        dump_json(out / "slack" / "users.json", users)
        created = int((self.start - timedelta(days=400)).timestamp())
        everyone = [p.slack_id for p in org.people]
        channels = [
            {
                "id": "C0GENERAL01",
                "name": "general",
                "created": created,
                "creator": org.people[0].slack_id,
                "is_archived": False,
                "is_general": True,
                "members": everyone,
                "topic": {"value": "Company-wide announcements", "creator": "", "last_set": 0},
                "purpose": {"value": "Everyone", "creator": "", "last_set": 0},
            },
            {
                "id": "C0DEPLOYS01",
                "name": "deploys",
                "created": created,
                "creator": org.people[0].slack_id,
                "is_archived": False,
                "is_general": False,
                "members": everyone,
                "topic": {"value": "Production deploys", "creator": "", "last_set": 0},
                "purpose": {"value": "Deploybot posts every production change", "creator": "", "last_set": 0},
            },
        ]
        for svc in org.services.values():
            members = [p.slack_id for p in org.teams[svc.spec.team]]
            helper = org.chat.get(svc.name)
            if helper is not None and helper.slack_id not in members:
                members.append(helper.slack_id)
            channels.append(
                {
                    "id": svc.channel_id,
                    "name": svc.spec.channel,
                    "created": created,
                    "creator": members[0],
                    "is_archived": False,
                    "is_general": False,
                    "members": members,
                    "topic": {"value": f"Incidents for {svc.name}", "creator": "", "last_set": 0},
                    "purpose": {
                        "value": f"Alerts and incident threads for {svc.name}",
                        "creator": "",
                        "last_set": 0,
                    },
                }
            )
        dump_json(out / "slack" / "channels.json", channels)
        for ch in channels:
            (out / "slack" / str(ch["name"])).mkdir(parents=True, exist_ok=True)

        pd_users = [
            {
                "id": p.pd_id,
                "type": "user",
                "name": p.name,
                "summary": p.name,
                "email": p.email,
                "time_zone": p.tz,
                "role": "user" if p.role == "engineer" else "manager",
                "job_title": "Engineering Manager" if p.role == "manager" else "Software Engineer",
                "teams": [self.tref(p.team)],
                "self": f"{PD_API}/users/{p.pd_id}",
                "html_url": f"{PD_WEB}/users/{p.pd_id}",
            }
            for p in org.people
        ]
        dump_json(
            out / "pagerduty" / "users.json",
            {"users": pd_users, "limit": len(pd_users), "offset": 0, "more": False, "total": None},
        )
        oncalls = []
        csv_rows = []
        for team, shifts in self.shifts.items():
            tz = next(t.timezone for t in TEAMS if t.slug == team)
            for s in shifts:
                for level, p in ((1, s.primary), (2, s.secondary)):
                    if team == "ml":
                        csv_rows.append(
                            [
                                p.name,
                                p.email,
                                next(t.schedule for t in TEAMS if t.slug == team),
                                str(level),
                                _iso(s.start, tz),
                                _iso(s.end, tz),
                            ]
                        )
                        continue
                    user = {**self.uref(p), "email": p.email}
                    oncalls.append(
                        {
                            "user": user,
                            "schedule": self.schref(team),
                            "escalation_policy": self.eref(team),
                            "escalation_level": level,
                            "start": _iso(s.start, tz),
                            "end": _iso(s.end, tz),
                        }
                    )
        dump_json(
            out / "pagerduty" / "oncalls.json",
            {"oncalls": oncalls, "limit": len(oncalls), "offset": 0, "more": False, "total": None},
        )
        oc = CsvWriter(
            out / "oncall" / "schedule.csv", ["user", "email", "schedule", "escalation_level", "start", "end"]
        )
        for row in csv_rows:
            oc.add(self.start.date(), "", row)
        oc.close()

    def _aliases_file(self) -> str | None:
        if self.variant == "unmerged":
            return None
        people = []
        for a in self.org.aliases:
            if not a.needs_aliases_file:
                continue
            p = next(x for x in self.org.people if x.id == a.person)
            people.append({"name": p.name, "aliases": [*a.aliases, f"@{p.handle}", p.slack_id]})
        (self.out / "aliases.yaml").write_text(
            yaml.safe_dump({"people": people}, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        return "aliases.yaml"

    def _truth(self, aliases_file: str | None) -> GroundTruth:
        org = self.org
        hero_scopes = {s for h in org.heroes for s in h.scopes}
        balanced: list[str] = []
        understaffed: list[str] = []
        for svc in org.services.values():
            if svc.spec.team == "ml":
                understaffed += [
                    f"service:{svc.name}",
                    f"task:deploy:{svc.name}",
                    f"path:ops-config/{svc.name}",
                ]
                continue
            scope = f"service:{svc.name}"
            if scope not in hero_scopes and _flat(self.resolved[svc.name]):
                balanced.append(scope)
            task = f"task:deploy:{svc.name}"
            if (
                task not in hero_scopes
                and svc.name not in org.pull
                and _flat(self.tasks[(svc.name, "deploy")])
            ):
                balanced.append(task)
        reference: dict[str, list[str]] = {}
        for svc in org.services.values():
            reference[f"service:{svc.name}"] = [s for c in svc.spec.classes for s in c.fix]
            for c in svc.spec.classes:
                reference[f"class:{c.label}"] = list(c.fix)
        people = []
        for p in org.people:
            emails = [p.email] + [
                e
                for e in (p.slack_email, p.git[1], p.alt_git[1] if p.alt_git else None)
                if e and e != p.email
            ]
            names = [p.name] + ([p.alias_name] if p.alias_name else [])
            people.append(
                TruthPerson(
                    id=p.id,
                    name=p.name,
                    names=names,
                    emails=list(dict.fromkeys(emails)),
                    slack_id=p.slack_id,
                    pd_id=p.pd_id,
                    handles=[p.handle],
                    team=p.team,
                    timezone=p.tz,
                    on_rotation=p.role == "engineer",
                    role=p.role,
                )
            )
        bots = [TruthBot(name=b.name, source="slack", id=b.user_id) for b in org.bots.values()]
        bots += [TruthBot(name=b.name, source="slack", id=b.bot_id) for b in org.bots.values()]
        bots += [
            TruthBot(name=DEPENDABOT[0], source="git", id=DEPENDABOT[1]),
            TruthBot(name=CI_BOT, source="deploys", id=CI_BOT),
        ]
        self.counts.update(
            {
                "people": len(org.people),
                "services": len(org.services),
                "incidents": self.incidents.count,
                "log_entries": self.log_entries.count,
                "slack_messages": self.slack.count,
                "slack_day_files": self.slack.files,
                "deploys": self.deploys.count,
                "commits": self.git.count,
                "rescues": len(self.rescues),
                "escalations": len(self.escalations),
                "chat_fixes": len(self.chat_fixes),
            }
        )
        return GroundTruth(
            seed=self.seed,
            scale=self.scale,
            variant=self.variant,
            months=self.months,
            start=self.start.date(),
            end=self.end.date(),
            people=people,
            teams={t: [p.id for p in m] for t, m in org.teams.items()},
            services=[
                TruthService(
                    name=s.name,
                    team=s.spec.team,
                    critical=s.spec.critical,
                    has_runbook=s.spec.has_runbook,
                    channel=s.spec.channel,
                    timezone=s.tz,
                    pd_id=s.pd_id,
                    classes=[c.label for c in s.spec.classes],
                )
                for s in org.services.values()
            ],
            heroes=org.heroes,
            balanced_scopes=sorted(balanced),
            understaffed_scopes=sorted(understaffed),
            rescues=self.rescues,
            escalations=self.escalations,
            chat_fixes=self.chat_fixes,
            incident_classes=self.classes,
            reference_fixes=reference,
            bots=bots,
            aliases=org.aliases,
            aliases_file=aliases_file,
            counts=self.counts,
        )


def _flat(counts: Counter[str]) -> bool:
    """Whether a scope's events are spread: enough of them and no one above the balanced share."""
    total = sum(counts.values())
    return total >= BALANCED_MIN_EVENTS and max(counts.values()) / total <= BALANCED_MAX_SHARE


def _clear(out_dir: Path) -> None:
    """Remove what an earlier run wrote (only the entries ``generate`` owns)."""
    for name in OUTPUT_ENTRIES:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def generate(
    out_dir: Path,
    seed: int = 7,
    scale: float = 1.0,
    variant: str = "default",
    months: int = 6,
    start: date = date(2026, 1, 1),
) -> GroundTruth:
    """Write the sample organisation into ``out_dir`` and return (and save) its ground truth."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    return _Sim(out_dir, seed, scale, variant, months, start).run()
