"""Incident classes: incidents clustered by their embedded text, labelled by distinctive terms,
and checked against the runbooks.

Incidents are clustered within their service (a class is one service's failure mode): each
incident's vector is its title's embedding without the service's own name (the title says what broke;
the name only says where, and every title of the service has it; ``TITLE_WEIGHT`` mixes in its
incident chunk), clustered with agglomerative clustering, average linkage on cosine distance, cut at
``CLASS_DISTANCE_THRESHOLD``. Incidents without a service are clustered together. Classes are named
from titles without their volatile parts (counters, ids, dates, numbers), and clusters that share their
distinctive terms and are close in meaning are one class, whichever scope they were found under.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from agent.analytics.models import RunbookCoverage
from ingest.db import Alias, Chunk, Incident, Person
from ingest.records import slug

CLASS_DISTANCE_THRESHOLD = 0.7
"""Average-linkage cosine distance at which one service's clusters stop merging, on titles without
their service's name (``without_service``). With the name left in, every title of a service shares it
and 0.5 was the cut (hero_matrix.v1 seeds 7 / 11: ARI 0.91 / 0.88), but a service whose titles all
name it collapsed to one class (s2-advisors-s61: 0.485). Name removed, adjusted Rand index on the
tuning set (real all-MiniLM-L6-v2 vectors; sample seeds 7, 11, 13, 19 / sample2 "mixed" seeds 59, 79,
83): 0.5 -> 0.93 0.92 0.93 0.92 / 0.59 0.54 0.57 (paraphrased alerts split); 0.65 -> same / 0.87
0.70 0.70; 0.7 -> 0.91 0.87 0.92 0.89 / 0.93 0.84 0.84; 0.75 -> 0.82 0.83 0.86 0.86 / 0.87 0.88 0.81
(a replica's disk and its lag merge). 0.7 has the best mean. Fitted on: the tuning set only; the gate
measures it on the test set (s2-advisors-s61)."""

TITLE_WEIGHT = 1.0
"""Weight of the title embedding in an incident's vector (the rest is its chunk's embedding). The
incident chunk is mostly timeline boilerplate (triggered, assigned, notified, its service's name), which
pulls the incidents of one service together: clustered per service at 0.5, a weight of 0.8 scored
adjusted Rand index 0.74 (seed 7) and 0.75 (seed 11), titles alone 0.91 and 0.88 (all-MiniLM-L6-v2).
Fitted on: hero_matrix.v1 seeds 7 and 11 (the tuning set of hero_matrix.v2)."""

CHUNK_FALLBACK_CHARS = 500
"""Characters of its chunk an incident without a title is embedded by (the opening says what broke)."""

NO_SERVICE = ""
"""The clustering group of incidents that name no service."""

MAX_CLUSTERED = 3000
"""Distinct vectors clustered directly (memory grows with the square); the rest join the nearest class."""

CLASS_TERMS = 3
"""Distinctive terms in a class slug."""

RUNBOOK_COVER_SIMILARITY = 0.45
"""Cosine similarity between a class centroid and a runbook chunk above which the runbook may cover the
class; it covers only when it also shares the class's service scope or one of its distinctive terms."""

DOMAIN_STOP_WORDS = frozenset(
    [
        "incident",
        "incidents",
        "pagerduty",
        "opsgenie",
        "alert",
        "alerts",
        "triggered",
        "trigger",
        "acknowledged",
        "acknowledge",
        "resolved",
        "resolve",
        "assigned",
        "reassigned",
        "escalated",
        "escalation",
        "level",
        "note",
        "notified",
        "service",
        "priority",
        "urgency",
        "status",
        "created",
        "high",
        "low",
        "critical",
        "medium",
        "unknown",
        "none",
        "by",
        "via",
        "and",
        "the",
        "for",
        "with",
        "from",
        "this",
        "that",
        "was",
        "were",
        "has",
        "have",
        "had",
        "not",
        "are",
        "http",
        "https",
        "www",
        "com",
        "org",
        "net",
        "json",
        "api",
        "prod",
        "production",
        "error",
        "errors",
        "failed",
        "failure",
        "issue",
        "issues",
        "problem",
        "sev",
        "sev1",
        "sev2",
        "sev3",
        "thread",
        "channel",
        "nobody",
        "see",
        "also",
    ]
)
"""Words every incident text carries: never distinctive."""

_TOKEN = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z0-9]{2,}\b")

_VOLATILE = (
    re.compile(r"\[(?:firing|resolved|alerting|triggered|ok)(?::\s*\d+)?\]", re.I),  # [FIRING:1]
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),  # a UUID
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b"),
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),  # a time
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"),  # an IP address
    re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b"),  # a ticket or incident key: INC-4211, PD-88
    re.compile(r"\(?#\d+\)?|\bid[:= ]\s*\w+", re.I),  # (#12), #4521, id 7f3a
    re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I),  # a hex id or sha
    re.compile(r"\b\d[\d,.]*\s*(?:k|m|ms|s|sec|min|h|%|gb|mb|kb|tb)?\b", re.I),  # 12,034 / 10k / 95% / 300ms
)
"""What changes from one occurrence of a failure to the next and says nothing about what broke:
alert-state prefixes, dates and times, ids, ticket keys, counters and measured numbers."""


def normalise_title(title: str) -> str:
    """An incident title without its volatile parts: 'push-queue backlog 12,034 (#4521)' -> 'push-queue backlog'.

    Two occurrences of one failure differ in counters, ids, dates and numbers; their class must not.
    Falls back to the title itself when nothing else is left.
    """
    text = title
    for rx in _VOLATILE:
        text = rx.sub(" ", text)
    text = re.sub(r"(?<=[A-Za-z])[-_]\d+\b", " ", text)  # 'backlog-push-queue-4': a counter suffix
    text = re.sub(r"[\[\](){}]\s*[\[\](){}]|\(\s*\)|\[\s*\]", " ", text)
    text = re.sub(r"\s+([,:;.])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" -–—:,;.|")
    return text or title.strip()


@dataclass
class ClassData:
    """One class, in memory: its incidents and vectors."""

    slug: str
    keys: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    centroid: Any = None


def _normalise(matrix: Any) -> Any:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def cluster_vectors(vectors: Any, threshold: float = CLASS_DISTANCE_THRESHOLD) -> list[int]:
    """Cluster labels for row vectors (agglomerative, average linkage, cosine distance)."""
    import numpy as np

    x = _normalise(np.asarray(vectors, dtype=np.float64))
    n = len(x)
    if n == 0:
        return []
    if n == 1:
        return [0]
    # identical vectors (repeated alert titles) are clustered once
    uniq, inverse = np.unique(np.round(x, 6), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    base = _normalise(uniq)
    if len(base) == 1:
        return [0] * n
    head = base[:MAX_CLUSTERED]
    from sklearn.cluster import AgglomerativeClustering

    if len(head) == 1:
        head_labels = np.zeros(1, dtype=int)
    else:
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        )
        head_labels = model.fit_predict(head)
    labels = np.empty(len(base), dtype=int)
    labels[: len(head)] = head_labels
    if len(base) > len(head):
        k = int(head_labels.max()) + 1
        centroids = _normalise(np.stack([head[head_labels == c].mean(axis=0) for c in range(k)]))
        labels[len(head) :] = np.argmax(base[len(head) :] @ centroids.T, axis=1)
    return [int(labels[i]) for i in inverse]


def cluster_by_service(services: list[str], vectors: Any) -> dict[tuple[str, int], list[int]]:
    """(service, cluster) -> row indexes: ``vectors`` clustered within each service separately."""
    by_service: dict[str, list[int]] = defaultdict(list)
    for i, service in enumerate(services):
        by_service[service].append(i)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for service, idx in by_service.items():
        for i, lab in zip(idx, cluster_vectors(vectors[idx]), strict=True):
            groups[(service, lab)].append(i)
    return groups


def people_tokens(session: Any) -> set[str]:
    """Lower-case words of people's names and aliases: a class is never labelled by who handled it."""
    words: set[str] = set()
    for (name,) in session.execute(select(Person.name)):
        words.update(w.lower() for w in _TOKEN.findall(name or ""))
    for (value,) in session.execute(select(Alias.value)):
        words.update(w.lower() for w in _TOKEN.findall(value or ""))
    return words


def distinctive_terms(docs: list[str], stop: set[str], n: int = CLASS_TERMS) -> list[list[str]]:
    """The top TF-IDF terms of each document (one document per class) against the others."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop_words = sorted(stop | DOMAIN_STOP_WORDS)
    if not any(_TOKEN.search(d) for d in docs):
        return [[] for _ in docs]
    vec = TfidfVectorizer(
        token_pattern=_TOKEN.pattern,
        lowercase=True,
        stop_words=stop_words,
        sublinear_tf=True,
        ngram_range=(1, 1),
    )
    try:
        matrix = vec.fit_transform(docs)
    except ValueError:  # every word was a stop word
        return [[] for _ in docs]
    vocab = vec.get_feature_names_out()
    out = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i).toarray().ravel()
        order = sorted(range(len(row)), key=lambda j: (-row[j], vocab[j]))
        out.append([str(vocab[j]) for j in order[:n] if row[j] > 0])
    return out


MERGE_DISTANCE_THRESHOLD = 0.5
"""Cosine distance within which two clusters of different scopes sharing their terms are one failure.
Measured on whole titles (service names included), where 0.5 was the class cut fitted on
hero_matrix.v1 seeds 7 and 11 (tuning set) and kept there."""

MIN_SHARED_TERMS = 2
"""Distinctive terms (of ``CLASS_TERMS``) two clusters must share, besides being within
``MERGE_DISTANCE_THRESHOLD`` of each other, to be one class: two of three words in common is the same
failure told with one different word ('messages' beside 'backlog push queue'), one word ('queue') is
not. Not fitted on data."""


def merge_same_terms(
    groups: list[list[int]],
    terms: list[list[str]],
    vectors: Any,
    services: list[str],
    names_own: list[bool] | None = None,
) -> tuple[list[list[int]], list[list[str]]]:
    """Clusters that are one failure joined into one (largest first): one failure is one class.

    Clustering runs per service, so one failure written under several scopes (the pager's service, a
    ticket component, a postmortem's) or split by volatile words would otherwise come out as ``slug``,
    ``slug-2``, ``slug-3``. Two clusters are one when their distinctive terms are the same, or, found
    under different scopes, when they share ``MIN_SHARED_TERMS`` of them and their centroids are within
    ``MERGE_DISTANCE_THRESHOLD`` (within one scope the clustering has already weighed their distance).
    ``services[i]`` is the scope of row ``i``; ``names_own[i]`` says whether its title names that
    service. Clusters without terms are left apart, and so are two clusters of different services whose
    titles each name their own service: 'ledger-db p99 latency high' and 'search-cluster p99 latency
    high' are the same words about two systems, while 'push-queue backlog' filed under a ticket component
    'push-queue-worker' is the pager's failure told elsewhere.
    """
    import numpy as np

    merged: list[list[int]] = []
    merged_terms: list[list[str]] = []
    centroids: list[Any] = []
    scopes: list[str] = []
    owned: list[bool] = []
    for idx, words in zip(groups, terms, strict=True):
        centroid = _normalise(np.mean(np.stack([vectors[i] for i in idx]), axis=0, keepdims=True))[0]
        own = names_own is not None and 2 * sum(names_own[i] for i in idx) > len(idx)
        target = None
        for j, (other, c) in enumerate(zip(merged_terms, centroids, strict=True)):
            if not words or not other:
                continue
            if own and owned[j] and scopes[j] != services[idx[0]]:
                continue  # each names its own, different service: two systems
            shared = len(set(words) & set(other))
            if set(words) == set(other) or (
                scopes[j] != services[idx[0]]
                and shared >= MIN_SHARED_TERMS
                and 1.0 - float(centroid @ c) <= MERGE_DISTANCE_THRESHOLD
            ):
                target = j
                break
        if target is None:
            merged.append(list(idx))
            merged_terms.append(words)
            centroids.append(centroid)
            scopes.append(services[idx[0]])
            owned.append(own)
        else:
            merged[target].extend(idx)
    return merged, merged_terms


_NAME_SEPARATOR = r"[-_ .]?"
"""How one service's name is written in titles: 'auth-gateway', 'auth_gateway', 'Auth Gateway', 'authgateway'."""

_NAME_LEAD = r"(?:\b(?:on|for|in|at|of|from)\s+)?"
"""A preposition tying the service's name to the failure ('lag on ledger-db'): it goes with the name."""


def service_name_pattern(name: str) -> str:
    """A regex for a service's name as a whole word however it is written ('' for an empty name)."""
    parts = [re.escape(p) for p in re.split(r"[-_ .]+", name) if p]
    return rf"(?<![\w-]){_NAME_SEPARATOR.join(parts)}(?![\w-])" if parts else ""


def without_service(title: str, scope: str | None) -> str:
    """A title without its own service's name: 'Too many connections on secrets-vault' -> 'Too many connections'.

    Alert and page titles name the service or host they fire for ('[FIRING:1] auth-gateway: …', 'Disk
    usage > 90% on ledger-db'), so every title of one service carries its name. Clustering runs within
    the service, where that name says nothing about what broke but pulls all of its failure modes
    together in meaning. The name is removed as a whole word (not inside 'auth-gateway-canary');
    a title that is nothing but the name stays as it is.
    """
    if not scope or ":" not in scope:
        return title
    name = service_name_pattern(scope.split(":", 1)[1])
    if not name:
        return title
    rx = re.compile(rf"{_NAME_LEAD}[(\[]?{name}[)\]]?\s*:?", re.I)
    text = rx.sub(" ", title)
    text = re.sub(r"(?:\s*[:|–—])+\s*([:|–—])", r" \1", text)  # '2026-01-08: — TLS' -> '2026-01-08 — TLS'
    text = re.sub(r"\s+([,:;.])", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" -–—:,;.|")
    return text or title


def _incident_text(inc: Any, chunk_text: dict[str, str], within_service: bool = False) -> str:
    """What an incident's title vector embeds: its title (without its service's name when clustered
    within the service), else its chunk's text, else its key."""
    title = (inc.title or "").strip()
    if title:
        return without_service(title, inc.scope) if within_service else title
    chunk = (chunk_text.get(inc.chunk_id) or "").strip() if inc.chunk_id else ""
    return chunk[:CHUNK_FALLBACK_CHARS] or inc.key


def _incident_vectors(
    ws: Any, incidents: list[Any], chunk_text: dict[str, str], within_service: bool = False
) -> Any:
    """One vector per incident: TITLE_WEIGHT x title embedding + the rest x its chunk embedding."""
    import numpy as np

    index = ws.index
    chunk_ids = sorted({i.chunk_id for i in incidents if i.chunk_id}) if TITLE_WEIGHT < 1.0 else []
    stored = index.get_embeddings(chunk_ids) if chunk_ids else {}
    missing_chunks = [cid for cid in chunk_ids if cid not in stored and cid in chunk_text]
    if missing_chunks:
        for cid, v in zip(
            missing_chunks, index.embedder.encode([chunk_text[c] for c in missing_chunks]), strict=True
        ):
            stored[cid] = v
    texts = [_incident_text(i, chunk_text, within_service) for i in incidents]
    unique = sorted(set(texts))
    title_vecs = dict(zip(unique, index.embedder.encode(unique), strict=True))
    rows = []
    for inc, text in zip(incidents, texts, strict=True):
        t = np.asarray(title_vecs[text], dtype=np.float64)
        c = stored.get(inc.chunk_id) if inc.chunk_id and chunk_ids else None
        v = t if c is None else TITLE_WEIGHT * t + (1.0 - TITLE_WEIGHT) * np.asarray(c, dtype=np.float64)
        rows.append(v)
    return _normalise(np.stack(rows)) if rows else np.zeros((0, 1))


def build_classes(ws: Any, store: bool = True) -> tuple[dict[str, ClassData], dict[str, str], Any]:
    """Cluster every incident; returns (slug -> class, incident key -> slug, key -> vector)."""
    import numpy as np

    with ws.session() as session:
        incidents = list(
            session.execute(select(Incident).order_by(Incident.created_at, Incident.key)).scalars()
        )
        chunk_ids = sorted({i.chunk_id for i in incidents if i.chunk_id})
        chunk_text = (
            dict(session.execute(select(Chunk.id, Chunk.text).where(Chunk.id.in_(chunk_ids))).all())
            if chunk_ids
            else {}
        )
        stop = people_tokens(session)
    if not incidents:
        return {}, {}, {}
    vectors = _incident_vectors(ws, incidents, chunk_text)
    services = [i.scope or NO_SERVICE for i in incidents]
    # within a service its name says nothing; across scopes (merge_same_terms) it says what failed
    groups = cluster_by_service(services, _incident_vectors(ws, incidents, chunk_text, within_service=True))
    ordered = sorted(groups.values(), key=lambda idx: (-len(idx), incidents[idx[0]].key))
    docs = []
    for idx in ordered:
        parts = []
        for i in idx:
            inc = incidents[i]
            title = normalise_title(inc.title or "")
            parts.append(f"{title} {title}")  # the title counts twice: it says what broke
            if inc.chunk_id and inc.chunk_id in chunk_text:
                parts.append(chunk_text[inc.chunk_id])
        docs.append("\n".join(parts))
    terms = distinctive_terms(docs, stop)
    names_own = [
        bool(inc.title) and without_service(inc.title, inc.scope) != inc.title.strip() for inc in incidents
    ]
    ordered, terms = merge_same_terms(ordered, terms, vectors, services, names_own)
    classes: dict[str, ClassData] = {}
    mapping: dict[str, str] = {}
    by_key: dict[str, Any] = {}
    for idx, words in zip(ordered, terms, strict=True):
        base = slug("-".join(words)) if words else "misc"
        name, n = base, 2
        while name in classes:
            name, n = f"{base}-{n}", n + 1
        cd = ClassData(slug=name, terms=words)
        for i in idx:
            cd.keys.append(incidents[i].key)
            mapping[incidents[i].key] = name
            by_key[incidents[i].key] = vectors[i]
        cd.centroid = _normalise(np.mean(np.stack([vectors[i] for i in idx]), axis=0, keepdims=True))[0]
        classes[name] = cd
    if store:
        with ws.session() as session:
            by_class: dict[str, list[str]] = defaultdict(list)
            for key, name in mapping.items():
                by_class[name].append(key)
            session.execute(update(Incident).values(incident_class=None))
            for name, keys in by_class.items():
                for start in range(0, len(keys), 500):
                    session.execute(
                        update(Incident)
                        .where(Incident.key.in_(keys[start : start + 500]))
                        .values(incident_class=name)
                    )
    return classes, mapping, by_key


def classify_incidents(ws: Any) -> dict[str, str]:
    """Cluster all incidents into classes and store ``Incident.incident_class``; incident key -> class slug."""
    _, mapping, _ = build_classes(ws, store=True)
    return mapping


def runbook_coverage(
    ws: Any, classes: dict[str, ClassData], services: dict[str, set[str]]
) -> dict[str, RunbookCoverage]:
    """Class slug -> its closest runbook chunk and whether that runbook covers the class."""
    import numpy as np

    with ws.session() as session:
        runbooks = session.execute(
            select(Chunk.id, Chunk.title, Chunk.path, Chunk.scope, Chunk.text)
            .where(Chunk.kind == "runbook")
            .order_by(Chunk.id)
        ).all()
    if not runbooks or not classes:
        return {name: RunbookCoverage(reason="no runbook documents ingested") for name in classes}
    ids = [r.id for r in runbooks]
    stored = ws.index.get_embeddings(ids)
    missing = [r for r in runbooks if r.id not in stored]
    if missing:
        for r, v in zip(missing, ws.index.embedder.encode([r.text for r in missing]), strict=True):
            stored[r.id] = v
    matrix = _normalise(np.asarray([stored[i] for i in ids], dtype=np.float64))
    out: dict[str, RunbookCoverage] = {}
    for name, cd in classes.items():
        sims = matrix @ cd.centroid
        best = int(np.argmax(sims))
        rb = runbooks[best]
        sim = float(sims[best])
        text = (rb.text or "").lower()
        shared = [t for t in cd.terms if re.search(rf"\b{re.escape(t)}\b", text)]
        same_scope = rb.scope is not None and rb.scope in services.get(name, set())
        if sim < RUNBOOK_COVER_SIMILARITY:
            covers, reason = (
                False,
                f"closest runbook is only {sim:.2f} similar (needs {RUNBOOK_COVER_SIMILARITY})",
            )
        elif same_scope:
            covers, reason = True, f"{sim:.2f} similar and written for {rb.scope}"
        elif shared:
            covers, reason = True, f"{sim:.2f} similar and names {', '.join(shared)}"
        else:
            covers, reason = (
                False,
                f"{sim:.2f} similar but for another service and sharing no distinctive term",
            )
        out[name] = RunbookCoverage(
            chunk_id=rb.id,
            title=rb.title,
            path=rb.path,
            scope=rb.scope,
            similarity=round(sim, 3),
            covers=covers,
            reason=reason,
        )
    return out


def class_counts(mapping: dict[str, str]) -> Counter[str]:
    """Incidents per class."""
    return Counter(mapping.values())
