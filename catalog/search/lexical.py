"""Lexical search: BM25 over an in-process inverted index of the active catalogue.

Why in-process rather than PostgreSQL full-text or SQLite FTS5: one ranking on both
databases, typo tolerance against the catalogue's own vocabulary, and a p95 well under 5 ms
at 100,000 parts even for terms that match half the catalogue (a GIN index finds rows fast,
but ranking 50,000 matches with ts_rank does not). The index is a cache of the database: it
is rebuilt when the catalogue's text changes (checked through the indexed `updated_at`, at
most every PARLEY_DATA_RECHECK_SECONDS), and every result is re-read from the database, so
price, stock and `is_active` are never stale.

How it scales (bench/bench_scale.py, README "Search at scale"):
- The index is a handful of flat arrays and nothing per part or per term in Python: the terms
  sorted in one fixed-width byte array (a term is found by binary search), postings packed per
  term (sorted int32 positions, float32 BM25 contributions), part ids and text hashes, the
  lower-cased names in one byte string. Above `SHARED_MIN` parts they are one read-only file
  under PARLEY_VECTOR_DIR (`shared_file.py`) that every web process on the host maps: one
  process builds it (the others wait on a lock and open it), the pages are the page cache's,
  counted once for the host.
- A query counts how many of its terms each part holds with one `np.bincount` of its terms'
  postings, keeps the parts at the highest coverage that still gives `limit` of them, adds
  up their BM25 (binary search in each term's postings, or a second bincount when they are
  many) and takes the best by `argpartition`: no Python loop over postings, and the same
  cost whether a term is rare or in half the catalogue.
- An edit does not rebuild the index. The parts whose text changed since the last check (a
  query on the indexed `updated_at`) go into a small overlay index scored with the base's
  statistics, and their old postings are masked: an edit is searchable on the next check, in
  milliseconds at any size. A process that opens a shared file written at an older version
  catches up the same way. A full rebuild happens when more than `OVERLAY_MAX` parts (or a
  twentieth of the catalogue) have changed (an import), or when parts were deleted (on the
  next version change, the row count is compared with the base's).
- Typo correction compares a misspelt word with the catalogue's words (not its part numbers)
  of a length that can reach the cutoff.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import difflib
import hashlib
import logging
import re
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Max

from catalog.search import shared_file
from catalog.search.text import tokens
from core.stamps import TableStamp

logger = logging.getLogger(__name__)

# Field weights (BM25F-style): a word in the name counts more than one in the description.
FIELD_WEIGHTS = (("name", 3.0), ("category", 2.0), ("brand", 2.0), ("appliance_type", 1.5), ("description", 1.0))
K1 = 1.2
B = 0.75
# Longer "words" (a run of letters and digits with no break) are not indexed: the term array's
# width is its longest term's.
MAX_TERM_LENGTH = 40
# difflib's cutoff for a correction; also bounds which word lengths can be one.
CORRECTION_CUTOFF = 0.8


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


def _pack(rows: list[tuple], stats: _Stats | None) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and metadata of an index of `rows` (id, name, category, brand,
    appliance_type, description), by ascending id. `stats`: score with another index's
    statistics (an overlay); None: with these rows' own."""
    size = len(rows)
    numbers: dict[str, int] = {}  # term → number in first-seen order (only while building)
    term_of, doc_of, weight_of = array("i"), array("i"), array("f")
    lengths = np.zeros(size, dtype=np.float32)
    name_numbers: set[int] = set()
    for doc, row in enumerate(rows):
        length = 0.0
        for field, ((_, weight), value) in enumerate(zip(FIELD_WEIGHTS, row[1:], strict=True)):
            for term in tokens(value):
                if len(term) > MAX_TERM_LENGTH:
                    continue
                number = numbers.setdefault(term, len(numbers))
                term_of.append(number)
                doc_of.append(doc)
                weight_of.append(weight)
                length += weight
                if field < 2:  # name, category: the words the assistant recognises as parts
                    name_numbers.add(number)
        lengths[doc] = length
    # Terms in byte order (they are ASCII: the tokenizer keeps [a-z0-9]); `rank` renumbers them.
    width = max((len(term) for term in numbers), default=1)
    first_seen = np.array(list(numbers), dtype=f"S{width}")
    order = np.argsort(first_seen, kind="stable")
    terms = first_seen[order]
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    term_ids = rank[np.frombuffer(term_of, dtype=np.int32)] if len(term_of) else np.zeros(0, np.int32)
    docs = np.frombuffer(doc_of, dtype=np.int32)
    weights = np.frombuffer(weight_of, dtype=np.float32)
    order = np.lexsort((docs, term_ids))
    term_ids, docs, weights = term_ids[order], docs[order], weights[order]
    first = np.ones(term_ids.size, dtype=bool)
    first[1:] = (term_ids[1:] != term_ids[:-1]) | (docs[1:] != docs[:-1])
    starts = np.flatnonzero(first)
    tf = np.add.reduceat(weights, starts) if starts.size else weights
    term_ids, docs = term_ids[starts], docs[starts]
    offsets = np.searchsorted(term_ids, np.arange(terms.size + 1)).astype(np.int64)
    df = np.diff(offsets)
    avg_length = float(lengths.mean()) if size else 1.0
    if stats is None:
        stats = _Stats(size, avg_length, lambda term: 0)
        base_df = df
    else:  # an overlay: the base's document frequencies (at least its own)
        base_df = np.fromiter((stats.document_frequency(t.decode()) for t in terms), dtype=np.int64, count=terms.size)
        base_df = np.maximum(base_df, df)
    norm = K1 * (1 - B + B * lengths / max(stats.avg_length, 1e-6))
    idf = np.log(1 + (stats.size - base_df + 0.5) / (base_df + 0.5)).astype(np.float32)
    weights = (np.repeat(idf, df) * tf * (K1 + 1) / (tf + norm[docs])).astype(np.float32)
    # Typo correction reads words, never part numbers (most of a large catalogue's terms).
    digits = terms.view(np.uint8).reshape(terms.size, width) if terms.size else np.zeros((0, 1), np.uint8)
    words = np.flatnonzero(~((digits >= ord("0")) & (digits <= ord("9"))).any(axis=1)).astype(np.int32)
    types = sorted({row[4] or "" for row in rows})
    type_codes = {value: code for code, value in enumerate(types)}
    # Names as `name__icontains` reads them (lower-cased), "\x00" between them (no message has one).
    names = [(row[1] or "").lower().encode() for row in rows]
    name_starts = np.zeros(size, dtype=np.int64)
    if size > 1:
        np.cumsum([len(name) + 1 for name in names[:-1]], out=name_starts[1:])
    arrays = {
        "ids": np.fromiter((r[0] for r in rows), dtype=np.int64, count=size),
        "hashes": np.fromiter((_doc_text_hash(r) for r in rows), dtype=np.uint64, count=size),
        "terms": terms,
        "offsets": offsets,
        "docs": docs.astype(np.int32),
        "weights": weights,
        "words": words,
        "name_terms": rank[np.array(sorted(name_numbers), dtype=np.int64)] if name_numbers else np.zeros(0, np.int32),
        "names": np.frombuffer(b"\x00".join(names), dtype=np.uint8),
        "name_starts": name_starts,
        "types": np.fromiter((type_codes[row[4] or ""] for row in rows), dtype=np.int32, count=size),
    }
    meta = {
        "avg_length": stats.avg_length,
        "brands": sorted({row[3] for row in rows if row[3]}),
        "types": types,
    }
    return arrays, meta


class LexicalIndex:
    def __init__(self, rows: list[tuple] | None = None, *, stats: _Stats | None = None, packed=None):
        """rows: (id, name, category, brand, appliance_type, description), by ascending id; or
        `packed`: (arrays, meta) as `_pack` makes them (from a shared file)."""
        arrays, meta = packed if packed is not None else _pack(rows or [], stats)
        self.arrays, self.meta = arrays, meta
        self.ids, self.hashes = arrays["ids"], arrays["hashes"]
        self.size = int(self.ids.size)
        self.terms, self.offsets = arrays["terms"], arrays["offsets"]
        self.docs, self.weights = arrays["docs"], arrays["weights"]
        self.avg_length = float(meta["avg_length"])
        # What the assistant recognises as "talking about the catalogue": brands and the words
        # of part names and categories (a few thousand at most, so Python objects).
        self.brands = tuple(meta["brands"])
        self.name_terms = frozenset(t.decode() for t in self.terms[arrays["name_terms"]].tolist())
        self._types = tuple(meta["types"])
        self._vocabulary: tuple[list[str], list[int]] | None = None
        self._corrections: dict[str, str | None] = {}
        self._named: dict[str, np.ndarray] = {}

    @property
    def vocabulary(self) -> list[str]:
        """The index's words (terms without a digit), by length then alphabet."""
        return self._words()[0]

    def _words(self) -> tuple[list[str], list[int]]:
        if self._vocabulary is None:
            words = sorted((t.decode() for t in self.terms[self.arrays["words"]].tolist()), key=lambda w: (len(w), w))
            self._vocabulary = (words, [len(w) for w in words])
        return self._vocabulary

    def _number(self, term: str) -> int:
        """The term's position in `terms`, or -1."""
        key = term.encode()
        if not key or len(key) > self.terms.itemsize or not self.terms.size:
            return -1
        at = int(np.searchsorted(self.terms, key))
        return at if at < self.terms.size and self.terms[at] == key else -1

    def has(self, term: str) -> bool:
        return self._number(term) >= 0

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
        codes = self.arrays["types"][docs]
        return [self._types[code] for code in codes.tolist()]

    def _docs_named(self, word: str) -> np.ndarray:
        docs = self._named.get(word)
        if docs is None:
            # One scan of every name (UTF-8, so a substring of the text is one of the bytes);
            # a match's byte position gives its doc.
            names = memoryview(self.arrays["names"])
            positions = np.fromiter((m.start() for m in re.finditer(re.escape(word.encode()), names)), dtype=np.int64)
            docs = np.unique(np.searchsorted(self.arrays["name_starts"], positions, side="right") - 1)
            if len(self._named) >= 4096:
                self._named.clear()
            self._named[word] = docs
        return docs

    def document_frequency(self, term: str) -> int:
        number = self._number(term)
        return 0 if number < 0 else int(self.offsets[number + 1] - self.offsets[number])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        number = self._number(term)
        if number < 0:
            return None
        start, end = self.offsets[number], self.offsets[number + 1]
        return self.docs[start:end], self.weights[start:end]

    def correct(self, term: str) -> str | None:
        """The index's own word closest to a misspelt term ("gasekt" → "gasket"), or None."""
        if self.has(term):
            return term
        if term in self._corrections:
            return self._corrections[term]
        found = None
        if len(term) >= 4 and not any(c.isdigit() for c in term):
            # difflib's ratio is at most 2·min(a, b) / (a + b): only words of these lengths can reach the cutoff.
            words, lengths = self._words()
            shortest = int(np.ceil(len(term) * CORRECTION_CUTOFF / (2 - CORRECTION_CUTOFF)))
            longest = int(len(term) * (2 - CORRECTION_CUTOFF) / CORRECTION_CUTOFF)
            candidates = words[bisect.bisect_left(lengths, shortest) : bisect.bisect_right(lengths, longest)]
            close = difflib.get_close_matches(term, candidates, n=1, cutoff=CORRECTION_CUTOFF)
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
        lists = [found for found in (self.postings(term) for term in resolved) if found is not None]
        if not lists:
            return []
        docs = np.concatenate([d for d, _ in lists])
        matched = np.bincount(docs, minlength=self.size)
        if masked is not None and masked.size:
            matched[masked] = 0
        # Coverage ranks first: the best `limit` hold at least the highest coverage that
        # `limit` parts reach (or one term, when fewer than `limit` match at all).
        at_least = np.cumsum(np.bincount(matched)[:0:-1])[::-1]  # [c - 1]: parts holding c terms or more
        reach = np.flatnonzero(at_least >= limit)
        candidates = np.flatnonzero(matched >= (int(reach[-1]) + 1 if reach.size else 1))
        scores = self._scores(lists, docs, candidates)
        combined = scores + matched[candidates].astype(np.float32) * 1000.0
        best = _best(combined, self.ids[candidates], limit)
        top = candidates[best]
        want = len(resolved)
        return [
            LexicalHit(product_id, score, count, want)
            for product_id, score, count in zip(
                self.ids[top].tolist(), scores[best].tolist(), matched[top].tolist(), strict=True
            )
        ]

    def _scores(self, lists, docs: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The candidates' BM25 (float32, as the contributions are: the same ranking as adding
        them up one by one). Few candidates: each term's postings searched for them (at
        1,000,000 parts a quarter of the time of the whole-catalogue sum); many: that sum."""
        if candidates.size * 8 >= docs.size:
            weights = np.concatenate([w for _, w in lists])
            return np.bincount(docs, weights=weights, minlength=self.size)[candidates].astype(np.float32)
        scores = np.zeros(candidates.size, dtype=np.float32)
        for term_docs, weights in lists:
            at = np.minimum(np.searchsorted(term_docs, candidates), term_docs.size - 1)
            hit = term_docs[at] == candidates
            scores[hit] += weights[at[hit]]
        return scores


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
            found = term if self.overlay.has(term) else self.base.correct(term) or self.overlay.correct(term)
            if found and found not in resolved:
                resolved.append(found)
        return resolved

    def search(self, terms: list[str], limit: int) -> list[LexicalHit]:
        resolved = self.resolve(terms)
        hits = self.base.hits(resolved, limit, masked=self.masked) + self.overlay.hits(resolved, limit)
        hits.sort(key=lambda hit: (-(hit.matched * 1000.0 + hit.score), hit.product_id))
        return hits[:limit]


_FIELDS = ("name", "category", "brand", "appliance_type", "description")
# More changed parts than this since the last full build: build again (an import, a bulk edit).
OVERLAY_MAX = 2000
# Rows committed a little after a later `updated_at` was seen are still caught: each check
# reads back this far before the last one (a hash comparison per row, cheap).
RECHECK_SECONDS = 30
RECHECK_MAX = 20_000
# From this many parts on, the base index is a file every process on the host maps (below, arrays of its own).
SHARED_MIN = 20_000


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


def _version_key(version: tuple) -> list:
    return [version[0], version[1].isoformat() if version[1] is not None else None]


def _version_read(key: list) -> tuple:
    return (key[0], datetime.fromisoformat(key[1]) if key[1] is not None else None)


class _Cache:
    """One index per process: a base built from the whole catalogue (or mapped from the host's
    shared file), and an overlay of the parts whose text changed since (see the module docstring)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index: LexicalIndex | OverlaidIndex | None = None
        self.base: LexicalIndex | None = None
        self.version: tuple | None = None
        self.changed: dict[int, tuple | None] = {}  # product id → its newer row (None: not active)
        self.built_total = 0  # rows (active or not) when the base was built
        self.built_max_id = 0
        self.rebuilds = 0  # bases built from the database by this process
        self.opened = 0  # bases mapped from a file another process (or this one) wrote

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
        if not self._counts_agree():
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
        if changed != self.changed or self.index is None:
            self._overlay(changed)
        self.version = version
        return True

    def _counts_agree(self) -> bool:
        """A deleted part sends nothing the version shows: counted here, it makes a full build."""
        from catalog.models import Product

        new_since_build = Product.objects.filter(id__gt=self.built_max_id).count()
        return Product.objects.count() == self.built_total + new_since_build

    def _overlay(self, changed: dict[int, tuple | None]) -> None:
        base = self.base
        assert base is not None
        if not changed:
            self.index, self.changed = base, {}
            return
        ids = np.array(sorted(changed), dtype=np.int64)
        positions = base.position(ids)
        masked = np.sort(positions[positions >= 0])
        rows = [changed[i] for i in sorted(changed) if changed[i] is not None]
        stats = _Stats(base.size, base.avg_length, base.document_frequency)
        self.index = OverlaidIndex(base, LexicalIndex(rows, stats=stats), masked)
        self.changed = changed

    def _rebuild(self, version) -> None:
        from catalog.models import Product

        total = Product.objects.count()
        if total < SHARED_MIN:
            self._build(version, total)
            return
        prefix = shared_file.database_prefix("lexical", "lexical")
        with shared_file.exclusive(prefix):
            if self._open_newest(prefix, version):
                return
            self._build(version, total)
            # A new name every build: a deletion leaves the version as it was.
            path = shared_file.shared_dir() / f"{prefix}-{version[0]}-{time.time_ns()}"
            try:
                meta = {
                    "index": self.base.meta,  # type: ignore[union-attr]
                    "version": _version_key(version),
                    "built_total": self.built_total,
                    "built_max_id": self.built_max_id,
                }
                shared_file.arrays_write(path, self.base.arrays, meta)  # type: ignore[union-attr]
                shared_file.older_remove(prefix, keep=path)
            except OSError:
                logger.warning("could not share the lexical index under %s; kept in this process", path.parent)
                return
            # Map the file and let go of this process's own arrays.
            self._open_newest(prefix, version)

    def _open_newest(self, prefix: str, version) -> bool:
        """Map the host's newest shared index and catch up with the catalogue through the
        overlay; False when there is none or it is too far behind."""
        path = shared_file.newest(prefix)
        opened = shared_file.arrays_open(path) if path is not None else None
        if opened is None:
            return False
        arrays, meta = opened
        kept = (self.base, self.index, self.changed, self.version, self.built_total, self.built_max_id)
        self.base, self.index, self.changed = LexicalIndex(packed=(arrays, meta["index"])), None, {}
        self.version = _version_read(meta["version"])
        self.built_total, self.built_max_id = meta["built_total"], meta["built_max_id"]
        # Written at this very version: as current as a build now would be, once no part was
        # deleted or added below the largest id since (the counts, as `_apply_changes` checks).
        current = self.version == version and self._counts_agree()
        if current:
            self.index = self.base
        elif not self._apply_changes(version):
            self.base, self.index, self.changed, self.version, self.built_total, self.built_max_id = kept
            return False
        self.opened += 1
        logger.info("lexical search index mapped from %s: %d parts", path.name, self.base.size)
        return True

    def _build(self, version, total: int) -> None:
        from catalog.models import Product

        self.built_total = total
        self.built_max_id = version[0] or 0
        rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *_FIELDS))
        self.base = base = LexicalIndex(rows)
        del rows
        _heap_trim()
        self.index = base
        self.changed = {}
        self.version = version
        self.rebuilds += 1
        logger.info("lexical search index built: %d parts, %d terms", base.size, base.terms.size)

    def clear(self) -> None:
        with self.lock:
            self.index = self.base = None
            self.version = None
            self.changed = {}


def _heap_trim() -> None:
    """A build's rows and terms are freed, but glibc keeps their pages in this process's heap
    (about 140 MB after 100,000 parts, 85 MB after trimming): hand them back to the system."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


cache = _Cache()


def lexical_search(terms: list[str], limit: int) -> list[LexicalHit]:
    return cache.get().search(terms, limit)
