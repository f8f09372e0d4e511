"""The vector index: one Chroma collection of chunks, cosine space, our own embeddings.

Chroma's default embedding function would download a model, so this module always
passes embeddings it computed itself (and queries with vectors, not texts).
``UNDERSTUDY_CHROMA_URL`` switches from the workspace ``PersistentClient`` to a
Chroma server through ``HttpClient``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ingest.embed import Embedder, embedder_from_settings

COLLECTION = "chunks"
"""Default name of the chunk collection (``UNDERSTUDY_CHROMA_COLLECTION`` overrides it)."""

UPSERT_BATCH = 1000
"""Vectors per Chroma upsert call (well under Chroma's max batch size)."""


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

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_from_settings(self.settings)
        return self._embedder

    @property
    def collection(self) -> Any:
        if self._collection is None:
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
            name = getattr(self.settings, "chroma_collection", None) or COLLECTION
            self._collection = self._client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return self._collection

    def upsert(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        """Store vectors (idempotent by id)."""
        for start in range(0, len(ids), UPSERT_BATCH):
            end = start + UPSERT_BATCH
            self.collection.upsert(
                ids=list(ids[start:end]),
                documents=list(texts[start:end]),
                metadatas=[_clean_meta(m) for m in metadatas[start:end]],
                embeddings=[list(e) for e in embeddings[start:end]],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), UPSERT_BATCH):
            self.collection.delete(ids=list(ids[start : start + UPSERT_BATCH]))

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
        if self.count() == 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(vector)],
            n_results=n,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for cid, doc, meta, dist in zip(
            res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=False
        ):
            hits.append(Hit(id=cid, text=doc or "", distance=float(dist), metadata=dict(meta or {})))
        return hits


def _clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be str, int, float or bool (no None)."""
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
