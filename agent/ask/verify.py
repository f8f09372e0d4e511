"""The grounding check of an answer: every person's name and every number must come from a tool result."""

from __future__ import annotations

import json
import re
from typing import Any

NAME_RE = re.compile(r"\b[A-Z][a-zA-Z'’\-]+(?:\s+[A-Z][a-zA-Z'’\-]+)+\b")
"""Two or more capitalised words in a row: how a person's full name appears in an answer."""

NUMBER_RE = re.compile(r"(?<![\w.\-:#/])(\d+(?:\.\d+)?)(%?)(?![\w\-:/]|\.\d)")
"""A free-standing number (not part of an id, a date, a path or a scope), with an optional percent sign."""

ORDINAL_RE = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
"""A numbered-list marker at the start of a line ('1. '), which is layout, not a claim."""

SENTENCE_STARTERS = frozenset(
    [
        "Also",
        "And",
        "But",
        "If",
        "For",
        "The",
        "When",
        "Then",
        "So",
        "Yes",
        "No",
        "Not",
        "Ask",
        "Both",
        "Either",
        "Only",
        "Next",
        "Meanwhile",
        "However",
    ]
)
"""Capitalised words that start a sentence before a name; dropped from a reported name."""

NON_NAMES = frozenset({"Review Queue", "Set ANTHROPIC_API_KEY", "Not Yet"})
"""Capitalised phrases the engines write themselves."""


UNCITED = "numbers without a citation"
"""What ``verify`` reports when an answer states numbers and cites nothing."""


def _strings_and_numbers(obj: Any, strings: list[str], numbers: set[float]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            strings.append(str(k))
            _strings_and_numbers(v, strings, numbers)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _strings_and_numbers(v, strings, numbers)
    elif isinstance(obj, bool) or obj is None:
        return
    elif isinstance(obj, int | float):
        numbers.add(float(obj))
    else:
        text = str(obj)
        strings.append(text)
        for m in re.finditer(r"\d+(?:\.\d+)?", text):
            numbers.add(float(m.group()))


def _supported(value: float, percent: bool, numbers: set[float], decimals: int) -> bool:
    for n in numbers:
        candidates = [n]
        if percent or decimals == 0:
            candidates.append(n * 100)
        for c in candidates:
            if abs(round(c, decimals) - value) < 1e-9 or abs(c - value) < 1e-9:
                return True
    return False


def verify(answer: Any, tool_results: list[Any]) -> list[str]:
    """Names and numbers in ``answer`` (an Answer or text) that no tool result contains: invented claims."""
    text = answer.answer if hasattr(answer, "answer") else str(answer)
    strings: list[str] = []
    numbers: set[float] = set()
    _strings_and_numbers(
        [r.get("result", r) if isinstance(r, dict) else r for r in tool_results], strings, numbers
    )
    haystack = "\n".join(strings).lower()
    problems: list[str] = []
    for m in NAME_RE.finditer(text):
        name = m.group()
        words = name.split()
        # A sentence may start with a capitalised word before a name ("If Grant Slater"): try the tail too.
        tails = [" ".join(words[i:]) for i in range(len(words) - 1)]
        if name in NON_NAMES or any(t.lower() in haystack for t in tails):
            continue
        while len(words) > 2 and words[0] in SENTENCE_STARTERS:
            words = words[1:]
        problems.append(" ".join(words))
    body = ORDINAL_RE.sub(" ", text)
    for m in NUMBER_RE.finditer(body):
        raw, pct = m.group(1), m.group(2)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        if not _supported(float(raw), bool(pct), numbers, decimals):
            problems.append(raw + pct)
    cited = getattr(answer, "citations", None)
    if cited is not None and not cited and NUMBER_RE.search(body):
        problems.append(UNCITED)
    return list(dict.fromkeys(problems))


def tool_results_json(tool_results: list[Any]) -> str:
    """The tool results as one JSON text (for logs and debugging)."""
    return json.dumps(tool_results, default=str)
