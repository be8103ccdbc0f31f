"""Lexical search: BM25 over an in-process inverted index of the active catalogue.

Why in-process rather than PostgreSQL full-text or SQLite FTS5: one ranking on both
databases, typo tolerance against the catalogue's own vocabulary, and a p95 well under 5 ms
at 100,000 parts even for terms that match half the catalogue (a GIN index finds rows fast,
but ranking 50,000 matches with ts_rank does not). The index is a cache of the database: it
is rebuilt when the catalogue's text changes (checked on every query through the indexed
`updated_at`, cheap), and every result is re-read from the database, so price, stock and
`is_active` are never stale.

How it scales (bench/bench_scale.py, README "Search at scale"):
- Postings are packed (CSR): one array of document positions and one of BM25 contributions for
  the whole index, a term's slice found through one dict lookup; no Python object per posting.
- Coverage comes first, so a query is scored from its rarest terms' postings (every part that
  can reach a coverage is in them), not by adding up every posting of its commonest words:
  it costs what its rare words match. Only when fewer than `limit` parts hold even one of the
  rarer words is every posting added up.
- An edit does not rebuild the index. The parts whose text changed since the last check (a
  query on the indexed `updated_at`) go into a small overlay index scored with the base's
  statistics, and their old postings are masked: an edit is searchable on the next query, in
  milliseconds at any size. A full rebuild happens when more than `OVERLAY_MAX` parts (or a
  twentieth of the catalogue) have changed (an import), or when parts were deleted (on the next version change, the row count
  is compared with the base's).
- Typo correction compares a misspelt word with the catalogue's words, not its part numbers.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Max

from catalog.search.text import tokens
from core.stamps import TableStamp

logger = logging.getLogger(__name__)

# Field weights (BM25F-style): a word in the name counts more than one in the description.
FIELD_WEIGHTS = (("name", 3.0), ("category", 2.0), ("brand", 2.0), ("appliance_type", 1.5), ("description", 1.0))
K1 = 1.2
B = 0.75


def _doc_text_hash(row: tuple) -> int:
    digest = hashlib.blake2b("\x1f".join(str(v) for v in row).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass
class LexicalHit:
    product_id: int
    score: float
    matched: int  # how many distinct query terms the product contains
    wanted: int  # how many distinct query terms the index knows

    @property
    def all_terms(self) -> bool:
        return self.matched >= self.wanted


@dataclass(frozen=True)
class _Stats:
    """Collection statistics an overlay is scored with: the base index's."""

    size: int
    avg_length: float
    document_frequency: Callable[[str], int]


def _best(values: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` highest values, best first, ties by smaller id (also at the cut)."""
    take = min(limit, values.size)
    if take == 0:
        return np.zeros(0, dtype=np.int64)
    cut = values[np.argpartition(-values, take - 1)[take - 1]]
    chosen = np.flatnonzero(values >= cut)
    chosen = chosen[np.lexsort((ids[chosen], -values[chosen]))]
    return chosen[:take]


class LexicalIndex:
    def __init__(self, rows: list[tuple], *, stats: _Stats | None = None):
        """rows: (id, name, category, brand, appliance_type, description), by ascending id."""
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self.size = len(rows)
        self.hashes = np.fromiter((_doc_text_hash(r) for r in rows), dtype=np.uint64, count=len(rows))
        # One (term, document, field weight) triple per token, summed per (term, document) below.
        self.terms: dict[str, int] = {}
        term_of, doc_of, weight_of = array("i"), array("i"), array("f")
        lengths = np.zeros(self.size, dtype=np.float32)
        for doc, row in enumerate(rows):
            length = 0.0
            for (_, weight), value in zip(FIELD_WEIGHTS, row[1:], strict=True):
                for term in tokens(value):
                    term_of.append(self.terms.setdefault(term, len(self.terms)))
                    doc_of.append(doc)
                    weight_of.append(weight)
                    length += weight
            lengths[doc] = length
        term_ids = np.frombuffer(term_of, dtype=np.int32)
        docs = np.frombuffer(doc_of, dtype=np.int32)
        weights = np.frombuffer(weight_of, dtype=np.float32)
        order = np.lexsort((docs, term_ids))
        term_ids, docs, weights = term_ids[order], docs[order], weights[order]
        first = np.ones(term_ids.size, dtype=bool)
        first[1:] = (term_ids[1:] != term_ids[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)
        tf = np.add.reduceat(weights, starts) if starts.size else weights
        term_ids, self.docs = term_ids[starts], docs[starts]
        self.offsets = np.searchsorted(term_ids, np.arange(len(self.terms) + 1)).astype(np.int64)
        df = np.diff(self.offsets)
        if stats is None:
            stats = _Stats(self.size, float(lengths.mean()) if self.size else 1.0, lambda term: 0)
            base_df = df
        else:  # an overlay: the base's document frequencies (at least its own)
            names = list(self.terms)
            base_df = np.fromiter((stats.document_frequency(t) for t in names), dtype=np.int64, count=len(names))
            base_df = np.maximum(base_df, df)
        norm = K1 * (1 - B + B * lengths / max(stats.avg_length, 1e-6))
        idf = np.log(1 + (stats.size - base_df + 0.5) / (base_df + 0.5)).astype(np.float32)
        self.weights = (np.repeat(idf, df) * tf * (K1 + 1) / (tf + norm[self.docs])).astype(np.float32)
        self.avg_length = stats.avg_length
        # Typo correction reads words, never part numbers (most of a large catalogue's terms).
        self.vocabulary = sorted(t for t in self.terms if not any(c.isdigit() for c in t))
        # What the assistant recognises as "talking about the catalogue": brands and the words
        # of part names and categories.
        self.brands = tuple(sorted({row[3] for row in rows if row[3]}))
        self.name_terms = frozenset(t for row in rows for value in (row[1], row[2]) for t in tokens(value))
        self._corrections: dict[str, str | None] = {}
        # Names as `name__icontains` reads them, and appliance types, per doc (`named_types`).
        self.names = [row[1].lower() for row in rows]
        self.types = [row[4] for row in rows]
        self._blob: tuple[str, np.ndarray] | None = None
        self._named: dict[str, np.ndarray] = {}

    def named_types(self, words: list[str], *, masked: np.ndarray | None = None) -> list[str]:
        """The appliance types of the active parts whose name has every one of `words` (as
        written, any case: what `name__icontains` matches), one per part. A substring search
        over every name at once, in memory: the same question asked of the database reads every
        name of the catalogue when no part is named so. `masked` docs are left out."""
        docs = None
        for word in sorted({w.lower() for w in words if w}, key=len, reverse=True):
            found = self._docs_named(word)
            docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
            if not docs.size:
                return []
        docs = np.arange(self.size) if docs is None else docs
        if masked is not None and masked.size:
            docs = docs[~np.isin(docs, masked, assume_unique=True)]
        return [self.types[doc] for doc in docs.tolist()]

    def _docs_named(self, word: str) -> np.ndarray:
        docs = self._named.get(word)
        if docs is None:
            if self._blob is None:
                # Every name in one string ("\x00" between them, which no message has): one scan
                # finds a word in all of them; a match's position gives its doc.
                starts = np.cumsum([0] + [len(name) + 1 for name in self.names[:-1]], dtype=np.int64)
                self._blob = ("\x00".join(self.names), starts)
            blob, starts = self._blob
            positions = np.fromiter((m.start() for m in re.finditer(re.escape(word), blob)), dtype=np.int64)
            docs = np.unique(np.searchsorted(starts, positions, side="right") - 1)
            if len(self._named) >= 4096:
                self._named.clear()
            self._named[word] = docs
        return docs

    def document_frequency(self, term: str) -> int:
        number = self.terms.get(term)
        return 0 if number is None else int(self.offsets[number + 1] - self.offsets[number])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        number = self.terms.get(term)
        if number is None:
            return None
        start, end = self.offsets[number], self.offsets[number + 1]
        return self.docs[start:end], self.weights[start:end]

    def correct(self, term: str) -> str | None:
        """The index's own word closest to a misspelt term ("gasekt" → "gasket"), or None."""
        if term in self.terms:
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

    def resolve(self, terms: list[str]) -> list[str]:
        return list(dict.fromkeys(t for t in (self.correct(term) for term in terms) if t))

    def search(self, terms: list[str], limit: int) -> list[LexicalHit]:
        return self.hits(self.resolve(terms), limit)

    def position(self, product_ids: np.ndarray) -> np.ndarray:
        """Positions of these product ids in the index (-1 where absent)."""
        at = np.searchsorted(self.ids, product_ids)
        at = np.minimum(at, max(self.size - 1, 0))
        found = self.size > 0 and (self.ids[at] == product_ids)
        return np.where(found, at, -1)

    def hits(self, resolved: list[str], limit: int, *, masked: np.ndarray | None = None) -> list[LexicalHit]:
        """The best `limit` parts for already resolved terms: most terms first, then BM25, ties by
        id. `masked` (sorted positions) are left out: parts an overlay holds a newer text of."""
        if not resolved or not self.size:
            return []
        want = len(resolved)
        lists = [found for found in (self.postings(term) for term in resolved) if found is not None]
        if not lists:
            return []
        top = self._covered(lists, limit, masked)
        if top is None:
            top = self._scored_all(lists, limit, masked)
        docs, matched, scores = top
        return [
            LexicalHit(int(self.ids[d]), float(s), int(m), want) for d, m, s in zip(docs, matched, scores, strict=True)
        ]

    def _covered(self, lists, limit: int, masked) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The best `limit` parts read from the rarest terms' postings only, or None.

        A part holding at least c of n terms holds one of any n - c + 1 of them, so the union
        of the n - c + 1 rarest postings holds every part with coverage c or more. From c = n
        down: score that union exactly (binary search in each term's postings, contributions
        added in query order, as `_scored_all` adds them) and stop once `limit` parts reach c.
        Coverage ranks first, so those are the `limit` best of the whole catalogue."""
        by_size = sorted(lists, key=lambda found: found[0].size)
        for rarest in range(1, min(len(lists), MAX_RAREST + 1)):
            coverage = len(lists) - rarest + 1
            candidates = by_size[0][0] if rarest == 1 else np.unique(np.concatenate([d for d, _ in by_size[:rarest]]))
            if masked is not None and masked.size:
                candidates = candidates[~np.isin(candidates, masked, assume_unique=True)]
            if candidates.size < limit:
                continue
            matched = np.zeros(candidates.size, dtype=np.int16)
            scores = np.zeros(candidates.size, dtype=np.float32)
            for docs, weights in lists:
                at = np.minimum(np.searchsorted(docs, candidates), docs.size - 1)
                hit = docs[at] == candidates
                matched += hit
                scores[hit] += weights[at[hit]]
            enough = np.flatnonzero(matched >= coverage)
            if enough.size < limit:
                continue
            combined = scores[enough] + matched[enough].astype(np.float32) * 1000.0
            best = enough[_best(combined, self.ids[candidates[enough]], limit)]
            return candidates[best], matched[best], scores[best]
        return None

    def _scored_all(self, lists, limit: int, masked) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scores = np.zeros(self.size, dtype=np.float32)
        matched = np.zeros(self.size, dtype=np.int16)
        for docs, weights in lists:
            scores[docs] += weights
            matched[docs] += 1
        if masked is not None and masked.size:
            matched[masked] = 0
        candidates = np.flatnonzero(matched)
        combined = scores[candidates] + matched[candidates].astype(np.float32) * 1000.0
        top = candidates[_best(combined, self.ids[candidates], limit)]
        return top, matched[top], scores[top]


class OverlaidIndex:
    """A base index, some of whose parts have a newer text held by a small overlay index."""

    def __init__(self, base: LexicalIndex, overlay: LexicalIndex, masked: np.ndarray):
        self.base, self.overlay, self.masked = base, overlay, masked
        self.size = base.size - masked.size + overlay.size
        self.brands = tuple(sorted(set(base.brands) | set(overlay.brands)))
        self.name_terms = base.name_terms | overlay.name_terms

    def named_types(self, words: list[str]) -> list[str]:
        return self.base.named_types(words, masked=self.masked) + self.overlay.named_types(words)

    def resolve(self, terms: list[str]) -> list[str]:
        resolved = []
        for term in terms:
            found = term if term in self.overlay.terms else self.base.correct(term) or self.overlay.correct(term)
            if found and found not in resolved:
                resolved.append(found)
        return resolved

    def search(self, terms: list[str], limit: int) -> list[LexicalHit]:
        resolved = self.resolve(terms)
        hits = self.base.hits(resolved, limit, masked=self.masked) + self.overlay.hits(resolved, limit)
        hits.sort(key=lambda hit: (-(hit.matched * 1000.0 + hit.score), hit.product_id))
        return hits[:limit]


# `_covered` unions at most this many of the rarest postings before adding up every posting.
MAX_RAREST = 2
_FIELDS = ("name", "category", "brand", "appliance_type", "description")
# More changed parts than this since the last full build: build again (an import, a bulk edit).
OVERLAY_MAX = 2000
# Rows committed a little after a later `updated_at` was seen are still caught: each check
# reads back this far before the last one (a hash comparison per row, cheap).
RECHECK_SECONDS = 30
RECHECK_MAX = 20_000


def _products_version() -> tuple:
    from catalog.models import Product

    # Two single-aggregate queries: each is one index lookup, where one query with both
    # aggregates would scan the table.
    return (
        Product.objects.aggregate(m=Max("id"))["m"],
        Product.objects.aggregate(u=Max("updated_at"))["u"],
    )


# Read at most every PARLEY_DATA_RECHECK_SECONDS, at once after a save here (core/stamps.py).
products_stamp = TableStamp("catalog.Product", _products_version)


class _Cache:
    """One index per process: a base built from the whole catalogue, and an overlay of the parts
    whose text changed since (see the module docstring)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index: LexicalIndex | OverlaidIndex | None = None
        self.base: LexicalIndex | None = None
        self.version: tuple | None = None
        self.changed: dict[int, tuple | None] = {}  # product id → its newer row (None: not active)
        self.built_total = 0  # rows (active or not) when the base was built
        self.built_max_id = 0
        self.rebuilds = 0

    def get(self) -> LexicalIndex | OverlaidIndex:
        version = products_stamp.get()
        if self.index is not None and version == self.version:
            return self.index
        with self.lock:
            if (self.index is None or version != self.version) and not self._apply_changes(version):
                self._rebuild(version)
            return self.index  # type: ignore[return-value]

    def _apply_changes(self, version) -> bool:
        """Fold the parts changed since the last check into the overlay; False when a full build is due."""
        from catalog.models import Product

        base = self.base
        if base is None or self.version is None or self.version[1] is None or version[1] is None:
            return False
        since = self.version[1] - timedelta(seconds=RECHECK_SECONDS)
        columns = ("id", *_FIELDS, "is_active")
        # Rows of a bulk write just before are read again (unchanged text costs a hash each): up
        # to RECHECK_MAX of them, only those whose text changed count toward the overlay.
        edited = list(Product.objects.filter(updated_at__gt=since).values_list(*columns)[: RECHECK_MAX + 1])
        # New parts by id too: a bulk load stamps its rows when it writes them, not when it commits.
        added = list(Product.objects.filter(id__gt=self.version[0] or 0).values_list(*columns)[: OVERLAY_MAX + 1])
        if len(edited) > RECHECK_MAX or len(added) > OVERLAY_MAX:
            return False
        # A deleted part sends nothing the version shows: counted here, it makes a full build.
        new_since_build = Product.objects.filter(id__gt=self.built_max_id).count()
        if Product.objects.count() != self.built_total + new_since_build:
            return False
        rows = list({row[0]: row for row in edited + added}.values())
        changed = dict(self.changed)
        for row in rows:
            product_id, text, active = row[0], row[:-1], row[-1]
            newer = text if active else None
            if product_id in changed:
                changed[product_id] = newer
                continue
            at = base.position(np.array([product_id]))[0]
            if at >= 0 and active and int(base.hashes[at]) == _doc_text_hash(text):
                continue  # a price or stock edit: the text the index holds is current
            if at < 0 and not active:
                continue
            changed[product_id] = newer
        # The overlay is scored with the base's statistics: past a twentieth of the base they drift.
        if len(changed) > min(OVERLAY_MAX, max(50, base.size // 20)):
            return False
        if changed != self.changed:
            self._overlay(changed)
        self.version = version
        return True

    def _overlay(self, changed: dict[int, tuple | None]) -> None:
        base = self.base
        assert base is not None
        ids = np.array(sorted(changed), dtype=np.int64)
        positions = base.position(ids)
        masked = np.sort(positions[positions >= 0])
        rows = [changed[i] for i in sorted(changed) if changed[i] is not None]
        stats = _Stats(base.size, base.avg_length, base.document_frequency)
        self.index = OverlaidIndex(base, LexicalIndex(rows, stats=stats), masked)
        self.changed = changed

    def _rebuild(self, version) -> None:
        from catalog.models import Product

        self.built_total = Product.objects.count()
        self.built_max_id = version[0] or 0
        rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *_FIELDS))
        self.base = self.index = LexicalIndex(rows)
        self.changed = {}
        self.version = version
        self.rebuilds += 1
        logger.info("lexical search index built: %d parts, %d terms", len(rows), len(self.base.terms))

    def clear(self) -> None:
        with self.lock:
            self.index = self.base = None
            self.version = None
            self.changed = {}


cache = _Cache()


def lexical_search(terms: list[str], limit: int) -> list[LexicalHit]:
    return cache.get().search(terms, limit)
