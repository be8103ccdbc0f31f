"""The grouped vector matrix (catalog/search/clusters.py) and how the matrix is read and written
(catalog/search/semantic.py, shared_file.py): what a search finds, how big a group may grow, and
that reading or writing in chunks gives what reading or writing at once would."""

import numpy as np
import pytest
from django.db.models import QuerySet

from catalog.search import clusters, semantic, shared_file
from catalog.search.models import ProductEmbedding
from catalog.search.semantic import VectorSet
from catalog.tests.factories import ProductFactory


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _grouped(matrix: np.ndarray, ids: np.ndarray) -> VectorSet:
    order, starts, centroids = clusters.groups_make(matrix)
    grouped_ids = ids[order]
    return VectorSet(
        grouped_ids,
        np.ascontiguousarray(matrix[order]),
        centroids=centroids,
        starts=starts,
        by_id=np.argsort(grouped_ids, kind="stable"),
    )


def _exact(matrix: np.ndarray, ids: np.ndarray, vector: np.ndarray, limit: int) -> list[int]:
    scores = matrix @ vector
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:limit]]


@pytest.fixture
def small_groups(monkeypatch):
    monkeypatch.setattr(clusters, "GROUP_ROWS", 40)


def test_the_grouped_top_is_the_exact_top_when_a_querys_neighbours_lie_in_its_probed_groups(small_groups, monkeypatch):
    """Thirty tight clumps of 60 parts around directions far apart: a query near one clump has its
    exact top 20 in that clump, whose one or two groups are among the few nearest centroids."""
    monkeypatch.setattr(clusters, "PROBES", 4)
    rnd = np.random.default_rng(5)
    centres = _unit(rnd.normal(size=(30, 64)))
    matrix = _unit(np.repeat(centres, 60, axis=0) + rnd.normal(scale=0.05, size=(1800, 64)))
    ids = rnd.permutation(np.arange(10_000, 10_000 + 1800))
    vectors = _grouped(matrix, ids)
    assert vectors.starts.size - 1 > 30  # the clumps were split, so probing is a real choice

    for centre in centres[:10]:
        query = _unit(centre + rnd.normal(scale=0.02, size=64))
        found = vectors.top(query, 20)
        assert [pid for pid, _ in found] == _exact(matrix, ids, query, 20)
        assert np.allclose([cosine for _, cosine in found], np.sort(matrix @ query)[::-1][:20], atol=1e-5)


def test_with_every_group_probed_the_grouped_top_is_the_exact_top(small_groups, monkeypatch):
    rnd = np.random.default_rng(1)
    matrix = _unit(rnd.normal(size=(1500, 32)))
    ids = np.arange(1500, dtype=np.int64) * 3 + 7
    vectors = _grouped(matrix, ids)
    monkeypatch.setattr(clusters, "PROBES", vectors.starts.size - 1)
    for query in _unit(rnd.normal(size=(20, 32))):
        assert [pid for pid, _ in vectors.top(query, 50)] == _exact(matrix, ids, query, 50)


def test_no_group_outgrows_twice_its_size_not_even_for_many_parts_of_one_text(small_groups):
    """A thousand parts with one text cannot be parted by k-means: they are cut into slices."""
    rnd = np.random.default_rng(2)
    same = _unit(rnd.normal(size=32))
    matrix = np.concatenate([np.tile(same, (1000, 1)), _unit(rnd.normal(size=(1400, 32)))])
    order, starts, centroids = clusters.groups_make(matrix)

    assert np.array_equal(np.sort(order), np.arange(2400))  # every row in exactly one group
    sizes = np.diff(starts)
    assert sizes.min() >= 1 and sizes.max() <= 2 * clusters.GROUP_ROWS
    assert starts.size - 1 >= 2400 // (2 * clusters.GROUP_ROWS)
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1, atol=1e-5)
    # The same seed groups the same vectors alike.
    again = clusters.groups_make(matrix)
    assert all(np.array_equal(a, b) for a, b in zip((order, starts, centroids), again, strict=True))

    vectors = _grouped(matrix, np.arange(2400, dtype=np.int64))
    found = vectors.top(same, 50)
    assert all(pid < 1000 and cosine > 0.999 for pid, cosine in found)


def test_a_probes_rows_and_score_positions_map_to_each_other(small_groups):
    rnd = np.random.default_rng(4)
    matrix = _unit(rnd.normal(size=(900, 16)))
    order, starts, centroids = clusters.groups_make(matrix)
    grouped = np.ascontiguousarray(matrix[order])
    query = _unit(rnd.normal(size=16))
    probed = clusters.probe(query, centroids, starts, probes=5)

    scores = probed.scores(grouped, query)
    positions = np.arange(probed.size)
    rows = probed.rows(positions)
    assert np.allclose(scores, grouped[rows] @ query, atol=1e-5)
    assert np.array_equal(probed.positions(rows), positions)
    unscored = np.setdiff1d(np.arange(900), rows)
    assert probed.positions(unscored).size == 0


def test_a_masked_row_is_never_returned_even_when_the_limit_is_more_than_was_scored(small_groups, monkeypatch):
    monkeypatch.setattr(clusters, "PROBES", 1)
    rnd = np.random.default_rng(6)
    matrix = _unit(rnd.normal(size=(600, 16)))
    ids = np.arange(600, dtype=np.int64)
    vectors = _grouped(matrix, ids)
    query = matrix[17]
    assert vectors.top(query, 1)[0][0] == 17
    moved = _unit(rnd.normal(size=16))
    overlaid = vectors.with_overlay({17: moved})

    found = overlaid.top(query, 600)
    assert all(np.isfinite(cosine) for _, cosine in found)
    assert len(found) < 600  # one group and the overlay were scored, not every row
    # Part 17 is there at most once, by its new vector: its old row is masked.
    assert [round(cosine, 4) for pid, cosine in found if pid == 17] in ([], [round(float(moved @ query), 4)])


def test_rows_written_in_an_order_are_the_rows_in_that_order(tmp_path, monkeypatch):
    monkeypatch.setattr(shared_file, "_CHUNK_BYTES", 100)  # several chunks, one of them partial
    rnd = np.random.default_rng(3)
    source = rnd.normal(size=(53, 7)).astype(np.float32)
    order = rnd.permutation(53)
    shared_file.arrays_write(
        tmp_path / "rows", {"head": np.arange(3), "rows": shared_file.RowsInOrder(source, order)}, {"n": 53}
    )
    arrays, meta = shared_file.arrays_open(tmp_path / "rows")
    assert meta == {"n": 53}
    assert np.array_equal(arrays["rows"], source[order]) and np.array_equal(arrays["head"], np.arange(3))


@pytest.mark.django_db
def test_the_matrix_read_a_page_at_a_time_is_the_matrix_read_at_once(monkeypatch):
    rnd = np.random.default_rng(8)
    products = ProductFactory.create_batch(23)
    stored = {}
    for product in products[:-2]:
        vector = _unit(rnd.normal(size=12))
        ProductEmbedding.objects.create(
            product=product, embedder="test:e", dim=12, vector=vector.tobytes(), text_hash="x"
        )
        stored[product.pk] = vector
    ProductEmbedding.objects.create(
        product=products[-1], embedder="test:other", dim=12, vector=_unit(rnd.normal(size=12)).tobytes(), text_hash="x"
    )
    ids = np.array(sorted(stored), dtype=np.int64)
    expected = np.stack([stored[pid] for pid in ids])

    for page in (5, 7, 21, 1000):
        monkeypatch.setattr(semantic, "READ_ROWS", page)
        read = semantic._VectorCache._read("test:e")
        assert np.array_equal(read.ids, ids) and np.array_equal(read.matrix, expected)

    assert semantic._VectorCache._read("test:none").ids.size == 0

    # Vectors stored between the count and the pages: the array grows to take them.
    counted = QuerySet.count
    monkeypatch.setattr(QuerySet, "count", lambda self: counted(self) - 9)
    monkeypatch.setattr(semantic, "READ_ROWS", 4)
    read = semantic._VectorCache._read("test:e")
    assert np.array_equal(read.ids, ids) and np.array_equal(read.matrix, expected)
