"""The vector index: a Chroma collection of chunks, cosine space, our own embeddings.

Chroma's default embedding function would download a model, so this module always
passes embeddings it computed itself (and queries with vectors, not texts).
``UNDERSTUDY_CHROMA_URL`` switches from the workspace ``PersistentClient`` to a
Chroma server through ``HttpClient``.

A chunk longer than the model's word-piece window keeps its own vector (of its first window) in the
chunk collection, and its further windows go to a second collection as parts (``<chunk id>#p<n>``,
locator ``<locator>#p<n>``); a query returns the chunk whichever of its parts matched. Each collection
records the embedder that filled it, and an index refuses vectors from another. A narrow filter is
searched exactly over the vectors it selects, read from the index's filter store
(:mod:`ingest.filterstore`) rather than through Chroma's metadata scan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ingest.embed import Embedder, embedder_from_settings
from ingest.filterstore import FilterStore, filter_key

COLLECTION = "chunks"
"""Default name of the chunk collection (``UNDERSTUDY_CHROMA_COLLECTION`` overrides it)."""

UPSERT_BATCH = 1000
"""Vectors per Chroma upsert call (well under Chroma's max batch size)."""

PARTS_SUFFIX = "-parts"
"""Suffix of the collection holding the further windows of long chunks."""

PART_MARK = "#p"
"""Between a chunk's id (or locator) and the number of one of its parts."""

EMBEDDER_KEY = "understudy_embedder"
"""Collection metadata key recording the embedder (model and backend) whose vectors it holds."""

PART_OVERFETCH = 2
"""Extra hits asked of the parts collection per wanted hit, since several parts may share a chunk."""


EXACT_FILTER_MAX = 2000
"""A filter matching at most this many vectors is searched exactly over them (fetched, then one matrix
product) instead of by Chroma's filtered HNSW walk, which is slowest when the filter is narrow (issue 13:
119 ms p95 on a 0.3% scope at 100k chunks). A speed setting, not a judgement: results are the exact top n.
The vectors come from the :class:`ingest.filterstore.FilterStore` when it is in step with the collection,
else from Chroma's own filtered ``get``."""


class IndexMismatchError(RuntimeError):
    """The index holds vectors of another embedder than the one configured."""


@dataclass
class Hit:
    """A retrieved chunk."""

    id: str
    text: str
    distance: float
    metadata: dict[str, Any]


class Index:
    """The chunk collection, with the embedder that fills it."""

    def __init__(self, settings: Any, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._client: Any = None
        self._collection: Any = None
        self._parts: Any = None
        self._store: FilterStore | None = None
        self._in_step: dict[str, bool] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_from_settings(self.settings)
        return self._embedder

    @property
    def collection(self) -> Any:
        """The chunk collection (opened, or created, on first use)."""
        if self._collection is None:
            self._collection = self._open(self._name)
        return self._collection

    @property
    def parts(self) -> Any:
        """The collection of long chunks' further parts."""
        if self._parts is None:
            self._parts = self._open(self._name + PARTS_SUFFIX)
        return self._parts

    @property
    def _name(self) -> str:
        return getattr(self.settings, "chroma_collection", None) or COLLECTION

    @property
    def store(self) -> FilterStore | None:
        """The local copy of vectors and filter keys (None with a Chroma server, whose writers it cannot see)."""
        if self._store is None and not self.settings.chroma_url:
            self._chroma()
            self._store = FilterStore(self.settings.chroma_path)
        return self._store

    def sync_store(self) -> int:
        """Rebuild the filter store of each collection it is out of step with; returns vectors copied."""
        store = self.store
        if store is None:
            return 0
        copied = 0
        for coll in (self.collection, self.parts):
            if store.count(coll.name) != coll.count():
                copied += store.rebuild(coll.name, coll)
            self._in_step[coll.name] = True
        return copied

    def _store_in_step(self, coll: Any) -> bool:
        """Whether the filter store holds as many vectors of ``coll`` as Chroma (checked once per index).

        Every write of this code goes to both, so they only drift apart through a writer without the store
        (an older version, another machine) or a crash between the two writes of one batch, which the next
        embedding run re-writes; :meth:`sync_store` (run before each embedding phase) brings them together.
        """
        if coll.name not in self._in_step:
            store = self.store
            self._in_step[coll.name] = store is not None and store.count(coll.name) == coll.count()
        return self._in_step[coll.name]

    def _chroma(self) -> Any:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            url = self.settings.chroma_url
            if url:
                parsed = urlparse(url)
                self._client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or 8000,
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(
                    path=str(self.settings.chroma_path), settings=chroma_settings
                )
        return self._client

    def _open(self, name: str) -> Any:
        """Collection ``name``, refused when another embedder filled it."""
        want = self.embedder.name
        coll = self._chroma().get_or_create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine", EMBEDDER_KEY: want}
        )
        recorded = (coll.metadata or {}).get(EMBEDDER_KEY)
        if recorded is not None and recorded != want:
            raise IndexMismatchError(
                f"vector index {name!r} holds {recorded} vectors but the workspace is set to embed with "
                f"{want}: set UNDERSTUDY_EMBEDDING_BACKEND/UNDERSTUDY_EMBEDDING_MODEL back, or re-embed "
                "(Index.reset, then ingest.repair.reconcile, then embed)"
            )
        return coll

    def reset(self) -> None:
        """Drop every vector (both collections), so the next embedding run starts over with this embedder."""
        client = self._chroma()
        for name in (self._name, self._name + PARTS_SUFFIX):
            with contextlib.suppress(Exception):  # chroma raises different types for a missing collection
                client.delete_collection(name)
            if self.store is not None:
                self.store.clear(name)
        self._collection = self._parts = None
        self._in_step = {}

    def upsert(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        """Store vectors (idempotent by id); a text longer than the model's window also stores its parts.

        ``embeddings`` are the texts' own vectors (the model reads a text's first window); the further
        windows of a long text are encoded here, so no text is cut off.
        """
        for start in range(0, len(ids), UPSERT_BATCH):
            end = start + UPSERT_BATCH
            self._put(
                self.collection,
                list(ids[start:end]),
                list(texts[start:end]),
                [_clean_meta(m) for m in metadatas[start:end]],
                embeddings[start:end],
            )
        self._upsert_parts(ids, texts, metadatas)

    def _put(
        self, coll: Any, ids: list[str], texts: list[str], metas: list[dict[str, Any]], vectors: Sequence[Any]
    ) -> None:
        """One batch into a collection and into the filter store."""
        coll.upsert(ids=ids, documents=texts, metadatas=metas, embeddings=[list(v) for v in vectors])
        if self.store is not None:
            self.store.upsert(coll.name, ids, metas, vectors)

    def _upsert_parts(
        self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        splitter = getattr(self.embedder, "splitter", None)
        if splitter is None:
            return
        p_ids: list[str] = []
        p_texts: list[str] = []
        p_meta: list[dict[str, Any]] = []
        for cid, text, meta in zip(ids, texts, metadatas, strict=True):
            pieces = splitter.split(text)
            for n, piece in enumerate(pieces[1:], start=1):
                p_ids.append(f"{cid}{PART_MARK}{n}")
                p_texts.append(piece)
                p_meta.append(
                    _clean_meta(meta)
                    | {"chunk_id": cid, "part": n, "locator": f"{meta.get('locator') or ''}{PART_MARK}{n}"}
                )
        self._delete_parts(ids, keep=set(p_ids))
        if not p_ids:
            return
        vectors = self.embedder.encode(p_texts)
        for start in range(0, len(p_ids), UPSERT_BATCH):
            end = start + UPSERT_BATCH
            self._put(self.parts, p_ids[start:end], p_texts[start:end], p_meta[start:end], vectors[start:end])

    def _delete_parts(self, chunk_ids: Sequence[str], keep: set[str] | None = None) -> None:
        """Remove the parts of ``chunk_ids`` (except ``keep``): a shorter new version has fewer parts."""
        if self.parts.count() == 0:
            return
        for start in range(0, len(chunk_ids), UPSERT_BATCH):
            got = self.parts.get(
                where={"chunk_id": {"$in": list(chunk_ids[start : start + UPSERT_BATCH])}}, include=[]
            )
            old = [pid for pid in got["ids"] if not keep or pid not in keep]
            if old:
                self.parts.delete(ids=old)
                if self.store is not None:
                    self.store.delete(self.parts.name, old)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks' vectors, their parts included."""
        for start in range(0, len(ids), UPSERT_BATCH):
            self.collection.delete(ids=list(ids[start : start + UPSERT_BATCH]))
        if self.store is not None:
            self.store.delete(self.collection.name, ids)
        self._delete_parts(ids)

    def get_embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by id (missing ids are left out)."""
        out: dict[str, list[float]] = {}
        for start in range(0, len(ids), UPSERT_BATCH):
            got = self.collection.get(ids=list(ids[start : start + UPSERT_BATCH]), include=["embeddings"])
            for cid, emb in zip(got["ids"], got["embeddings"], strict=False):
                out[cid] = [float(x) for x in emb]
        return out

    def all_ids(self, page: int = 5000) -> Iterator[str]:
        """Every id in the collection, paged."""
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            yield from ids
            offset += len(ids)

    def count(self) -> int:
        return int(self.collection.count())

    def query(self, text: str, n: int = 8, where: dict[str, Any] | None = None) -> list[Hit]:
        """The ``n`` chunks nearest to ``text`` (optionally filtered on metadata)."""
        vector = self.embedder.encode([text])[0]
        return self.query_vector(vector, n=n, where=where)

    def query_vector(
        self, vector: Sequence[float], n: int = 8, where: dict[str, Any] | None = None
    ) -> list[Hit]:
        """The ``n`` chunks nearest to ``vector``; a long chunk is found by any of its parts (best one wins)."""
        hits = self._search(self.collection, vector, n, where)
        if (filter_key(where) is not None and self._store_in_step(self.parts)) or self.parts.count():
            for h in self._search(self.parts, vector, n * PART_OVERFETCH, where):
                h.id = str(h.metadata.get("chunk_id") or h.id.split(PART_MARK)[0])
                hits.append(h)
            best: dict[str, Hit] = {}
            for h in sorted(hits, key=lambda h: h.distance):
                best.setdefault(h.id, h)
            hits = list(best.values())
        return sorted(hits, key=lambda h: h.distance)[:n]

    def _search(self, coll: Any, vector: Sequence[float], n: int, where: dict[str, Any] | None) -> list[Hit]:
        if where:
            exact = self._search_exact(coll, vector, n, where)
            if exact is not None:
                return exact
        if coll.count() == 0:
            return []
        res = coll.query(
            query_embeddings=[list(vector)],
            n_results=n,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(id=cid, text=doc or "", distance=float(dist), metadata=dict(meta or {}))
            for cid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=False
            )
        ]

    def _search_exact(
        self, coll: Any, vector: Sequence[float], n: int, where: dict[str, Any]
    ) -> list[Hit] | None:
        """The exact top ``n`` among the vectors ``where`` selects, or None when it selects too many."""
        import numpy as np

        found = self._filtered_vectors(coll, where)
        if found is None:
            return None
        ids, m = found
        if not ids:
            return []
        order = sorted(range(len(ids)), key=ids.__getitem__)  # equal distances (same text) rank by id
        ids, m = [ids[i] for i in order], m[order]
        q = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(m, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
        dist = 1.0 - (m @ q) / np.clip(norms, 1e-12, None)
        top = np.argsort(dist, kind="stable")[:n]
        chosen = [ids[i] for i in top]
        rows = coll.get(ids=chosen, include=["documents", "metadatas"])
        by_id = {
            cid: (doc, meta)
            for cid, doc, meta in zip(rows["ids"], rows["documents"], rows["metadatas"], strict=False)
        }
        return [
            Hit(id=cid, text=by_id[cid][0] or "", distance=float(dist[i]), metadata=dict(by_id[cid][1] or {}))
            for cid, i in zip(chosen, top, strict=True)
            if cid in by_id
        ]

    def _filtered_vectors(self, coll: Any, where: dict[str, Any]) -> tuple[list[str], Any] | None:
        """Ids and vectors ``where`` selects (from the filter store when it is in step), None if too many."""
        import numpy as np

        key, store = filter_key(where), self.store
        if key is not None and store is not None and self._store_in_step(coll):
            return store.matching(coll.name, key[0], key[1], EXACT_FILTER_MAX)
        got = coll.get(where=where, include=["embeddings"], limit=EXACT_FILTER_MAX + 1)
        if len(got["ids"]) > EXACT_FILTER_MAX:
            return None
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be str, int, float or bool (no None)."""
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
