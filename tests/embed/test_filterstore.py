"""Filtered retrieval from the index's filter store: exact, in step with Chroma, and rebuilt when not."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.filterstore import FILE_NAME
from ingest.index import Index
from ingest.pipeline import embed_pending, ingest_paths
from ingest.settings import load_settings
from ingest.workspace import Workspace
from tests.embed.test_index import NamedHashEmbedder
from tests.ingest.minorg import write_org

SCOPES = 3
"""Scopes the test's vectors are spread over (one in three per scope)."""


def _fill(index: Index, n: int = 300, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vec = rng.standard_normal((n, 384))
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    ids = [f"c{i}" for i in range(n)]
    metas = [{"scope": f"service:s{i % SCOPES}", "kind": "chat_thread", "locator": str(i)} for i in range(n)]
    index.upsert(ids, [f"text {cid}" for cid in ids], metas, vec.tolist())
    return vec


def _brute(vec: np.ndarray, q: np.ndarray, members: list[int], k: int) -> list[str]:
    """Top ``k`` ids by cosine distance among ``members``, the oracle."""
    return [f"c{i}" for _, i in sorted((float(1 - vec[i] @ q), i) for i in members)[:k]]


def _query(seed: int) -> np.ndarray:
    q = np.random.default_rng(seed).standard_normal(384)
    return q / np.linalg.norm(q)


def _no_chroma_filter(coll, monkeypatch):
    """Make Chroma refuse any metadata filter on ``coll``, so only the filter store can answer one."""
    for method in ("get", "query"):
        real = getattr(coll, method)

        def guarded(*args, _real=real, **kwargs):
            if kwargs.get("where"):
                raise AssertionError("Chroma was asked to filter")
            return _real(*args, **kwargs)

        monkeypatch.setattr(coll, method, guarded)


def test_filtered_query_is_the_exact_top_k_from_the_store(tmp_path, monkeypatch):
    index = Index(load_settings(tmp_path / "ws"), embedder=NamedHashEmbedder("h"))
    vec = _fill(index)
    _no_chroma_filter(index.collection, monkeypatch)
    _no_chroma_filter(index.parts, monkeypatch)
    for seed in range(5):
        q = _query(seed)
        got = index.query_vector(q.tolist(), n=6, where={"scope": "service:s1"})
        assert [h.id for h in got] == _brute(vec, q, list(range(1, 300, SCOPES)), 6)
        assert all(h.metadata["scope"] == "service:s1" and h.text == f"text {h.id}" for h in got)
    by_eq = index.query_vector(q.tolist(), n=6, where={"scope": {"$eq": "service:s1"}})
    assert [h.id for h in by_eq] == [h.id for h in got]


def test_store_follows_replaced_moved_and_deleted_vectors(tmp_path, monkeypatch):
    index = Index(load_settings(tmp_path / "ws"), embedder=NamedHashEmbedder("h"))
    vec = _fill(index)
    q = _query(9)
    top = index.query_vector(q.tolist(), n=1, where={"scope": "service:s1"})[0].id
    index.delete([top])
    moved = int(index.query_vector(q.tolist(), n=1, where={"scope": "service:s1"})[0].id[1:])
    index.upsert([f"c{moved}"], ["moved"], [{"scope": "service:s2"}], [vec[moved].tolist()])
    index.upsert(["c0"], ["now nearest"], [{"scope": "service:s0"}], [q.tolist()])
    _no_chroma_filter(index.collection, monkeypatch)
    members = [i for i in range(1, 300, SCOPES) if f"c{i}" not in (top, f"c{moved}")]
    vec[0] = q
    assert [h.id for h in index.query_vector(q.tolist(), n=5, where={"scope": "service:s1"})] == _brute(
        vec, q, members, 5
    )
    s0 = index.query_vector(q.tolist(), n=2, where={"scope": "service:s0"})
    assert s0[0].id == "c0" and s0[0].text == "now nearest"
    assert f"c{moved}" in {h.id for h in index.query_vector(q.tolist(), n=120, where={"scope": "service:s2"})}


def test_store_out_of_step_falls_back_to_chroma_then_is_rebuilt(tmp_path, monkeypatch):
    settings = load_settings(tmp_path / "ws")
    vec = _fill(Index(settings, embedder=NamedHashEmbedder("h")))
    (settings.chroma_path / FILE_NAME).unlink()  # as if an older version had filled the collection
    index = Index(settings, embedder=NamedHashEmbedder("h"))
    q = _query(4)
    want = _brute(vec, q, list(range(2, 300, SCOPES)), 4)
    assert [h.id for h in index.query_vector(q.tolist(), n=4, where={"scope": "service:s2"})] == want
    assert index.sync_store() == 300
    assert Index(settings, embedder=NamedHashEmbedder("h")).sync_store() == 0
    index = Index(settings, embedder=NamedHashEmbedder("h"))
    _no_chroma_filter(index.collection, monkeypatch)
    assert [h.id for h in index.query_vector(q.tolist(), n=4, where={"scope": "service:s2"})] == want


def test_reset_empties_the_store(tmp_path):
    settings = load_settings(tmp_path / "ws")
    index = Index(settings, embedder=NamedHashEmbedder("h"))
    _fill(index, n=30)
    index.reset()
    assert index.query_vector(_query(1).tolist(), n=3, where={"scope": "service:s1"}) == []
    assert index.store is not None and index.store.count(index.collection.name) == 0


@pytest.mark.parametrize(
    "where", [{"locator": "3"}, {"$and": [{"scope": "service:s1"}, {"kind": "chat_thread"}]}]
)
def test_filters_the_store_cannot_answer_go_to_chroma(tmp_path, where):
    index = Index(load_settings(tmp_path / "ws"), embedder=NamedHashEmbedder("h"))
    vec = _fill(index, n=30)
    q = _query(2)
    hits = index.query_vector(q.tolist(), n=3, where=where)
    members = [3] if "locator" in where else list(range(1, 30, SCOPES))
    assert [h.id for h in hits] == _brute(vec, q, members, 3)


def test_equal_vectors_rank_by_id_whatever_the_order_they_were_stored_in(tmp_path):
    index = Index(load_settings(tmp_path / "ws"), embedder=NamedHashEmbedder("h"))
    _fill(index, n=30)
    q = _query(6)
    index.upsert(
        ["z-copy", "a-copy"], ["same text", "same text"], [{"scope": "service:s1"}] * 2, [q.tolist()] * 2
    )
    hits = index.query_vector(q.tolist(), n=2, where={"scope": "service:s1"})
    assert [h.id for h in hits] == ["a-copy", "z-copy"]


def test_embed_command_brings_an_older_index_into_step(tmp_path):
    org = write_org(tmp_path / "org")
    ws = Workspace.open(tmp_path / "ws", embedder=NamedHashEmbedder("h"))
    chunks = ingest_paths(ws, [org]).chunks
    (ws.settings.chroma_path / FILE_NAME).unlink()  # vectors written by a version without the store
    ws = Workspace.open(tmp_path / "ws", embedder=NamedHashEmbedder("h"))
    assert embed_pending(ws).embedded == 0
    assert ws.index.store is not None and ws.index.store.count(ws.index.collection.name) == chunks > 0
