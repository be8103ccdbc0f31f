"""Refunds raced on PostgreSQL (real threads): clerks refunding one order at once cannot give back
more than was paid, and a refund racing a cancellation leaves both recorded coherently."""

from decimal import Decimal

import pytest
from django.db import connection

from checkout.models import Order, Refund
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.services.refunds import order_refund
from checkout.tests.factories import OrderFactory
from conversations.tests.test_handoff_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("amounts", [["30.00"] * 4, ["49.98"] * 3, ["20.00", "20.00", "20.00"]])
def test_refunds_at_once_never_give_back_more_than_was_paid(amounts):
    assert connection.vendor == "postgresql"
    order = OrderFactory(total="49.98")
    results, codes = race([lambda a=a: order_refund(order=order, amount=Decimal(a)) for a in amounts])

    assert set(codes) <= {"refund_exceeds_balance", "order_already_refunded"}, codes
    given = sum(Refund.objects.filter(order=order, status="succeeded").values_list("amount", flat=True), Decimal(0))
    row = Order.objects.get(pk=order.pk)
    assert given <= Decimal("49.98") and row.refunded_total == given
    assert len(results) == Refund.objects.filter(order=order, status="succeeded").count() >= 1


def test_a_refund_racing_a_cancellation_both_land_once():
    order = OrderFactory(total="49.98")
    results, codes = race(
        [
            lambda: order_refund(order=order),
            lambda: order_fulfilment_transition(order=order, to_status="cancelled"),
        ]
    )
    assert codes == [] and len(results) == 2
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.fulfilment_status, row.refunded_total) == ("refunded", "cancelled", Decimal("49.98"))
