"""The spec's worked examples (examples.agentic_checkout.json) replayed as requests, verbatim.

The examples sell `item_123` with shipping options `fulfillment_option_123` / `_456` and
pay with Stripe shared payment tokens (`spt_…`): the catalogue gets a part `item_123`, the
shop's shipping options are configured with those ids, and the real Stripe SDK talks to the
local Stripe stub. Every answer is validated against the spec by the client.
"""

import copy
from decimal import Decimal

import pytest
from django.test import override_settings

from agentic.models import AcpCheckoutSession
from agentic.tests.spec import examples
from catalog.models import Product
from checkout.models import Order

pytestmark = pytest.mark.django_db(transaction=True)

SHIPPING = [
    {"id": "fulfillment_option_123", "title": "Standard", "carrier": "USPS", "prices": {"USD": "1.00"}},
    {"id": "fulfillment_option_456", "title": "Express", "carrier": "USPS", "prices": {"USD": "5.00"}},
]


@pytest.fixture
def example_shop(acp, stripe_stub):
    # Nested inside the stub's own override_settings, so both unwind in order.
    with override_settings(ACP_SHIPPING_OPTIONS=SHIPPING):
        Product.objects.create(
            ps_number="item_123", name="Dishwasher Rack", brand="Parley", appliance_type="dishwasher",
            price=Decimal("3.00"), stock_quantity=5,
        )  # fmt: skip
        yield acp


def _create(acp, name="create_checkout_session_request"):
    response = acp.create(copy.deepcopy(examples()[name]))
    assert response.status_code == 201, response.data
    return response


@pytest.mark.parametrize(
    "name", ["create_checkout_session_request", "create_checkout_session_request_with_first_touch_attribution"]
)
def test_create_examples(example_shop, name):
    body = _create(example_shop, name).data
    assert body["line_items"][0]["item"]["id"] == "item_123"
    assert body["line_items"][0]["unit_amount"] == 300
    assert {o["id"] for o in body["fulfillment_options"]} == {"fulfillment_option_123", "fulfillment_option_456"}
    stored = AcpCheckoutSession.objects.get()
    if name.endswith("attribution"):
        assert stored.affiliate_attribution["touchpoint"] == "first"
        assert body["status"] == "not_ready_for_payment"  # that example has no address
    else:
        assert body["status"] == "ready_for_payment"
        assert body["fulfillment_details"]["address"]["postal_code"] == "94131"


def test_update_complete_get_examples_in_sequence(example_shop):
    acp = example_shop
    session_id = _create(acp).data["id"]
    updated = acp.update(session_id, copy.deepcopy(examples()["update_checkout_session_request"]))
    assert updated.status_code == 200
    assert updated.data["selected_fulfillment_options"][0]["option_id"] == "fulfillment_option_456"
    assert {t["type"]: t["amount"] for t in updated.data["totals"]}["total"] == 300 + 500

    completed = acp.complete(session_id, copy.deepcopy(examples()["complete_checkout_session_request"]))
    assert completed.status_code == 200
    assert completed.data["status"] == "completed"
    assert completed.data["buyer"]["email"] == "johnsmith@mail.com"
    order = Order.objects.get()
    assert order.total == Decimal("8.00") and order.channel == "acp:chatgpt"
    assert order.provider == "stripe" and order.provider_payment_ref.startswith("pi_stub")

    fetched = acp.get(session_id)
    assert fetched.data["order"]["id"] == order.number


@pytest.mark.parametrize(
    "name",
    [
        "complete_checkout_session_request_with_last_touch_attribution",
        "complete_session_with_authentication_result_request",
    ],
)
def test_complete_examples_pay(example_shop, name):
    session_id = _create(example_shop).data["id"]
    completed = example_shop.complete(session_id, copy.deepcopy(examples()[name]))
    assert completed.status_code == 200
    assert Order.objects.count() == 1


def test_seller_backed_handler_example_is_refused_as_an_unknown_handler(example_shop):
    session_id = _create(example_shop).data["id"]
    refused = example_shop.complete(
        session_id, copy.deepcopy(examples()["complete_checkout_session_request_seller_backed"])
    )
    assert refused.status_code == 400 and refused.data["param"] == "$.payment_data.handler_id"


def test_denied_authentication_example_declines(example_shop):
    session_id = _create(example_shop).data["id"]
    response = example_shop.complete(
        session_id, copy.deepcopy(examples()["complete_session_with_denied_authentication_request"])
    )
    assert response.status_code in (400, 402)
    assert response.data["code"] in ("requires_3ds", "payment_declined")
    assert not Order.objects.exists()


@pytest.mark.parametrize("name", ["cancel_checkout_session_request", "cancel_checkout_session_request_timing_deferred"])
def test_cancel_examples(example_shop, name):
    session_id = _create(example_shop).data["id"]
    canceled = example_shop.cancel(session_id, copy.deepcopy(examples()[name]))
    assert canceled.status_code == 200 and canceled.data["status"] == "canceled"
    assert (
        AcpCheckoutSession.objects.get().intent_trace["reason_code"] == examples()[name]["intent_trace"]["reason_code"]
    )


def test_idempotency_error_examples_are_what_we_send(example_shop):
    missing = example_shop.create(copy.deepcopy(examples()["create_checkout_session_request"]), idempotency_key=False)
    assert set(missing.data) == set(examples()["error_400_idempotency_key_required"])
    assert missing.data["code"] == examples()["error_400_idempotency_key_required"]["code"]
    example_shop.create({**examples()["create_checkout_session_request"]}, idempotency_key="k")
    conflict = example_shop.create(
        {**examples()["create_checkout_session_request"], "currency": "USD"}, idempotency_key="k"
    )
    assert conflict.data == examples()["error_422_idempotency_conflict"]


def test_our_sessions_have_the_example_sessions_shape(example_shop):
    ours = _create(example_shop).data
    theirs = examples()["create_checkout_session_response"]
    required = {"id", "status", "currency", "line_items", "totals", "fulfillment_options", "messages", "links"}
    assert required <= set(ours) and required <= set(theirs)
    assert set(ours["line_items"][0]["totals"][0]) == set(theirs["line_items"][0]["totals"][0])
    assert [t["type"] for t in ours["line_items"][0]["totals"]] == [
        t["type"] for t in theirs["line_items"][0]["totals"]
    ]
