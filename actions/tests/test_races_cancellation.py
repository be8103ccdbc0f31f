"""An operator approving 'Cancel my order' while a clerk ships the parcel, at once on PostgreSQL
(real threads, the order's row lock): one of them wins, and a parcel that left is never refunded
as cancelled; a cancelled one is refunded once."""

from decimal import Decimal

import pytest
from django.db import connection

from actions.services.feedback import action_feedback_apply
from checkout.models import Order
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.tests.factories import OrderFactory
from conversations.tests.factories import ConversationFactory
from conversations.tests.test_handoff_races import race
from core.outbox.models import OutboundDelivery
from core.outbox.services import delivery_send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(2))
def test_approving_a_cancellation_while_the_parcel_ships(pending_action, operator, round_):
    assert connection.vendor == "postgresql"
    conversation = ConversationFactory(customer_name="Ann")
    order = OrderFactory(conversation=conversation, total="49.98")
    action = pending_action(conversation=conversation, type="order_cancellation", payload={"orderNumber": order.number})
    order = order_fulfilment_transition(order=order, to_status="packed")
    calls = [
        lambda: action_feedback_apply(action=action, decision="approved", operator=operator),
        lambda: order_fulfilment_transition(order=order, to_status="shipped", carrier="UPS", tracking_number="1Z9"),
    ]
    results, codes = race(calls if round_ == 0 else calls[::-1])
    for delivery in OutboundDelivery.objects.filter(status="pending"):  # what the approval sends, sent now
        delivery_send(delivery_id=delivery.pk)

    assert set(codes) <= {"fulfilment_transition_invalid"} and len(results) + len(codes) == 2, codes
    row = Order.objects.get(pk=order.pk)
    if row.fulfilment_status == "shipped":
        assert (row.status, row.refunded_total, row.refunds.count()) == ("paid", Decimal("0"), 0)
    else:
        assert row.fulfilment_status == "cancelled"
        assert (row.status, row.refunded_total, row.refunds.count()) == ("refunded", Decimal("49.98"), 1)
