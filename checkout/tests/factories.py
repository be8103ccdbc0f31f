"""Checkout factories; other apps' tests import these.

`OrderFactory()` is a paid order as the webhook leaves it (test provider, payment reference,
totals, one line of PS11750057 × 2). With `conversation=` it is a conversational order of that
conversation's customer. `OrderFactory(line=None)` has no line.
"""

from decimal import Decimal

import factory

from checkout.enums import OrderSource, OrderStatus
from checkout.models import Order, OrderLine
from checkout.services.orders import order_number_new


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    number = factory.LazyFunction(order_number_new)
    conversation = None
    customer = factory.LazyAttribute(lambda o: o.conversation.customer if o.conversation else None)
    order_source = factory.LazyAttribute(
        lambda o: OrderSource.CONVERSATIONAL if o.conversation else OrderSource.TRADITIONAL
    )
    status = OrderStatus.PAID
    currency = "USD"
    total = Decimal("49.98")
    subtotal = factory.SelfAttribute("total")
    provider = "test"
    provider_payment_ref = "pi_test_1"
    line = factory.RelatedFactory("checkout.tests.factories.OrderLineFactory", factory_related_name="order")

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        for money in ("total", "subtotal"):  # tests may say total="19.99"
            kwargs[money] = Decimal(str(kwargs[money]))
        return kwargs


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory, line=None)
    sku = "PS11750057"
    name = "Rack Adjuster"
    quantity = 2
    line_total = factory.SelfAttribute("order.total")
    unit_price = factory.LazyAttribute(lambda o: o.line_total / o.quantity)
