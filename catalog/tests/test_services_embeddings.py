import pytest
from django.db import connection, transaction

from catalog.search.embeddings import product_text, static_embedder_load, text_hash
from catalog.search.models import ProductEmbedding
from catalog.services.embeddings import product_embeddings_refresh
from catalog.tests.factories import ProductFactory


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_vectors_stored_inside_a_callers_transaction_leave_its_commit_durable():
    parts = [ProductFactory(), ProductFactory(is_active=False), ProductFactory()]

    with transaction.atomic():
        result = product_embeddings_refresh(embedder=static_embedder_load(), batch_size=1)
        assert _synchronous_commit() == "on"  # a batch of its own would commit without waiting

    assert result.embedded == 2
    stored = dict(ProductEmbedding.objects.values_list("product_id", "text_hash"))
    assert stored == {p.pk: text_hash(product_text(p)) for p in parts if p.is_active}
