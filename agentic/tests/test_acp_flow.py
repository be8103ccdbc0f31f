"""The ACP state machine through the API, every answer checked against the spec (see conftest)."""

from decimal import Decimal

import pytest
from django.test import override_settings

from agentic.models import AcpCheckoutSession
from agentic.tests.acp import ADDRESS, create_body, payment, total
from catalog.models import Product
from checkout.models import CheckoutSession, DiscountCode, Order

pytestmark = pytest.mark.django_db


def test_create_update_complete_makes_one_paid_order_from_catalogue_prices(acp):
    created = acp.create(create_body(("PS11750057", 2), address=False))
    assert created.status_code == 201
    body = created.data
    assert body["status"] == "not_ready_for_payment"
    assert [m["code"] for m in body["messages"]] == ["missing"]
    assert body["messages"][0]["param"] == "$.fulfillment_details.address"
    [line] = body["line_items"]
    assert (line["item"]["id"], line["quantity"], line["unit_amount"]) == ("PS11750057", 2, 2499)
    assert {o["id"] for o in body["fulfillment_options"]} == {"standard", "express"}
    assert body["selected_fulfillment_options"][0]["option_id"] == "standard"
    assert total(body, "items_base_amount") == 4998
    assert total(body, "fulfillment") == 799
    assert total(body) == 4998 + 799
    assert body["currency"] == "usd"
    assert body["capabilities"]["interventions"]["supported"] == ["3ds"]
    assert [e["name"] for e in body["capabilities"]["extensions"]] == ["discount"]  # discounts work
    session_id = body["id"]

    updated = acp.update(
        session_id,
        {
            "fulfillment_details": {"name": "Ann Example", "email": "ann@example.com", "address": ADDRESS},
            "selected_fulfillment_options": [{"type": "shipping", "option_id": "express", "item_ids": ["li_1"]}],
        },
    )
    assert updated.status_code == 200
    assert updated.data["status"] == "ready_for_payment"
    assert updated.data["messages"] == []
    assert total(updated.data, "fulfillment") == 1999
    assert total(updated.data) == 4998 + 1999

    done = acp.complete(session_id, payment(buyer={"email": "ann@example.com", "first_name": "Ann"}))
    assert done.status_code == 200
    assert done.data["status"] == "completed"
    order = Order.objects.get()
    assert done.data["order"]["id"] == order.number
    assert done.data["order"]["checkout_session_id"] == session_id
    assert done.data["order"]["permalink_url"].startswith("http")
    assert (order.order_source, order.channel) == ("agentic", "acp:chatgpt")
    assert (order.subtotal, order.shipping_total, order.total) == (Decimal("49.98"), Decimal("19.99"), Decimal("69.97"))
    assert order.shipping_option == "express"
    assert order.shipping_address["postal_code"] == "94131"
    assert order.customer.email == "ann@example.com"
    assert order.provider == "test" and order.provider_payment_ref.startswith("pi_test_")
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("PS11750057", 2)]
    assert Product.objects.get(ps_number="PS11750057").stock_quantity == 10
    stored = AcpCheckoutSession.objects.get()
    assert (stored.status, stored.order_id) == ("completed", order.pk)
    assert stored.checkout_session.status == "complete"

    again = acp.get(session_id)
    assert again.status_code == 200
    assert again.data["status"] == "completed" and again.data["order"]["id"] == order.number

    page = acp.client.get(done.data["order"]["permalink_url"].split("8000", 1)[1])
    assert page.status_code == 200 and order.number in page.content.decode()


def test_a_second_complete_and_a_cancel_after_completion_are_refused_with_405(acp):
    session_id = acp.create(create_body()).data["id"]
    assert acp.complete(session_id, payment()).status_code == 200
    second = acp.complete(session_id, payment())
    assert second.status_code == 405
    assert second.data["code"] == "checkout_session_completed"
    assert acp.cancel(session_id).status_code == 405
    assert acp.update(session_id, {"line_items": [{"id": "PS11750058"}]}).status_code == 405
    assert Order.objects.count() == 1


def test_cancel_keeps_the_cart_says_so_and_ends_the_session(acp):
    session_id = acp.create(create_body(("PS11750058", 3))).data["id"]
    canceled = acp.cancel(session_id, {"intent_trace": {"reason_code": "shipping_cost", "trace_summary": "too much"}})
    assert canceled.status_code == 200
    assert canceled.data["status"] == "canceled"
    assert canceled.data["messages"][0]["content"] == "Checkout session has been canceled."
    assert total(canceled.data, "items_base_amount") == 2850
    stored = AcpCheckoutSession.objects.get()
    assert stored.intent_trace["reason_code"] == "shipping_cost" and stored.canceled_at
    assert acp.cancel(session_id).status_code == 405
    assert acp.complete(session_id, payment()).data["code"] == "checkout_session_canceled"
    assert not Order.objects.exists()
    assert acp.get(session_id).data["status"] == "canceled"


def test_out_of_stock_and_over_stock_lines_are_messages_and_block_payment(acp):
    body = acp.create(create_body(("PS12584610", 1), ("PS11752778", 6))).data
    assert body["status"] == "not_ready_for_payment"
    codes = {m["code"]: m for m in body["messages"]}
    assert codes["out_of_stock"]["param"] == "$.line_items[0]"
    assert codes["low_stock"]["param"] == "$.line_items[1]"
    assert body["line_items"][0]["availability_status"] == "backorder"
    refused = acp.complete(body["id"], payment())
    assert refused.status_code == 400
    assert refused.data["code"] in ("out_of_stock", "low_stock")
    assert not Order.objects.exists() and not CheckoutSession.objects.exists()

    fixed = acp.update(body["id"], {"line_items": [{"id": "PS11752778", "quantity": 5}]})
    assert fixed.data["status"] == "ready_for_payment"
    assert acp.complete(body["id"], payment()).status_code == 200


def test_quantity_over_the_shop_limit_is_a_message(acp):
    body = acp.create(create_body(("PS11750058", 11))).data
    assert [m["code"] for m in body["messages"]] == ["quantity_exceeded"]
    assert body["line_items"][0]["max_quantity_per_order"] == 10


def test_unknown_or_unsold_parts_are_refused_and_nothing_is_written(acp):
    unknown = acp.create(create_body(("PS00000000", 1)))
    assert unknown.status_code == 400
    assert unknown.data == {
        "type": "invalid_request",
        "code": "invalid_item_id",
        "message": "No part PS00000000 in the catalogue.",
        "param": "$.line_items[0].id",
    }
    washer = acp.create(create_body(("PS99000001", 1)))  # the shop sells refrigerator and dishwasher parts only
    assert washer.status_code == 400 and washer.data["code"] == "invalid_item_id"
    euros = acp.create({**create_body(), "currency": "eur"})
    assert euros.status_code == 400 and euros.data["param"] == "$.currency"
    assert not AcpCheckoutSession.objects.exists()


@pytest.mark.parametrize(
    "body, param",
    [
        ({"currency": "usd"}, "$.line_items"),
        ({"currency": "usd", "line_items": []}, "$.line_items"),
        ({"currency": "usd", "line_items": [{"id": "PS11750057", "quantity": 0}]}, "$.line_items[0].quantity"),
        ({"currency": "usd", "line_items": [{"quantity": 1}]}, "$.line_items[0].id"),
        ({"line_items": [{"id": "PS11750057"}]}, "$.currency"),
        ({**create_body(), "buyer": {"first_name": "Ann"}}, "$.buyer.email"),
        (
            {**create_body(), "fulfillment_details": {"address": {"line_one": "x"}}},
            "$.fulfillment_details.address.name",
        ),
        ({**create_body(), "fulfillment_details": {"email": "not-an-email"}}, "$.fulfillment_details.email"),
    ],
)
def test_invalid_requests_name_the_field_with_a_jsonpath(acp, body, param):
    response = acp.create(body)
    assert response.status_code == 400
    assert response.data["type"] == "invalid_request"
    assert response.data["param"] == param
    assert not AcpCheckoutSession.objects.exists()


def test_unknown_shipping_option_is_refused_and_the_session_unchanged(acp):
    session_id = acp.create(create_body()).data["id"]
    refused = acp.update(session_id, {"selected_fulfillment_options": [{"type": "shipping", "option_id": "drone"}]})
    assert refused.status_code == 400
    assert refused.data["param"] == "$.selected_fulfillment_options[0].option_id"
    assert AcpCheckoutSession.objects.get().selected_fulfillment_options == []


@pytest.mark.parametrize("kind", ["pickup", "local_delivery", "digital"])
def test_fulfilment_other_than_shipping_is_an_unsupported_message_and_blocks_payment(acp, kind):
    session_id = acp.create(create_body()).data["id"]
    asked = acp.update(session_id, {"selected_fulfillment_options": [{"type": kind, "option_id": "store_1"}]})
    assert asked.status_code == 200
    body = asked.data
    assert body["status"] == "not_ready_for_payment"
    [message] = [m for m in body["messages"] if m["code"] == "unsupported"]
    assert message["param"] == "$.selected_fulfillment_options[0].type"
    assert message["resolution"] == "requires_buyer_input" and "shipped" in message["content"]
    refused = acp.complete(session_id, payment())
    assert (refused.status_code, refused.data["code"]) == (400, "unsupported")
    assert not Order.objects.exists()
    shipping = acp.update(
        session_id, {"selected_fulfillment_options": [{"type": "shipping", "option_id": "standard", "item_ids": []}]}
    )
    assert shipping.data["status"] == "ready_for_payment"
    unknown_kind = acp.update(session_id, {"selected_fulfillment_options": [{"type": "teleport", "option_id": "x"}]})
    assert (unknown_kind.status_code, unknown_kind.data["param"]) == (400, "$.selected_fulfillment_options[0].type")


def test_null_clears_the_address_and_absent_leaves_it(acp):
    session_id = acp.create(create_body()).data["id"]
    kept = acp.update(session_id, {"buyer": {"email": "ann@example.com"}})
    assert kept.data["status"] == "ready_for_payment" and kept.data["fulfillment_details"]["address"]
    cleared = acp.update(session_id, {"fulfillment_details": None})
    assert cleared.data["status"] == "not_ready_for_payment"
    assert "fulfillment_details" not in cleared.data


def test_standard_shipping_is_free_over_the_shop_threshold(acp):
    body = acp.create(create_body(("PS11739035", 1))).data  # 119.00 > 75.00
    standard = next(o for o in body["fulfillment_options"] if o["id"] == "standard")
    assert standard["totals"][0]["amount"] == 0
    assert total(body, "fulfillment") == 0 and total(body) == 11900


@override_settings(ACP_SHIPPING_COUNTRIES=["US"])
def test_addresses_outside_the_shipping_countries_are_a_message(acp):
    body = acp.create({**create_body(), "fulfillment_details": {"address": {**ADDRESS, "country": "FR"}}}).data
    assert [m["code"] for m in body["messages"]] == ["region_restricted"]
    assert body["status"] == "not_ready_for_payment"


def test_discount_codes_go_through_checkouts_rules(acp):
    DiscountCode.objects.create(code="SAVE10", kind="percent", value=Decimal("10"))
    DiscountCode.objects.create(code="OLD", kind="percent", value=Decimal("50"), is_active=False)
    body = acp.create(create_body(("PS11750057", 2), discounts={"codes": ["save10", "OLD"]})).data
    assert body["status"] == "ready_for_payment"
    [applied] = body["discounts"]["applied"]
    assert (applied["code"], applied["amount"], applied["coupon"]["percent_off"]) == ("SAVE10", 500, 10.0)
    assert body["discounts"]["rejected"] == [
        {"code": "OLD", "reason": "discount_code_invalid", "message": "OLD is not a valid discount code."}
    ]
    assert [m["code"] for m in body["messages"]] == ["discount_code_invalid"]
    assert total(body, "discount") == 500
    assert body["line_items"][0]["totals"][1] == {"type": "discount", "display_text": "Discount", "amount": 500}
    assert total(body) == 4998 - 500 + 799
    assert acp.complete(body["id"], payment()).status_code == 200
    order = Order.objects.get()
    assert (order.discount_total, order.discount_code.code, order.total) == (
        Decimal("5.00"),
        "SAVE10",
        Decimal("52.97"),
    )
    assert DiscountCode.objects.get(code="SAVE10").times_used == 1


def test_a_code_used_up_before_payment_is_refused_at_complete(acp):
    code = DiscountCode.objects.create(code="ONCE", kind="fixed", value=Decimal("5"), currency="USD", max_uses=1)
    body = acp.create(create_body(discounts={"codes": ["ONCE"]})).data
    assert body["discounts"]["applied"]
    code.times_used = 1
    code.save()
    refused = acp.complete(body["id"], payment())
    assert refused.status_code == 400 and refused.data["code"] == "price_changed"
    shown = acp.get(body["id"]).data
    assert shown["discounts"]["rejected"][0]["reason"] == "discount_code_usage_limit_reached"
    assert acp.complete(body["id"], payment()).status_code == 200
    assert Order.objects.get().discount_total == 0


def test_a_price_change_since_the_last_answer_is_refused_once_then_charged_at_the_new_price(acp):
    session_id = acp.create(create_body()).data["id"]
    Product.objects.filter(ps_number="PS11750057").update(price=Decimal("30.00"))
    refused = acp.complete(session_id, payment())
    assert refused.status_code == 400 and refused.data["code"] == "price_changed"
    assert not CheckoutSession.objects.exists()
    assert acp.complete(session_id, payment()).status_code == 200
    assert Order.objects.get().subtotal == Decimal("30.00")


def test_a_declined_token_is_402_with_a_message_and_another_token_pays(acp):
    session_id = acp.create(create_body()).data["id"]
    declined = acp.complete(session_id, payment("tok_test_decline"))
    assert declined.status_code == 402
    assert declined.data["code"] == "payment_declined"
    shown = acp.get(session_id).data
    assert shown["status"] == "ready_for_payment"
    assert [m["code"] for m in shown["messages"]] == ["payment_declined"]
    assert CheckoutSession.objects.get().status == "failed"
    assert acp.complete(session_id, payment("not-a-test-token")).status_code == 402
    paid = acp.complete(session_id, payment("tok_test_visa"))
    assert paid.status_code == 200
    assert paid.data["messages"] == []
    assert Order.objects.count() == 1
    assert CheckoutSession.objects.filter(status="complete").count() == 1


def test_3ds_asks_for_authentication_then_pays_with_the_result(acp):
    session_id = acp.create(create_body()).data["id"]
    asked = acp.complete(session_id, payment("tok_test_3ds"))
    assert asked.status_code == 400
    assert (asked.data["code"], asked.data["param"]) == ("requires_3ds", "$.authentication_result")
    shown = acp.get(session_id).data
    assert shown["status"] == "authentication_required"
    assert shown["authentication_metadata"]["acquirer_details"]["acquirer_country"] == "US"
    again = acp.complete(session_id, payment("tok_test_3ds"))
    assert again.status_code == 400 and again.data["code"] == "requires_3ds"
    denied = acp.complete(session_id, payment("tok_test_3ds", authentication_result={"outcome": "denied"}))
    assert denied.status_code == 402
    assert acp.get(session_id).data["status"] == "ready_for_payment"
    result = {
        "outcome": "authenticated",
        "outcome_details": {
            "three_ds_cryptogram": "AbCdEfGhIjKlMnOpQrStUvWxY0=",
            "electronic_commerce_indicator": "05",
            "transaction_id": "ds_1",
            "version": "2.2.0",
        },
    }
    paid = acp.complete(session_id, payment("tok_test_3ds", authentication_result=result))
    assert paid.status_code == 200 and paid.data["status"] == "completed"
    assert Order.objects.count() == 1


def test_unknown_payment_handler_is_refused(acp):
    session_id = acp.create(create_body()).data["id"]
    body = payment()
    body["payment_data"]["handler_id"] = "seller_pm_123"
    refused = acp.complete(session_id, body)
    assert refused.status_code == 400 and refused.data["param"] == "$.payment_data.handler_id"
    purchase_order = acp.complete(session_id, {"payment_data": {"purchase_order_number": "PO-1"}})
    assert purchase_order.status_code == 400 and purchase_order.data["code"] == "unsupported"


def test_a_platform_cannot_see_another_platforms_sessions(acp, client):
    from agentic.models import AgentPlatform
    from agentic.services.auth import api_key_issue
    from agentic.tests.acp import AcpClient

    session_id = acp.create(create_body()).data["id"]
    other = AgentPlatform.objects.create(name="Other agent")
    _, key = api_key_issue(platform=other)
    stranger = AcpClient(client, key)
    assert stranger.get(session_id).status_code == 404
    assert stranger.complete(session_id, payment()).status_code == 404
    assert stranger.get("acs_nope").data["code"] == "not_found"


def test_a_part_withdrawn_under_an_open_session_shows_not_ready(acp):
    session_id = acp.create(create_body()).data["id"]
    Product.objects.filter(ps_number="PS11750057").update(is_active=False)
    shown = acp.get(session_id).data
    assert shown["status"] == "not_ready_for_payment"
    assert shown["messages"][-1]["code"] == "invalid"
    assert acp.complete(session_id, payment()).status_code == 400


TAX_TABLE = {"US-CA": "7.25", "US": "5", "GB": "20"}


@override_settings(PARLEY_TAX_RATES=TAX_TABLE, PARLEY_TAX_SHIPPING=False)
def test_tax_follows_the_destination_in_the_tax_table_and_is_charged(acp):
    DiscountCode.objects.create(code="SAVE10", kind="percent", value=Decimal("10"))
    body = acp.create(create_body(("PS11750057", 2))).data  # 2 x 24.99 to San Francisco, CA
    assert total(body, "subtotal") == 4998 and total(body, "fulfillment") == 799
    assert total(body, "tax") == 362  # 7.25% of 49.98 = 3.6236 (rounded half up to the cent)
    assert next(t for t in body["totals"] if t["type"] == "tax")["display_text"] == "Tax (US-CA 7.25%)"
    assert body["line_items"][0]["totals"][3:] == [
        {"type": "tax", "display_text": "Tax", "amount": 362},
        {"type": "total", "display_text": "Total", "amount": 4998 + 362},
    ]
    assert total(body) == 4998 + 799 + 362

    # Another state: the country's rate; the discount comes off before tax.
    moved = acp.update(
        body["id"],
        {
            "fulfillment_details": {"name": "Ann Example", "address": {**ADDRESS, "state": "NY", "city": "New York"}},
            "discounts": {"codes": ["SAVE10"]},
        },
    ).data
    assert total(moved, "tax") == 225  # 5% of 49.98 - 5.00 = 44.98 → 2.249
    assert total(moved) == 4498 + 799 + 225

    paid = acp.complete(body["id"], payment())
    assert paid.status_code == 200, paid.data
    order = Order.objects.get()
    assert (order.tax_total, order.total) == (Decimal("2.25"), Decimal("55.22"))
    assert CheckoutSession.objects.get().amount_total == Decimal("55.22")  # what the provider charged


@override_settings(PARLEY_TAX_RATES=TAX_TABLE, PARLEY_TAX_SHIPPING=True)
def test_shipping_is_taxed_when_the_shop_says_so_and_no_entry_means_no_tax(acp):
    body = acp.create(create_body(("PS11750057", 2))).data
    assert total(body, "tax") == 362 + 58  # 7.25% of 7.99 shipping = 0.579 → 0.58
    assert total(body) == 4998 + 799 + 420
    elsewhere = acp.create({**create_body(), "fulfillment_details": {"address": {**ADDRESS, "country": "CA"}}}).data
    assert total(elsewhere, "tax") == 0
    no_address = acp.create(create_body(address=False)).data
    assert total(no_address, "tax") == 0


def test_a_session_expires_and_is_then_refused_and_swept(acp):
    from datetime import timedelta

    from django.utils import timezone

    from agentic.services.sessions import acp_sessions_expire
    from agentic.tasks import acp_sessions_expire_task

    created = acp.create(create_body()).data
    session = AcpCheckoutSession.objects.get(id=created["id"])
    assert created["expires_at"] == session.expires_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert timedelta(minutes=59) < session.expires_at - session.created_at <= timedelta(minutes=61)
    later = acp.create(create_body()).data  # stays open
    paid = acp.create(create_body()).data
    assert acp.complete(paid["id"], payment()).status_code == 200

    AcpCheckoutSession.objects.filter(id__in=[created["id"], paid["id"]]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    shown = acp.get(created["id"]).data
    assert shown["status"] == "expired"
    assert shown["messages"][-1]["content"].startswith("This checkout session has expired")
    for refused in (
        acp.update(created["id"], {"buyer": {"email": "ann@example.com"}}),
        acp.complete(created["id"], payment()),
        acp.cancel(created["id"]),
    ):
        assert (refused.status_code, refused.data["code"]) == (405, "checkout_session_expired")
    assert Order.objects.count() == 1  # only the session paid in time

    AcpCheckoutSession.objects.filter(id=created["id"]).update(status="ready_for_payment")  # as before any write
    assert acp_sessions_expire() == 1
    assert acp_sessions_expire_task() == 0  # nothing left: the sweep is idempotent
    statuses = dict(AcpCheckoutSession.objects.values_list("id", "status"))
    assert statuses == {created["id"]: "expired", later["id"]: "ready_for_payment", paid["id"]: "completed"}
