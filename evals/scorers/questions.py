"""Questions: offline answers to the manager's questions, graded against facts the map holds.

v1 fills templates from the generator's ground truth. v2 (``questions.v2.yaml``) is a set of natural
questions written without reading the engine; each expectation is a look-up over the product's analyses
(:mod:`evals.scorers.questions_facts`), matched strictly (:mod:`evals.scorers.questions_match`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import Metric
from evals.scorers.questions_match import (
    Entity,
    affirms,
    denies,
    invented,
    is_refusal,
    mentions,
    ranks_first,
    scope_entity,
    sentences,
    states_verdict,
)

DATASET = "questions.v1"
DATASET_V2 = "questions.v2"
SETS = ("tune", "test")

NOBODY_WORDS = ("nobody", "no one", "no-one", "none", "no other person", "no other people", "only person")
"""How an answer says that a look-up's list is empty ('nobody else can deploy it')."""

NO_SCAN_WORDS = (
    "no scan",
    "no scans",
    "no previous scan",
    "no earlier scan",
    "never been scanned",
    "not scanned yet",
    "first scan",
)
"""How an answer says there is no scan to compare with."""

NOTHING_NEW_WORDS = ("nothing new", "no new", "no changes", "nothing changed", "no findings")
"""How an answer says the last scan found nothing new."""

HERO_WORDS = ("hero", "heroes")
"""The word whose polarity a hero-status expectation checks."""
NAME_RE = re.compile(r"\b[A-Z][a-zA-Z'\-]+(?: [A-Z][a-zA-Z'\-]+)+\b")
"""Two or more capitalised words: how a full name appears in an answer."""


def instances(templates: list[dict[str, Any]], truth: Any) -> list[dict[str, Any]]:
    """Each template filled from the truth, with what a correct answer must mention."""
    out = []
    heroes = [h for h in truth.heroes if h.forms_at is None]
    for t in templates:
        for h in heroes:
            person = truth.person(h.person)
            for scope in h.scopes:
                name = scope.split(":")[-1]
                fill = {
                    "scope": scope,
                    "service": name,
                    "person": person.name,
                    "any_hero": "|".join(truth.person(x.person).name for x in heroes),
                }
                expect = [e for x in t["expect_any"] for e in x.format(**fill).split("|")]
                out.append(
                    {"template": t["id"], "question": t["question"].format(**fill), "expect_any": expect}
                )
                if t.get("once_per_hero"):
                    break
            if t.get("once"):
                break
    return out


def score(
    org: Any | None, datasets: Path, thresholds: dict[str, float], v2_org: Any | None = None
) -> list[Metric]:
    """Both versions' metrics: v1 (templated) and v2 (natural questions, over the organisation they were
    written about: ``v2_org``; a crash becomes missing metrics)."""
    out = score_v1(org, datasets, thresholds)
    try:
        out += score_v2(v2_org if v2_org is not None else org, datasets, thresholds)
    except Exception as exc:  # the v1 gate must not fall with v2
        why = [f"{type(exc).__name__}: {exc}"[:400]]
        out += [
            Metric(m, None, "questions v2 (the scorer crashed)", thresholds.get(m), failing_cases=why)
            for m in V2_METRICS
        ]
    return out


def score_v1(org: Any | None, datasets: Path, thresholds: dict[str, float]) -> list[Metric]:
    """Answer every templated question offline and grade it."""
    spec = yaml.safe_load((datasets / f"{DATASET}.yaml").read_text(encoding="utf-8"))
    try:
        from agent.ask import answer
    except ImportError as exc:
        why = [f"agent.ask.answer is not available: {exc}"]
        return [
            Metric(
                "questions.correct",
                None,
                "Share of templated questions answered correctly (offline)",
                thresholds.get("questions.correct"),
                dataset=DATASET,
                failing_cases=why,
            ),
            Metric(
                "questions.invented",
                None,
                "Names or numbers in answers that no tool returned",
                thresholds.get("questions.invented"),
                direction="max",
                dataset=DATASET,
                failing_cases=why,
            ),
        ]
    if org is None:
        why = ["no org with real embeddings was built"]
        return [
            Metric(
                "questions.correct",
                None,
                "Share of templated questions answered correctly (offline)",
                thresholds.get("questions.correct"),
                dataset=DATASET,
                failing_cases=why,
            )
        ]
    known = {n.lower() for p in org.truth.people for n in p.names}
    from sqlalchemy import select

    from ingest.db import Person

    with org.ws.session() as s:
        known |= {(n or "").lower() for (n,) in s.execute(select(Person.name))}
    correct = 0
    invented: list[str] = []
    wrong: list[str] = []
    items = instances(spec["templates"], org.truth)
    for item in items:
        a = answer(org.ws, item["question"])
        text = a.answer
        if any(e.lower() in text.lower() for e in item["expect_any"]):
            correct += 1
        else:
            wrong.append(f"{item['question']!r}: expected one of {item['expect_any']}; got {text[:160]!r}")
        for bad in a.unverified:
            invented.append(f"{item['question']!r}: unverified {bad!r}")
        for m in NAME_RE.finditer(text):
            words = m.group().split()
            tails = [" ".join(words[i:]).lower() for i in range(len(words) - 1)]
            looks_person = any(w.lower() in {x.split()[0] for x in known if x} for w in words[:-1])
            if looks_person and not any(t in known for t in tails):
                invented.append(f"{item['question']!r}: name {m.group()!r} is nobody in the organisation")
    return [
        Metric(
            "questions.correct",
            correct / len(items) if items else None,
            "Share of templated questions answered correctly (offline engine)",
            thresholds.get("questions.correct"),
            claude=None,
            claude_note="cassette replay: no recorded Claude answers",
            dataset=DATASET,
            failing_cases=wrong,
            details={"questions": len(items)},
        ),
        Metric(
            "questions.invented",
            float(len(invented)),
            "Names or numbers in answers that no tool returned",
            thresholds.get("questions.invented"),
            direction="max",
            dataset=DATASET,
            failing_cases=invented,
        ),
    ]


# ---------------------------------------------------------------------------------------------- v2

V2_METRICS = ("questions.v2.test_correct", "questions.v2.tune_correct", "questions.v2.invented")


def load_v2(datasets: Path) -> dict[str, Any]:
    """The v2 question set."""
    return yaml.safe_load((datasets / f"{DATASET_V2}.yaml").read_text(encoding="utf-8"))


def _entities(facts: Any, lookups: list[Any]) -> list[Entity]:
    out: list[Entity] = []
    for lookup in lookups:
        out += facts.resolve(lookup)
    return out


def grade(item: dict[str, Any], text: str, facts: Any, refused: bool | None = None) -> list[str]:
    """Why the answer is wrong (empty when it is right): every expectation must hold, strictly."""
    refused = is_refusal(text) if refused is None else refused
    if item.get("outside_data"):
        return [] if refused else ["answered a question that is outside the data (should refuse)"]
    if refused:
        return ["refused a question the data answers"]
    exp = item["expect"]
    why: list[str] = []
    for lookup in exp.get("mentions", []):
        ents = facts.resolve(lookup)
        if not ents and not affirms(text, NOBODY_WORDS):
            why.append(f"{lookup} is nobody/nothing, and the answer does not say so")
        for e in ents:
            if not mentions(text, e):
                why.append(f"does not mention {e} ({lookup})")
    if "mentions_any_of" in exp:
        ents = _entities(facts, exp["mentions_any_of"])
        if not ents:
            if not affirms(text, NOBODY_WORDS):
                why.append(f"{exp['mentions_any_of']} is nobody/nothing, and the answer does not say so")
        elif not any(mentions(text, e) for e in ents):
            why.append(f"mentions none of {[str(e) for e in ents][:8]}")
    numbers = ([exp["number"]] if "number" in exp else []) + exp.get("number_any_of", [])
    if numbers:
        values = [facts.number(n) for n in numbers]
        if not any(mentions(text, Entity("number", str(v), value=v)) for v in values):
            why.append(f"does not state {' or '.join(f'{v:g}' for v in values)} ({numbers})")
    if "ranks_first" in exp:
        ents = facts.resolve(exp["ranks_first"])
        if not ents:
            why.append(f"{exp['ranks_first']} resolved to nothing")
        elif not ranks_first(
            text, ents[0], [r for r in facts.rivals(ents[0]) if not mentions(item.get("question", ""), r)]
        ):
            why.append(f"does not name {ents[0]} first ({exp['ranks_first']})")
    if "verdict_of" in exp:
        sid = facts.scope(exp["verdict_of"])
        verdict = facts.verdict(sid)
        if not mentions(text, scope_entity(sid)):
            why.append(f"does not name {sid}")
        if not states_verdict(text, verdict):
            why.append(f"does not state the verdict {verdict!r} of {sid}")
    if "hero_status_of" in exp:
        why += _hero_status(text, facts, exp["hero_status_of"])
    if "says_any" in exp and not affirms(text, exp["says_any"]):
        why.append(f"says none of {exp['says_any']}")
    if exp.get("changes_since_last_scan"):
        changes = facts.scan_changes()
        if changes is None:
            if not affirms(text, NO_SCAN_WORDS):
                why.append("no scan has run, and the answer does not say so")
        elif not changes:
            if not affirms(text, NOTHING_NEW_WORDS):
                why.append("the last scan found nothing new, and the answer does not say so")
        elif not any(mentions(text, e) for e in changes):
            why.append(f"mentions none of the last scan's findings {[str(e) for e in changes][:8]}")
    return why


def _hero_status(text: str, facts: Any, alias: str) -> list[str]:
    """The answer names the person and says they are (or are not) a hero, as the map says."""
    entity = facts.entities[facts.person(alias)]
    if not mentions(text, entity):
        return [f"does not name {entity}"]
    about = " ".join(s for s in sentences(text) if mentions(s, entity))
    if facts.is_hero(alias):
        if not affirms(about, HERO_WORDS) or denies(about, HERO_WORDS):
            return [f"does not say that {entity} is a hero"]
        return []
    if not denies(text, HERO_WORDS) or (affirms(about, HERO_WORDS) and not denies(about, HERO_WORDS)):
        return [f"does not say that {entity} is not a hero"]
    return []


def run_v2(ws: Any, spec: dict[str, Any], answer_fn: Any) -> dict[str, Any]:
    """Ask every question, grade it; per question: id, set, intent, ok, why, invented."""
    from evals.scorers.questions_facts import Facts, LookupError_

    facts = Facts(ws)
    rows = []
    answers = []
    for item in spec["questions"]:
        a = answer_fn(ws, item["question"])
        text = a.answer
        try:
            why = grade(item, text, facts, getattr(a, "refused", None))
        except LookupError_ as exc:
            why = [f"broken look-up: {exc}"]
        answers.append((item, a))
        rows.append(
            {
                "id": item["id"],
                "set": item["set"],
                "intent": item["intent"],
                "ok": not why,
                "why": why,
                "question": item["question"],
                "answer": text,
            }
        )
    known = facts.known()
    for row, (item, a) in zip(rows, answers, strict=True):
        row["invented"] = [
            *invented(a.answer, known, item["question"]),
            *(f"unverified {u!r}" for u in a.unverified),
        ]
    return {"rows": rows}


def score_v2(org: Any | None, datasets: Path, thresholds: dict[str, float]) -> list[Metric]:
    """The v2 metrics: share correct on the test half (the gate) and the tune half, and invented items."""

    def missing(why: list[str]) -> list[Metric]:
        return [
            Metric(
                m,
                None,
                "questions v2",
                thresholds.get(m),
                dataset=DATASET_V2,
                failing_cases=why,
                direction="max" if m.endswith("invented") else "min",
            )
            for m in V2_METRICS
        ]

    spec = load_v2(datasets)
    try:
        from agent.ask import answer
    except ImportError as exc:
        return missing([f"agent.ask.answer is not available: {exc}"])
    if org is None:
        return missing(["no org with real embeddings was built"])
    result = run_v2(org.ws, spec, answer)
    return v2_metrics(result["rows"], thresholds)


def v2_metrics(rows: list[dict[str, Any]], thresholds: dict[str, float]) -> list[Metric]:
    """Metrics from graded rows (per-intent figures in the details)."""
    out = []
    for which in ("test", "tune"):
        mine = [r for r in rows if r["set"] == which]
        by_intent: dict[str, list[int]] = {}
        for r in mine:
            by_intent.setdefault(r["intent"], [0, 0])
            by_intent[r["intent"]][0] += r["ok"]
            by_intent[r["intent"]][1] += 1
        name = f"questions.v2.{which}_correct"
        out.append(
            Metric(
                name,
                sum(r["ok"] for r in mine) / len(mine) if mine else None,
                f"Share of the v2 {which} half answered correctly (offline; refusals wrong unless outside the data)",
                thresholds.get(name),
                dataset=DATASET_V2,
                failing_cases=[
                    f"{r['id']}: {r['question']!r}: {'; '.join(r['why'])[:300]}; got {r['answer'][:160]!r}"
                    for r in mine
                    if not r["ok"]
                ],
                details={
                    "questions": len(mine),
                    "by_intent": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_intent.items())},
                },
            )
        )
    bad = [f"{r['id']}: {x}" for r in rows for x in r["invented"]]
    out.append(
        Metric(
            "questions.v2.invented",
            float(len(bad)),
            "Names, numbers or commands in v2 answers that the data does not hold",
            thresholds.get("questions.v2.invented"),
            direction="max",
            dataset=DATASET_V2,
            failing_cases=bad,
        )
    )
    return out


def main() -> int:
    """``python -m evals.scorers.questions --home WS [--set test|tune] [--id ID]``: grade v2 on a workspace."""
    import argparse
    import json
    import sys

    from agent.ask import answer
    from ingest.workspace import Workspace

    parser = argparse.ArgumentParser(description="Grade the v2 question set on a workspace.")
    parser.add_argument("--home", required=True)
    parser.add_argument("--set", choices=SETS, default=None)
    parser.add_argument("--id", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = load_v2(Path(__file__).resolve().parents[1] / "datasets")
    spec["questions"] = [
        q
        for q in spec["questions"]
        if (not args.set or q["set"] == args.set) and (not args.id or q["id"] in args.id)
    ]
    rows = run_v2(Workspace.open(args.home), spec, answer)["rows"]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        for r in rows:
            mark = "ok  " if r["ok"] else "FAIL"
            sys.stdout.write(f"{mark} {r['id']} [{r['set']}] {r['question']}\n")
            for w in r["why"] + [f"invented: {x}" for x in r["invented"]]:
                sys.stdout.write(f"       {w}\n")
        for m in v2_metrics(rows, {}):
            sys.stdout.write(f"{m.name}: {m.value}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
