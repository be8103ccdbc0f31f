import json
import time

import pytest
from django.conf import settings
from django.test import override_settings

from actions.models import Action
from analytics.models import Event
from catalog.models import Product
from checkout import gateway
from checkout.models import CheckoutSession, Order, WebhookEvent
from checkout.providers.offline_provider import signed_event
from checkout.providers.stripe_provider import stripe_signature_header
from checkout.testing import TEST_CHECKOUT_FORM
from checkout.tests.fixtures import chat_buttons
from conversations.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checkout_action(api, shop):
    conv, [action] = chat_buttons(api)
    return conv, action


def create_session(api, action_id, **extra):
    return api.post("/api/checkout/session", {"action_id": action_id, **extra}, format="json")


def test_confirmed_checkout_creates_one_session_with_server_prices(api, checkout_action):
    conv, action = checkout_action
    first = create_session(api, action["id"])
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["checkout_url"] == f"http://testserver/checkout/test/{body['session_id']}/"
    again = create_session(api, action["id"])
    assert again.json()["session_id"] == body["session_id"]
    session = CheckoutSession.objects.get()
    assert str(session.amount_total) == "24.99"
    assert session.line_items[0]["sku"] == "PS11750057"
    assert Action.objects.get(id=action["id"]).status == "clicked"
    assert Event.objects.filter(name="payment_link_generated", conversation_id=conv["id"]).count() == 1


def test_offline_payments_switched_off_refuse_checkout_and_hide_the_pay_page(api, checkout_action):
    _, action = checkout_action
    session_id = create_session(api, action["id"]).json()["session_id"]
    gateway._provider.cache_clear()
    try:
        with override_settings(PARLEY_OFFLINE_PAYMENTS=False):
            page = api.get(f"/checkout/test/{session_id}/")
            CheckoutSession.objects.all().delete()  # so the next request has to open a new one
            refused = create_session(api, action["id"])
    finally:
        gateway._provider.cache_clear()

    assert page.status_code == 404
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "payments_unavailable"
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize(
    "tampered",
    [
        {"psNumber": "PS11750057", "quantity": 5},
        {"psNumber": "PS11750058", "quantity": 1},
        {"psNumber": "PS11750057", "quantity": 1, "price": "0.01"},
    ],
)
def test_tampered_payload_is_refused_and_recorded(api, checkout_action, tampered):
    _, action = checkout_action
    response = create_session(api, action["id"], payload=tampered)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payload_mismatch"
    assert not CheckoutSession.objects.exists()
    stored = Action.objects.get(id=action["id"])
    assert stored.status == "failed"
    assert Event.objects.filter(name="action_failed", action_type="checkout_now").exists()


def test_untampered_payload_copy_is_accepted(api, checkout_action):
    _, action = checkout_action
    response = create_session(api, action["id"], payload={"psNumber": "PS11750057", "quantity": 1})
    assert response.status_code == 201


def test_out_of_stock_at_session_time_is_a_409(api, checkout_action):
    _, action = checkout_action
    Product.objects.filter(ps_number="PS11750057").update(stock_quantity=0)
    response = create_session(api, action["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"
    assert not CheckoutSession.objects.exists()


def test_session_needs_the_conversation_token(api, checkout_action):
    _, action = checkout_action
    api.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert create_session(api, action["id"]).status_code == 404
    assert not CheckoutSession.objects.exists()


def paid_webhook(api, session, event_type="checkout.session.completed", payment_status="paid", status="complete"):
    payload, header = signed_event(event_type=event_type, session=session, payment_status=payment_status, status=status)
    return payload, header


def post_webhook(api, payload, header):
    return api.generic(
        "POST", "/webhooks/stripe", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def test_paid_webhook_creates_exactly_one_order_and_tells_the_chat(api, checkout_action):
    conv, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    payload, header = paid_webhook(api, session)
    first = post_webhook(api, payload, header)
    assert first.status_code == 200, first.content
    assert first.json() == {"received": True, "duplicate": False}
    second = post_webhook(api, payload, header)
    assert second.json() == {"received": True, "duplicate": True}
    # The same payment announced by a second, different event must not create a second order either.
    post_webhook(api, *paid_webhook(api, session))
    order = Order.objects.get()
    assert order.number.startswith("ORD-")
    assert order.conversation_id == conv["id"]
    assert order.action_id == action["id"]
    assert order.order_source == "conversational"
    assert str(order.total) == "24.99"
    assert order.lines.get().sku == "PS11750057"
    assert Product.objects.get(ps_number="PS11750057").stock_quantity == 11
    assert Action.objects.get(id=action["id"]).status == "succeeded"
    confirmation = Message.objects.get(conversation_id=conv["id"], message_type="payment_confirmed")
    assert order.number in confirmation.content
    assert Event.objects.filter(name="payment_completed", conversation_id=conv["id"]).count() == 1
    assert WebhookEvent.objects.count() == 2


def test_failed_payment_reenables_the_button_and_tells_the_chat(api, checkout_action):
    conv, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    post_webhook(api, *paid_webhook(api, session, "checkout.session.async_payment_failed", "unpaid"))
    stored = Action.objects.get(id=action["id"])
    assert (stored.status, stored.enabled) == ("failed", True)
    assert Message.objects.filter(conversation_id=conv["id"], message_type="payment_failed").exists()
    # Trying again makes a new session.
    retry = create_session(api, action["id"])
    assert retry.status_code == 201
    assert retry.json()["session_id"] != session.id


def test_late_expiry_after_payment_changes_nothing(api, checkout_action):
    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    post_webhook(api, *paid_webhook(api, session))
    post_webhook(api, *paid_webhook(api, session, "checkout.session.expired", "unpaid", "expired"))
    session.refresh_from_db()
    assert session.status == "complete"
    assert Action.objects.get(id=action["id"]).status == "succeeded"
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "header",
    ["", "t=1,v1=deadbeef", None],
)
def test_bad_or_missing_signature_is_a_400_and_stores_nothing(api, checkout_action, header):
    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    payload, good = paid_webhook(api, session)
    if header is None:  # a correct signature over another body
        header = good
        payload = payload.replace(b"paid", b"PAID")
    response = post_webhook(api, payload, header)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"signature_missing", "signature_invalid"}
    assert not WebhookEvent.objects.exists()
    assert not Order.objects.exists()


def test_stale_timestamp_is_refused(api, checkout_action):
    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    payload, _ = paid_webhook(api, session)
    old = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 60
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET, timestamp=old)
    assert post_webhook(api, payload, header).status_code == 400


def test_timestamp_in_the_future_beyond_the_tolerance_is_refused(api, checkout_action):
    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    payload, _ = paid_webhook(api, session)
    ahead = int(time.time()) + settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS + 60
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET, timestamp=ahead)

    response = post_webhook(api, payload, header)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not WebhookEvent.objects.exists()
    slightly_ahead = int(time.time()) + 30  # clock skew within the tolerance is fine
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET, timestamp=slightly_ahead)
    assert post_webhook(api, payload, header).status_code == 200


def test_without_a_webhook_secret_every_event_is_refused(api, shop):
    payload = json.dumps(
        {"id": "evt_y", "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    header = stripe_signature_header(payload=payload, secret="")  # what anyone can compute

    with override_settings(STRIPE_WEBHOOK_SECRET=""):
        response = post_webhook(api, payload, header)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_signed_event_holding_a_nul_is_a_400_and_stores_nothing(api, shop):
    # PostgreSQL's jsonb keeps no NUL: refused at the door rather than a 500 from the insert.
    payload = json.dumps(
        {"id": "evt_nul", "object": "event", "type": "customer.created", "data": {"object": {"name": "a\u0000b"}}}
    ).encode()
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)
    response = post_webhook(api, payload, header)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_characters"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("data", ["x", None, [], {}, {"object": "ch_1"}])
def test_a_signed_event_without_a_data_object_is_a_400_and_stores_nothing(api, shop, data):
    # The handlers read data.object; a signed event without one was stored and its task crashed.
    event = {"id": "evt_nodata", "object": "event", "type": "checkout.session.completed", "data": data}
    payload = json.dumps(event).encode()
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)
    response = post_webhook(api, payload, header)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payload_invalid"
    assert not WebhookEvent.objects.exists()


def test_unknown_event_types_are_acknowledged_and_ignored(api, shop):
    payload = json.dumps(
        {"id": "evt_x", "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    header = stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)
    response = post_webhook(api, payload, header)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "ignored"


def test_event_for_a_session_not_yet_visible_waits_and_is_processed_later(api, checkout_action):
    from checkout.services.webhooks import webhook_event_process

    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    payload, header = paid_webhook(api, session)
    real_id = session.id
    real_ref = session.provider_session_id
    # As if the row were not committed yet: neither of its ids can be found.
    CheckoutSession.objects.filter(id=real_id).update(id="chk_hidden", provider_session_id="")
    post_webhook(api, payload, header)
    event = WebhookEvent.objects.get()
    assert event.status == "received"
    assert "no checkout session" in event.error
    CheckoutSession.objects.filter(id="chk_hidden").update(id=real_id, provider_session_id=real_ref)
    assert webhook_event_process(webhook_event_id=event.pk) == "processed"
    assert Order.objects.count() == 1


def test_test_provider_page_pays_through_the_signed_webhook(client, api, checkout_action):
    conv, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    page = client.get(url)
    assert page.status_code == 200
    assert b"PS11750057" in page.content and b"24.99" in page.content
    assert b'name="line_one"' in page.content and b'name="email"' in page.content
    response = client.post(url, {**TEST_CHECKOUT_FORM, "outcome": "pay"})
    assert response.status_code == 302
    assert response["Location"] == f"/?conversation={conv['id']}&checkout=success"
    order = Order.objects.get()
    assert WebhookEvent.objects.get().type == "checkout.session.completed"
    # What the page asked reaches the order, as Stripe Checkout's collected details do.
    assert order.shipping_address == {
        "name": "Dana Fixit",
        "line_one": "12 Elm Street",
        "line_two": "Apt 3",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62704",
        "country": "US",
    }
    assert (order.contact_name, order.contact_email, order.contact_phone) == (
        "Dana Fixit",
        "dana@example.com",
        "+12025550143",
    )
    assert order.fulfilment_status == "unfulfilled"
    closed = client.post(url, {**TEST_CHECKOUT_FORM, "outcome": "pay"})
    assert closed.status_code == 409
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"line_one": "  "}, "line_one"),
        ({"postal_code": ""}, "postal_code"),
        ({"country": "XX"}, "country"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_test_provider_page_refuses_a_bad_address_or_contact_and_charges_nothing(
    client, api, checkout_action, change, field
):
    _, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    response = client.post(url, {**TEST_CHECKOUT_FORM, **change, "outcome": "pay"})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert b"Please check the highlighted details." in response.content
    assert not Order.objects.exists() and not WebhookEvent.objects.exists()
    assert CheckoutSession.objects.get().status == "open"
    # Declining needs no address.
    declined = client.post(url, {"outcome": "fail"})
    assert declined.status_code == 302 and not Order.objects.exists()


def test_test_provider_page_escapes_what_the_payer_typed(client, api, checkout_action):
    _, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    response = client.post(
        url, {**TEST_CHECKOUT_FORM, "city": "<script>x()</script>", "email": "bad", "outcome": "pay"}
    )
    assert response.status_code == 400
    assert b"<script>x()</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_stripe_checkouts_collected_address_and_contact_reach_the_order(api, checkout_action):
    """A completed Stripe Checkout Session brings `customer_details` and (API 2024-09 on)
    `collected_information.shipping_details`; older events have `shipping_details`."""
    from checkout.providers.offline_provider import session_event
    from checkout.services.webhooks import webhook_event_process

    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    event = session_event(session=session, event_type="checkout.session.completed", event_id="evt_addr")
    event["data"]["object"].update(
        {
            "customer_details": {"email": "Bo@Example.com", "name": "Bo Buyer", "phone": "+447700900123"},
            "collected_information": {
                "shipping_details": {
                    "name": "Bo Buyer",
                    "address": {
                        "line1": "10 Downing Street",
                        "line2": None,
                        "city": "London",
                        "state": None,
                        "postal_code": "SW1A 2AA",
                        "country": "GB",
                    },
                }
            },
        }
    )
    stored = WebhookEvent.objects.create(provider="stripe", event_id="evt_addr", type=event["type"], payload=event)
    assert webhook_event_process(webhook_event_id=stored.pk) == "processed"
    order = Order.objects.get()
    assert order.shipping_address == {
        "name": "Bo Buyer",
        "line_one": "10 Downing Street",
        "city": "London",
        "postal_code": "SW1A 2AA",
        "country": "GB",
    }
    assert (order.contact_name, order.contact_email, order.contact_phone) == (
        "Bo Buyer",
        "bo@example.com",
        "+447700900123",
    )


def test_an_older_stripe_event_with_shipping_details_is_read_too(api, checkout_action):
    from checkout.providers.offline_provider import session_event
    from checkout.services.webhooks import webhook_event_process

    _, action = checkout_action
    session = CheckoutSession.objects.get(id=create_session(api, action["id"]).json()["session_id"])
    event = session_event(session=session, event_type="checkout.session.completed", event_id="evt_old")
    event["data"]["object"]["shipping_details"] = {
        "name": "Cy",
        "address": {"line1": "1 Rue X", "city": "Paris", "postal_code": "75001", "country": "fr"},
    }
    stored = WebhookEvent.objects.create(provider="stripe", event_id="evt_old", type=event["type"], payload=event)
    webhook_event_process(webhook_event_id=stored.pk)
    assert Order.objects.get().shipping_address == {
        "name": "Cy",
        "line_one": "1 Rue X",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    }


def test_the_pages_filled_in_example_pays_as_it_is(client, api, checkout_action):
    """What a browser test (or a demo) does: press Pay on the page as it comes."""
    _, action = checkout_action
    url = create_session(api, action["id"]).json()["checkout_url"].replace("http://testserver", "")
    form = client.get(url).context["form"]
    filled = {name: form[name].value() or "" for name in form.fields}
    response = client.post(url, {**filled, "outcome": "pay"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.shipping_address["line_one"] == "1 Test Street" and order.contact_email
