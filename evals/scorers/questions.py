"""Questions: offline answers to templated questions whose answers the ground truth knows; no invented
names or numbers (the product's verifier, plus an independent check that every full name is a real person)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import Metric

DATASET = "questions.v1"
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


def score(org: Any | None, datasets: Path, thresholds: dict[str, float]) -> list[Metric]:
    """Answer every question offline and grade it."""
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
