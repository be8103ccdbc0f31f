"""Query-count guards on the dashboard views: each answers in a fixed number of queries, whatever
the data (no query per order, part or day). Bounds have headroom over today's counts (in the
comments); the 'more sales' run catches a query per row however small the bound's margin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.tests.history import build_history
from catalog.tests.factories import ProductFactory
from checkout.tests.factories import OrderFactory, OrderLineFactory


def _more_sales(count: int) -> None:
    """Paid orders of `count` more parts, so a per-part or per-order query would show."""
    for _ in range(count):
        product = ProductFactory()
        OrderLineFactory(order=OrderFactory(line=None), sku=product.ps_number, name=product.name, product=product)


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/api/admin/dashboard", 21),  # 17: the handoff figures are one grouped query
        ("/api/admin/dashboard?ps_number=PS11750057&days=90", 21),  # 17
        ("/api/admin/analytics/funnel", 8),  # 5
        ("/dashboard/", 5),  # 3: the page is a shell; dashboard.js calls the API
    ],
)
def test_each_dashboard_view_costs_a_fixed_number_of_queries(staff_api, shop, django_assert_max_num_queries, url, most):
    build_history(shop)
    with CaptureQueriesContext(connection) as before:
        assert staff_api.get(url).status_code == 200

    _more_sales(8)
    with django_assert_max_num_queries(most) as after:
        assert staff_api.get(url).status_code == 200

    assert len(after.captured_queries) == len(before.captured_queries)
