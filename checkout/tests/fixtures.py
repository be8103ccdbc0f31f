"""Checkout fixtures shared by every app's tests (a pytest plugin: the root conftest lists it in
`pytest_plugins`): the Stripe stub, and a customer's buttons asked for over the chat API. Orders
come from checkout/tests/factories.py."""

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


COMPATIBLE = "Is PS11750057 compatible with my WDT780SAEM1?"
BUY_TWO = "I want to buy 2 of them: PS11750057"


def chat_buttons(api, content: str = COMPATIBLE, **start) -> tuple[dict, list[dict]]:
    """A conversation started over the chat API (`start`: its body), asked `content`: (the
    conversation as started, the reply's actions). `api` then speaks as its customer."""
    conversation = api.post("/api/chat/conversations", start, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {conversation['token']}")
    reply = api.post(
        f"/api/chat/conversations/{conversation['id']}/messages", {"content": content}, format="json"
    ).json()["reply"]
    return conversation, reply["actions"]
