"""Semantic search: the stored product vectors as one normalised matrix, cosine by dot product."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
from django.db.models import Max

from catalog.search.embeddings import EmbeddingError, embedder_get, embedder_name_configured, query_vector

logger = logging.getLogger(__name__)


class _VectorCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.loaded_at = 0.0
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 1), dtype=np.float32)

    def get(self, embedder_name: str) -> tuple[np.ndarray, np.ndarray]:
        from catalog.search.models import ProductEmbedding

        rows = ProductEmbedding.objects.filter(embedder=embedder_name)
        # New and changed vectors move MAX(updated_at); a vector of a deleted part may linger
        # until the next change, harmless because results are read back from the catalogue.
        version = (embedder_name, rows.aggregate(u=Max("updated_at"))["u"])
        if version == self.key:
            return self.ids, self.matrix
        if (
            self.key is not None
            and self.key[0] == embedder_name
            and self.ids.size > 20_000
            and time.monotonic() - self.loaded_at < 2.0
        ):
            return self.ids, self.matrix  # a large set being rebuilt right now: reload at most every 2 s
        with self.lock:
            if version != self.key:
                pairs = list(rows.order_by("product_id").values_list("product_id", "vector"))
                self.ids = np.fromiter((p for p, _ in pairs), dtype=np.int64, count=len(pairs))
                if pairs:
                    self.matrix = np.frombuffer(b"".join(bytes(v) for _, v in pairs), dtype=np.float32).reshape(
                        len(pairs), -1
                    )
                else:
                    self.matrix = np.zeros((0, 1), dtype=np.float32)
                self.key = version
                self.loaded_at = time.monotonic()
                logger.info("semantic index loaded: %d vectors (%s)", len(pairs), embedder_name)
            return self.ids, self.matrix

    def clear(self):
        with self.lock:
            self.key = None


cache = _VectorCache()


def semantic_search(query: str, limit: int) -> list[tuple[int, float]]:
    """(product id, cosine) best first; [] when no embedder is configured or nothing is built."""
    name = embedder_name_configured()
    if name is None:
        return []
    ids, matrix = cache.get(name)
    if ids.size == 0:
        return []  # nothing built: the model is not even loaded
    embedder = embedder_get()
    if embedder is None or embedder.name != name:
        return []
    try:
        vector = query_vector(embedder.name, query.strip().lower()[:300])
    except EmbeddingError:
        logger.warning("query embedding failed; lexical results only", exc_info=True)
        return []
    if vector is None or vector.shape[0] != matrix.shape[1]:
        return []
    scores = matrix @ vector
    take = min(limit, scores.size)
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in top]
