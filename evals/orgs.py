"""Generated organisations for the evals: generate, ingest into a fresh workspace, map people to the truth.

Two generator styles: ``sample`` (``ingest/sample``) and ``sample2`` (``ingest/sample2``, written
independently). Each case belongs to the tuning set or the test set; only the test set is gated.
People are matched by the product's own merges (:func:`map_people`): a person the product split is
matched to nobody, and a workspace person holding two truth people's identities is a false person.

Hero and rescue detection read facts only (no vectors), so orgs scored only on them are ingested with
:class:`HashEmbedder`, a deterministic stand-in that costs nothing; an org whose vectors are scored
(incident classes, drafting, questions) is ingested with the real model. Embeddings are cached by text
across the run (:class:`CachingEmbedder`), so a text that repeats across orgs is embedded once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HASH_DIMENSION = 384
"""Same dimension as all-MiniLM-L6-v2, so a workspace's Chroma collection looks the same either way."""


class HashEmbedder:
    """A deterministic, content-hash vector per text: for workspaces whose vectors nobody scores."""

    name = "hash-stand-in"

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """One pseudo-random unit-ish vector per text, derived from its SHA-256."""
        out = []
        for text in texts:
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            raw = (digest * (HASH_DIMENSION // len(digest) + 1))[:HASH_DIMENSION]
            out.append([(b - 127.5) / 127.5 for b in raw])
        return out


class CachingEmbedder:
    """Wraps an embedder and remembers each text's vector for the rest of the process."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "embedder")
        self.cache: dict[str, list[float]] = {}
        self.hits = 0
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for ``texts``, encoding only the ones not seen before."""
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            self.cache.update(zip(todo, self.inner.encode(todo), strict=True))
            self.encoded += len(todo)
        self.hits += len(texts) - len(todo)
        return [self.cache[t] for t in texts]


_REAL: CachingEmbedder | None = None


def real_embedder() -> CachingEmbedder:
    """The product's sentence-transformers embedder, cached for the whole run."""
    global _REAL
    if _REAL is None:
        from ingest.embed import SentenceTransformerEmbedder

        _REAL = CachingEmbedder(SentenceTransformerEmbedder())
    return _REAL


@dataclass
class OrgCase:
    """One generated organisation of a dataset: the generator's arguments and how it is ingested."""

    name: str
    seed: int
    variant: str
    style: str = "sample"
    set: str = "test"
    scale: float = 1.0
    months: int | None = None
    aliases: str = "generated"
    window: str = "all"
    embed: str = "hash"
    covers: str = ""
    expected: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrgCase:
        return cls(**data)


@dataclass
class Org:
    """A generated, ingested organisation with its ground truth."""

    case: OrgCase
    out_dir: Path
    ws: Any
    truth: Any
    seconds: float
    person_map: dict[str, str] = field(default_factory=dict)

    def truth_person(self, db_person: str | None) -> str | None:
        """The truth id of a workspace person (the id itself when nothing maps)."""
        if db_person is None:
            return None
        return self.person_map.get(db_person, db_person)


def write_aliases_file(truth: Any, path: Path) -> Path:
    """An aliases file settling every identity the truth says needs one (for variants that ship none)."""
    people = []
    for alias in truth.aliases:
        if not alias.needs_aliases_file:
            continue
        p = truth.person(alias.person)
        people.append(
            {
                "name": p.name,
                "aliases": [
                    *alias.aliases,
                    *(f"@{h}" for h in p.handles),
                    *([p.slack_id] if p.slack_id else []),
                ],
            }
        )
    path.write_text(yaml.safe_dump({"people": people}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


SAMPLE_MONTHS = 6
"""Months of history of a first-style organisation when its case names none (hero_matrix.v1's figure)."""

SPLIT = "split:"
"""Prefix of the id a truth person gets when the product left their identities on several people."""

MERGED = "merged:"
"""Prefix of the id of a workspace person that holds the identities of several truth people."""


def truth_alias_index(truth: Any) -> dict[str, str]:
    """Lower-cased identity value -> truth person id (e-mails, chat ids, PagerDuty ids, handles, names).

    A value two truth people share (a first name, a common handle) identifies nobody and is left out.
    """
    owners: dict[str, set[str]] = {}
    for p in truth.people:
        values = [*p.emails, *p.names, *p.handles, *(f"@{h}" for h in p.handles), p.slack_id, p.pd_id]
        for v in values:
            if v:
                owners.setdefault(str(v).lower(), set()).add(p.id)
    for a in truth.aliases:
        for v in a.aliases:
            owners.setdefault(v.lower(), set()).add(a.person)
    return {v: next(iter(ids)) for v, ids in owners.items() if len(ids) == 1}


def map_people(ws: Any, truth: Any) -> dict[str, str]:
    """Workspace person id -> truth person id, by the product's own merges only.

    Only people with activity count (an identity nobody acted under changes no figure). A workspace
    person whose identities belong to one truth person, and the only such person, is that person; a
    truth person spread over several workspace people is ``split:<id>`` on each (so naming any of them
    scores nothing), and a workspace person holding several truth people's identities is
    ``merged:<a>+<b>`` (a false person). Unknown people keep their own id (bots, strays).
    """
    from sqlalchemy import select

    from ingest.db import Activity, Alias, Person

    index = truth_alias_index(truth)
    hits: dict[str, set[str]] = {}
    with ws.session() as s:
        merged = dict(s.execute(select(Person.id, Person.merged_into)).all())

        def canon(pid: str) -> str:
            seen = set()
            while merged.get(pid) and pid not in seen:
                seen.add(pid)
                pid = merged[pid]  # type: ignore[assignment]
            return pid

        active = {canon(p) for (p,) in s.execute(select(Activity.person_id).distinct())}
        for pid, value, display in s.execute(select(Alias.person_id, Alias.value, Alias.display)):
            c = canon(pid)
            for v in (value, display):
                hit = index.get(str(v or "").lower())
                if hit:
                    hits.setdefault(c, set()).add(hit)
    holders: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    for c in sorted(active):
        owners = hits.get(c, set())
        if len(owners) > 1:
            out[c] = MERGED + "+".join(sorted(owners))
        elif owners:
            holders.setdefault(next(iter(owners)), []).append(c)
    for person, cs in holders.items():
        for c in cs:
            out[c] = person if len(cs) == 1 else SPLIT + person
    for pid in merged:
        c = canon(pid)
        if c in out and pid != c:
            out[pid] = out[c]
    return out


def split_and_merged(org: Any) -> tuple[list[str], list[str]]:
    """(truth people the product split, workspace people holding several truth people), for reports."""
    values = set(org.person_map.values())
    split = sorted(v[len(SPLIT) :] for v in values if v.startswith(SPLIT))
    merged = sorted(v[len(MERGED) :] for v in values if v.startswith(MERGED))
    return split, merged


def generator(style: str) -> Any:
    """The ``generate`` function of a generator style."""
    if style == "sample2":
        from ingest import sample2

        return sample2.generate
    if style == "sample":
        from ingest import sample

        return sample.generate
    raise ValueError(f"unknown generator style {style!r}")


def build_org(case: OrgCase, root: Path) -> Org:
    """Generate the case's organisation under ``root`` and ingest it into its own workspace."""
    from ingest.pipeline import ingest_paths
    from ingest.workspace import Workspace

    started = time.perf_counter()
    out_dir = root / case.name / "org"
    months = case.months or (SAMPLE_MONTHS if case.style == "sample" else None)
    kwargs = {"months": months} if months else {}
    truth = generator(case.style)(out_dir, seed=case.seed, scale=case.scale, variant=case.variant, **kwargs)
    aliases: Path | None = None
    if case.aliases == "generated" and truth.aliases_file:
        aliases = out_dir / truth.aliases_file
    elif case.aliases == "constructed":
        aliases = write_aliases_file(truth, root / case.name / "aliases-constructed.yaml")
    embedder = real_embedder() if case.embed == "real" else HashEmbedder()
    ws = Workspace.open(root / case.name / "ws", embedder=embedder)
    ingest_paths(ws, [out_dir], aliases=aliases)
    org = Org(case=case, out_dir=out_dir, ws=ws, truth=truth, seconds=0.0)
    org.person_map = map_people(ws, truth)
    org.seconds = time.perf_counter() - started
    return org
