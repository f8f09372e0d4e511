"""Understanding a question offline: its intent by meaning (nearest exemplars) and its slots.

The intent comes from the bundled embedding model (the one retrieval uses, loaded on first use): the
question is compared with the exemplars of each intent in ``prompts/ask/intents.v1.yaml``. Slots are
filled from the data: any alias of a person, any scope or service name (fuzzy but safe) and time phrases.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

INTENTS_FILE = Path(__file__).resolve().parents[2] / "prompts" / "ask" / "intents.v1.yaml"
"""The committed exemplars of each intent (a merged version never changes)."""

TOP_K = 2
"""An intent's score is the mean similarity of its TOP_K nearest exemplars (one lucky exemplar is not enough)."""

MIN_SIMILARITY = 0.30
"""Below this cosine similarity to every intent the question is unclear and is asked back. Chosen on the
exemplars themselves and the tune half of questions.v2 (MiniLM puts unrelated English sentences near 0.1)."""

MARGIN = 0.015
"""When the two best intents are closer than this and need different slots the question is ambiguous; the
slots found decide, else it is asked back. Chosen on the tune half of questions.v2 (never the test half)."""

SLOT_PENALTY = 0.06
"""Subtracted from an intent that needs a person or a scope the question does not name: the exemplars'
spread between intents (about 0.05-0.1 on the tune half) so a missing slot tips a close call, not a clear one."""

NEEDS: dict[str, tuple[str, ...]] = {
    "hero_knowledge": ("person|scope",),
    "whatif": ("person",),
    "hero_status": ("person",),
    "independence": ("scope",),
    "who_else": ("scope|person",),
    "depend_on": ("scope",),
}
"""Slots an intent cannot answer without (``a|b``: either)."""

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for m in names
}
"""Month names as people type them."""

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple of": 2,
    "few": 3,
}
"""Spelled-out counts ('for two weeks')."""

UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
"""Days per unit of a time phrase."""

COUNT_RE = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|few)"


@dataclass
class Window:
    """A time phrase as a window over the data (anchored at the data's end) and/or a duration ahead."""

    phrase: str = ""
    since: datetime | None = None
    until: datetime | None = None
    days_ahead: int | None = None

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass
class Understanding:
    """What the engine understood: the intent, how sure, the runner-up, and the slots."""

    intent: str
    score: float
    runner_up: str
    runner_up_score: float
    people: list[dict[str, Any]] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    window: Window = field(default_factory=Window)
    unclear: bool = False

    def describe(self) -> str:
        parts = [f"a question about {intent_summary(self.intent)}"]
        if self.people:
            parts.append("person " + ", ".join(p["name"] for p in self.people))
        if self.scopes:
            parts.append("scope " + ", ".join(self.scopes[:2]))
        if self.window.phrase:
            parts.append(f"time '{self.window.phrase}'")
        return "; ".join(parts)


@lru_cache(maxsize=4)
def load_intents(path: str = str(INTENTS_FILE)) -> dict[str, dict[str, Any]]:
    """The intents file: intent -> {summary, try, exemplars}."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["intents"]


def intent_summary(intent: str) -> str:
    return str(load_intents().get(intent, {}).get("summary", intent))


def intent_try(intent: str) -> str:
    return str(load_intents().get(intent, {}).get("try", 'understudy ask "Where is dependence highest?"'))


class IntentIndex:
    """The exemplars' vectors, computed once per embedder and process."""

    _lock = threading.Lock()
    _cache: dict[int, tuple[list[str], Any]] = {}

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def _vectors(self) -> tuple[list[str], Any]:
        import numpy as np

        key = id(self.embedder)
        with self._lock:
            if key not in self._cache:
                labels, texts = [], []
                for intent, spec in load_intents().items():
                    for ex in spec["exemplars"]:
                        labels.append(intent)
                        texts.append(ex)
                self._cache[key] = (labels, np.asarray(self.embedder.encode(texts), dtype="float32"))
            return self._cache[key]

    def scores(self, question: str) -> dict[str, float]:
        """Intent -> mean similarity of its TOP_K nearest exemplars."""
        import numpy as np

        labels, matrix = self._vectors()
        q = np.asarray(self.embedder.encode([question])[0], dtype="float32")
        sims = matrix @ q
        per: dict[str, list[float]] = {}
        for label, s in zip(labels, sims.tolist(), strict=True):
            per.setdefault(label, []).append(s)
        return {k: float(np.mean(sorted(v, reverse=True)[:TOP_K])) for k, v in per.items()}


def _has(slot: str, people: list[Any], scopes: list[str]) -> bool:
    have = {"person": bool(people), "scope": bool(scopes)}
    return any(have[s] for s in slot.split("|"))


def classify(
    scores: dict[str, float], people: list[Any], scopes: list[str]
) -> tuple[str, float, str, float, bool]:
    """The intent (with the runner-up), missing slots weighing against an intent; unclear when too close."""
    adjusted = {
        k: v - (SLOT_PENALTY if any(not _has(n, people, scopes) for n in NEEDS.get(k, ())) else 0.0)
        for k, v in scores.items()
    }
    ranked = sorted(adjusted.items(), key=lambda kv: -kv[1])
    (best, b), (second, s) = ranked[0], ranked[1]
    unclear = b < MIN_SIMILARITY
    return best, b, second, s, unclear


def parse_window(question: str, end: datetime | None) -> Window:
    """Time phrases: 'last quarter', 'since March', 'last two weeks', 'for 10 days', 'next week'."""
    q = question.lower()
    end = (end if end is None or end.tzinfo else end.replace(tzinfo=UTC)) if end else None
    w = Window()
    m = re.search(rf"\b(?:for|next|coming)\s+(?:the\s+)?(?:{COUNT_RE}\s+)?(day|week|month)s?\b", q)
    if m:
        n = m.group(1)
        count = 1 if n is None else (int(n) if n.isdigit() else NUMBER_WORDS[n])
        w.days_ahead = count * UNIT_DAYS[m.group(2)]
        w.phrase = m.group(0)
    if end is None:
        return w
    if re.search(r"\b(last|previous|past) quarter\b", q):
        q_start = datetime(end.year, 3 * ((end.month - 1) // 3) + 1, 1, tzinfo=UTC)
        pm = q_start.month - 3
        w.since = datetime(q_start.year if pm > 0 else q_start.year - 1, (pm - 1) % 12 + 1, 1, tzinfo=UTC)
        w.until = q_start
        w.phrase = "last quarter"
        return w
    m = re.search(r"\bsince\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b", q)
    if m:
        month = MONTHS[m.group(1)]
        year = end.year if month <= end.month else end.year - 1
        w.since = datetime(year, month, 1, tzinfo=UTC)
        w.phrase = m.group(0)
        return w
    m = re.search(
        rf"\b(?:last|past|previous|in the last|over the last)\s+(?:{COUNT_RE}\s+)?(day|week|month|quarter|year)s?\b",
        q,
    )
    if m and not w.days_ahead:
        n = m.group(1)
        count = 1 if n is None else (int(n) if n.isdigit() else NUMBER_WORDS[n])
        w.since = end - timedelta(days=count * UNIT_DAYS[m.group(2)])
        w.phrase = m.group(0)
    return w
