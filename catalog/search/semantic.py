"""Semantic search: the stored product vectors as one normalised matrix, cosine by dot product.

How it scales (bench/bench_scale.py, README "Search at scale"):
- A changed vector does not reload the matrix. Vectors stored since the last check (a query on
  the indexed `(embedder, updated_at)`) go into a small overlay matrix that replaces the base's
  rows for those parts: a re-embedded part is current on the next search, at any size. The
  whole matrix is read again only when more than `OVERLAY_MAX` vectors changed (a build), or
  when vectors were deleted (the count, compared on the next version change).
- Above `SHARED_MIN` vectors the base matrix is a file every web process on the host maps
  read-only (`PARLEY_VECTOR_DIR`, one file per database, embedder and version, written once
  by whichever process reads it first, `shared_file.py`): the pages are the operating
  system's, shared, not each process's own, and a second process opens it in milliseconds
  instead of reading every vector from the database.
- That file's rows are grouped by nearest centroid (`clusters.py`): a query scores the rows
  of its nearest groups, about a sixth of them at 100,000 vectors, not every row (the top 50
  hold 99.6% of the exact top 50 there). Below `SHARED_MIN` every row is scored.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.db.models import Max

from catalog.search import shared_file
from catalog.search.clusters import groups_make, rows_probed
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
    """The base matrix and the overlay of newer vectors. The base's rows are by ascending
    product id, or, grouped (`centroids`), by group, group g at rows starts[g]:starts[g + 1]
    and `by_id` the rows in product id order."""

    ids: np.ndarray
    matrix: np.ndarray
    overlay: dict[int, np.ndarray] = field(default_factory=dict)
    _overlay_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _overlay_matrix: np.ndarray | None = None
    _masked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    centroids: np.ndarray | None = None
    starts: np.ndarray | None = None
    by_id: np.ndarray | None = None

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
        ordered = self.ids if self.by_id is None else self.ids[self.by_id]
        at = np.minimum(np.searchsorted(ordered, ids), max(self.ids.size - 1, 0))
        masked = at[(self.ids.size > 0) & (ordered[at] == ids)] if self.ids.size else np.zeros(0, dtype=np.int64)
        if self.by_id is not None:
            masked = self.by_id[masked]
        matrix = np.stack([overlay[i] for i in ids]) if ids.size else None
        return replace(self, overlay=overlay, _overlay_ids=ids, _overlay_matrix=matrix, _masked=np.sort(masked))

    def top(self, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(product id, cosine) of the `limit` nearest vectors, best first."""
        if self.centroids is not None and self.starts is not None and self.ids.size:
            probed = rows_probed(vector, self.centroids, self.starts)
            rows = np.concatenate([np.arange(start, end) for start, end in probed])
            scores = np.concatenate([self.matrix[start:end] @ vector for start, end in probed])
            if self._masked.size:
                scores[np.isin(rows, self._masked, assume_unique=True)] = -np.inf
            ids = self.ids[rows]
        else:
            scores = self.matrix @ vector if self.ids.size else np.zeros(0, dtype=np.float32)
            if self._masked.size:
                scores[self._masked] = -np.inf
            ids = self.ids
        if self._overlay_matrix is not None:
            scores = np.concatenate([scores, self._overlay_matrix @ vector])
            ids = np.concatenate([ids, self._overlay_ids])
        take = min(limit, self.size, scores.size)
        if take <= 0:
            return []
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in top]


_EMPTY = VectorSet(np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32))


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
        embedder_name, stamp = version
        vectors = None
        if stamp is not None and self._count(embedder_name) >= SHARED_MIN:
            prefix = shared_file.database_prefix("vectors", embedder_name)
            path = (
                shared_file.shared_dir()
                / f"{prefix}-{hashlib.blake2b(stamp.isoformat().encode(), digest_size=8).hexdigest()}"
            )
            # One process of the host reads and groups the vectors; the others wait, then map its file.
            with shared_file.exclusive(prefix):
                vectors = self._open_shared(path) or self._write_shared(path, self._read(embedder_name))
        if vectors is None:
            vectors = self._read(embedder_name)
        self.vectors = vectors
        self.key = version
        self.loaded_at = time.monotonic()
        self.reloads += 1
        logger.info("semantic index loaded: %d vectors (%s)", vectors.ids.size, embedder_name)

    @staticmethod
    def _count(embedder_name: str) -> int:
        from catalog.search.models import ProductEmbedding

        return ProductEmbedding.objects.filter(embedder=embedder_name).count()

    @staticmethod
    def _read(embedder_name: str) -> VectorSet:
        from catalog.search.models import ProductEmbedding

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
        return VectorSet(ids, matrix)

    @staticmethod
    def _open_shared(path: Path) -> VectorSet | None:
        opened = shared_file.arrays_open(path)
        if opened is None:
            return None
        arrays, _ = opened
        return VectorSet(
            arrays["ids"],
            arrays["matrix"],
            centroids=arrays["centroids"],
            starts=arrays["starts"],
            by_id=arrays["by_id"],
        )

    @staticmethod
    def _write_shared(path: Path, vectors: VectorSet) -> VectorSet | None:
        """Group the rows, write them where the host's other processes map them, and map them
        here too (dropping this process's own copy). Older versions' files go. On any error,
        None: the caller keeps the array."""
        order, starts, centroids = groups_make(vectors.matrix)
        ids = vectors.ids[order]
        arrays = {
            "ids": ids,
            "matrix": vectors.matrix[order],
            "centroids": centroids,
            "starts": starts,
            "by_id": np.argsort(ids, kind="stable"),
        }
        try:
            shared_file.arrays_write(path, arrays, {"vectors": int(ids.size)})
            shared_file.older_remove(path.name.rsplit("-", 1)[0], keep=path)
        except OSError:
            logger.warning("could not share the vector matrix under %s; kept in this process", path.parent)
            return None
        return _VectorCache._open_shared(path)

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
