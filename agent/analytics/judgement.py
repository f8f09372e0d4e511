"""Judgement over stored evidence: whether a mention pulls someone in, whether a message carries a fix.

Adapters store what a source says (each message's redacted text, each mention by id, each known name
written, see ``ingest.adapters.slack``); the rules here decide at analysis time what it means, so a
better rule needs no re-ingest. :func:`judge` turns the stored evidence of a workspace into facts
(pull-ins, fixes) for rescue detection, the escalation graph and the map's weights.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from agent.analytics.linking import counted_scope
from agent.analytics.metrics import canonical_person, window_filter
from ingest import actions
from ingest.adapters._common import NameIndex, clean_text
from ingest.db import Activity, Alias, Incident, Person

# ---------------------------------------------------------------------------------------------- pull-ins

_HELP = re.compile(
    r"\b(?:can|could|would|will)\s+(?:you|u|someone|somebody|anyone|anybody)\b"
    r"|\b(?:please|pls|plz)\b|\bhelp\b|\btake a look\b|\bhave a look\b|\blook at this\b|\bptal\b"
    r"|\bpaging\b|\bneed (?:someone|somebody|eyes|help|a hand|you)\b|\banyone (?:around|awake|online)\b"
    r"|\bescalat\w*\b|\bany (?:idea|ideas|clue)\b|\bjump on\b|\bhop on\b|\bjoin (?:the|us)\b",
    re.IGNORECASE,
)
_BEFORE = re.compile(
    r"(?:\bpaging|\bpage|\bping(?:ing)?|\bcc:?|\bneed|\bcalling|\bloop(?:ing)? in|\bpull(?:ing)? in"
    r"|\bbring(?:ing)? in|\badding|\bescalat\w* to|\bget|\bgrab|\bwake(?: up)?|\bask|\b(?:where(?:'s| is)))"
    r"[\s:,]*(?:\S+[\s,]+){0,2}$",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"^[\s:,\-–]*(?:\S+\s+){0,3}?"
    r"(?:can (?:you|u)|could you|would you|will you|pls|please|plz|help|take a look|have a look|ptal"
    r"|any (?:idea|ideas|clue)|(?:are )?you (?:around|there|online|awake)|fixed (?:this|it|that)"
    r"|knows?\b|did (?:this|it) last time|(?:has |have )?(?:seen|saw) this|last time|mind\b|need you"
    r"|thoughts\b|is (?:this|that) yours|on it\?)",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"(?:\bthanks?|\bthank you|\bty|\bkudos|\bshout-?out|\bgreat work|\bnice|\bcongrats)[\s,!:]*$", re.I
)


def asks_for_help(text: str | None) -> bool:
    """Whether a message asks someone for help."""
    return bool(text) and bool(_HELP.search(text))  # type: ignore[arg-type]


def is_pull_in(text: str | None, who: str, strict: bool = False) -> bool:
    """Whether the mention ``who`` (as written in ``text``) pulls that person in by name.

    ``strict`` (for plain names rather than explicit mentions) needs a pull-in phrase right next
    to the name; otherwise a mention in any message that asks for help counts too.
    """
    if not text or not who or who not in text:
        return False
    start = 0
    while (pos := text.find(who, start)) >= 0:
        before, after = text[:pos], text[pos + len(who) :]
        start = pos + len(who)
        if strict and (after[:1].isalnum() or after[:2] in ("'s", "’s") or (before[-1:].isalnum())):
            continue  # part of another word, or a possessive ("Grant's change")
        sentence_after = re.split(r"[.!\n]", after, maxsplit=1)[0]
        if _BEFORE.search(before[-60:]) or _AFTER.search(sentence_after[:80]):
            return True
        if _THANKS.search(before[-30:]):
            continue
        # addressed directly with a question: "<@U1> is the queue draining?"
        if not before.strip() and "?" in sentence_after:
            return True
        if not strict and asks_for_help(text):
            return True
    return False


def named_pull_ins(text: str | None, names: NameIndex) -> list[str]:
    """Keys of people pulled in by plain name ("paging Grant", "Grant, can you look?").

    ``names`` indexes the written names (full, first, handle) that identify one person; one pass
    over the text finds every occurrence (whole words, case-insensitive), whatever the number of people.
    """
    if not text:
        return []
    low = text.lower()
    found: list[str] = []
    for key, start, end in names.find(text):
        if key not in found and _pull_in_at(low, start, end):
            found.append(key)
    return found


def _pull_in_at(low: str, start: int, end: int) -> bool:
    """Whether the occurrence at ``start:end`` itself (not an earlier one) is pulled in."""
    before, after = low[:start], low[end:]
    if after[:2] in ("'s", "’s"):
        return False
    sentence_after = re.split(r"[.!\n]", after, maxsplit=1)[0]
    return bool(
        _BEFORE.search(before[-60:])
        or _AFTER.search(sentence_after[:80])
        or (not before.strip() and "?" in sentence_after)
    )


_FIX = re.compile(
    r"\bfix(?:ed)? (?:by|with|was|is)\b|\bthe fix\b|\bworkaround\b|\bmitigat\w+ by\b|\bresolved by\b"
    r"|\brestart(?:ed|ing)?\b|\brolled back\b|\broll(?:ing)? ?back\b|\brollback\b|\brevert(?:ed|ing)?\b"
    r"|\bfail(?:ed|ing)? ?over\b|\bflush(?:ed|ing)?\b|\bpurg(?:e|ed|ing)\b|\breindex\w*\b|\bbounc(?:e|ed)\b"
    r"|\bkill(?:ed)? the\b|\bscal(?:e|ed) (?:up|down|out|back)\b|\bdrain(?:ed)?\b|\bre-?ran\b"
    r"|\b(?:run|ran) (?:this|the|it)\b|\bjust run\b|\btry running\b|\bapplied\b|\bhotfix\w*\b",
    re.IGNORECASE,
)
_CODE_BLOCK = re.compile(r"```(.*?)(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")

COMMAND_WORDS = frozenset(
    {
        "kubectl",
        "helm",
        "curl",
        "wget",
        "psql",
        "mysql",
        "redis-cli",
        "rabbitmqctl",
        "docker",
        "podman",
        "systemctl",
        "service",
        "sudo",
        "ssh",
        "scp",
        "git",
        "aws",
        "gcloud",
        "az",
        "terraform",
        "ansible",
        "ansible-playbook",
        "make",
        "python",
        "python3",
        "pip",
        "npm",
        "yarn",
        "node",
        "java",
        "bash",
        "sh",
        "du",
        "df",
        "rm",
        "mv",
        "cp",
        "ls",
        "cat",
        "tail",
        "grep",
        "journalctl",
        "kill",
        "pkill",
        "top",
        "iptables",
        "nginx",
        "pg_ctl",
        "pg_dump",
        "pg_restore",
        "vacuumdb",
        "reindexdb",
        "mongosh",
        "mongo",
        "etcdctl",
        "consul",
        "vault",
        "nomad",
        "flux",
        "argocd",
        "kafka-topics",
        "kafka-configs",
        "kafka-consumer-groups",
        "kafka-reassign-partitions",
        "nodetool",
        "cqlsh",
        "crontab",
        "openssl",
        "certbot",
        "dig",
        "nslookup",
        "ping",
        "traceroute",
        "tcpdump",
        "strace",
        "echo",
        "export",
        "cd",
        "chmod",
        "chown",
        "mkdir",
        "tar",
        "gzip",
        "zcat",
        "find",
        "xargs",
        "awk",
        "sed",
        "jq",
        "yq",
        "k9s",
        "stern",
        "kubectx",
        "kubens",
        "eksctl",
        "oc",
        "istioctl",
        "linkerd",
        "varnishadm",
        "haproxy",
        "memcached",
        "supervisorctl",
        "pm2",
        "rake",
        "rails",
        "bundle",
        "mix",
        "cargo",
        "go",
        "dotnet",
    }
)
"""Command-line tools: inline code starting with one of these is a command, not a pasted error."""

SQL_VERBS = frozenset(
    {
        "SELECT",
        "UPDATE",
        "DELETE",
        "INSERT",
        "VACUUM",
        "ANALYZE",
        "ALTER",
        "REINDEX",
        "CREATE",
        "DROP",
        "TRUNCATE",
        "SET",
        "GRANT",
        "REVOKE",
        "KILL",
        "CALL",
        "CLUSTER",
        "REFRESH",
        "FLUSHALL",
        "FLUSHDB",
        "CONFIG",
        "DEL",
    }
)
"""SQL (and Redis) statements that count as commands when quoted in code."""


CONTROL_TOOL = re.compile(r"^[a-z][a-z0-9_-]*ctl$")
"""A ``*ctl`` program (systemctl, kubectl, etcdctl, and every in-house ``flagctl`` or ``deployctl``): the
Unix naming convention for a control command-line tool, so one run with a subcommand is a command."""


def _looks_like_command(code: str) -> bool:
    """Whether a code span reads as a command to run rather than a quoted error or log line."""
    for line in code.strip().splitlines():
        line = line.strip().removeprefix("$ ").removeprefix("# ").strip()
        if not line:
            continue
        first = line.split()[0]
        if (
            first.lower() in COMMAND_WORDS
            or first.rstrip(";").upper() in SQL_VERBS
            and first.rstrip(";").isupper()
        ):
            return True
        if first.startswith(("./", "~/")) or re.match(r"^/[\w.-]+/[\w./-]+$", first) and " " in line:
            return True
        if CONTROL_TOOL.match(first) and " " in line:
            return True  # a control CLI with a subcommand ("flagctl disable x", "queuectl purge y")
        if not first[0].isupper() and ("|" in line or "&&" in line or re.search(r"\s--?[a-z]", line)):
            return True
    return False


def fix_commands(text: str | None) -> set[str]:
    """The commands a message hands over: its code spans that read as commands, whitespace-normalised."""
    if not text:
        return set()
    blocks = _CODE_BLOCK.findall(text)
    spans = blocks + _INLINE_CODE.findall(_CODE_BLOCK.sub(" ", text))
    return {" ".join(code.split()) for code in spans if _looks_like_command(code)}


def carries_fix(text: str | None) -> bool:
    """Whether a message carries a fix: a command in code (not a pasted error), or a fix phrase."""
    if not text:
        return False
    blocks = _CODE_BLOCK.findall(text)
    rest = _CODE_BLOCK.sub(" ", text)
    spans = blocks + _INLINE_CODE.findall(rest)
    if any(_looks_like_command(code) for code in spans):
        return True
    prose = _INLINE_CODE.sub(" ", rest)
    if prose.rstrip().endswith("?"):
        return False
    return bool(_FIX.search(prose))


# ---------------------------------------------------------------------------------------------- facts

EVIDENCE_ACTIONS = (actions.CHAT, actions.TICKET_COMMENT)
"""Activities whose stored text and mentions are judged (a chat message, a ticket comment)."""

_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)


@dataclass
class Fact:
    """A judged fact: ``person`` was pulled in (``mentioned``) or shared a fix (``fix_shared``)."""

    activity_id: int
    person: str
    action: str
    scope: str
    incident: str | None
    incident_class: str | None
    ts: datetime
    chunk_id: str | None
    by: str | None = None
    stored: bool = False  # read from a stored mentioned/fix_shared activity (older ingests, builders)


def judge_message(text: str, mentions: list[Any], named: list[Any]) -> tuple[bool, list[str]]:
    """(carries a fix, keys pulled in) for one stored message: its text, explicit mentions, names written."""
    pulled: list[str] = []
    for m in mentions or []:
        key, token = (m[0], m[1]) if isinstance(m, list | tuple) and len(m) > 1 else (str(m), f"<@{m}>")
        if key not in pulled and is_pull_in(text, str(token)):
            pulled.append(str(key))
    if named:
        plain = _CODE.sub(" ", clean_text(text)).lower()
        for n in named:
            if not isinstance(n, list | tuple) or len(n) < 2:
                continue
            key, written = str(n[0]), str(n[1]).lower()
            if key not in pulled and _named_here(plain, written):
                pulled.append(key)
    return carries_fix(text), pulled


def _named_here(low: str, name: str) -> bool:
    """Whether some whole-word occurrence of ``name`` in ``low`` is a pull-in."""
    start = 0
    while (pos := low.find(name, start)) >= 0:
        start = pos + len(name)
        end = pos + len(name)
        if (pos and (low[pos - 1].isalnum() or low[pos - 1] in "@_")) or low[end : end + 1].isalnum():
            continue
        if _pull_in_at(low, pos, end):
            return True
    return False


JUDGE_MEMO = "understudy.judged"
"""The session-info key under which :func:`judge` memoises its facts per window."""


def judge(session: Session, since: datetime | None = None, until: datetime | None = None) -> list[Fact]:
    """Pull-ins and fixes in the window: judged from stored messages, plus those stored as such.

    A message is judged once per version of the rules: its verdict is stored (:mod:`agent.analytics.judged`)
    and later calls read the positive verdicts back instead of judging every message again."""
    from agent.analytics.judged import JudgedMessage, rules_fingerprint, store_verdicts

    memo = session.info.setdefault(JUDGE_MEMO, {})
    if (since, until) in memo:
        return memo[(since, until)]
    person = canonical_person()
    canon = {p: m for p, m in session.execute(select(Person.id, Person.merged_into)) if m}
    keys = {
        v: canon.get(p, p)
        for v, p in session.execute(select(Alias.value, Alias.person_id).where(Alias.kind == "key"))
    }
    facts: list[Fact] = []
    cols = (
        Activity.id,
        person,
        Activity.action,
        counted_scope(Incident),  # a thread naming a page counts on the page's scope
        Activity.incident,
        Incident.incident_class,
        Activity.ts,
        Activity.chunk_id,
    )

    def add(
        aid: int, pid: str, scope: str, inc: Any, cls: Any, ts: Any, chunk: Any, fix: bool, pulled: Any
    ) -> None:
        if fix:
            facts.append(Fact(aid, pid, actions.FIX_SHARED, scope, inc, cls, ts, chunk))
        for key in pulled or []:
            target = keys.get(key)
            if target and target != pid:
                facts.append(Fact(aid, target, actions.MENTIONED, scope, inc, cls, ts, chunk, pid))

    stored_actions = (actions.MENTIONED, actions.FIX_SHARED)
    verdict = aliased(JudgedMessage)
    unjudged = verdict.activity_id.is_(None)
    needs_detail = or_(unjudged, Activity.action.in_(stored_actions))
    stmt = (  # one scan: stored facts, messages judged before (positive ones), messages not judged yet
        select(
            *cols,
            type_coerce(case((needs_detail, Activity.detail)), Activity.detail.type),
            verdict.activity_id,
            verdict.fix,
            verdict.pulled,
        )
        .join(Person, Person.id == Activity.person_id)
        .outerjoin(Incident, Incident.key == Activity.incident)
        .outerjoin(verdict, and_(verdict.activity_id == Activity.id, verdict.rules == rules_fingerprint()))
        .where(
            Activity.action.in_((*EVIDENCE_ACTIONS, *stored_actions)),
            or_(needs_detail, verdict.positive.is_(True)),
            *window_filter(Activity.ts, since, until),
        )
    )
    verdicts: list[tuple[int, bool, list[str]]] = []
    for aid, pid, action, scope, inc, cls, ts, chunk, detail, known, fix, pulled in session.execute(stmt):
        d = detail if isinstance(detail, dict) else {}  # stored rows without a detail still count
        if action in stored_actions:
            by = keys.get(str(d.get("by_key") or ""))
            facts.append(Fact(aid, pid, action, scope, inc, cls, ts, chunk, by, stored=True))
            continue
        if known is not None:  # judged before, under these rules
            add(aid, pid, scope, inc, cls, ts, chunk, bool(fix), pulled)
            continue
        text = d.get("text")
        if not isinstance(text, str) or not text:
            verdicts.append((aid, False, []))
            continue
        fix, pulled = judge_message(text, d.get("mentions") or [], d.get("named") or [])
        verdicts.append((aid, fix, pulled))
        add(aid, pid, scope, inc, cls, ts, chunk, fix, pulled)
    if verdicts:
        store_verdicts(session, verdicts)
    facts.sort(key=lambda f: (f.ts, f.activity_id, f.action, f.person))
    memo[(since, until)] = facts
    return facts


def judged_weights(facts: list[Fact], weights: dict[str, float]) -> dict[tuple[str, str], float]:
    """(scope, person) -> weight the judged (not stored) facts add; class scopes as ``class:<slug>``."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for f in facts:
        if f.stored:
            continue
        w = weights.get(f.action, 1.0)
        out[(f.scope, f.person)] += w
        if f.incident_class:
            out[(f"class:{f.incident_class}", f.person)] += w
    return dict(out)


def judged_fixes(session: Session, scope: str, since: datetime | None, until: datetime | None) -> list[Fact]:
    """Fixes judged from messages (not stored as such) on incidents of ``scope`` (a service or ``class:``)."""
    out = []
    for f in judge(session, since, until):
        if f.stored or f.action != actions.FIX_SHARED or not f.incident:
            continue
        if f.scope == scope or (f.incident_class and f"class:{f.incident_class}" == scope):
            out.append(f)
    return out
