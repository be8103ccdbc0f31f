"""Semantic search: the stored product vectors as one normalised matrix, cosine by dot product.

How it scales (bench/bench_scale.py, README "Search at scale"):
- A changed vector does not reload the matrix. Vectors stored since the last check (a query on
  the indexed `(embedder, updated_at)`) go into a small overlay matrix that replaces the base's
  rows for those parts: a re-embedded part is current on the next search, at any size. The
  whole matrix is read again only when more than `OVERLAY_MAX` vectors changed (a build), or
  when vectors were deleted (the count, compared on the next version change).
- Above `SHARED_MIN` vectors the base matrix is a file every web process on the host maps
  read-only (`PARLEY_VECTOR_DIR`, one file per database, embedder and version, written once
  by whichever process reads it first): the pages are the operating system's, shared, not
  each process's own, and a second process opens it in milliseconds instead of reading every
  vector from the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Max

from catalog.search.embeddings import EmbeddingError, embedder_get, embedder_name_configured, query_vector
from core.stamps import TableStamp

logger = logging.getLogger(__name__)

# More vectors changed than this since the matrix was read: read it again.
OVERLAY_MAX = 2000
# Vectors stored a little before the last seen `updated_at` but committed after it are still caught.
RECHECK_SECONDS = 30
# From this many vectors on, the matrix is a shared read-only file (below, a private array).
SHARED_MIN = 20_000


@dataclass
class VectorSet:
    """The base matrix (rows by ascending product id) and the overlay of newer vectors."""

    ids: np.ndarray
    matrix: np.ndarray
    overlay: dict[int, np.ndarray] = field(default_factory=dict)
    _overlay_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _overlay_matrix: np.ndarray | None = None
    _masked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def size(self) -> int:
        return int(self.ids.size - self._masked.size + self._overlay_ids.size)

    @property
    def added(self) -> int:
        """Overlay vectors of parts the base has none of."""
        return int(self._overlay_ids.size - self._masked.size)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim == 2 and self.matrix.shape[0] else 0

    def with_overlay(self, overlay: dict[int, np.ndarray]) -> VectorSet:
        ids = np.array(sorted(overlay), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), max(self.ids.size - 1, 0))
        masked = at[(self.ids.size > 0) & (self.ids[at] == ids)] if self.ids.size else np.zeros(0, dtype=np.int64)
        matrix = np.stack([overlay[i] for i in ids]) if ids.size else None
        return VectorSet(self.ids, self.matrix, overlay, ids, matrix, np.sort(masked))

    def top(self, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(product id, cosine) of the `limit` nearest vectors, best first."""
        scores = self.matrix @ vector if self.ids.size else np.zeros(0, dtype=np.float32)
        if self._masked.size:
            scores[self._masked] = -np.inf
        ids = self.ids
        if self._overlay_matrix is not None:
            scores = np.concatenate([scores, self._overlay_matrix @ vector])
            ids = np.concatenate([ids, self._overlay_ids])
        take = min(limit, self.size)
        if take <= 0:
            return []
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in top]


_EMPTY = VectorSet(np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32))


def vector_dir() -> Path:
    return Path(getattr(settings, "PARLEY_VECTOR_DIR", "") or Path(tempfile.gettempdir()) / "parley-vectors")


def _file_prefix(embedder_name: str) -> str:
    db = connection.settings_dict
    where = f"{connection.vendor}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}|{embedder_name}"
    return "vectors-" + hashlib.blake2b(where.encode(), digest_size=8).hexdigest()


def _vectors_version(embedder_name: str):
    from catalog.search.models import ProductEmbedding

    # New and changed vectors move MAX(updated_at); a vector of a deleted part may linger
    # until the next full read, harmless because results are read back from the catalogue.
    return ProductEmbedding.objects.filter(embedder=embedder_name).aggregate(u=Max("updated_at"))["u"]


_stamps: dict[str, TableStamp] = {}


def _vectors_stamp(embedder_name: str) -> TableStamp:
    """The embedder's vectors' version, read at most every PARLEY_DATA_RECHECK_SECONDS (at once
    after this process stored vectors: `product_embeddings_refresh` forgets it)."""
    stamp = _stamps.get(embedder_name)
    if stamp is None:
        stamp = _stamps.setdefault(
            embedder_name, TableStamp("catalog.ProductEmbedding", lambda: _vectors_version(embedder_name))
        )
    return stamp


class _VectorCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.loaded_at = 0.0
        self.vectors: VectorSet = _EMPTY
        self.reloads = 0

    # The matrix of the last load, for benchmarks and tests.
    @property
    def ids(self) -> np.ndarray:
        return self.vectors.ids

    @property
    def matrix(self) -> np.ndarray:
        return self.vectors.matrix

    def get(self, embedder_name: str) -> VectorSet:
        version = (embedder_name, _vectors_stamp(embedder_name).get())
        if version == self.key:
            return self.vectors
        with self.lock:
            if version != self.key and not self._apply_changes(version):
                if self._throttled(version):
                    return self.vectors  # a large set being rebuilt right now: read at most every 2 s
                self._load(version)
            return self.vectors

    def _throttled(self, version) -> bool:
        return (
            self.key is not None
            and self.key[0] == version[0]
            and self.vectors.ids.size > SHARED_MIN
            and time.monotonic() - self.loaded_at < 2.0
        )

    def _apply_changes(self, version) -> bool:
        from catalog.search.models import ProductEmbedding

        if self.key is None or self.key[0] != version[0] or self.key[1] is None or version[1] is None:
            return False
        since = self.key[1] - timedelta(seconds=RECHECK_SECONDS)
        changed = list(
            ProductEmbedding.objects.filter(embedder=version[0], updated_at__gt=since).values_list(
                "product_id", "vector"
            )[: OVERLAY_MAX + 1]
        )
        if len(changed) > OVERLAY_MAX:
            return False
        overlay = dict(self.vectors.overlay)
        overlay.update((pid, np.frombuffer(bytes(vector), dtype=np.float32)) for pid, vector in changed)
        dim = self.vectors.dim
        if len(overlay) > OVERLAY_MAX or any(v.shape[0] != dim for v in overlay.values()):
            return False
        vectors = self.vectors.with_overlay(overlay)
        # A deleted vector (its part deleted) moves no version: counted here, it makes a full read.
        if ProductEmbedding.objects.filter(embedder=version[0]).count() != vectors.ids.size + vectors.added:
            return False
        self.vectors = vectors
        self.key = version
        return True

    def _load(self, version) -> None:
        from catalog.search.models import ProductEmbedding

        embedder_name, stamp = version
        shared = None
        if stamp is not None:
            prefix = _file_prefix(embedder_name)
            stem = f"{prefix}-{hashlib.blake2b(stamp.isoformat().encode(), digest_size=8).hexdigest()}"
            shared = vector_dir() / stem
        vectors = self._open_shared(shared) if shared is not None else None
        if vectors is None:
            pairs = list(
                ProductEmbedding.objects.filter(embedder=embedder_name)
                .order_by("product_id")
                .values_list("product_id", "vector")
            )
            ids = np.fromiter((p for p, _ in pairs), dtype=np.int64, count=len(pairs))
            if pairs:
                matrix = np.frombuffer(b"".join(bytes(v) for _, v in pairs), dtype=np.float32).reshape(len(pairs), -1)
            else:
                matrix = np.zeros((0, 1), dtype=np.float32)
            del pairs
            vectors = VectorSet(ids, matrix)
            if shared is not None and ids.size >= SHARED_MIN:
                vectors = self._write_shared(shared, vectors) or vectors
        self.vectors = vectors
        self.key = version
        self.loaded_at = time.monotonic()
        self.reloads += 1
        logger.info("semantic index loaded: %d vectors (%s)", vectors.ids.size, embedder_name)

    @staticmethod
    def _open_shared(stem: Path) -> VectorSet | None:
        try:
            ids = np.load(f"{stem}.ids.npy", allow_pickle=False)
            matrix = np.load(f"{stem}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return VectorSet(ids, matrix) if matrix.shape[0] == ids.size else None

    @staticmethod
    def _write_shared(stem: Path, vectors: VectorSet) -> VectorSet | None:
        """Write the matrix where the host's other processes map it; this process maps it too
        (dropping its private copy). Older versions' files go. On any error, keep the array."""
        try:
            stem.parent.mkdir(parents=True, exist_ok=True)
            for suffix, array in ((".ids.npy", vectors.ids), (".npy", vectors.matrix)):
                handle, temporary = tempfile.mkstemp(dir=stem.parent, prefix=".writing-")
                with os.fdopen(handle, "wb") as out:
                    np.save(out, array, allow_pickle=False)
                os.replace(temporary, f"{stem}{suffix}")
            prefix = stem.name.rsplit("-", 1)[0]
            for old in stem.parent.glob(f"{prefix}-*"):
                if not old.name.startswith(stem.name):
                    old.unlink(missing_ok=True)  # a process that mapped it keeps its mapping
            return _VectorCache._open_shared(stem)
        except OSError:
            logger.warning("could not share the vector matrix under %s; kept in this process", stem.parent)
            return None

    def clear(self):
        with self.lock:
            self.key = None
            self.vectors = _EMPTY


cache = _VectorCache()


def semantic_search(query: str, limit: int) -> list[tuple[int, float]]:
    """(product id, cosine) best first; [] when no embedder is configured or nothing is built."""
    name = embedder_name_configured()
    if name is None:
        return []
    vectors = cache.get(name)
    if vectors.size == 0:
        return []  # nothing built: the model is not even loaded
    embedder = embedder_get()
    if embedder is None or embedder.name != name:
        return []
    try:
        vector = query_vector(embedder.name, query.strip().lower()[:300])
    except EmbeddingError:
        logger.warning("query embedding failed; lexical results only", exc_info=True)
        return []
    if vector is None or vector.shape[0] != (vectors.dim or vector.shape[0]):
        return []
    return vectors.top(vector, limit)
