"""Embedding backends and the vector index: no mixed vectors, long chunks split rather than truncated."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from ingest.embed import BACKENDS, Splitter, default_model_path, length_batches, make_embedder
from ingest.index import Index, IndexMismatchError
from ingest.pipeline import ingest_paths
from ingest.repair import reconcile
from ingest.settings import load_settings
from ingest.workspace import Workspace
from tests.ingest.minorg import write_org


class NamedHashEmbedder:
    """Deterministic unit vectors from a text's hash, under a chosen embedder name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def encode(self, texts):
        out = []
        for t in texts:
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(384)
            out.append((v / np.linalg.norm(v)).tolist())
        return out


FILLER = " ".join(
    f"Step {i}: the payments api dashboard showed nominal latency and the team checked the queue depth."
    for i in range(40)
)
TAIL = "Finally the zookeeper quorum was restored by reseeding the myid files on all three ensemble nodes."


def test_index_refuses_vectors_of_another_embedder(tmp_path):
    settings = load_settings(tmp_path / "ws")
    first = Index(settings, embedder=NamedHashEmbedder("model-a"))
    first.upsert(["c1"], ["some text"], [{"kind": "chat_thread"}], first.embedder.encode(["some text"]))
    other = Index(settings, embedder=NamedHashEmbedder("model-a@onnx-int8"))
    with pytest.raises(IndexMismatchError, match="model-a@onnx-int8"):
        other.query("some text")
    with pytest.raises(IndexMismatchError):
        other.upsert(["c2"], ["more"], [{}], other.embedder.encode(["more"]))
    assert Index(settings, embedder=NamedHashEmbedder("model-a")).count() == 1


def test_reset_and_reconcile_reembed_with_the_new_backend(tmp_path):
    org = write_org(tmp_path / "org")
    ws_a = Workspace.open(tmp_path / "ws", embedder=NamedHashEmbedder("model-a"))
    first = ingest_paths(ws_a, [org])
    assert first.chunks > 0 and ws_a.index.count() == first.chunks
    ws_b = Workspace.open(tmp_path / "ws", embedder=NamedHashEmbedder("model-b"))
    with pytest.raises(IndexMismatchError):
        ws_b.index.count()
    ws_b.index.reset()
    assert reconcile(ws_b)["missing_vectors"] == first.chunks
    again = ingest_paths(ws_b, [org])
    assert again.embedded == first.chunks
    assert ws_b.index.count() == first.chunks


def test_derived_backends_are_offered_and_unknown_ones_refused(tmp_path):
    assert {"torch", "onnx", "onnx-int8", "static"} <= set(BACKENDS)
    settings = load_settings(tmp_path / "ws", embedding_backend="onnx-int8")
    from ingest.embed import embedder_from_settings

    emb = embedder_from_settings(settings)
    assert emb.name == "all-MiniLM-L6-v2@onnx-int8"
    assert embedder_from_settings(load_settings(tmp_path / "ws")).name == "all-MiniLM-L6-v2"
    with pytest.raises(ValueError, match="onnx-int8"):
        make_embedder(None, "tensorflow", 64, tmp_path / "models")


def test_onnx_export_matches_torch(tmp_path, embedder):
    texts = ["payments api connection pool exhausted", "who restarts the kafka consumers", FILLER]
    ref = np.asarray(embedder.encode(texts))
    got = np.asarray(make_embedder(None, "onnx", 64, tmp_path / "models").encode(texts))
    assert (ref * got).sum(1).min() > 0.999


@pytest.mark.parametrize("batch_size,budget", [(64, 4096), (4, 100), (64, 10)])
def test_length_batches_cover_every_text_once_within_the_budget(batch_size, budget):
    lengths = [3, 256, 17, 256, 40, 1, 128, 128, 9, 256, 64, 2] * 7
    batches = length_batches(lengths, batch_size, budget)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= batch_size
        longest = max(lengths[i] for i in b)
        assert longest == lengths[b[0]]
        assert len(b) == 1 or len(b) * longest <= budget
    # each batch is as full as the limits allow: the next text would have broken one of them
    for b in batches[:-1]:
        assert len(b) == batch_size or (len(b) + 1) * lengths[b[0]] > budget
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)


def test_full_windows_are_encoded_fewer_at_a_time(embedder):
    sp = Splitter(default_model_path())
    texts = [FILLER, "short one", FILLER + " x", "another short text"]
    lengths = [min(n, sp.max_tokens) for n in sp.token_counts(texts)]
    batches = length_batches(lengths, 64)
    assert len(batches) == 1  # four texts: two full windows (2 x 256) fit the default budget
    assert max(len(b) for b in length_batches([256] * 64, 64)) == 16
    assert max(len(b) for b in length_batches([30] * 200, 64)) == 64


def test_batched_encode_equals_encoding_each_text_alone(embedder):
    texts = [FILLER, "payments api connection pool exhausted", FILLER + " " + TAIL, "disk full", TAIL] * 5
    together = np.asarray(embedder.encode(texts))
    alone = np.asarray([embedder.encode([t])[0] for t in texts[:5]] * 5)
    assert (together * alone).sum(1).min() > 0.9999


def test_splitter_keeps_every_word_piece(embedder):
    sp = Splitter(default_model_path())
    text = FILLER + " " + TAIL
    parts = sp.split(text)
    assert len(parts) > 1
    assert all(n <= sp.max_tokens for n in sp.token_counts(parts))
    assert " ".join(parts).split() == text.split()
    assert sp.split("short text") == ["short text"]


def test_text_beyond_the_window_is_retrievable(tmp_path, embedder):
    index = Index(load_settings(tmp_path / "ws"), embedder=embedder)
    texts = {
        "long": FILLER + " " + TAIL,
        "zk-upgrade": "We should plan the zookeeper upgrade next quarter.",
        "myid": "The myid file tells a server its id.",
        "deploy": "Deployed checkout web version 42 to production.",
    }
    ids = list(texts)
    metas = [{"kind": "incident", "locator": f"loc-{i}", "scope": "service:payments-api"} for i in ids]
    index.upsert(ids, list(texts.values()), metas, embedder.encode(list(texts.values())))
    assert index.count() == len(ids)  # parts are not chunks
    hits = index.query("how was the zookeeper quorum restored by reseeding myid files", n=3)
    assert hits[0].id == "long"
    assert hits[0].metadata["locator"].startswith("loc-long#p")
    assert len({h.id for h in hits}) == len(hits)
    filtered = index.query("zookeeper quorum reseeding myid", n=2, where={"scope": "service:payments-api"})
    assert filtered[0].id == "long"
    index.delete(["long"])
    assert all(h.id != "long" for h in index.query("zookeeper quorum restored reseeding myid", n=4))


def test_narrow_filter_is_searched_exactly_like_chroma(tmp_path, monkeypatch):
    import ingest.index as index_mod

    index = Index(load_settings(tmp_path / "ws"), embedder=NamedHashEmbedder("h"))
    rng = np.random.default_rng(3)
    vec = rng.standard_normal((300, 384))
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    ids = [f"c{i}" for i in range(300)]
    metas = [{"scope": f"service:s{i % 3}", "locator": str(i)} for i in range(300)]
    index.upsert(ids, [f"text {i}" for i in ids], metas, vec.tolist())
    q = rng.standard_normal(384)
    q /= np.linalg.norm(q)
    exact = index.query_vector(q.tolist(), n=5, where={"scope": "service:s1"})
    want = sorted((float(1 - vec[i] @ q), f"c{i}") for i in range(1, 300, 3))[:5]
    assert [h.id for h in exact] == [cid for _, cid in want]
    assert all(h.metadata["scope"] == "service:s1" and h.text == f"text {h.id}" for h in exact)
    assert [round(h.distance, 5) for h in exact] == [round(d, 5) for d, _ in want]
    monkeypatch.setattr(index_mod, "EXACT_FILTER_MAX", 0)  # Chroma's own filtered search
    assert {h.id for h in index.query_vector(q.tolist(), n=5, where={"scope": "service:s1"})} == {
        h.id for h in exact
    }
