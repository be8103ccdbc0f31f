"""No row lock across a provider call: lock, write the pending row, commit, call, record.

The Stripe stub holds its answer while the test, on another connection, locks the rows the
checkout used (the action and the conversation) and writes to them; then the stub answers.
"""

import json
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from actions.models import Action
from checkout import gateway
from checkout.models import CheckoutSession
from checkout.services.price_book import price_book_import
from checkout.services.sessions import (
    _checkout_request,
    _reserve_for_action,
    checkout_session_create_for_action,
    checkout_session_create_for_plan,
)
from checkout.tests.fixtures import BUY_TWO, chat_buttons
from conversations.models import Conversation
from core.testing.locks import lock_and_write

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = {"product_type": "email", "email_plan": "standard", "calculated_monthly_price": "99.00"}


@pytest.fixture
def checkout_action(api, shop):
    _conv, actions = chat_buttons(api, BUY_TWO, email="ann@example.com")
    return Action.objects.get(pk=actions[0]["id"])


def lock_and_write_meanwhile(*, action_id: str | None, conversation_id: str) -> list[str]:
    """From this (the test's) connection, while the checkout waits for the provider."""
    done = []
    if action_id:
        lock_and_write(Action, action_id, error="")
        done.append("action")
    lock_and_write(Conversation, conversation_id, context={"touched": True})
    done.append("conversation")
    return done


def run_while_the_provider_holds(stripe_stub, call):
    stripe_stub.hold = threading.Event()
    result: dict = {}

    def checkout():
        try:
            result["session"] = call()
        except Exception as exc:  # surfaced by the assertions below
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=checkout)
    thread.start()
    try:
        assert stripe_stub.arrived.wait(20), result.get("error")
        yield
    finally:
        stripe_stub.hold.set()
        thread.join(30)
    assert "error" not in result, result.get("error")
    result["session"].refresh_from_db()
    assert result["session"].url.startswith("https://checkout.stripe.test/")


def test_a_slow_provider_does_not_hold_the_action_or_the_conversation(stripe_stub, checkout_action):
    action = checkout_action
    for _ in run_while_the_provider_holds(stripe_stub, lambda: checkout_session_create_for_action(action=action)):
        assert lock_and_write_meanwhile(action_id=action.pk, conversation_id=action.conversation_id) == [
            "action",
            "conversation",
        ]
        # The pending session is already committed, without its page yet.
        pending = CheckoutSession.objects.get()
        assert (pending.url, pending.provider_session_id) == ("", "")
    assert CheckoutSession.objects.get().provider_session_id.startswith("cs_test_stub")


def test_a_slow_provider_does_not_hold_the_conversation_of_a_plan_checkout(stripe_stub, checkout_action):
    price_book_import(data=json.loads((Path(settings.BASE_DIR) / "demo_data" / "price_book.json").read_text()))
    conversation = checkout_action.conversation
    for _ in run_while_the_provider_holds(
        stripe_stub, lambda: checkout_session_create_for_plan(plan=PLAN, conversation=conversation)
    ):
        assert lock_and_write_meanwhile(action_id=None, conversation_id=conversation.pk) == ["conversation"]
    assert CheckoutSession.objects.get().mode == "subscription"


def test_a_crash_between_the_provider_call_and_the_record_is_completed_with_the_same_key(stripe_stub, checkout_action):
    action = checkout_action
    # A first request reserved and committed the session and the provider made its page; then
    # the process died before recording it.
    session, created, _ = _reserve_for_action(action=action, discount_code="")
    assert created and session.url == ""
    lost = gateway.checkout_create(_checkout_request(session, customer_email="ann@example.com"))
    assert lost.is_success

    # The customer presses the button again: the same session, completed with the same key,
    # answered by the provider with the page it already made.
    again = checkout_session_create_for_action(action=Action.objects.get(pk=action.pk))

    assert again.pk == session.pk and CheckoutSession.objects.count() == 1
    assert (again.provider_session_id, again.url) == (lost.provider_ref, lost.url)
    keys = [r["headers"]["Idempotency-Key"] for r in stripe_stub.requests if r["path"] == "/v1/checkout/sessions"]
    assert keys == [session.idempotency_key, session.idempotency_key]
    assert len(stripe_stub.sessions) == 1  # one page at the provider, not two


def test_a_refused_page_leaves_no_pending_session(stripe_stub, checkout_action):
    stripe_stub.fail_with = (400, {"error": {"type": "invalid_request_error", "message": "Bad currency"}})
    from checkout.exceptions import PaymentError

    with pytest.raises(PaymentError):
        checkout_session_create_for_action(action=checkout_action)
    assert not CheckoutSession.objects.exists()
    assert Action.objects.get(pk=checkout_action.pk).status == "failed"
