"""The lexical index at scale: packed postings, the all-terms shortcut, and edits folded into an
overlay instead of a rebuild (catalog/search/lexical.py)."""

import random
from io import StringIO
from unittest import mock

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from catalog import selectors
from catalog.models import Product
from catalog.search import lexical
from catalog.search.lexical import LexicalIndex
from catalog.search.text import query_terms
from catalog.tests.factories import ProductFactory
from core.stamps import stamps_forget

pytestmark = pytest.mark.django_db

KINDS = ["door gasket", "drain pump", "water filter", "ice maker", "door shelf bin", "spray arm", "rack wheel"]
BRANDS = ["Whirlpool", "GE", "Samsung", "LG"]


@pytest.fixture(autouse=True)
def _lexical_only(settings):
    settings.PARLEY_EMBEDDINGS = "off"
    lexical.cache.clear()
    yield
    lexical.cache.clear()


@pytest.fixture
def catalogue():
    rnd = random.Random(3)
    parts = []
    for i in range(300):
        kind, brand = rnd.choice(KINDS), rnd.choice(BRANDS)
        appliance = rnd.choice(["dishwasher", "refrigerator"])
        parts.append(
            ProductFactory(
                name=f"{appliance.title()} {kind.title()}",
                brand=brand,
                appliance_type=appliance,
                category=kind.split()[-1].title(),
                description=f"{brand} {kind} number {i}, series {rnd.randint(1, 9)}.",
            )
        )
    return parts


def _reference_search(terms: list[str], limit: int):
    """The plain definition: every part's BM25 over the query's terms, every term first, ties by id."""
    rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *lexical._FIELDS))
    index = LexicalIndex(rows)
    resolved = index.resolve(terms)
    scores, matched = np.zeros(index.size, np.float32), np.zeros(index.size, np.int16)
    for term in resolved:
        docs, weights = index.postings(term)
        scores[docs] += weights
        matched[docs] += 1
    found = np.flatnonzero(matched)
    combined = scores[found] + matched[found].astype(np.float32) * 1000.0
    order = found[np.lexsort((index.ids[found], -combined))][:limit]
    return [(int(index.ids[i]), int(matched[i])) for i in order]


@pytest.mark.parametrize("limit", [3, 10, 50])
def test_the_all_terms_shortcut_ranks_as_scoring_every_part_does(catalogue, limit):
    rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *lexical._FIELDS))
    index = LexicalIndex(rows)
    for query in ["whirlpool door gasket", "dishwasher drain pump", "door", "lg shelf bin series", "pump gaskit"]:
        terms = query_terms(query)
        assert [(h.product_id, h.matched) for h in index.search(terms, limit)] == _reference_search(terms, limit)


def _plain_ranking(index: LexicalIndex, resolved: list[str], limit: int, masked=()) -> list[tuple[int, int, float]]:
    """Every part's coverage and BM25 added up posting by posting in the query's order (float32),
    most terms first, then BM25, ties by id."""
    scores, matched = np.zeros(index.size, np.float32), np.zeros(index.size, np.int16)
    for term in dict.fromkeys(resolved):
        found = index.postings(term)
        if found is not None:
            scores[found[0]] += found[1]
            matched[found[0]] += 1
    matched[list(masked)] = 0
    found = np.flatnonzero(matched)
    combined = scores[found] + matched[found].astype(np.float32) * 1000.0
    order = found[np.lexsort((index.ids[found], -combined))][:limit]
    return [(int(index.ids[i]), int(matched[i]), float(scores[i])) for i in order]


# Few words, some in most parts and some in a handful: every coverage, dense and sparse terms.
_WORDS = ["door", "gasket", "pump", "drain", "filter", "shelf", "bin", "rack", "wheel", "ice", "arm", "kit"]
_word = st.sampled_from(_WORDS[:3] * 6 + _WORDS[3:])
_text = st.lists(_word, max_size=6).map(" ".join)
_row = st.tuples(_text, _text, st.sampled_from(["", "GE", "LG"]), st.sampled_from(["", "dishwasher"]), _text)


# Bitmaps for no term, some, every one; candidates read from postings, or from the bitmap.
@pytest.mark.parametrize(("dense_share", "unpack_share"), [(1, 0), (32, 2), (10**9, 10**9)])
@hsettings(max_examples=150, deadline=None)
@given(
    rows=st.lists(_row, min_size=1, max_size=200),
    query=st.lists(st.sampled_from([*_WORDS, "ge", "dishwasher", "absent"]), min_size=1, max_size=8),
    limit=st.integers(1, 60),
    masked=st.sets(st.integers(0, 199), max_size=20),
)
def test_search_ranks_as_adding_every_posting_up(dense_share, unpack_share, rows, query, limit, masked):
    with (
        mock.patch.object(lexical, "DENSE_SHARE", dense_share),
        mock.patch.object(lexical, "UNPACK_SHARE", unpack_share),
    ):
        index = LexicalIndex([(100 + 3 * i, *row) for i, row in enumerate(rows)])
        masked = np.array(sorted(m for m in masked if m < index.size), dtype=np.int64)
        hits = index.hits(query, limit, masked=masked)
    assert [(h.product_id, h.matched, h.score) for h in hits] == _plain_ranking(index, query, limit, masked)
    assert all(h.wanted == len(query) for h in hits)


def test_an_index_read_in_chunks_is_the_one_read_at_once(catalogue, monkeypatch):
    Product.objects.filter(pk__in=[p.pk for p in catalogue[::9]]).update(is_active=False)
    rows = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", *lexical._FIELDS))
    whole = LexicalIndex(rows)
    monkeypatch.setattr(lexical, "BUILD_CHUNK", 7)
    chunked = lexical.cache.get()
    assert chunked.size == len(rows) < len(catalogue)
    assert chunked.meta == whole.meta and chunked.arrays.keys() == whole.arrays.keys()
    for name, array in whole.arrays.items():
        assert chunked.arrays[name].dtype == array.dtype and np.array_equal(chunked.arrays[name], array), name


def test_typos_are_corrected_against_words_never_part_numbers(catalogue):
    ProductFactory(name="Dishwasher Pump", manufacturer_part_number="W10348269", description="w10348269 pumpx")
    index = lexical.cache.get()
    assert index.correct("gaskit") == "gasket"
    assert index.correct("w10348269") == "w10348269"  # known as it is
    assert index.correct("w10348268") is None  # a part number is never "corrected" into another
    assert "w10348269" not in index.vocabulary and "pump" in index.vocabulary


def test_an_edit_is_searchable_at_once_without_rebuilding(catalogue):
    part = catalogue[10]
    selectors.product_search(query="door gasket")
    builds = lexical.cache.rebuilds

    part.name = "Refrigerator Condenser Coil"
    part.save()
    assert selectors.product_search(query="condenser coil")[0] == part
    new = ProductFactory(name="Dishwasher Chopper Blade", appliance_type="dishwasher")
    assert selectors.product_search(query="chopper blade") == [new]
    new.is_active = False
    new.save()
    assert selectors.product_search(query="chopper blade") == []
    # A price or stock edit leaves the overlay as it is.
    overlay = lexical.cache.index
    Product.objects.filter(pk=catalogue[20].pk).update(price=catalogue[20].price + 1, updated_at=timezone.now())
    selectors.product_search(query="door")
    assert lexical.cache.index is overlay
    assert lexical.cache.rebuilds == builds


def test_an_overlaid_index_answers_as_a_fresh_build_does(catalogue):
    selectors.product_search(query="pump")
    rnd = random.Random(5)
    for part in rnd.sample(catalogue, 40):
        part.name = f"{part.appliance_type.title()} {rnd.choice(KINDS).title()} Kit"
        part.description = f"Now a kit. {part.description}"
        part.is_active = rnd.random() > 0.1
        part.save()
    ProductFactory(name="Refrigerator Door Gasket Kit", brand="GE", appliance_type="refrigerator")
    queries = ["door gasket", "kit", "whirlpool pump", "dishwasher spray arm kit", "shelf bin", "filtr"]
    overlaid = {q: [(h.product_id, h.matched) for h in lexical.lexical_search(query_terms(q), 50)] for q in queries}
    assert isinstance(lexical.cache.index, lexical.OverlaidIndex)

    lexical.cache.clear()
    rebuilt = {q: [(h.product_id, h.matched) for h in lexical.lexical_search(query_terms(q), 50)] for q in queries}
    # The overlay scores with the base's statistics: the same parts, all-terms ones first.
    for q in queries:
        assert {p for p, _ in overlaid[q]} == {p for p, _ in rebuilt[q]}, q
        assert [m for _, m in overlaid[q]] == sorted((m for _, m in overlaid[q]), reverse=True)


def test_many_edits_rebuild_the_index(catalogue, monkeypatch):
    monkeypatch.setattr(lexical, "OVERLAY_MAX", 5)
    selectors.product_search(query="pump")
    builds = lexical.cache.rebuilds
    for part in catalogue[:6]:
        part.name = "Dishwasher Chopper Blade"
        part.save()
    assert len(selectors.product_search(query="chopper blade")) == 6
    assert lexical.cache.rebuilds == builds + 1
    assert isinstance(lexical.cache.index, LexicalIndex)


# --- vectors ------------------------------------------------------------------------------


@pytest.fixture
def vectors(settings, catalogue):
    from django.core.management import call_command

    from catalog.search import embeddings, semantic

    settings.PARLEY_EMBEDDINGS = "static"
    embeddings.embedder_reset()
    semantic.cache.clear()
    call_command("build_embeddings", "--no-progress", stdout=StringIO())
    yield semantic
    semantic.cache.clear()
    embeddings.embedder_reset()


def _nearest(semantic, text: str, limit: int = 5) -> list[int]:
    from catalog.search import embeddings

    name = embeddings.embedder_name_configured()
    vector = embeddings.embedder_get().embed([text])[0]
    return [pid for pid, _ in semantic.cache.get(name).top(vector, limit)]


def test_a_reembedded_part_is_current_without_reading_the_matrix_again(vectors):
    from catalog.services.embeddings import product_embeddings_refresh

    semantic = vectors
    _nearest(semantic, "door gasket")
    reloads = semantic.cache.reloads
    part = Product.objects.filter(is_active=True).order_by("id")[7]
    part.name, part.description, part.category = "Refrigerator Ice Crusher Blade", "Crushes ice for the dispenser.", ""
    part.save()
    product_embeddings_refresh(product_ids=[part.pk])
    new = ProductFactory(name="Dishwasher Soap Dispenser Door", appliance_type="dishwasher", category="")
    product_embeddings_refresh(product_ids=[new.pk])

    assert _nearest(semantic, "refrigerator ice crusher blade")[0] == part.pk
    assert _nearest(semantic, "dishwasher soap dispenser door")[0] == new.pk
    assert semantic.cache.reloads == reloads
    # The same answers as a matrix read from scratch.
    overlaid = _nearest(semantic, "ice crusher", 20)
    semantic.cache.clear()
    assert _nearest(semantic, "ice crusher", 20) == overlaid


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_a_large_matrix_is_one_file_every_process_maps(vectors, settings, tmp_path, monkeypatch):
    semantic = vectors
    monkeypatch.setattr(semantic, "SHARED_MIN", 1)
    settings.PARLEY_VECTOR_DIR = str(tmp_path)
    semantic.cache.clear()
    first = _nearest(semantic, "whirlpool water filter", 10)
    files = _files(tmp_path)
    assert len(files) == 1 and not semantic.cache.matrix.flags.owndata

    other = semantic._VectorCache()  # another web process on the host
    from catalog.search import embeddings

    loaded = other.get(embeddings.embedder_name_configured())
    assert not loaded.matrix.flags.owndata and not loaded.matrix.flags.writeable
    assert np.array_equal(loaded.ids, semantic.cache.ids)
    assert _nearest(semantic, "whirlpool water filter", 10) == first

    # A full read of a newer version replaces the file.
    from catalog.search.models import ProductEmbedding

    ProductEmbedding.objects.update(updated_at=timezone.now())
    stamps_forget()  # a bulk write is seen within PARLEY_DATA_RECHECK_SECONDS; now, here
    semantic.cache.clear()
    _nearest(semantic, "pump")
    assert len(_files(tmp_path)) == 1 and _files(tmp_path) != files


def test_a_grouped_matrix_finds_each_part_from_its_own_vector(vectors, settings, tmp_path, monkeypatch):
    """A query scores only its nearest groups' rows: a part's own vector is in the group whose
    centroid is nearest to it, so with one group probed it is still found first."""
    from catalog.search import clusters, embeddings
    from catalog.search.models import ProductEmbedding

    semantic = vectors
    monkeypatch.setattr(semantic, "SHARED_MIN", 1)
    monkeypatch.setattr(clusters, "PROBES", 1)
    settings.PARLEY_VECTOR_DIR = str(tmp_path)
    semantic.cache.clear()
    grouped = semantic.cache.get(embeddings.embedder_name_configured())
    assert grouped.centroids is not None and grouped.starts[-1] == grouped.ids.size
    stored = dict(ProductEmbedding.objects.values_list("product_id", "vector"))
    for product_id, vector in list(stored.items())[:60]:
        found = grouped.top(np.frombuffer(bytes(vector), dtype=np.float32), 3)
        assert found[0][0] == product_id
        assert len(found) == 3

    # A re-embedded part: its old row is masked wherever its group is, its new vector scored.
    from catalog.services.embeddings import product_embeddings_refresh

    part = Product.objects.filter(is_active=True).order_by("id")[7]
    old = np.frombuffer(bytes(stored[part.pk]), dtype=np.float32)
    part.name, part.description, part.category = "Refrigerator Ice Crusher Blade", "Crushes ice.", ""
    part.save()
    product_embeddings_refresh(product_ids=[part.pk])
    overlaid = semantic.cache.get(embeddings.embedder_name_configured())
    assert overlaid.centroids is grouped.centroids  # the same mapped file, with an overlay
    assert part.pk not in [pid for pid, _ in overlaid.top(old, 1)]
    assert _nearest(semantic, "refrigerator ice crusher blade", 1) == [part.pk]


# --- the shared index file ----------------------------------------------------------------


@pytest.fixture
def shared(settings, tmp_path, monkeypatch, catalogue):
    monkeypatch.setattr(lexical, "SHARED_MIN", 1)
    settings.PARLEY_VECTOR_DIR = str(tmp_path)
    lexical.cache.clear()
    return tmp_path


def _ranked(cache, query: str) -> list[tuple[int, int]]:
    return [(h.product_id, h.matched) for h in cache.get().search(query_terms(query), 50)]


def test_a_large_index_is_one_file_every_process_maps(shared):
    builds = lexical.cache.rebuilds
    first = _ranked(lexical.cache, "whirlpool door gasket")
    assert (
        lexical.cache.rebuilds == builds + 1 and len([p for p in shared.iterdir() if not p.name.endswith(".lock")]) == 1
    )

    other = lexical._Cache()  # another web process on the host
    assert _ranked(other, "whirlpool door gasket") == first
    assert (other.rebuilds, other.opened) == (0, 1)
    # Its arrays are read-only views of the mapped file, not copies of its own.
    assert not other.base.docs.flags.writeable and not other.base.docs.flags.owndata
    assert other.get().named_types(["door gasket"]) == lexical.cache.get().named_types(["door gasket"])
    assert other.get().correct("gaskit") == "gasket"


def test_a_process_opening_an_older_file_catches_up_through_the_overlay(shared, catalogue):
    lexical.cache.get()
    part = catalogue[5]
    part.name = "Refrigerator Condenser Coil"
    part.save()
    other = lexical._Cache()
    assert [h.product_id for h in other.get().search(["condenser", "coil"], 5)] == [part.pk]
    assert (other.rebuilds, other.opened) == (0, 1)
    assert isinstance(other.index, lexical.OverlaidIndex)


def test_a_deletion_builds_and_shares_a_new_file(shared, catalogue):
    lexical.cache.get()
    files = sorted(p.name for p in shared.iterdir())
    catalogue[3].delete()
    other = lexical._Cache()
    assert catalogue[3].pk not in {h.product_id for h in other.get().search(["door"], 50)}
    assert other.rebuilds == 1
    assert sorted(p.name for p in shared.iterdir()) != files
    assert len([p for p in shared.iterdir() if not p.name.endswith(".lock")]) == 1
