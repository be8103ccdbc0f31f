"""Completing with a Stripe shared payment token: the real SDK against the local Stripe stub."""

import pytest

from agentic.tests.acp import create_body, payment
from checkout.models import CheckoutSession, Order

pytestmark = pytest.mark.django_db(transaction=True)


def _intents(stub):
    return [r for r in stub.requests if r["path"] == "/v1/payment_intents"]


def test_a_payment_intent_is_confirmed_with_the_shared_payment_token(acp, stripe_stub):
    body = acp.create(create_body(("PS11750057", 2))).data
    assert body["capabilities"]["payment"]["handlers"][0]["psp"] == "stripe"
    paid = acp.complete(body["id"], payment("spt_live_1"))
    assert paid.status_code == 200
    [request] = _intents(stripe_stub)
    form = request["form"]
    assert form["payment_method_data[shared_payment_granted_token]"] == ["spt_live_1"]
    assert form["confirm"] == ["true"]
    assert (form["amount"], form["currency"]) == (["5797"], ["usd"])
    session = CheckoutSession.objects.get()
    assert request["headers"]["Idempotency-Key"] == f"{session.idempotency_key}:charge"
    assert form["metadata[checkout_session_id]"] == [session.id]
    order = Order.objects.get()
    assert (order.provider, order.provider_payment_ref) == ("stripe", "pi_stub1")


def test_a_declined_spt_is_402_and_nothing_is_ordered(acp, stripe_stub):
    session_id = acp.create(create_body()).data["id"]
    declined = acp.complete(session_id, payment("spt_decline_1"))
    assert declined.status_code == 402 and declined.data["code"] == "payment_declined"
    assert not Order.objects.exists()
    assert acp.complete(session_id, payment("spt_ok")).status_code == 200


def test_3ds_with_stripe_sends_the_agents_cryptogram(acp, stripe_stub):
    session_id = acp.create(create_body()).data["id"]
    asked = acp.complete(session_id, payment("spt_3ds_1"))
    assert asked.data["code"] == "requires_3ds"
    result = {
        "outcome": "authenticated",
        "outcome_details": {
            "three_ds_cryptogram": "AbCdEfGhIjKlMnOpQrStUvWxY0=",
            "electronic_commerce_indicator": "05",
            "transaction_id": "ds_1",
            "version": "2.2.0",
        },
    }
    paid = acp.complete(session_id, payment("spt_3ds_1", authentication_result=result))
    assert paid.status_code == 200
    form = _intents(stripe_stub)[-1]["form"]
    assert form["payment_method_options[card][three_d_secure][cryptogram]"] == ["AbCdEfGhIjKlMnOpQrStUvWxY0="]
    assert form["payment_method_options[card][three_d_secure][version]"] == ["2.2.0"]


def test_a_yen_order_is_charged_its_quoted_total_not_a_hundred_times_it(acp, stripe_stub, settings):
    """JPY has no minor unit: ¥1,500 is 1500 for the ACP and for Stripe alike (core.money)."""
    from decimal import Decimal

    from catalog.models import Product
    from checkout.models import Refund
    from checkout.services.refunds import order_refund

    Product.objects.create(
        ps_number="PS70000001",
        name="Ice Maker Assembly",
        brand="Whirlpool",
        appliance_type="refrigerator",
        price=Decimal("1500"),
        currency="JPY",
        stock_quantity=5,
    )
    settings.ACP_SHIPPING_OPTIONS = [
        {
            "id": "standard",
            "title": "Standard",
            "min_business_days": 3,
            "max_business_days": 5,
            "prices": {"JPY": "800"},
        }
    ]
    body = acp.create({**create_body(("PS70000001", 2)), "currency": "jpy"}).data
    quoted = next(t["amount"] for t in body["totals"] if t["type"] == "total")
    assert quoted == 3800  # 2 × ¥1,500 + ¥800 shipping

    assert acp.complete(body["id"], payment("spt_yen_1")).status_code == 200
    [request] = _intents(stripe_stub)
    assert (request["form"]["amount"], request["form"]["currency"]) == ([str(quoted)], ["jpy"])
    order = Order.objects.get()
    assert (order.total, order.currency) == (Decimal("3800"), "JPY")

    order_refund(order=order, amount=Decimal("1500"), reason="one broken")
    refund_request = [r for r in stripe_stub.requests if r["path"] == "/v1/refunds"][-1]
    assert refund_request["form"]["amount"] == ["1500"]
    assert Refund.objects.get().amount == Decimal("1500")
