"""Checkout fixtures shared by every app's tests (a pytest plugin: the root conftest lists it in
`pytest_plugins`): the Stripe stub. Orders come from checkout/tests/factories.py."""

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
