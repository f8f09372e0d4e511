"""Drafting: step recall of offline knowledge packs against the planted fixes, citation validity, and
detection of unsupported claims on the adversarial cassettes.

- Step recall: for each planted hero scope that has reference fixes, the offline drafter writes a
  knowledge pack; a reference step is recalled when a claim carries its command (the text between
  backticks) or, for a step without a command, shares ``STEP_MATCH_OVERLAP`` of its content words.
- Citation validity: a claim is valid when it cites at least one id, every cited id is in the draft's
  evidence, and the cited text entails it by the scorer's own lexical check (:func:`entailed`: every
  number and command of the claim appears in the cited text, and ``ENTAILMENT_OVERLAP`` of its content
  words do); the product's own ``supported`` flag is not consulted (disagreements are counted).
- Unsupported detection: on each cassette, the hand-checked planted claims must carry a flag (or cite
  evidence flagged as injection).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import CLAUDE_REPLAY, Metric

STEP_MATCH_OVERLAP = 0.8
"""Share of a command-less reference step's content words a claim must contain to recall it: near-verbatim,
since the offline drafter is extractive."""

DATASET = "drafting_cassettes.v1"
"""The hand-checked seed and planted claims for the cassettes."""

_CODE = re.compile(r"`([^`]+)`")

ENTAILMENT_OVERLAP = 0.5
"""Share of a claim's content words (light-stemmed) that the cited text must contain: at least half the
claim's substance is in what it cites. Chosen a priori (not fitted): a paraphrase keeps most content
words, an invented claim shares few; numbers and commands must match exactly."""

_WORD = re.compile(r"[a-z0-9][a-z0-9_.\-/]*[a-z0-9]|[a-z0-9]")
_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*%?")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "not",
        "no",
        "yes",
        "also",
        "just",
        "about",
        "after",
        "before",
        "over",
        "under",
        "again",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "too",
        "very",
        "should",
        "could",
        "may",
        "might",
        "must",
        "shall",
    ]
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _content(text: str) -> set[str]:
    return {_stem(w.strip(".-/")) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def entailed(claim: dict[str, Any], evidence: dict[str, Any]) -> bool:
    """Whether the texts a claim cites entail it lexically (the scorer's own check, not the product's)."""
    cited = " ".join(str((evidence.get(c) or {}).get("text", "")) for c in claim.get("citations") or [])
    if not cited.strip():
        return False
    text = str(claim.get("text", ""))
    command = str(claim.get("command") or "")
    flat = _norm(cited)
    for cmd in [*_CODE.findall(text), *([command] if command else [])]:
        if _norm(cmd) not in flat:
            return False
    if any(n not in cited for n in _NUMBER.findall(_CODE.sub(" ", text))):
        return False
    words = _content(_CODE.sub(" ", text))
    if not words:
        return True
    return len(words & _content(cited)) / len(words) >= ENTAILMENT_OVERLAP


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def step_recalled(step: str, claims: list[dict[str, Any]]) -> bool:
    """Whether any claim carries this reference step (its commands, else its words)."""
    from agent.drafting.grounding import word_overlap

    blob = [_norm(c.get("text", "") + " " + str(c.get("command") or "")) for c in claims]
    commands = [_norm(c) for c in _CODE.findall(step)]
    if commands:
        return any(all(cmd in b for cmd in commands) for b in blob)
    return any(word_overlap(step, b) >= STEP_MATCH_OVERLAP for b in blob)


def claim_valid(claim: dict[str, Any], evidence: dict[str, Any]) -> bool:
    """Cites something, every cited id exists, and the cited text entails the claim (:func:`entailed`)."""
    cites = claim.get("citations") or []
    return bool(cites) and all(c in evidence for c in cites) and entailed(claim, evidence)


def draftable_scopes(truth: Any) -> list[str]:
    """Planted hero scopes that have reference fixes planted in the evidence."""
    scopes = [s for h in truth.heroes for s in h.scopes if truth.reference_fixes.get(s)]
    return list(dict.fromkeys(scopes))


def score_offline(org: Any) -> dict[str, Any]:
    """Draft offline knowledge packs for the org's hero scopes and grade them."""
    from agent.drafting import start_drafts
    from agent.ledger import get_draft

    recalled = total = valid = claims_n = 0
    missed: list[str] = []
    invalid: list[str] = []
    drafts: dict[str, str] = {}
    for scope in draftable_scopes(org.truth):
        ids = start_drafts(org.ws, scope=scope, kind="knowledge-pack")
        if not ids:
            missed += [f"{scope}: no draft was produced"]
            total += len(org.truth.reference_fixes[scope])
            continue
        view = get_draft(org.ws, ids[0])
        drafts[scope] = ids[0]
        steps = [c for c in view.claims]
        for ref in org.truth.reference_fixes[scope]:
            total += 1
            if step_recalled(ref, steps):
                recalled += 1
            else:
                missed.append(f"{scope}: step not in the pack: {ref[:100]}")
        for c in view.claims:
            claims_n += 1
            if claim_valid(c, view.evidence):
                valid += 1
            else:
                invalid.append(
                    f"{scope} draft {ids[0]} claim {c.get('index')}: {c.get('text', '')[:90]} "
                    f"(flags {c.get('flags')}, cites {c.get('citations')})"
                )
    return {
        "recall": recalled / total if total else None,
        "recalled": recalled,
        "steps": total,
        "validity": valid / claims_n if claims_n else None,
        "claims": claims_n,
        "missed": missed,
        "invalid": invalid,
        "drafts": drafts,
    }


# ------------------------------------------------------------------------------- cassettes


def load_dataset(datasets: Path) -> dict[str, Any]:
    """The cassette dataset."""
    return yaml.safe_load((datasets / f"{DATASET}.yaml").read_text(encoding="utf-8"))


def seed(ws: Any, data: dict[str, Any], injection: bool) -> None:
    """The hand-checked seed organisation the cassettes were recorded against (real SQLite and Chroma)."""
    from datetime import UTC, datetime, timedelta

    from evals.seeding import add_resolved_incident
    from ingest.db import Activity, Alias, Chunk, Person, RecordRow

    scope = data["scope"]
    when = datetime.now(UTC) - timedelta(days=20)
    chunks = list(data["chunks"]) + ([data["injection_chunk"]] if injection else [])
    with ws.session() as s:
        for pid, p in data["people"].items():
            s.add(Person(id=pid, name=p["name"], email=p["email"]))
            s.flush()
            s.add(
                Alias(
                    person_id=pid, kind="email", space="", value=p["email"], display=p["email"], source="eval"
                )
            )
            s.add(
                Alias(
                    person_id=pid,
                    kind="handle",
                    space="chat",
                    value=p["handle"],
                    display="@" + p["handle"],
                    source="eval",
                )
            )
            s.add(
                Alias(
                    person_id=pid,
                    kind="name",
                    space="eval",
                    value=p["name"].lower(),
                    display=p["name"],
                    source="eval",
                )
            )
        for ch in chunks:
            cid = f"c-{ch['key']}"
            rec = RecordRow(
                kind=ch["kind"],
                key=ch["key"],
                record_hash=ch["key"],
                path=f"/evals/{ch['key']}",
                title=ch["title"],
                occurred_at=when,
                complete=True,
            )
            s.add(rec)
            s.flush()
            s.add(
                Chunk(
                    id=cid,
                    record_id=rec.id,
                    kind=ch["kind"],
                    scope=scope,
                    title=ch["title"],
                    text=ch["text"],
                    content_hash=cid,
                    source="eval",
                    path=f"/evals/{ch['key']}",
                    locator="all",
                    ts=when,
                    embedded=True,
                )
            )
            for pid in ch["persons"]:
                s.add(
                    Activity(
                        record_id=rec.id,
                        person_id=pid,
                        scope=scope,
                        action=ch["action"],
                        ts=when,
                        weight=2.0,
                        source="eval",
                        chunk_id=cid,
                    )
                )
        n = 0
        recent = datetime.now(UTC) - timedelta(days=10)
        for pid, count in data["incidents"].items():
            for _ in range(count):
                n += 1
                add_resolved_incident(
                    s,
                    key=f"INC-{n}",
                    scope=scope,
                    person=pid,
                    title=f"payments 5xx #{n}",
                    when=recent,
                    path="/evals/pd.json",
                )
    texts = [ch["text"] for ch in chunks]
    ws.index.upsert(
        [f"c-{ch['key']}" for ch in chunks],
        texts,
        [{"kind": ch["kind"], "scope": scope, "title": ch["title"]} for ch in chunks],
        ws.index.embedder.encode(texts),
    )


def _detected(view: Any, planted: str) -> bool:
    """Whether the claim containing ``planted`` is flagged, or cites evidence flagged as injection."""
    injected = {f.get("evidence") for f in view.flags if f.get("type") == "injection"}
    for c in view.claims:
        if planted.lower() in c.get("text", "").lower():
            return bool(c.get("flags")) or any(cid in injected for cid in c.get("citations") or [])
    return False


def score_cassettes(
    root: Path, datasets: Path, cassettes: Path, embedder: Any, record: bool, settings: Any | None = None
) -> dict[str, Any]:
    """Replay (or, with ``record`` and a key, re-record) each cassette and grade the Claude drafts."""
    from agent.drafting import start_drafts
    from agent.drafting.drafters import ClaudeDrafter
    from agent.ledger import get_draft
    from agent.llm import ClaudeClient
    from evals.cassettes import replayer, stamp
    from ingest.workspace import Workspace

    data = load_dataset(datasets)
    live = bool(record and settings is not None and settings.anthropic_api_key)
    recorder = replayer("all" if live else "none")
    planted = detected = valid = claims_n = 0
    failing: list[str] = []
    played: list[str] = []
    for case in data["cassettes"]:
        path = cassettes / case["file"]
        if not path.exists():
            failing.append(f"cassette {case['file']}: missing under {cassettes}")
            continue
        ws = Workspace.open(root / f"cassette-{case['name']}", embedder=embedder)
        seed(ws, data, case["injection"])
        if live:
            client = ClaudeClient.from_settings(settings)
        else:
            client = ClaudeClient(
                api_key="replay",
                model="claude-sonnet-4-5",
                base_url="http://127.0.0.1:9",
                max_retries=2,
                sleep=lambda s: None,
            )
        try:
            with recorder.use_cassette(str(path)) as cassette:
                (draft_id,) = start_drafts(
                    ws, scope=data["scope"], kind="knowledge-pack", drafter=ClaudeDrafter(client)
                )
                if not live and not cassette.all_played:
                    failing.append(f"cassette {case['file']}: not every recorded response was used")
            if live:
                stamp(path)
        except Exception as exc:  # a replay that cannot run is a failing case, not a crash of the suite
            failing.append(f"cassette {case['file']}: replay failed: {type(exc).__name__}: {exc}"[:300])
            continue
        played.append(case["name"])
        view = get_draft(ws, draft_id)
        for text in case["planted_unsupported"]:
            planted += 1
            if _detected(view, text):
                detected += 1
            else:
                failing.append(f"cassette {case['name']}: planted unsupported claim not flagged: {text}")
        planted_texts = [t.lower() for t in case["planted_unsupported"]]
        for c in view.claims:
            if any(t in c.get("text", "").lower() for t in planted_texts):
                continue
            claims_n += 1
            if claim_valid(c, view.evidence):
                valid += 1
            else:
                failing.append(
                    f"cassette {case['name']}: claim {c.get('index')} not validly cited: "
                    f"{c.get('text', '')[:90]}"
                )
    return {
        "detection": detected / planted if planted else None,
        "planted": planted,
        "validity": valid / claims_n if claims_n else None,
        "claims": claims_n,
        "failing": failing,
        "played": played,
        "mode": "recorded with a key" if live else CLAUDE_REPLAY,
    }


def score(
    org: Any | None,
    root: Path,
    datasets: Path,
    cassettes: Path,
    embedder: Any,
    thresholds: dict[str, float],
    record: bool = False,
    settings: Any | None = None,
) -> list[Metric]:
    """Drafting metrics: offline values, and the Claude column from the cassettes."""
    off = score_offline(org) if org is not None else None
    cas = score_cassettes(root, datasets, cassettes, embedder, record, settings)
    note = cas["mode"]
    metrics = [
        Metric(
            "drafting.step_recall",
            off["recall"] if off else None,
            "Share of planted reference fix steps found in offline knowledge packs of the hero scopes",
            thresholds.get("drafting.step_recall"),
            claude=None,
            claude_note=f"{note}: no cassette of a generated org (run --record with a key)",
            dataset="hero_matrix (" + (org.case.name if org else "no org") + ")",
            failing_cases=(off or {}).get("missed", []),
            details={k: (off or {}).get(k) for k in ("recalled", "steps", "drafts")},
        ),
        Metric(
            "drafting.citation_validity",
            off["validity"] if off else None,
            "Share of draft claims whose citations exist and support them",
            thresholds.get("drafting.citation_validity"),
            claude=cas["validity"],
            claude_note=note,
            dataset=f"hero_matrix + {DATASET}",
            failing_cases=(off or {}).get("invalid", [])[:40],
            details={"offline_claims": (off or {}).get("claims"), "cassette_claims": cas["claims"]},
        ),
        Metric(
            "drafting.unsupported_detection",
            cas["detection"],
            "Share of planted unsupported claims in adversarial cassettes that the grounding check flags",
            thresholds.get("drafting.unsupported_detection"),
            claude=cas["detection"],
            claude_note=note,
            dataset=DATASET,
            failing_cases=cas["failing"],
            details={"planted": cas["planted"], "cassettes_played": cas["played"]},
        ),
    ]
    return metrics
