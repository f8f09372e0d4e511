"""The grounding check: does every claim cite evidence that exists and supports it?

A claim is flagged, never silently kept or dropped, when it cites nothing, cites an id that is
not in the evidence, or when neither the embedding similarity nor the word overlap with its best
cited item reaches the thresholds below. Evidence text that looks like instructions (prompt
injection) is flagged too; it is data and has no effect on anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from agent.drafting.artifacts import Artifact

SUPPORT_MIN_SIMILARITY = 0.45
"""Cosine similarity (all-MiniLM-L6-v2, normalised) under which a cited chunk is not taken as support.
Paraphrases of a sentence inside a chunk score about 0.5-0.8 in our fixtures; unrelated operational
text scores 0.1-0.35. A claim is unsupported only when this AND the word overlap both fall short."""

SUPPORT_MIN_OVERLAP = 0.5
"""Share of a claim's content words (length >= 3, not stop words) that must appear in the cited text.
Extractive claims score 1.0; a half-overlapping paraphrase still passes."""

STOP_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "into",
        "when",
        "then",
        "than",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "not",
        "but",
        "you",
        "your",
        "our",
        "its",
        "it's",
        "they",
        "them",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "will",
        "can",
        "should",
        "would",
        "could",
        "been",
        "being",
        "also",
        "only",
        "just",
        "any",
        "all",
        "each",
        "other",
        "more",
        "most",
        "some",
        "such",
        "very",
        "over",
        "after",
        "before",
        "about",
        "on",
        "in",
        "of",
        "to",
    ]
)
"""Words that carry no support signal in the overlap measure."""

INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ignore-instructions",
        re.compile(
            r"\b(ignore|disregard|forget)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all)\b[^.\n]{0,20}\b(instructions?|prompts?|rules?)",
            re.I,
        ),
    ),
    (
        "approval-request",
        re.compile(
            r"\b(approve|auto-?approve|reject|mark (it|this) (as )?(approved|independent))\b[^.\n]{0,30}\b(this|the|these)\b[^.\n]{0,20}\b(draft|pack|runbook|plan|pr|change)",
            re.I,
        ),
    ),
    ("role-play", re.compile(r"\b(you are now|act as|new instructions|system prompt|as an ai)\b", re.I)),
    (  # reliability suite: fake approvals and "mark this independent" carried no flag before
        "fake-approval",
        re.compile(
            r"(\b(approved|signed[- ]off|lgtm)\b[^.\n]{0,30}\bby\b\s*@?\w|"
            r"\bmark (it|this|the scope)\b[^.\n]{0,10}\b(approved|independent|reviewed)\b)",
            re.I,
        ),
    ),
    (
        "fake-tool-call",
        re.compile(
            r"(<\s*/?\s*(tool_use|tool_result|function_calls|invoke|antml)[^>]*>|\"type\"\s*:\s*\"tool_(use|result)\")",
            re.I,
        ),
    ),
    ("hidden-comment", re.compile(r"(<!--.*?-->|^\s*\[//\]:\s*#)", re.S | re.M)),
    ("hidden-characters", re.compile("[\u200b\u200c\u200d\u2060\ufeff]")),
    (
        "rule-change",
        re.compile(
            r"\b(change|disable|bypass|override|skip)\b[^.\n]{0,30}\b(rule|review|approval|gate|check)s?\b",
            re.I,
        ),
    ),
)
"""Signs that ingested text tries to instruct the drafter or the reviewers."""


def content_words(text: str) -> set[str]:
    """Lower-cased words of length >= 3 that are not stop words."""
    return {w for w in re.findall(r"[a-z0-9][a-z0-9_\-./]{2,}", text.lower()) if w not in STOP_WORDS}


def word_overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words found in the evidence (1.0 for a claim with none)."""
    words = content_words(claim)
    if not words:
        return 1.0
    return len(words & content_words(evidence)) / len(words)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def injection_flags(evidence: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One flag per evidence item whose text looks like instructions rather than data."""
    flags = []
    for eid, item in evidence.items():
        text = str(item.get("text", ""))
        hits = [name for name, pattern in INJECTION_PATTERNS if pattern.search(text)]
        if hits:
            flags.append(
                {
                    "type": "injection",
                    "evidence": eid,
                    "signals": hits,
                    "message": f"evidence {eid} contains text that reads like instructions ({', '.join(hits)}); "
                    "it was treated as data only",
                }
            )
    return flags


def check(
    artifact: Artifact,
    evidence: dict[str, dict[str, Any]],
    embedder: Any | None,
    stored_vectors: Callable[[list[str]], dict[str, list[float]]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(claims with their support scores, flags) for an artifact against its evidence.

    ``stored_vectors`` returns vectors already in the index (chunks are not embedded twice).
    """
    claims = artifact.claims()
    sims: dict[tuple[int, str], float] = {}
    if embedder is not None:
        pairs = [(i, c) for i, claim in enumerate(claims) for c in claim.citations if c in evidence]
        if pairs:
            cited = sorted({c for _, c in pairs})
            known = dict(stored_vectors(cited)) if stored_vectors is not None else {}
            todo = [c for c in cited if c not in known]
            vectors = embedder.encode(
                [cl.text for cl in claims] + [str(evidence[c]["text"])[:2000] for c in todo]
            )
            claim_vecs = vectors[: len(claims)]
            known.update(zip(todo, vectors[len(claims) :], strict=True))
            for i, c in pairs:
                sims[(i, c)] = cosine(claim_vecs[i], known[c])
    out: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    for i, claim in enumerate(claims):
        missing = [c for c in claim.citations if c not in evidence]
        present = [c for c in claim.citations if c in evidence]
        best_sim = max((sims.get((i, c), 0.0) for c in present), default=0.0)
        best_overlap = max((word_overlap(claim.text, str(evidence[c]["text"])) for c in present), default=0.0)
        supported = bool(present) and (
            best_sim >= SUPPORT_MIN_SIMILARITY or best_overlap >= SUPPORT_MIN_OVERLAP
        )
        claim_flags = []
        if not claim.citations:
            claim_flags.append("uncited")
        if missing:
            claim_flags.append("unknown-citation")
        if present and not supported:
            claim_flags.append("unsupported")
        out.append(
            {
                "index": i,
                "text": claim.text,
                "citations": list(claim.citations),
                "similarity": round(best_sim, 3),
                "overlap": round(best_overlap, 3),
                "supported": supported,
                "flags": claim_flags,
            }
        )
        for f in claim_flags:
            detail = {
                "uncited": "cites no evidence",
                "unknown-citation": f"cites ids not in the evidence: {', '.join(missing)}",
                "unsupported": f"its citations do not support it (similarity {best_sim:.2f} < "
                f"{SUPPORT_MIN_SIMILARITY}, word overlap {best_overlap:.2f} < {SUPPORT_MIN_OVERLAP})",
            }[f]
            flags.append({"type": f, "claim": i, "message": f"claim {i + 1} {detail}: {claim.text[:120]}"})
    return out, flags
