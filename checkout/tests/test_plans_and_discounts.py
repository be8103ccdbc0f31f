import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from catalog.models import Product
from checkout.models import CheckoutSession, DiscountCode, Order, Subscription
from checkout.providers.offline_provider import event_sign, signed_event
from checkout.services.price_book import price_book_import
from checkout.services.webhooks import stripe_webhook_receive
from checkout.tests.factories import OrderFactory
from checkout.tests.fixtures import BUY_TWO, chat_buttons
from conversations.models import Message
from conversations.tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOOK = json.loads((Path(settings.BASE_DIR) / "demo_data" / "price_book.json").read_text())
BUNDLE = {"product_type": "bundle", "email_plan": "standard", "chat_plan": None, "chat_addon": True}


@pytest.fixture
def price_book(db):
    return price_book_import(data=BOOK)[0]


def deliver(payload_and_header):
    return stripe_webhook_receive(payload=payload_and_header[0], signature=payload_and_header[1])


# --- Quote API -----------------------------------------------------------------------------


def test_quote_api_prices_a_bundle_and_says_setup_steps_apply(api, price_book):
    response = api.post("/api/checkout/quote", {**BUNDLE, "calculated_monthly_price": 134}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["monthly_price"], body["currency"], body["chat_setup_steps"]) == ("134.00", "GBP", True)
    assert [line["monthlyPrice"] for line in body["lines"]] == ["99.00", "35.00"]
    assert body["chat_features"] == "standard"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({**BUNDLE, "chat_plan": "growth"}, "chat_plan_not_allowed", "chat_plan"),
        ({"product_type": "bundle", "chat_addon": True}, "email_plan_missing", "email_plan"),
        ({"product_type": "chat", "chat_plan": "pro", "chat_addon": True}, "chat_addon_not_allowed", "chat_addon"),
        ({"product_type": "chat", "chat_plan": "pro", "email_plan": "starter"}, "email_plan_not_allowed", "email_plan"),
        ({**BUNDLE, "calculated_monthly_price": 100}, "price_mismatch", "calculated_monthly_price"),
        ({"product_type": "email", "email_plan": "gold"}, "email_plan_unknown", "email_plan"),
        ({**BUNDLE, "chat_addon": "yes"}, "chat_addon_invalid", "chat_addon"),
    ],
)
def test_quote_api_refuses_each_wrong_combination_with_its_code(api, price_book, payload, code, field):
    response = api.post("/api/checkout/quote", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["fields"]


def test_quote_api_refuses_a_body_that_is_not_an_object(api, price_book):
    response = api.post("/api/checkout/quote", [1, 2], format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "plan_payload_invalid")


# --- Plan sessions ---------------------------------------------------------------------------


def plan_session(api, plan, **extra):
    return api.post("/api/checkout/session", {"plan": plan, **extra}, format="json")


def test_plan_session_needs_the_price_the_customer_saw(api, price_book):
    response = plan_session(api, BUNDLE)
    assert response.json()["error"]["code"] == "price_missing"
    assert not CheckoutSession.objects.exists()


def test_plan_on_the_test_provider_pays_into_an_order_and_an_active_subscription(api, price_book):
    conv = ConversationFactory()
    token = conv.token
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    plan = {**BUNDLE, "calculated_monthly_price": "134.00"}
    response = plan_session(api, plan, conversation_id=conv.id)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mode"], body["provider"], body["amount_total"], body["currency"]) == (
        "subscription",
        "test",
        "134.00",
        "GBP",
    )
    # Asking again in the same conversation returns the open session.
    assert plan_session(api, plan, conversation_id=conv.id).json()["session_id"] == body["session_id"]
    session = CheckoutSession.objects.get()
    deliver(
        signed_event(event_type="checkout.session.completed", session=session, payment_status="paid", status="complete")
    )
    order = Order.objects.get()
    assert (order.total, order.currency, order.order_source) == (Decimal("134.00"), "GBP", "conversational")
    assert [line.sku for line in order.lines.order_by("id")] == ["plan:email_plan:standard", "plan:chat_addon:standard"]
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.order_id, subscription.monthly_price) == (
        "active",
        order.pk,
        Decimal("134.00"),
    )
    assert subscription.plan["product_type"] == "bundle"
    assert subscription.provider_subscription_id.startswith("sub_test_")
    message = Message.objects.get(conversation_id=conv.id, message_type="payment_confirmed")
    assert "£134.00 a month" in message.content and "chat setup steps" in message.content


@override_settings(
    CHECKOUT_PAYMENT_LINKS={
        "ACTIVATION_LINK_STANDARD_BUNDLE": "https://buy.stripe.com/bundle_std",
        "CHAT_PAYMENT_LINK": "https://buy.stripe.com/chat",
    }
)
def test_without_a_secret_key_configured_payment_links_are_used(api, price_book):
    bundle = plan_session(api, {**BUNDLE, "calculated_monthly_price": 134}, email="Ann@Example.com").json()
    assert bundle["provider"] == "payment_link"
    assert bundle["checkout_url"] == (
        f"https://buy.stripe.com/bundle_std?client_reference_id={bundle['session_id']}&prefilled_email=ann%40example.com"
    )
    # No CHAT_PAYMENT_LINK_PRO: the CHAT_PAYMENT_LINK fallback.
    chat = plan_session(api, {"product_type": "chat", "chat_plan": "pro", "calculated_monthly_price": 99}).json()
    assert chat["checkout_url"].startswith("https://buy.stripe.com/chat?client_reference_id=")
    # The admin-edited entry link wins over the environment.
    price_book.entries.filter(kind="email_plan", code="premium").update(payment_link="https://buy.stripe.com/prem")
    email = plan_session(
        api, {"product_type": "email", "email_plan": "premium", "calculated_monthly_price": 199}
    ).json()
    assert email["checkout_url"].startswith("https://buy.stripe.com/prem?")
    # No link for the starter email plan at all: the offline provider's page.
    starter = plan_session(api, {"product_type": "email", "email_plan": "starter", "calculated_monthly_price": 49})
    assert starter.json()["provider"] == "test"


def test_stripe_subscription_uses_price_ids_and_subscription_metadata(api, price_book, stripe_stub):
    price_book.entries.filter(kind="email_plan", code="standard").update(stripe_price_id="price_email_standard")
    response = api.post(
        "/api/checkout/session",
        {"plan": {**BUNDLE, "calculated_monthly_price": 134}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 201, response.content
    [request] = stripe_stub.requests
    form = request["form"]
    assert form["mode"] == ["subscription"]
    assert form["line_items[0][price]"] == ["price_email_standard"]
    assert form["line_items[1][price_data][recurring][interval]"] == ["month"]
    assert form["line_items[1][price_data][unit_amount]"] == ["3500"]
    session = CheckoutSession.objects.get()
    assert form["subscription_data[metadata][checkout_session_id]"] == [session.id]
    assert request["headers"]["Idempotency-Key"] == "plan:key:k1"
    again = api.post(
        "/api/checkout/session",
        {"plan": {**BUNDLE, "calculated_monthly_price": 134}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert again.json()["session_id"] == session.id
    assert len(stripe_stub.requests) == 1


def _sub_event(event_type, obj, created, event_id):
    return event_sign(
        {"id": event_id, "object": "event", "type": event_type, "created": created, "data": {"object": obj}}
    )


def test_subscription_events_apply_in_order_and_older_ones_change_nothing(api, price_book):
    conv = ConversationFactory()
    token = conv.token
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    plan_session(api, {**BUNDLE, "calculated_monthly_price": 134}, conversation_id=conv.id)
    session = CheckoutSession.objects.get()
    meta = {"checkout_session_id": session.id}
    base = int(timezone.now().timestamp())
    # invoice.paid arrives before the checkout's completion: the row is made from our session.
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "subscription": "sub_1",
        "subscription_details": {"metadata": meta},
        "lines": {"data": [{"period": {"end": base + 30 * 86400}}]},
    }
    deliver(_sub_event("invoice.paid", invoice, base + 1, "evt_inv1"))
    completed = json.loads(
        signed_event(
            event_type="checkout.session.completed",
            session=session,
            payment_status="paid",
            status="complete",
            created=base,
        )[0]
    )
    completed["data"]["object"]["subscription"] = "sub_1"
    deliver(event_sign(completed))
    row = Subscription.objects.get()
    assert (row.status, row.latest_invoice_id, row.order_id is not None) == ("active", "in_1", True)
    # A renewal fails, then an older "active" update arrives late: still past_due.
    failed = {**invoice, "id": "in_2"}
    deliver(_sub_event("invoice.payment_failed", failed, base + 100, "evt_inv2"))
    deliver(
        _sub_event(
            "customer.subscription.updated",
            {"id": "sub_1", "status": "active", "metadata": meta},
            base + 50,
            "evt_up_old",
        )
    )
    row.refresh_from_db()
    assert row.status == "past_due"
    notice = Message.objects.get(conversation_id=conv.id, message_type="payment_failed")
    assert "did not go through" in notice.content
    # Duplicate delivery of the failure: no second notice.
    deliver(_sub_event("invoice.payment_failed", failed, base + 100, "evt_inv2"))
    assert Message.objects.filter(conversation_id=conv.id, message_type="payment_failed").count() == 1
    deliver(
        _sub_event(
            "customer.subscription.deleted",
            {"id": "sub_1", "status": "canceled", "metadata": meta},
            base + 200,
            "evt_del",
        )
    )
    deliver(
        _sub_event(
            "customer.subscription.updated",
            {"id": "sub_1", "status": "active", "metadata": meta},
            base + 300,
            "evt_up_late",
        )
    )
    row.refresh_from_db()
    assert (row.status, row.canceled_at is not None) == ("canceled", True)


def test_subscription_events_for_something_not_sold_here_are_left_alone(price_book):
    deliver(_sub_event("customer.subscription.updated", {"id": "sub_other", "status": "active"}, 1, "evt_other"))
    assert not Subscription.objects.exists()


# --- Parts: discount codes, stock at payment --------------------------------------------------


@pytest.fixture
def checkout_action(api, shop):
    conv, actions = chat_buttons(api, BUY_TWO, email="bob@example.com")
    return conv, actions[0]


def part_session(api, action, **extra):
    return api.post("/api/checkout/session", {"action_id": action["id"], **extra}, format="json")


def pay(session):
    deliver(
        signed_event(event_type="checkout.session.completed", session=session, payment_status="paid", status="complete")
    )


def test_a_fixed_discount_is_applied_on_the_server_shown_in_the_chat_and_used_once(api, checkout_action):
    conv, action = checkout_action
    DiscountCode.objects.create(code="SAVE5", kind="fixed", value=Decimal("5.00"), currency="USD", max_uses=10)
    body = part_session(api, action, discount_code="save5").json()
    assert (body["subtotal"], body["discount_total"], body["amount_total"]) == ("49.98", "5.00", "44.98")
    session = CheckoutSession.objects.get()
    pay(session)
    pay(session)  # a second, different event for the same payment
    order = Order.objects.get()
    assert (order.discount_total, order.total, order.discount_code.code) == (Decimal("5.00"), Decimal("44.98"), "SAVE5")
    assert DiscountCode.objects.get().times_used == 1
    message = Message.objects.get(conversation_id=conv["id"], message_type="payment_confirmed")
    assert "You saved $5.00 with code SAVE5." in message.content


def test_percentage_discount_on_stripe_becomes_a_one_use_coupon(api, checkout_action, stripe_stub):
    _, action = checkout_action
    DiscountCode.objects.create(code="TEN", kind="percent", value=Decimal("10"))
    body = part_session(api, action, discount_code="TEN").json()
    assert (body["discount_total"], body["amount_total"]) == ("5.00", "44.98")
    coupon, session = stripe_stub.requests
    assert coupon["path"] == "/v1/coupons" and coupon["form"]["amount_off"] == ["500"]
    assert session["form"]["discounts[0][coupon]"] == ["coupon_stub1"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"code": "OLD", "valid_until": timezone.now() - timedelta(days=1)}, "discount_code_expired"),
        ({"code": "SOON", "valid_from": timezone.now() + timedelta(days=1)}, "discount_code_not_yet_valid"),
        ({"code": "OFF", "is_active": False}, "discount_code_invalid"),
        ({"code": "GONE", "max_uses": 3, "times_used": 3}, "discount_code_used_up"),
        ({"code": "EUR5", "currency": "EUR"}, "discount_code_currency_mismatch"),
        ({"code": "HUGE", "value": Decimal("60")}, "discount_exceeds_total"),
    ],
)
def test_unusable_discount_codes_are_refused_and_nothing_is_written(api, checkout_action, fields, code):
    _, action = checkout_action
    DiscountCode.objects.create(**{"kind": "fixed", "value": Decimal("5"), "currency": "USD", **fields})
    response = part_session(api, action, discount_code=fields["code"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not CheckoutSession.objects.exists()


def test_unknown_code_and_first_order_only(api, checkout_action):
    _, action = checkout_action
    assert part_session(api, action, discount_code="NOPE").json()["error"]["code"] == "discount_code_invalid"
    DiscountCode.objects.create(code="WELCOME", kind="percent", value=Decimal("10"), first_time_only=True)
    OrderFactory()  # somebody's order, not Bob's
    assert part_session(api, action, discount_code="WELCOME").status_code == 201
    Order.objects.filter(customer__isnull=True).update(customer=CheckoutSession.objects.get().customer)
    CheckoutSession.objects.update(status="expired")
    refused = part_session(api, action, discount_code="WELCOME")
    assert refused.json()["error"]["code"] == "discount_code_first_order_only"


def test_the_last_use_is_held_by_an_open_session(api, checkout_action):
    _, action = checkout_action
    DiscountCode.objects.create(code="LAST", kind="fixed", value=Decimal("5"), currency="USD", max_uses=1)
    assert part_session(api, action, discount_code="LAST").status_code == 201
    other = api.post("/api/chat/conversations", {}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other['token']}")
    reply = api.post(
        f"/api/chat/conversations/{other['id']}/messages", {"content": "I want to buy PS11750057"}, format="json"
    ).json()["reply"]
    assert (
        part_session(api, reply["actions"][0], discount_code="LAST").json()["error"]["code"] == "discount_code_used_up"
    )


def test_changing_the_code_replaces_the_open_session(api, checkout_action):
    _, action = checkout_action
    DiscountCode.objects.create(code="SAVE5", kind="fixed", value=Decimal("5"), currency="USD")
    first = part_session(api, action).json()
    second = part_session(api, action, discount_code="SAVE5").json()
    assert second["session_id"] != first["session_id"]
    assert CheckoutSession.objects.get(id=first["session_id"]).status == "expired"
    assert part_session(api, action, discount_code="SAVE5").json()["session_id"] == second["session_id"]


def test_stock_gone_at_payment_keeps_the_order_flags_it_and_tells_the_chat(api, checkout_action):
    conv, action = checkout_action
    session = CheckoutSession.objects.get(id=part_session(api, action).json()["session_id"])
    Product.objects.filter(ps_number="PS11750057").update(stock_quantity=1)  # sold elsewhere meanwhile
    pay(session)
    order = Order.objects.get()
    assert order.needs_attention
    assert "PS11750057 short by 1" in order.attention_reason
    assert Product.objects.get(ps_number="PS11750057").stock_quantity == 0
    message = Message.objects.get(conversation_id=conv["id"], message_type="payment_confirmed")
    assert "sold out while you were paying" in message.content


def test_quantity_above_the_limit_is_refused(api, checkout_action, settings):
    _, action = checkout_action
    settings.PARLEY_MAX_QUANTITY = 1
    response = part_session(api, action)
    assert response.json()["error"]["code"] == "quantity_too_large"
    assert not CheckoutSession.objects.exists()


def test_completed_after_expired_still_makes_the_order(api, checkout_action):
    _, action = checkout_action
    session = CheckoutSession.objects.get(id=part_session(api, action).json()["session_id"])
    deliver(
        signed_event(event_type="checkout.session.expired", session=session, payment_status="unpaid", status="expired")
    )
    pay(session)
    session.refresh_from_db()
    assert session.status == "complete"
    assert Order.objects.count() == 1


# --- Staff order API -------------------------------------------------------------------------


def test_order_detail_is_staff_only(api, client):
    order = OrderFactory()
    assert client.get(f"/api/checkout/orders/{order.number}").status_code == 403
    staff = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    client.force_login(staff)
    body = client.get(f"/api/checkout/orders/{order.number}").json()
    assert (body["number"], body["total"], body["status"], body["lines"][0]["sku"]) == (
        order.number,
        "49.98",
        "paid",
        "PS11750057",
    )
    assert client.get("/api/checkout/orders/ORD-NOPE").json()["error"]["code"] == "order_not_found"
