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
- That file's rows are grouped by nearest centroid (`clusters.py`), groups of about 320 rows
  whatever the size: a query scores the rows of its 80 nearest groups, about 25,000 rows at
  100,000 vectors as at 1,000,000 (the top 50 hold 99.97% and 99.6% of the exact top 50 there),
  not every row. Below `SHARED_MIN` every row is scored.
- The matrix is read a page of `READ_ROWS` vectors at a time into one preallocated array, and
  written to the file in its grouped order a few megabytes at a time: the process that builds
  it holds about one copy of the matrix (at 1,000,000 vectors its peak was 4.2 GB with the
  vectors read into a list first and the grouped copy made in memory; 1.3 GB now).
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
from catalog.search.clusters import dot, groups_make, probe
from catalog.search.embeddings import EmbeddingError, embedder_get, embedder_name_configured, query_vector
from core.querysets import pages_by_key
from core.stamps import TableStamp

logger = logging.getLogger(__name__)

# More vectors changed than this since the matrix was read: read it again.
OVERLAY_MAX = 2000
# Vectors stored a little before the last seen `updated_at` but committed after it are still caught.
RECHECK_SECONDS = 30
# From this many vectors on, the matrix is a shared read-only file (below, a private array).
SHARED_MIN = 20_000
# Vectors read from the database per query when the matrix is read.
READ_ROWS = 20_000
# How the shared file's rows are grouped (clusters.py): a file grouped otherwise is not opened.
_LAYOUT = "groups-2"


def _room(array: np.ndarray, rows: int) -> np.ndarray:
    """`array`, or a copy with room for at least `rows` rows."""
    if rows <= array.shape[0]:
        return array
    bigger = np.empty((max(rows, array.shape[0] * 5 // 4), *array.shape[1:]), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


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
        vector = np.asarray(vector, dtype=np.float32)
        if self.centroids is not None and self.starts is not None and self.ids.size:
            probed = probe(vector, self.centroids, self.starts)
            scores = probed.scores(self.matrix, vector)
            scores[probed.positions(self._masked)] = -np.inf
            base_rows = probed.rows
        else:
            scores = dot(self.matrix, vector) if self.ids.size else np.zeros(0, dtype=np.float32)
            scores[self._masked] = -np.inf
            base_rows = None
        in_base = scores.size
        if self._overlay_matrix is not None:
            scores = np.concatenate([scores, dot(self._overlay_matrix, vector)])
        take = min(limit, self.size, scores.size)
        if take <= 0:
            return []
        # Every row at the take-th best cosine or above, then by cosine and, between equal cosines
        # (parts of one text), by product id: ties come out the same however the rows are laid out.
        kth = np.partition(scores, scores.size - take)[scores.size - take]
        top = np.flatnonzero((scores >= kth) & (scores > -np.inf))  # masked rows are -inf
        ids = np.empty(top.size, dtype=np.int64)
        base = top < in_base
        ids[base] = self.ids[top[base] if base_rows is None else base_rows(top[base])]
        ids[~base] = self._overlay_ids[top[~base] - in_base]
        best = np.lexsort((ids, -scores[top]))[:take]
        return [(int(i), float(c)) for i, c in zip(ids[best].tolist(), scores[top[best]].tolist(), strict=True)]


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
            digest = hashlib.blake2b(f"{stamp.isoformat()}|{_LAYOUT}".encode(), digest_size=8).hexdigest()
            path = shared_file.shared_dir() / f"{prefix}-{digest}"
            # One process of the host reads and groups the vectors; the others wait, then map its file.
            with shared_file.exclusive(prefix):
                vectors = self._open_shared(path)
                if vectors is None:
                    read = self._read(embedder_name)
                    vectors = self._write_shared(path, read) or read
                    del read  # mapped now: this process's own copy goes
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
        """Every vector by ascending product id, read `READ_ROWS` at a time (pages by id, no
        cursor held open) straight into one array sized by a count first: never a list of every
        vector's bytes beside the matrix (at 1,000,000 vectors each is a gigabyte)."""
        from catalog.search.models import ProductEmbedding

        stored = ProductEmbedding.objects.filter(embedder=embedder_name).order_by("product_id")
        ids, matrix, count = np.empty(stored.count(), dtype=np.int64), None, 0
        for pairs in pages_by_key(stored.values_list("product_id", "vector"), READ_ROWS, key="product_id"):
            if matrix is None:
                matrix = np.empty((ids.size, len(pairs[0][1]) // 4), dtype=np.float32)
            end = count + len(pairs)
            ids, matrix = _room(ids, end), _room(matrix, end)  # vectors stored since the count
            ids[count:end] = [product_id for product_id, _ in pairs]
            matrix[count:end] = np.frombuffer(b"".join(vector for _, vector in pairs), dtype=np.float32).reshape(
                len(pairs), -1
            )
            count = end
        if matrix is None:
            return VectorSet(np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32))
        return VectorSet(ids[:count], matrix[:count])

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
            "matrix": shared_file.RowsInOrder(vectors.matrix, order),  # not a second copy in memory
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
