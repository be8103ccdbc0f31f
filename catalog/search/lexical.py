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
- A query never adds up its terms' postings over the whole catalogue. A term in more than
  1/DENSE_SHARE of the parts (a few hundred: a part kind, "refrigerator", a brand) also has a
  bitmap, one bit per part, and per 64-part word how many of its postings come before; a rarer
  term's bitmap is made from its postings when a query needs it. How many parts hold at least c
  of the query's terms is counted on the bitmaps, 64 parts per operation; the parts at the
  highest coverage that still gives `limit` of them are read from the postings of the rarest
  terms (a part holding c of k terms holds one of the k - c + 1 rarest), and each of their
  postings of the other terms is found by its bit's rank in the bitmap. So a query's work is
  about its rarest terms' postings, not the catalogue: at 1,000,000 parts "door" alone has
  390,000 postings, and a query naming it beside a rarer word reads none of them.
- A build reads the active parts BUILD_CHUNK at a time by id and turns each chunk's terms and
  postings into compact arrays at once (`_Builder`), the chunks before the last in a temporary
  file: its peak is about the index's arrays, not every row and posting as Python objects.
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
import os
import re
import tempfile
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
from core.querysets import pages_by_key
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
# A term in more than 1/DENSE_SHARE of the parts also has a bitmap (one bit per part): a query
# asks it whether a part holds the term instead of reading its postings.
DENSE_SHARE = 32
# A query's candidates are read from its rarest terms' postings unless that takes more than
# 1/UNPACK_SHARE of the catalogue's probes: then from the bitmap of their coverage, unpacked.
UNPACK_SHARE = 2
# Rows read and tokenised at a time when building: the build's memory is the index's arrays, this
# many rows, and the terms (not every row of the catalogue at once).
BUILD_CHUNK = 50_000


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


def _best(values: np.ndarray, ids: np.ndarray, candidates: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` highest values (one per candidate), best first, ties by smaller id
    (`ids[candidates]`; also at the cut)."""
    take = min(limit, values.size)
    if take == 0:
        return np.zeros(0, dtype=np.int64)
    cut = np.partition(values, values.size - take)[values.size - take]
    chosen = np.flatnonzero(values >= cut)
    chosen = chosen[np.lexsort((ids[candidates[chosen]], -values[chosen]))]
    return chosen[:take]


class _Builder:
    """The arrays of an index, from rows (id, name, category, brand, appliance_type,
    description) added in chunks by ascending id. Nothing per row, per posting or per term is
    kept in Python objects: a chunk's terms become one byte array, its postings (positions and
    term frequencies, by term then position) two more, written to a temporary file once the next
    chunk comes; `arrays` numbers the terms of every chunk at once and places each chunk's
    postings where its terms' go. So a build holds the index's arrays and one chunk of rows."""

    def __init__(self):
        self.chunks: list[_Chunk] = []
        self.spill = None  # the temporary file of the chunks before the last, closed on exit
        self.lengths, self.ids, self.hashes = array("f"), array("q"), array("Q")
        self.names, self.name_starts = bytearray(), array("q")
        self.type_codes: dict[str, int] = {}  # first-seen, renumbered in sorted order at the end
        self.types, self.brands = array("i"), set()

    def __enter__(self) -> _Builder:
        return self

    def __exit__(self, *exc) -> None:
        if self.spill is not None:
            self.spill.close()

    @property
    def size(self) -> int:
        return len(self.ids)

    def add(self, rows: list[tuple]) -> None:
        numbers: dict[str, int] = {}  # the chunk's terms, in first-seen order
        name_numbers: set[int] = set()
        term_of, doc_of, weight_of = array("i"), array("i"), array("f")
        for row in rows:
            doc = self.size
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
            self.lengths.append(length)
            # Names as `name__icontains` reads them (lower-cased), "\x00" between them (no message has one).
            if doc:
                self.names += b"\x00"
            self.name_starts.append(len(self.names))
            self.names += (row[1] or "").lower().encode()
            self.types.append(self.type_codes.setdefault(row[4] or "", len(self.type_codes)))
            if row[3]:
                self.brands.add(row[3])
            self.hashes.append(_doc_text_hash(row))
            self.ids.append(row[0])
        terms = np.frombuffer(term_of, dtype=np.int32)
        docs = np.frombuffer(doc_of, dtype=np.int32)
        order = np.lexsort((docs, terms))
        terms, docs, weights = terms[order], docs[order], np.frombuffer(weight_of, dtype=np.float32)[order]
        first = np.ones(terms.size, dtype=bool)
        first[1:] = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)
        tf = np.add.reduceat(weights, starts) if starts.size else weights
        if self.chunks:
            if self.spill is None:
                self.spill = tempfile.TemporaryFile()  # noqa: SIM115
            self.chunks[-1].write(self.spill)
        width = max((len(term) for term in numbers), default=1)
        self.chunks.append(
            _Chunk(
                np.array(list(numbers), dtype=f"S{width}"),
                np.bincount(terms[starts], minlength=len(numbers)),
                np.array(sorted(name_numbers), dtype=np.int64),
                docs[starts],
                tf,
            )
        )
        _heap_trim()  # the chunk's rows and token lists: freed, but kept by malloc unless handed back

    def arrays(self, stats: _Stats | None) -> tuple[dict[str, np.ndarray], dict]:
        """The index's arrays and metadata (the chunks are let go of on the way). `stats`: score
        with another index's statistics (an overlay); None: with these rows' own."""
        if not self.chunks:
            self.add([])
        size, chunks = self.size, self.chunks
        # Terms in byte order (they are ASCII: the tokenizer keeps [a-z0-9]); `rank`: the chunks'
        # terms, one after the other → their places in `terms`.
        terms, rank = np.unique(np.concatenate([chunk.terms for chunk in chunks]), return_inverse=True)
        width = terms.itemsize
        bounds = np.cumsum([0] + [chunk.terms.size for chunk in chunks])
        df = np.zeros(terms.size, dtype=np.int64)
        for at, chunk in enumerate(chunks):
            df[rank[bounds[at] : bounds[at + 1]]] += chunk.counts  # a term once per chunk
        name_terms = np.unique(
            np.concatenate([rank[start + c.name_numbers] for start, c in zip(bounds, chunks, strict=False)])
        )
        offsets = np.zeros(terms.size + 1, dtype=np.int64)
        np.cumsum(df, out=offsets[1:])
        # Each chunk's postings of a term go after the earlier chunks' (lower positions).
        docs = np.empty(int(offsets[-1]), dtype=np.int32)
        tf = np.empty(docs.size, dtype=np.float32)
        cursor = offsets[:-1].copy()
        for at, chunk in enumerate(chunks):
            ranks, counts = rank[bounds[at] : bounds[at + 1]], chunk.counts
            chunk_docs, chunk_tf = chunk.read(self.spill)
            group = np.repeat(np.cumsum(counts) - counts, counts)
            places = np.repeat(cursor[ranks], counts) + np.arange(chunk_docs.size) - group
            docs[places], tf[places] = chunk_docs, chunk_tf
            cursor[ranks] += counts
            chunk.docs = chunk.tf = None
            del chunk_docs, chunk_tf, group, places
        self.chunks = []
        _heap_trim()
        lengths = np.frombuffer(self.lengths, dtype=np.float32)
        avg_length = float(lengths.mean()) if size else 1.0
        if stats is None:
            stats = _Stats(size, avg_length, lambda term: 0)
            base_df = df
        else:  # an overlay: the base's document frequencies (at least its own)
            base_df = np.fromiter((stats.document_frequency(t.decode()) for t in terms), np.int64, count=terms.size)
            base_df = np.maximum(base_df, df)
        norm = K1 * (1 - B + B * lengths / max(stats.avg_length, 1e-6))
        idf = np.log(1 + (stats.size - base_df + 0.5) / (base_df + 0.5)).astype(np.float32)
        weights = tf  # BM25 contributions in place of the term frequencies, a slice at a time
        for first, last in _slices(offsets, 1 << 22):
            at = slice(offsets[first], offsets[last])
            part_tf = tf[at]
            weights[at] = np.repeat(idf[first:last], df[first:last]) * part_tf * (K1 + 1) / (part_tf + norm[docs[at]])
        # Typo correction reads words, never part numbers (most of a large catalogue's terms).
        digits = terms.view(np.uint8).reshape(terms.size, width) if terms.size else np.zeros((0, 1), np.uint8)
        words = np.flatnonzero(~((digits >= ord("0")) & (digits <= ord("9"))).any(axis=1)).astype(np.int32)
        types = sorted(self.type_codes)
        recode = np.zeros(max(len(types), 1), dtype=np.int32)
        recode[list(self.type_codes.values())] = [types.index(value) for value in self.type_codes]
        dense = np.flatnonzero(df * DENSE_SHARE >= max(size, 1)).astype(np.int32)
        bitmaps, ranks = _bitmaps(docs, offsets, dense, size)
        arrays = {
            "ids": np.frombuffer(self.ids, dtype=np.int64),
            "hashes": np.frombuffer(self.hashes, dtype=np.uint64),
            "terms": terms,
            "offsets": offsets,
            "docs": docs,
            "weights": weights,
            "dense": dense,
            "bitmaps": bitmaps,
            "ranks": ranks,
            "words": words,
            "name_terms": name_terms.astype(np.int32),
            "names": np.frombuffer(self.names, dtype=np.uint8),
            "name_starts": np.frombuffer(self.name_starts, dtype=np.int64),
            "types": recode[np.frombuffer(self.types, dtype=np.int32)],
        }
        meta = {"avg_length": stats.avg_length, "brands": sorted(self.brands), "types": types}
        return arrays, meta


@dataclass
class _Chunk:
    """A chunk of rows' terms (first-seen order), how many postings each has, which are words of
    names or categories, and the postings (by term, then position): in memory, or written to a
    file at `spilled` (then `docs` and `tf` are let go of)."""

    terms: np.ndarray
    counts: np.ndarray
    name_numbers: np.ndarray
    docs: np.ndarray | None
    tf: np.ndarray | None
    spilled: int = -1

    def write(self, spill) -> None:
        self.spilled = spill.seek(0, os.SEEK_END)
        spill.write(memoryview(self.docs).cast("B"))
        spill.write(memoryview(self.tf).cast("B"))
        self.docs = self.tf = None

    def read(self, spill) -> tuple[np.ndarray, np.ndarray]:
        if self.spilled < 0:
            return self.docs, self.tf
        count = int(self.counts.sum())
        spill.seek(self.spilled)
        return np.fromfile(spill, dtype=np.int32, count=count), np.fromfile(spill, dtype=np.float32, count=count)


def _slices(offsets: np.ndarray, postings: int) -> list[tuple[int, int]]:
    """Runs of whole terms [first, last) of about `postings` postings each."""
    bounds = np.searchsorted(offsets, np.arange(0, int(offsets[-1]), postings), side="right") - 1
    bounds = np.unique(np.concatenate((bounds, [offsets.size - 1])))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _pack(rows: list[tuple], stats: _Stats | None) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and metadata of an index of `rows`, by ascending id (`_Builder`)."""
    with _Builder() as builder:
        for start in range(0, len(rows), BUILD_CHUNK):
            builder.add(rows[start : start + BUILD_CHUNK])
        return builder.arrays(stats)


def _bitmap(docs: np.ndarray, words: int) -> tuple[np.ndarray, np.ndarray]:
    """The bitmap of sorted positions `docs` (bit d % 64 of word d // 64) and, per word, how many
    of them come before it."""
    bitmap = np.zeros(words, dtype="<u8")
    ranks = np.zeros(words, dtype=np.uint32)
    if docs.size:
        word = docs >> 6
        starts = np.flatnonzero(np.concatenate(([True], word[1:] != word[:-1])))
        bitmap[word[starts]] = np.bitwise_or.reduceat(np.uint64(1) << (docs & 63).astype(np.uint64), starts)
        np.cumsum(np.bitwise_count(bitmap[:-1]), out=ranks[1:])
    return bitmap, ranks


def _holds(bitmap: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Whether each of `docs` has its bit set in `bitmap`."""
    return ((bitmap.view(np.uint8)[docs >> 3] >> (docs & 7).astype(np.uint8)) & np.uint8(1)) != 0


def _bitmaps(docs: np.ndarray, offsets: np.ndarray, dense: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The bitmaps and ranks (`_bitmap`) of the dense terms, one row each."""
    words = -(-size // 64)
    bitmaps = np.zeros((dense.size, words), dtype="<u8")
    ranks = np.zeros((dense.size, words), dtype=np.uint32)
    for row, number in enumerate(dense.tolist()):
        bitmaps[row], ranks[row] = _bitmap(docs[offsets[number] : offsets[number + 1]], words)
    return bitmaps, ranks


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
        self.dense, self.bitmaps, self.ranks = arrays["dense"], arrays["bitmaps"], arrays["ranks"]
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
        known = list(dict.fromkeys(n for n in map(self._number, resolved) if n >= 0))
        if not known:
            return []
        bits = {number: self._bits(number) for number in known}
        chosen, coverage = self._covering([bitmap for bitmap, _ in bits.values()], limit, masked)
        rarest = sorted(known, key=lambda number: (self.offsets[number + 1] - self.offsets[number], number))
        candidates = self._members(chosen, rarest[: len(known) - coverage + 1], bits)
        scores, matched = self._scores(known, bits, candidates, every=coverage == len(known))
        combined = scores + matched.astype(np.float32) * 1000.0
        best = _best(combined, self.ids, candidates, limit)
        top = candidates[best]
        want = len(resolved)
        return [
            LexicalHit(product_id, score, count, want)
            for product_id, score, count in zip(
                self.ids[top].tolist(), scores[best].tolist(), matched[best].tolist(), strict=True
            )
        ]

    def _bits(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        """The term's bitmap and ranks (`_bitmap`): stored for a dense term, made from the postings
        of another."""
        slot = int(np.searchsorted(self.dense, number))
        if slot < self.dense.size and self.dense[slot] == number:
            return self.bitmaps[slot], self.ranks[slot]
        return _bitmap(self.docs[self.offsets[number] : self.offsets[number + 1]], self.bitmaps.shape[1])

    def _covering(self, bitmaps: list[np.ndarray], limit: int, masked: np.ndarray | None) -> tuple[np.ndarray, int]:
        """The bitmap of the parts at the highest coverage (how many of the terms a part holds)
        that `limit` parts reach, or of every part holding a term when fewer reach one, and that
        coverage: counted word by word, 64 parts at a time, whatever the terms' postings."""
        at_least: list[np.ndarray] = []  # [c - 1]: the parts holding c of the terms or more
        for bitmap in bitmaps:
            at_least.append(at_least[-1] & bitmap if at_least else bitmap.copy())
            for c in range(len(at_least) - 2, 0, -1):
                at_least[c] |= at_least[c - 1] & bitmap
            if len(at_least) > 1:
                at_least[0] |= bitmap
        if masked is not None and masked.size:
            kept = ~_bitmap(masked, at_least[0].size)[0]
            for level in at_least:
                level &= kept
        for coverage in range(len(at_least), 1, -1):
            if int(np.bitwise_count(at_least[coverage - 1]).sum(dtype=np.int64)) >= limit:
                return at_least[coverage - 1], coverage
        return at_least[0], 1

    def _members(self, chosen: np.ndarray, rarest: list[int], bits) -> np.ndarray:
        """The positions of the parts in `chosen`. They all hold one of the `rarest` terms (a part
        holding c of k terms holds one of the k - c + 1 rarest): read from those terms' postings
        when that is cheaper than unpacking the bitmap (usually, by far)."""
        probes = sum((self.offsets[n + 1] - self.offsets[n]) * (at + 1) for at, n in enumerate(rarest))
        if probes * UNPACK_SHARE > self.size:
            return np.flatnonzero(np.unpackbits(chosen.view(np.uint8), count=self.size, bitorder="little"))
        found = []
        for at, number in enumerate(rarest):
            docs = self.docs[self.offsets[number] : self.offsets[number + 1]]
            keep = _holds(chosen, docs)
            for earlier in rarest[:at]:  # counted there already
                keep &= ~_holds(bits[earlier][0], docs)
            found.append(docs[keep])
        return np.concatenate(found) if len(found) > 1 else found[0]

    def _scores(self, numbers: list[int], bits, candidates: np.ndarray, every: bool) -> tuple[np.ndarray, np.ndarray]:
        """The candidates' BM25 and how many of the terms each holds (`every`: each holds them all).
        The contributions are added up in float32, term by term in the query's order (the same
        sums as adding every posting up one by one); a part's posting of a term is found by the
        bits before its own in the term's bitmap."""
        scores = np.zeros(candidates.size, dtype=np.float32)
        matched = np.full(candidates.size, len(numbers) if every else 0, dtype=np.uint8)
        word = candidates >> 6
        own = np.uint64(1) << (candidates & 63).astype(np.uint64)
        below = own - np.uint64(1)
        for number in numbers:
            bitmap, ranks = bits[number]
            words = bitmap[word]
            at = ranks[word] + np.bitwise_count(words & below)
            if every:
                scores += self.weights[self.offsets[number] + at]
                continue
            hit = (words & own) != 0
            matched += hit
            scores[hit] += self.weights[self.offsets[number] + at[hit]]
        return scores, matched


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
# The arrays a shared file holds: a new layout gets new file names (an older file is never opened).
FORMAT = 2


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
        prefix = shared_file.database_prefix("lexical", f"lexical-{FORMAT}")
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
        active = Product.objects.filter(is_active=True).order_by("id").values_list("id", *_FIELDS)
        with _Builder() as builder:
            for rows in pages_by_key(active, BUILD_CHUNK):
                builder.add(rows)
            rows = None  # the last page goes before the arrays are packed
            self.base = base = LexicalIndex(packed=builder.arrays(None))
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
