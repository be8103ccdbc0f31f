"""An inverted file over a large vector matrix: its rows grouped by nearest centroid, groups of
about `GROUP_ROWS` rows, so that a query scores the rows of its `PROBES` nearest groups (about
25,000 rows whatever the catalogue's size) instead of every row.

How the groups are made: spherical k-means in two levels. About √(n / GROUP_ROWS) coarse
centroids split the rows; each coarse cell is split again by k-means into as many groups as it
holds `GROUP_ROWS`, and a group still over twice that is split again (rows k-means cannot part,
such as many parts of one text, are cut into equal slices under the same centroid). Seeded:
every build of the same vectors groups them alike.

Measured (static embedder, the 300 benchmark queries, recall = share of the exact top 50 in the
grouped top 50, a tie at the 50th cosine counted as found; CPU of `VectorSet.top` per query):
- The one-level k-means with √n groups it replaces: at 100,000 vectors 314 groups of up to
  1,165 rows, 16,000 rows scored, recall 99.5% (worst query 50%); at 985,502 vectors 993 groups
  of up to 3,929 rows, 50,000-65,000 rows scored, recall 98.7% and 0% for two queries: their
  top 50 are one text shared by 50+ parts, in a 2,567-row group whose centroid ranked 70th, so
  it was never probed. Its 8 k-means passes over 993 centroids took 10 s of CPU at 1M.
- Two levels, 320 rows a group: at 985,502 vectors 3,273 groups of at most 640 rows; recall
  (rows scored at the median) 98.5% (10,400) with 32 probes, 99.2% (15,400) with 48, 99.5%
  (20,400) with 64, 99.6% (25,400; 32,800 at most) with 80, the worst query 82% (its top 50 lie
  within 0.03 of cosine, across 25 groups); at 98,541 vectors 331 groups, 99.3% with 48, 99.8%
  with 64, 99.97% with 80 (worst 96%, 24,700 rows). `top` at 80 probes: 2.1 ms of CPU a query
  at 1M, 1.8 ms at 100,000 (load 4). 4.4 s of CPU to group 1M vectors. Groups of 200 or 500
  rows gave no better recall for the rows scored; assigning every row to its nearest of all
  3,273 centroids instead of its cell's (19 s more) moved 3% of the rows and changed recall by
  under 0.1 point.

Scoring is `np.einsum`, not `@`: OpenBLAS splits a matrix-vector product of a few thousand rows
over its threads, and on a busy machine the second thread's wait cost 5× the CPU (1M, 48 probes
of the one-level groups: 26.6 ms of CPU per query with two BLAS threads, 5.7 ms with one);
einsum's loop is single-threaded and cost 55-65 ns a row against 67-120 ns for BLAS's
one-thread product (blocks of 320-1,000 rows, same run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Rows a group holds (on average; at most twice this).
GROUP_ROWS = 320
# Groups a query scores: recall against the exact top 50 at 1M is 99.2% at 48, 99.5% at 64, 99.6% at 80.
PROBES = 80
_ITERATIONS = 8
# k-means learns from this many rows per centroid (a sample), then every row joins its nearest.
_SAMPLE_PER_GROUP = 64
_CHUNK = 8192


def dot(rows: np.ndarray, vector: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`rows @ vector` on one thread (see the module docstring)."""
    return np.einsum("ij,j->i", rows, vector, out=out)


def _nearest(rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    out = np.empty(rows.shape[0], dtype=np.int32)
    for start in range(0, rows.shape[0], _CHUNK):
        out[start : start + _CHUNK] = np.argmax(rows[start : start + _CHUNK] @ centroids.T, axis=1)
    return out


def _kmeans(rows: np.ndarray, count: int, rnd: np.random.Generator) -> np.ndarray:
    """`count` unit centroids learned on a sample of `rows` (unit vectors)."""
    take = min(rows.shape[0], count * _SAMPLE_PER_GROUP)
    sample = rows[np.sort(rnd.choice(rows.shape[0], take, replace=False))] if take < rows.shape[0] else rows
    centroids = sample[rnd.choice(sample.shape[0], count, replace=False)].astype(np.float32)
    for _ in range(_ITERATIONS):
        nearest = _nearest(sample, centroids)
        sizes = np.bincount(nearest, minlength=count)
        filled = np.flatnonzero(sizes)
        firsts = (np.cumsum(sizes) - sizes)[filled]
        sums = np.add.reduceat(sample[np.argsort(nearest, kind="stable")], firsts, axis=0)
        centroids[filled] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
    return centroids


def _mean_direction(rows: np.ndarray) -> np.ndarray:
    total = rows.sum(axis=0, dtype=np.float64)
    return (total / max(float(np.linalg.norm(total)), 1e-9)).astype(np.float32)


def _split(matrix: np.ndarray, members: np.ndarray, rnd: np.random.Generator, out: list) -> None:
    """Append (centroid, member rows) groups of `members` to `out`, none over 2 × GROUP_ROWS."""
    pending = [members]
    while pending:
        members = pending.pop()
        count = round(members.size / GROUP_ROWS)
        rows = matrix[members]
        if count <= 1:
            out.append((_mean_direction(rows), members))
            continue
        centroids = _kmeans(rows, count, rnd)
        nearest = _nearest(rows, centroids)
        for group in range(count):
            part = members[nearest == group]
            if part.size <= 2 * GROUP_ROWS:
                if part.size:
                    out.append((centroids[group], part))
            elif part.size < 0.75 * members.size:
                pending.append(part)
            else:
                # k-means barely parted them (many parts of one text): equal slices, one centroid.
                pieces = np.array_split(part, math.ceil(part.size / GROUP_ROWS))
                out.extend((centroids[group], piece) for piece in pieces)


def groups_make(matrix: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, starts, centroids): `matrix[order]` has each group's rows together, group g at
    rows starts[g]:starts[g + 1]; centroids are unit vectors (the rows are, for cosine)."""
    rnd = np.random.default_rng(seed)
    coarse_count = max(1, round(math.sqrt(matrix.shape[0] / GROUP_ROWS)))
    coarse = _nearest(matrix, _kmeans(matrix, coarse_count, rnd))
    by_cell = np.argsort(coarse, kind="stable")
    bounds = np.searchsorted(coarse[by_cell], np.arange(coarse_count + 1))
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    for cell in range(coarse_count):
        if bounds[cell + 1] > bounds[cell]:
            _split(matrix, by_cell[bounds[cell] : bounds[cell + 1]], rnd, groups)
    order = np.concatenate([members for _, members in groups])
    starts = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum([members.size for _, members in groups], out=starts[1:])
    return order, starts, np.stack([centroid for centroid, _ in groups]).astype(np.float32)


@dataclass(frozen=True)
class Probe:
    """The rows a query scores: runs of rows lo[i]:hi[i] (adjacent groups merged), ascending;
    a run's scores start at offsets[i] in `scores`' output."""

    lo: np.ndarray
    hi: np.ndarray
    offsets: np.ndarray

    @property
    def size(self) -> int:
        return int(self.offsets[-1])

    def scores(self, matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
        out = np.empty(self.size, dtype=np.float32)
        for lo, hi, at in zip(self.lo.tolist(), self.hi.tolist(), self.offsets.tolist(), strict=False):
            dot(matrix[lo:hi], vector, out=out[at : at + hi - lo])
        return out

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """The matrix rows of positions in `scores`' output."""
        run = np.searchsorted(self.offsets, positions, side="right") - 1
        return self.lo[run] + (positions - self.offsets[run])

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Where the scored ones of `rows` are in `scores`' output (rows not scored are left out)."""
        run = np.searchsorted(self.lo, rows, side="right") - 1
        inside = (run >= 0) & (rows < self.hi[np.maximum(run, 0)])
        return self.offsets[run[inside]] + (rows[inside] - self.lo[run[inside]])


def probe(vector: np.ndarray, centroids: np.ndarray, starts: np.ndarray, probes: int | None = None) -> Probe:
    """The rows of the `probes` (default `PROBES`) groups nearest to `vector`."""
    near = dot(centroids, vector)
    probes = min(probes or PROBES, near.size)
    chosen = np.sort(np.argpartition(-near, probes - 1)[:probes])
    lo, hi = starts[chosen], starts[chosen + 1]
    # Groups next to each other in the matrix are one run: fewer, longer products.
    first = np.concatenate(([True], lo[1:] != hi[:-1]))
    last = np.concatenate((first[1:], [True]))
    lo, hi = lo[first], hi[last]
    offsets = np.zeros(lo.size + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=offsets[1:])
    return Probe(lo, hi, offsets)
