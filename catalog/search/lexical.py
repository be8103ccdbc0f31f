"""Lexical search: BM25 over an in-process inverted index of the active catalogue.

Why in-process rather than PostgreSQL full-text or SQLite FTS5: one ranking on both
databases, typo tolerance against the catalogue's own vocabulary, and a p95 well under 5 ms
at 100,000 parts even for terms that match half the catalogue (a GIN index finds rows fast,
but ranking 50,000 matches with ts_rank does not). The index is a cache of the database: it
is rebuilt when the catalogue's text changes (checked on every query through the indexed
`updated_at`, cheap), and every result is re-read from the database, so price, stock and
`is_active` are never stale.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import math
import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Max

from catalog.search.text import tokens

logger = logging.getLogger(__name__)

# Field weights (BM25F-style): a word in the name counts more than one in the description.
FIELD_WEIGHTS = (("name", 3.0), ("category", 2.0), ("brand", 2.0), ("appliance_type", 1.5), ("description", 1.0))
K1 = 1.2
B = 0.75


def _doc_text_hash(row: tuple) -> str:
    return hashlib.blake2b("\x1f".join(str(v) for v in row).encode(), digest_size=8).hexdigest()


@dataclass
class LexicalHit:
    product_id: int
    score: float
    matched: int  # how many distinct query terms the product contains
    wanted: int  # how many distinct query terms the index knows

    @property
    def all_terms(self) -> bool:
        return self.matched >= self.wanted


class LexicalIndex:
    def __init__(self, rows: list[tuple]):
        """rows: (id, name, category, brand, appliance_type, description)."""
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        postings: dict[str, dict[int, float]] = {}
        lengths = np.zeros(len(rows), dtype=np.float32)
        for doc, row in enumerate(rows):
            for (_, weight), value in zip(FIELD_WEIGHTS, row[1:], strict=True):
                for term in tokens(value):
                    bucket = postings.setdefault(term, {})
                    bucket[doc] = bucket.get(doc, 0.0) + weight
                    lengths[doc] += weight
        self.size = len(rows)
        avg = float(lengths.mean()) if self.size else 1.0
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-6))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, docs in postings.items():
            idx = np.fromiter(docs.keys(), dtype=np.int64, count=len(docs))
            tf = np.fromiter(docs.values(), dtype=np.float32, count=len(docs))
            idf = math.log(1 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            self.postings[term] = (idx, (idf * tf * (K1 + 1) / (tf + norm[idx])).astype(np.float32))
        self.vocabulary = sorted(self.postings)
        # What the assistant recognises as "talking about the catalogue": brands and the words
        # of part names and categories.
        self.brands = tuple(sorted({row[3] for row in rows if row[3]}))
        self.name_terms = frozenset(t for row in rows for value in (row[1], row[2]) for t in tokens(value))
        self._corrections: dict[str, str | None] = {}

    def correct(self, term: str) -> str | None:
        """The index's own word closest to a misspelt term ("gasekt" → "gasket"), or None."""
        if term in self.postings:
            return term
        if term in self._corrections:
            return self._corrections[term]
        found = None
        if len(term) >= 4 and not any(c.isdigit() for c in term):
            close = difflib.get_close_matches(term, self.vocabulary, n=1, cutoff=0.8)
            found = close[0] if close else None
        if len(self._corrections) < 20_000:
            self._corrections[term] = found
        return found

    def search(self, terms: list[str], limit: int) -> list[LexicalHit]:
        resolved = [t for t in (self.correct(term) for term in terms) if t]
        resolved = list(dict.fromkeys(resolved))
        if not resolved or not self.size:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        matched = np.zeros(self.size, dtype=np.int16)
        for term in resolved:
            idx, contribution = self.postings[term]
            scores[idx] += contribution
            matched[idx] += 1
        # Products with every term first, then by BM25: coverage dominates the score.
        combined = scores + matched.astype(np.float32) * 1000.0
        candidates = np.flatnonzero(matched)
        if candidates.size == 0:
            return []
        take = min(limit, candidates.size)
        top = candidates[np.argpartition(-combined[candidates], take - 1)[:take]]
        top = top[np.lexsort((self.ids[top], -combined[top]))]
        want = len(resolved)
        return [LexicalHit(int(self.ids[i]), float(scores[i]), int(matched[i]), want) for i in top]


class _Cache:
    """One index per process, rebuilt when the catalogue's text changes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index: LexicalIndex | None = None
        self.version: tuple | None = None
        self.hashes: dict[int, str] = {}

    def get(self) -> LexicalIndex:
        from catalog.models import Product

        # Two single-aggregate queries: each is one index lookup, where one query with both
        # aggregates would scan the table.
        version = (
            Product.objects.aggregate(m=Max("id"))["m"],
            Product.objects.aggregate(u=Max("updated_at"))["u"],
        )
        if self.index is not None and version == self.version:
            return self.index
        with self.lock:
            if self.index is not None and version != self.version and self._only_non_text_changes(version):
                self.version = version
            if self.index is None or version != self.version:
                self._rebuild(version)
            return self.index  # type: ignore[return-value]

    def _only_non_text_changes(self, version) -> bool:
        """Stock and price edits bump `updated_at` but leave the index as it is."""
        from catalog.models import Product

        if self.version is None or version[0] != self.version[0] or self.version[1] is None or version[1] is None:
            return False
        changed = Product.objects.filter(updated_at__gt=self.version[1]).values_list("id", *_FIELDS, "is_active")[:1001]
        changed = list(changed)
        if len(changed) > 1000:
            return False
        for row in changed:
            if not row[-1]:
                continue  # a deactivated part is filtered when results are read back
            if self.hashes.get(row[0]) != _doc_text_hash(row[:-1]):
                return False
        return True

    def _rebuild(self, version) -> None:
        from catalog.models import Product

        rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *_FIELDS))
        self.index = LexicalIndex(rows)
        self.hashes = {row[0]: _doc_text_hash(row) for row in rows}
        self.version = version
        logger.info("lexical search index built: %d parts, %d terms", len(rows), len(self.index.postings))

    def clear(self) -> None:
        with self.lock:
            self.index = None
            self.version = None


_FIELDS = ("name", "category", "brand", "appliance_type", "description")
cache = _Cache()


def lexical_search(terms: list[str], limit: int) -> list[LexicalHit]:
    return cache.get().search(terms, limit)
