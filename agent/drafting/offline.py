"""The offline drafter: extractive and deterministic, no key needed, labelled as such.

It builds steps and traps from evidence sentences: imperative lines, commands in backticks and
"restart / rollback / failover / run ..." sentences from the hero's chat threads and from the
Resolution / Timeline sections of postmortems (and runbooks). Every claim is a sentence of the
evidence, or a plan line built from an analytics fact, and cites where it came from.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.drafting.artifacts import (
    AntiHeroicsPlan,
    Artifact,
    Claim,
    DrillScenario,
    Escalation,
    KnowledgePack,
    Narrative,
    RotationPhase,
    RotationPlan,
    Runbook,
    Step,
    TransferItem,
    TransferPlan,
    artifact_model,
)
from agent.drafting.evidence import class_label
from agent.drafting.grounding import INJECTION_PATTERNS

OFFLINE_MODEL = "extractive-v1"
"""Model label recorded for offline drafts."""

OFFLINE_VERSION = 2
"""Version of the extraction rules; bump when they change."""

OFFLINE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
"""Hash of this module, recorded as the 'prompt' hash of offline drafts."""

MAX_PER_SECTION = 12
"""Claims per section; the rest of the evidence stays available to the reviewer."""

MAX_STEPS_PER_CLASS = 6
"""Fix steps kept per incident class: a recurring fix is three to five steps plus a check."""

MAX_STEPS = 40
"""Fix steps of one pack or runbook at most, over all its classes."""

RANK_STEP_SECTION, RANK_HERO_CHAT, RANK_TIMELINE, RANK_OTHER = 0, 1, 2, 3
"""Where a step sentence comes from, most direct first: a Resolution / Steps section, the hero's own
chat line, a postmortem timeline, anything else."""

TIMELINE_HEADING = re.compile(r"\btimeline\b", re.I)
"""A section narrating the fix as it happened (read for steps, ranked after a Resolution)."""

STEP_VERBS = (
    "restart",
    "roll back",
    "rollback",
    "revert",
    "run",
    "rerun",
    "re-run",
    "fail over",
    "failover",
    "drain",
    "scale",
    "flush",
    "purge",
    "clear",
    "kill",
    "bump",
    "redeploy",
    "deploy",
    "promote",
    "reindex",
    "rotate",
    "disable",
    "enable",
    "increase",
    "decrease",
    "raise",
    "lower",
    "apply",
    "check",
    "verify",
    "switch",
    "pause",
    "resume",
    "evict",
    "delete",
    "reboot",
    "cordon",
    "restore",
    "vacuum",
    "open",
    "set",
    "stop",
    "start",
    "page",
    "find",
    "watch",
    "confirm",
    "terminate",
    "wait",
    "add",
    "remove",
    "move",
    "reduce",
    "extend",
    "renew",
    "retry",
    "resize",
    "expand",
    "trigger",
    "reset",
    "replay",
    "reconcile",
    "cancel",
    "identify",
    "re-enable",
    "unblock",
    "mark",
    "force",
    "tell",
    "notify",
    "post",
    "update",
)
"""Verbs that open an imperative step line."""

STEP_SENTENCE = re.compile(
    r"\b(restart(ed|ing)?|roll(ed|ing)? ?back|rollback|revert(ed)?|fail(ed|ing)? ?over|failover|ran|run(ning)?|"
    r"drain(ed)?|flush(ed)?|purge(d)?|redeploy(ed)?|scale(d)? (up|down|out)|bump(ed)?|promote(d)?|reindexed)\b",
    re.I,
)
"""Sentences that describe a fix even when not written as an imperative ("I restarted the pool")."""

STEP_SECTIONS = re.compile(
    r"\b(resolution|timeline|remediation|mitigation|fix|steps|procedure|recovery)\b", re.I
)
"""Postmortem / runbook headings whose lines are read for steps."""

TRAP = re.compile(
    r"false positive|red herring|not the (root )?cause|misleading|\bdon'?t\b|\bdo not\b|\bnever\b|"
    r"careful|\btrap\b|gotcha|beware|looks like|ignore the|wrong",
    re.I,
)
ESCALATE = re.compile(
    r"escalat|\bpag(e|ed|ing)\b|call (in|the)|wake|\bif\b.*\b(then|call|page|escalate)\b", re.I
)
SERVICE_MAP = re.compile(
    r"depends on|upstream|downstream|dashboard|talks to|calls the|behind the|in front of|"
    r"\bdatabase\b|\bqueue\b|\bcache\b|replica|primary|load balancer",
    re.I,
)
KNOWS = re.compile(
    r"because|root cause|caused by|usually|always|every time|the trick|the reason|happens when", re.I
)
VERIFY = re.compile(r"verify|confirm|should see|back to normal|recovered|green|healthy|error rate", re.I)
NOISY = re.compile(
    r"noisy|flapp|false (alarm|positive)|non-actionable|auto-?resolv|alert fatigue|spurious", re.I
)
OWNERSHIP = re.compile(r"who owns|no owner|unowned|ownership|not sure who|nobody owns|which team", re.I)
FRAGILE = re.compile(
    r"roll(ed)? ?back|rollback|revert|deploy (failed|broke)|hotfix|broke after|bad deploy|migration", re.I
)
SYMPTOM = re.compile(r"alert|error|latency|5\d\d|timeout|down\b|spike|paged|fail|slow|lag", re.I)
RISKY = re.compile(r"night|off-hours|weekend|critical|sev ?1|again|every time|only .* knows", re.I)

_PREFIX = re.compile(
    r"^\s*(?:[-*>]+\s*|\d+[.)]\s+)?"
    r"(?:\[?(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?\s*(?:utc|z)?\]?\s*[-–:]?\s*)?"
    r"(?:@?[A-Za-z][\w.\-]*(?: [A-Z][\w.\-]*)?:\s+)?"
    r"(?:(?:first|then|next|now|running|finally|ok|so|step \d+)\b:?,?\s+(?=(?-i:[A-Z`])))?",
    re.I,
)
"""What precedes the words of a line: a list marker, a timestamp, the speaker, a filler ("first:", "now")."""
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z`@])")
_COMMAND = re.compile(r"`([^`\n]{2,200})`")


BOT = re.compile(r"\[bot\]", re.I)
"""A chat line posted by a bot (alert notices): neither a step someone took nor what anyone knows."""


@dataclass
class Sentence:
    """One evidence sentence with where it came from."""

    text: str
    body: str
    cite: str
    kind: str
    step_source: bool
    hero: bool
    command: str | None = None
    group: str = ""
    rank: int = 3


@dataclass
class DraftOutput:
    """What a drafter produced: the artifact and how it was made."""

    artifact: Artifact
    drafter: str
    model: str
    prompt_id: str
    prompt_version: int
    prompt_hash: str
    notes: list[dict[str, Any]] = field(default_factory=list)


def _is_injection(text: str) -> bool:
    return any(p.search(text) for _, p in INJECTION_PATTERNS)


def sentences(evidence: dict[str, dict[str, Any]]) -> list[Sentence]:
    """Every usable sentence of the chunk evidence, in evidence order (facts excluded)."""
    out: list[Sentence] = []
    for eid, item in evidence.items():
        if item.get("kind") == "fact":
            continue
        kind = str(item.get("kind") or "")
        title = str(item.get("title") or "")
        in_section = bool(STEP_SECTIONS.search(title))
        timeline = bool(TIMELINE_HEADING.search(title))
        hero = bool(item.get("hero"))
        base_group = str(item.get("group") or "") or (
            class_label(title) if kind in ("postmortem", "incident") else ""
        )
        group = base_group
        doc_title = title.split(" — ")[0].strip()
        for raw_line in str(item.get("text", "")).splitlines():
            line = raw_line.strip()
            if not line or line == doc_title:  # a section chunk repeats its document's title first
                continue
            if line.startswith("#"):
                level = len(line) - len(line.lstrip("#"))
                heading = line.lstrip("#").strip()
                if level >= 3 and in_section:  # a sub-heading of a steps section names the failure
                    group = base_group or heading.lower()
                    continue
                in_section = bool(STEP_SECTIONS.search(line)) or bool(STEP_SECTIONS.search(title))
                timeline = bool(TIMELINE_HEADING.search(line)) or (
                    not STEP_SECTIONS.search(line) and bool(TIMELINE_HEADING.search(title))
                )
                group = base_group
                continue
            for part in _SPLIT.split(line):
                part = part.strip()
                if len(part) < 8 or _is_injection(part) or BOT.search(part):
                    continue
                body = _PREFIX.sub("", part, count=1).strip() or part
                step_source = (
                    (kind in ("chat_thread", "chat") and (hero or not _any_hero(evidence)))
                    or (kind in ("postmortem", "runbook") and in_section)
                    or kind in ("incident",)
                    and in_section
                )
                cmd = _COMMAND.search(part)
                if kind.startswith("chat"):
                    rank = RANK_HERO_CHAT if hero else RANK_OTHER
                elif in_section and not timeline:
                    rank = RANK_STEP_SECTION
                elif in_section:
                    rank = RANK_TIMELINE
                else:
                    rank = RANK_OTHER
                out.append(
                    Sentence(
                        text=part,
                        body=body,
                        cite=eid,
                        kind=kind,
                        step_source=step_source,
                        hero=hero,
                        command=cmd.group(1) if cmd else None,
                        group=group,
                        rank=rank,
                    )
                )
    return out


def _any_hero(evidence: dict[str, dict[str, Any]]) -> bool:
    return any(item.get("hero") for item in evidence.values())


NEGATED = re.compile(r"^(don'?t|do not|never|avoid)\b", re.I)
"""A line that says what not to do is a trap, not a step."""

OBSERVATION = re.compile(
    r"\b(seeing|saw|we see|errors?|in the logs?|log line|warning|firing|from \w+ services)\b", re.I
)
"""Words around a quoted log line or error message: an observation, not a command to run."""

LOG_LINE = re.compile(r"^\s*(warn(ing)?|error|fatal|panic|exception|traceback)\b", re.I)
"""Backticked text that is a log message (``WARNING: ...``), not a command."""


def is_step(s: Sentence) -> bool:
    """An imperative line, a command in backticks, or a fix sentence, from a place steps come from."""
    if not s.step_source or NEGATED.search(s.body) or s.body.rstrip().endswith("?"):
        return False
    lowered = s.body.lower()
    if any(lowered.startswith(v + " ") or lowered == v for v in STEP_VERBS) or STEP_SENTENCE.search(s.body):
        return True
    return (
        s.command is not None
        and not LOG_LINE.search(s.command)
        and not OBSERVATION.search(_COMMAND.sub(" ", s.body))
    )


def _dedup(items: list[Sentence]) -> list[Sentence]:
    seen: set[str] = set()
    out = []
    for s in items:
        key = re.sub(r"\W+", " ", s.body.lower()).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _step_key(s: Sentence) -> str:
    """What makes two steps the same: their command, else their words."""
    if s.command:
        return "cmd:" + re.sub(r"\s+", " ", s.command.strip().lower())
    return re.sub(r"\W+", " ", s.body.lower()).strip()


def class_steps(items: list[Sentence]) -> list[Step]:
    """Fix steps of every incident class in the evidence, each class in turn (largest first), the most
    direct sources first (Resolution / Steps sections, the hero's lines, timelines), each step once."""
    groups: dict[str, list[Sentence]] = {}
    cites: dict[str, set[str]] = {}
    for s in items:
        groups.setdefault(s.group, []).append(s)
        cites.setdefault(s.group, set()).add(s.cite)
    order = sorted(groups, key=lambda g: (g == "", -len(cites[g]), g))
    seen: set[str] = set()
    out: list[Step] = []
    for g in order:
        kept = 0
        for s in sorted(groups[g], key=lambda s: s.rank):
            key = _step_key(s)
            if not key or key in seen:
                continue
            if g == "" and kept >= MAX_PER_SECTION or g and kept >= MAX_STEPS_PER_CLASS:
                break
            seen.add(key)
            kept += 1
            out.append(Step(text=s.body, citations=[s.cite], command=s.command))
    return out[:MAX_STEPS]


def _claims(items: list[Sentence], cls: type[Claim] = Claim, **extra: Any) -> list[Any]:
    return [cls(text=s.body, citations=[s.cite], **extra) for s in _dedup(items)[:MAX_PER_SECTION]]


def _steps(items: list[Sentence]) -> list[Step]:
    return [Step(text=s.body, citations=[s.cite], command=s.command) for s in _dedup(items)[:MAX_PER_SECTION]]


TITLES = {
    "narrative": "Hero-map narrative",
    "knowledge-pack": "Knowledge pack",
    "runbook": "Runbook",
    "transfer-plan": "Capability transfer plan",
    "rotation-plan": "Rotation plan",
    "anti-heroics": "Anti-heroics improvement plan",
    "drill": "Drill scenario",
}
"""Artifact titles per kind."""

_WHEN = re.compile(r"\b(if|when|once)\b(.+?)(,|\bthen\b)", re.I)
_WHY = re.compile(r"\b(because|since|as)\b(.+)$", re.I)


LOG_LINE = re.compile(
    r"[+-]\d{2}:\d{2}\b|\(level \d+\)|\bescalated to\b.*\bby\b|^\s*\d{4}-\d{2}-\d{2}|\b(?:escalate|assign|notify)_log_entry\b",
    re.I,
)
"""A raw record (a pager log entry, 'escalated to X by Y (level 2)'), not guidance a responder can follow."""

CONDITION = re.compile(r"\b(if|when|unless|after|before|once|until)\b", re.I)
"""Escalation sentences from the evidence are kept only when they say when to escalate."""


def _escalations(
    items: list[Sentence], evidence: dict[str, dict[str, Any]] | None = None
) -> list[Escalation]:
    """Escalation guidance: the sentence built from the scope's rescues first, then escalation sentences
    from the evidence (never raw log lines), with their condition and reason split out when stated."""
    out = []
    fact = _fact(evidence, "escalation") if evidence else None
    if fact:
        out.append(
            Escalation(
                text=fact[1],
                citations=[fact[0]],
                when="it does not recover after the steps above",
                why="the rescues show who resolved it before",
            )
        )
    guidance = [i for i in items if not LOG_LINE.search(i.text) and CONDITION.search(i.body)]
    for s in _dedup(guidance)[: MAX_PER_SECTION - len(out)]:
        when = _WHEN.search(s.body)
        why = _WHY.search(s.body)
        out.append(
            Escalation(
                text=s.body,
                citations=[s.cite],
                when=when.group(2).strip() if when else "",
                why=why.group(2).strip().rstrip(".") if why else "",
            )
        )
    return out


def _hero_lines(evidence: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(line, chunk id) of every fix or judgement the hero gave in the evidence (``evidence.hero_knowledge``)."""
    return [(line, eid) for eid, item in evidence.items() for line in item.get("hero_lines") or []]


def hero_claims(evidence: dict[str, dict[str, Any]], hero_name: str) -> list[Claim]:
    """What the hero hands over in threads and write-ups, in their words, each citing its chunk."""
    return [Claim(text=line, citations=[eid]) for line, eid in _hero_lines(evidence)[:MAX_PER_SECTION]]


def hero_steps(evidence: dict[str, dict[str, Any]]) -> list[Step]:
    """The hero's fixes that carry a command, as runbook steps citing the thread or write-up they gave them in."""
    out = []
    for line, eid in _hero_lines(evidence):
        cmd = _COMMAND.search(line)
        if cmd:
            out.append(Step(text=line, citations=[eid], command=cmd.group(1)))
    return out[:MAX_PER_SECTION]


def _merge_steps(first: list[Step], rest: list[Step]) -> list[Step]:
    """The hero's steps, then the others that are not the same command again."""
    seen = {s.command for s in first if s.command}
    return first + [s for s in rest if not s.command or s.command not in seen]


def _fact(evidence: dict[str, dict[str, Any]], name: str) -> tuple[str, str] | None:
    for eid, item in evidence.items():
        if item.get("kind") == "fact" and eid.endswith(f":{name}"):
            return eid, str(item["text"])
    return None


def _fact_claim(evidence: dict[str, dict[str, Any]], name: str) -> list[Claim]:
    f = _fact(evidence, name)
    return [Claim(text=f[1], citations=[f[0]])] if f else []


def _others(evidence: dict[str, dict[str, Any]], hero_name: str) -> list[str]:
    """Names of active people other than the hero, from the people fact."""
    f = _fact(evidence, "people")
    if not f:
        return []
    listed = f[1].split(":", 1)[1] if ":" in f[1] else f[1]
    names = [re.sub(r"\s*\(.*$", "", part).strip() for part in listed.split(",")]
    return [n for n in names if n and n != hero_name]


class OfflineDrafter:
    """Extractive, deterministic drafts from the evidence (no network, no key)."""

    name = "offline"

    def draft(
        self,
        kind: str,
        scope: str,
        hero_name: str,
        evidence: dict[str, dict[str, Any]],
        feedback: str | None = None,
    ) -> DraftOutput:
        """The artifact of ``kind`` for ``scope``, every claim citing the evidence it was taken from."""
        artifact_model(kind)
        sents = sentences(evidence)
        steps = [s for s in sents if is_step(s)]
        pick = {
            "trap": [s for s in sents if TRAP.search(s.body)],
            "escalate": [s for s in sents if ESCALATE.search(s.body)],
            "map": [
                s
                for s in sents
                if SERVICE_MAP.search(s.body)
                and not is_step(s)
                and not TRAP.search(s.body)
                and not ESCALATE.search(s.body)
            ],
            "knows": [s for s in sents if KNOWS.search(s.body) and (s.hero or not _any_hero(evidence))],
            "verify": [s for s in sents if VERIFY.search(s.body)],
            "noisy": [s for s in sents if NOISY.search(s.body)],
            "owner": [s for s in sents if OWNERSHIP.search(s.body)],
            "fragile": [s for s in sents if FRAGILE.search(s.body)],
            "symptom": [s for s in sents if SYMPTOM.search(s.body) and not is_step(s)],
            "risky": [s for s in sents if RISKY.search(s.body)],
        }
        title = f"{TITLES.get(kind, kind)} — {scope}"
        base: dict[str, Any] = {"title": title, "scope": scope}
        artifact: Artifact
        if kind == "knowledge-pack":
            artifact = KnowledgePack(
                **base,
                what_the_hero_knows=_fact_claim(evidence, "hero")
                + hero_claims(evidence, hero_name)
                + _claims(pick["knows"]),
                runbook_steps=_merge_steps(hero_steps(evidence), class_steps(steps)),
                escalation=_escalations(pick["escalate"], evidence),
                traps=_claims(pick["trap"]),
                service_map=_claims(pick["map"]),
            )
        elif kind == "runbook":
            artifact = Runbook(
                **base,
                preconditions=_fact_claim(evidence, "incidents"),
                steps=_merge_steps(hero_steps(evidence), class_steps(steps)),
                verification=_claims(pick["verify"]),
                escalation=_escalations(pick["escalate"], evidence),
            )
        elif kind == "transfer-plan":
            artifact = self._transfer(base, evidence, steps, hero_name)
        elif kind == "rotation-plan":
            artifact = self._rotation(base, evidence, hero_name, scope)
        elif kind == "anti-heroics":
            repeated = Counter(re.sub(r"\s+", " ", s.command.strip()) for s in steps if s.command)
            manual = [s for s in steps if s.command and repeated[re.sub(r"\s+", " ", s.command.strip())] >= 2]
            artifact = AntiHeroicsPlan(
                **base,
                noisy_alerts=_claims(pick["noisy"]),
                ownership_gaps=_claims(pick["owner"]),
                release_fragility=_claims(pick["fragile"]),
                manual_steps=_claims(manual or [s for s in steps if s.command]),
            )
        elif kind == "drill":
            artifact = self._drill(base, evidence, sents, steps, pick["symptom"], hero_name)
        else:
            artifact = Narrative(
                **base,
                summary=_fact_claim(evidence, "hero") + _fact_claim(evidence, "incidents"),
                concentration=_fact_claim(evidence, "people"),
                risk=_claims(pick["risky"]),
            )
        notes = []
        if feedback:
            notes.append(
                {
                    "type": "reviewer-feedback",
                    "message": f"redrafted after the reviewer asked: {feedback[:300]}",
                }
            )
        return DraftOutput(
            artifact=artifact,
            drafter=self.name,
            model=OFFLINE_MODEL,
            prompt_id=f"offline:{kind}",
            prompt_version=OFFLINE_VERSION,
            prompt_hash=OFFLINE_HASH,
            notes=notes,
        )

    def _transfer(
        self, base: dict[str, Any], evidence: dict[str, dict[str, Any]], steps: list[Sentence], hero_name: str
    ) -> TransferPlan:
        people = _others(evidence, hero_name) or ["the secondary on-call"]
        hows: tuple[Literal["pairing", "leading-with-support", "drill"], ...] = (
            "pairing",
            "leading-with-support",
            "drill",
        )
        items = []
        for i, s in enumerate(_dedup(steps)[:6]):
            risk: Literal["high", "medium", "low"] = "high" if i < 2 else "medium" if i < 4 else "low"
            items.append(
                TransferItem(
                    text=s.body,
                    citations=[s.cite],
                    risk=risk,
                    to_whom=people[i % len(people)],
                    how=hows[min(i // 2, 2)],
                    by_when=f"week {2 * (i // 2 + 1)}",
                )
            )
        return TransferPlan(
            **base, items=items, notes=_fact_claim(evidence, "hero") + _fact_claim(evidence, "people")
        )

    def _rotation(
        self, base: dict[str, Any], evidence: dict[str, dict[str, Any]], hero_name: str, scope: str
    ) -> RotationPlan:
        f = _fact(evidence, "people")
        phases: list[RotationPhase] = []
        if f:
            people = _others(evidence, hero_name) or ["the secondary on-call"]
            who = " and ".join(people[:2])
            phases = [
                RotationPhase(
                    text=f"{who} shadow {hero_name} on {scope}", citations=[f[0]], stage="shadow", weeks="1-2"
                ),
                RotationPhase(
                    text=f"{who} lead on {scope} while {hero_name} shadows (reverse shadow)",
                    citations=[f[0]],
                    stage="reverse-shadow",
                    weeks="3-4",
                ),
                RotationPhase(
                    text=f"{who} lead on {scope}; {hero_name} is not paged first",
                    citations=[f[0]],
                    stage="lead",
                    weeks="5-8",
                ),
            ]
        fairness = _fact_claim(evidence, "incidents")
        return RotationPlan(**base, phases=phases, fairness=fairness)

    def _drill(
        self,
        base: dict[str, Any],
        evidence: dict[str, dict[str, Any]],
        sents: list[Sentence],
        steps: list[Sentence],
        symptoms: list[Sentence],
        hero_name: str,
    ) -> DrillScenario:
        incidents = [
            (eid, it) for eid, it in evidence.items() if it.get("kind") in ("postmortem", "incident")
        ]
        source: list[Claim] = []
        setup: list[Claim] = []
        if incidents:
            eid, item = incidents[0]
            first = next((s.body for s in sents if s.cite == eid), str(item.get("title") or ""))
            source = [Claim(text=str(item.get("title") or first), citations=[eid])]
            setup = [Claim(text=first, citations=[eid])]
        hero = _fact(evidence, "hero")
        role = (
            [Claim(text=f"{hero_name} observes only and does not lead; {hero[1]}", citations=[hero[0]])]
            if hero
            else []
        )
        return DrillScenario(
            **base,
            source_incident=source,
            setup=setup,
            injects=_claims(symptoms),
            expected_actions=_steps(steps),
            hero_role=role,
        )
