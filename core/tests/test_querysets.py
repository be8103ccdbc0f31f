import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from core.querysets import pages_by_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("parts", "size", "queries"), [(7, 3, 3), (6, 3, 3), (2, 3, 1), (0, 3, 1)])
def test_every_row_once_in_key_order_a_page_a_query(parts, size, queries):
    made = sorted(ProductFactory().pk for _ in range(parts))
    rows = Product.objects.order_by("id").values_list("id", "name")
    with CaptureQueriesContext(connection) as captured:
        pages = list(pages_by_key(rows, size))
    assert [row[0] for page in pages for row in page] == made
    assert all(0 < len(page) <= size for page in pages)
    # A short page ends it; a full last page costs one more (empty) query.
    assert len(captured) == queries


def test_pages_keep_the_querysets_filter():
    kept = sorted(ProductFactory(is_active=True).pk for _ in range(5))
    ProductFactory(is_active=False)
    rows = Product.objects.filter(is_active=True).order_by("id").values_list("id")
    assert [row[0] for page in pages_by_key(rows, 2, key="id") for row in page] == kept
