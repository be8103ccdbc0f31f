"""Checkout fixtures shared by every app's tests (a pytest plugin: the root conftest lists it in
`pytest_plugins`): the Stripe stub and paid orders."""

from decimal import Decimal

import pytest
from django.test import override_settings

from checkout import gateway
from checkout.tests.stripe_stub import StripeStub


@pytest.fixture
def stripe_stub():
    """The real `stripe` SDK pointed at a local server that answers like Stripe."""
    with StripeStub() as stub, override_settings(STRIPE_SECRET_KEY="sk_test_parley", STRIPE_API_BASE=stub.url):
        gateway._provider.cache_clear()
        yield stub
    gateway._provider.cache_clear()


@pytest.fixture
def make_order(db):
    """A paid order as the webhook leaves it (provider, payment reference, totals, one line)."""
    from checkout.models import Order, OrderLine
    from checkout.services.orders import order_number_new

    def make(*, total="49.98", currency="USD", provider="test", payment_ref="pi_test_1", status="paid", **extra):
        total = Decimal(total)
        order = Order.objects.create(
            number=order_number_new(),
            currency=currency,
            subtotal=total,
            total=total,
            provider=provider,
            provider_payment_ref=payment_ref,
            status=status,
            **extra,
        )
        OrderLine.objects.create(
            order=order, sku="PS11750057", name="Rack Adjuster", quantity=2, unit_price=total / 2, line_total=total
        )
        return order

    return make
