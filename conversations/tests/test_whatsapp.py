"""WhatsApp both ways: Meta's webhook in, replies (text, reply buttons, CTA URL) out through the
outbox to the local Cloud API stub (real HTTP), status callbacks, the 24-hour window, STOP."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from actions.enums import ActionStatus
from actions.models import Action
from alerts.enums import SubscriptionStatus
from alerts.models import BackInStockSubscription
from catalog.models import Product
from checkout.models import Order
from checkout.testing import TEST_CHECKOUT_FORM
from conversations.enums import Channel, MessageType, Role
from conversations.models import Conversation, Customer, Message, WhatsAppContact, WhatsAppEvent, WhatsAppMessage
from conversations.services.whatsapp_inbound import NOT_READY, whatsapp_event_process
from conversations.tests import whatsapp_webhooks as wh
from conversations.tests.whatsapp_stub import WhatsAppStub
from core.outbound import OutboundMessage, outbound_send
from core.outbox.enums import DeliveryStatus
from core.outbox.models import OutboundDelivery

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+15551234567"
QUESTION = "Is PS11750057 compatible with my WDT780SAEM1?"


@pytest.fixture
def wa(settings):
    with WhatsAppStub() as stub:
        settings.WHATSAPP_API_BASE = stub.url + "/v21.0"
        settings.WHATSAPP_TOKEN = "wa-test-token"
        settings.WHATSAPP_PHONE_NUMBER_ID = wh.PHONE_NUMBER_ID
        settings.WHATSAPP_APP_SECRET = wh.APP_SECRET
        settings.WHATSAPP_VERIFY_TOKEN = wh.VERIFY_TOKEN
        settings.WHATSAPP_TEMPLATES = {"back_in_stock": "", "follow_up": ""}
        yield stub


def ask(client, body: str, **kwargs):
    response = wh.post(client, wh.envelope(messages=[wh.text(body, **kwargs)]))
    assert response.status_code == 200, response.content
    return response


# --- verification and refusals ----------------------------------------------------------------


def test_verification_challenge_is_echoed_for_our_token_only(client, wa):
    ok = client.get(
        "/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": wh.VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.content == b"1158201444" and ok["Content-Type"].startswith("text/plain")

    wrong = client.get(
        "/webhooks/whatsapp", {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "whatsapp_verify_token_invalid"


def test_verification_refused_when_not_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    response = client.get("/webhooks/whatsapp", {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "whatsapp_not_configured"


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        ("", "whatsapp_signature_missing"),
        ("sha256=" + "0" * 64, "whatsapp_signature_invalid"),
        (wh.sign(b"another body"), "whatsapp_signature_invalid"),
        (wh.sign(b"x", secret="someone-else")[:20], "whatsapp_signature_invalid"),
    ],
)
def test_unsigned_or_badly_signed_posts_are_refused_and_store_nothing(client, wa, shop, signature, code):
    response = wh.post(client, wh.envelope(messages=[wh.text("hello")]), signature=signature)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert WhatsAppEvent.objects.count() == 0 and Customer.objects.count() == 0 and wa.requests == []


def test_posts_are_refused_without_an_app_secret(client, wa, settings):
    settings.WHATSAPP_APP_SECRET = ""
    response = wh.post(client, wh.envelope(messages=[wh.text("hello")]), signature="sha256=abc")
    assert response.status_code == 403 and response.json()["error"]["code"] == "whatsapp_not_configured"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": {"not": "a list"}}',
    ],
)
def test_signed_bodies_that_are_not_webhooks_get_a_clear_400(client, wa, body):
    response = client.post(
        "/webhooks/whatsapp", data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=wh.sign(body)
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "whatsapp_payload_invalid"


def test_one_bad_item_refuses_the_whole_body_nothing_half_written(client, wa, shop):
    broken = wh.text("second")
    broken["from"] = "not-a-number"
    response = wh.post(client, wh.envelope(messages=[wh.text("first"), broken]))

    assert response.status_code == 400 and response.json()["error"]["code"] == "whatsapp_payload_invalid"
    assert WhatsAppEvent.objects.count() == 0 and Message.objects.count() == 0


def test_a_nul_in_any_item_refuses_the_whole_body(client, wa, shop):
    # PostgreSQL's jsonb keeps no NUL: refused at the door rather than a 500 from the insert.
    response = wh.post(client, wh.envelope(messages=[wh.text("first"), wh.text("a\x00b")]))

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_characters"
    assert WhatsAppEvent.objects.count() == 0 and Message.objects.count() == 0


def test_other_webhook_fields_are_acknowledged_and_ignored(client, wa):
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {}}]}],
    }
    response = wh.post(client, body)
    assert response.status_code == 200 and response.json() == {"received": True, "stored": 0, "duplicates": 0}


# --- the whole loop ---------------------------------------------------------------------------


def test_text_to_buttons_to_tap_to_checkout_link_to_payment_to_confirmation(client, wa, shop):
    ask(client, QUESTION)

    # One customer keyed by E.164, one WhatsApp conversation, the web chat's reply.
    contact = WhatsAppContact.objects.get(phone=PHONE)
    assert contact.customer.phone == PHONE and contact.customer.phone_verified and contact.profile_name == "Ann"
    conversation = Conversation.objects.get(customer=contact.customer)
    assert conversation.channel == Channel.WHATSAPP
    user_message = Message.objects.get(conversation=conversation, role=Role.USER)
    assert user_message.content == QUESTION
    reply = Message.objects.get(conversation=conversation, metadata__reply_to=user_message.id)

    (request,) = wa.requests
    assert request["headers"]["Authorization"] == "Bearer wa-test-token"
    body = request["json"]
    assert body["to"] == "15551234567" and body["type"] == "interactive"
    interactive = body["interactive"]
    assert interactive["type"] == "button" and interactive["body"]["text"].startswith(reply.content)
    buttons = interactive["action"]["buttons"]
    assert 1 <= len(buttons) <= 3 and all(len(b["reply"]["title"]) <= 20 for b in buttons)
    actions = {a.id: a for a in Action.objects.filter(message=reply)}
    assert {b["reply"]["id"] for b in buttons} == set(actions)
    checkout = next(a for a in actions.values() if a.type == "checkout_now")

    # The reply is recorded as a WhatsApp message (by its wamid) on the conversation's copy.
    sent = WhatsAppMessage.objects.get(wamid="wamid.stub1")
    assert sent.message_id == reply.id and sent.to == PHONE
    reply.refresh_from_db()
    assert reply.metadata["whatsapp"]["status"] == "accepted"

    # The tap is a click on that action; the answer carries the checkout link as a CTA URL button.
    button_title = next(b["reply"]["title"] for b in buttons if b["reply"]["id"] == checkout.id)
    wh.post(client, wh.envelope(messages=[wh.tap(checkout.id, button_title)]))
    checkout.refresh_from_db()
    assert checkout.status == ActionStatus.CLICKED
    cta = wa.requests[1]["json"]["interactive"]
    assert cta["type"] == "cta_url"
    url = cta["action"]["parameters"]["url"]
    assert "/checkout/test/" in url and len(cta["action"]["parameters"]["display_text"]) <= 20
    assert cta["action"]["parameters"]["display_text"].startswith("Pay ")

    # The customer pays on the hosted page (the offline provider: signed webhook, same code path).
    assert url.startswith("http://127.0.0.1:8000/checkout/test/")  # absolute: PARLEY_PUBLIC_URL
    paid = client.post(urlsplit(url).path, {**TEST_CHECKOUT_FORM, "outcome": "pay"})
    assert paid.status_code == 302
    order = Order.objects.get(conversation=conversation)
    assert order.lines.get().sku == "PS11750057"

    # … and the confirmation reaches WhatsApp.
    confirmation = wa.requests[2]["json"]
    assert confirmation["type"] == "text" and confirmation["to"] == "15551234567"
    assert confirmation["text"]["body"].startswith("Payment received") and order.number in confirmation["text"]["body"]
    assert len(wa.requests) == 3


def test_a_retried_webhook_stores_nothing_new_and_sends_one_reply(client, wa, shop):
    body = wh.envelope(messages=[wh.text(QUESTION)])
    first = wh.post(client, body)
    again = wh.post(client, body)

    assert first.json() == {"received": True, "stored": 1, "duplicates": 0}
    assert again.json() == {"received": True, "stored": 0, "duplicates": 1}
    assert Message.objects.filter(role=Role.USER).count() == 1
    assert Message.objects.filter(role=Role.ASSISTANT, metadata__has_key="reply_to").count() == 1
    assert len(wa.requests) == 1


def test_processing_an_event_twice_sends_nothing_twice(client, wa, shop):
    ask(client, QUESTION)
    event = WhatsAppEvent.objects.get()
    WhatsAppEvent.objects.filter(pk=event.pk).update(status="received")  # as if the worker died before recording

    assert whatsapp_event_process(event_id=event.pk) == "processed"
    assert Message.objects.filter(role=Role.USER).count() == 1 and len(wa.requests) == 1


def test_a_second_number_cannot_tap_the_first_numbers_button(client, wa, shop):
    ask(client, QUESTION)
    checkout = Action.objects.get(type="checkout_now")

    wh.post(
        client, wh.envelope(messages=[wh.tap(checkout.id, "Checkout now", wa_id="15557654321")], wa_id="15557654321")
    )

    checkout.refresh_from_db()
    assert checkout.status == ActionStatus.RENDERED
    assert wa.requests[-1]["json"]["to"] == "15557654321"
    assert wa.requests[-1]["json"]["text"]["body"] == "That button is no longer available."


def test_button_titles_are_shortened_for_whatsapp():
    from conversations.services.whatsapp_outbound import button_title

    assert button_title(label="Checkout now", action_type="checkout_now", taken=set()) == "Checkout now"
    long = "Check compatible alternatives for this part"
    assert button_title(label=long, action_type="check_compatible_alternatives", taken=set()) == "See alternatives"
    cut = button_title(label="A very long label of an unknown type", action_type="custom", taken=set())
    assert len(cut) == 20 and cut.endswith("…")
    assert button_title(label="Checkout now", action_type="checkout_now", taken={"Checkout now"}) != "Checkout now"


def test_images_and_other_types_get_a_short_answer(client, wa, shop):
    image = {
        "from": "15551234567",
        "id": wh.wamid(),
        "timestamp": str(int(timezone.now().timestamp())),
        "type": "image",
        "image": {"id": "1"},
    }
    wh.post(client, wh.envelope(messages=[image]))

    assert WhatsAppEvent.objects.get().status == "ignored"
    assert "only read text" in wa.texts()[0]


def test_an_empty_or_too_long_text_is_answered_with_the_reason(client, wa, shop, settings):
    settings.PARLEY_MESSAGE_MAX_LENGTH = 10
    ask(client, "this is far longer than ten characters")

    assert "longer than 10 characters" in wa.texts()[0]
    assert not Message.objects.filter(role=Role.USER).exists()


# --- status callbacks -------------------------------------------------------------------------


def test_status_callbacks_only_move_forward_whatever_their_order(client, wa, shop):
    ask(client, QUESTION)
    reply = Message.objects.get(metadata__has_key="reply_to")
    now = int(timezone.now().timestamp())

    # Out of order: read, then the late sent and delivered; and a repeat.
    for state in ("read", "sent", "delivered", "read"):
        wh.post(client, wh.envelope(statuses=[wh.status("wamid.stub1", state, ts=now)]))

    sent = WhatsAppMessage.objects.get(wamid="wamid.stub1")
    assert sent.status == "read"
    assert WhatsAppEvent.objects.filter(kind="status").count() == 3  # the repeated "read" stored once
    reply.refresh_from_db()
    assert reply.metadata["whatsapp"]["status"] == "read"

    from conversations.services.operators import conversation_for_operator

    _, messages = conversation_for_operator(conversation_id=reply.conversation_id)
    shown = next(m for m in messages if m["id"] == reply.id)
    assert shown["delivery"] == {"channel": "whatsapp", "status": "read", "at": shown["delivery"]["at"], "error": ""}


def test_a_failed_callback_is_surfaced_to_operators(client, wa, shop):
    ask(client, QUESTION)
    errors = [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}}]
    wh.post(client, wh.envelope(statuses=[wh.status("wamid.stub1", "failed", errors=errors)]))

    sent = WhatsAppMessage.objects.get(wamid="wamid.stub1")
    assert sent.status == "failed" and "131026" in sent.error and "undeliverable" in sent.error
    note = Message.objects.get(message_type=MessageType.DELIVERY_FAILED)
    assert note.role == Role.INTERNAL and "Receiver is incapable" in note.content
    # A late "sent" does not hide the failure; a "delivered" would (the failure was not final).
    wh.post(client, wh.envelope(statuses=[wh.status("wamid.stub1", "sent")]))
    assert WhatsAppMessage.objects.get(wamid="wamid.stub1").status == "failed"


def test_a_callback_before_its_send_is_recorded_waits_then_applies(client, wa, shop):
    wh.post(client, wh.envelope(statuses=[wh.status("wamid.unknown", "delivered")]))
    event = WhatsAppEvent.objects.get(kind="status")
    WhatsAppEvent.objects.filter(pk=event.pk).update(status="received", attempts=0, leased_until=None)

    assert whatsapp_event_process(event_id=event.pk) == NOT_READY
    WhatsAppMessage.objects.create(wamid="wamid.unknown", to=PHONE, body={})
    assert whatsapp_event_process(event_id=event.pk) == "processed"
    assert WhatsAppMessage.objects.get(wamid="wamid.unknown").status == "delivered"


def test_a_send_the_api_refuses_is_surfaced_in_the_conversation(client, wa, shop):
    wa.respond_with = (400, {"error": {"message": "Recipient phone number not in allowed list", "code": 131030}})
    ask(client, QUESTION)

    delivery = OutboundDelivery.objects.get(kind="conversations.whatsapp")
    assert delivery.status == DeliveryStatus.FAILED and "allowed list" in delivery.last_error
    note = Message.objects.get(message_type=MessageType.DELIVERY_FAILED)
    assert "allowed list" in note.content


def test_a_send_the_api_could_not_take_is_retried_then_surfaced_and_resent(client, wa, shop, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    wa.respond_with = (503, {"error": {"message": "Service unavailable"}})
    ask(client, QUESTION)

    delivery = OutboundDelivery.objects.get(kind="conversations.whatsapp")
    assert len(wa.requests) == 3  # retried (eager Celery runs the retries at once)
    assert delivery.status == DeliveryStatus.FAILED and "503" in delivery.last_error
    assert "503" in Message.objects.get(message_type=MessageType.DELIVERY_FAILED).content

    wa.respond_with = None
    from core.outbox.services import deliveries_resend

    assert deliveries_resend(delivery_ids=[delivery.pk]) == 1  # an operator's "send again"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert WhatsAppMessage.objects.get(wamid=delivery.external_id).message.metadata["reply_to"]


# --- the 24-hour window -----------------------------------------------------------------------


def _outside_window():
    WhatsAppContact.objects.filter(phone=PHONE).update(last_inbound_at=timezone.now() - timedelta(hours=25))


def _notice(**extra) -> OutboundMessage:
    return OutboundMessage(channel="whatsapp", to=PHONE, text="PS11750057 is back\nin stock.", extra=extra)


def test_inside_the_window_any_message_goes_as_is(client, wa, shop):
    ask(client, "hello")
    result = outbound_send(message=_notice())
    assert result.is_success and wa.requests[-1]["json"]["type"] == "text"


def test_outside_the_window_only_the_configured_template_goes(client, wa, shop, settings):
    ask(client, "hello")
    _outside_window()
    settings.WHATSAPP_TEMPLATES = {"back_in_stock": "back_in_stock_v2", "follow_up": "follow_up_v1"}

    assert outbound_send(message=_notice(whatsapp_template="back_in_stock")).is_success
    template = wa.requests[-1]["json"]["template"]
    assert wa.requests[-1]["json"]["type"] == "template" and template["name"] == "back_in_stock_v2"
    assert template["language"] == {"code": "en_US"}
    assert template["components"][0]["parameters"][0]["text"] == "PS11750057 is back in stock."

    assert outbound_send(message=_notice()).is_success  # an operator's follow-up
    assert wa.requests[-1]["json"]["template"]["name"] == "follow_up_v1"


def test_outside_the_window_without_a_template_email_or_a_visible_failure(client, wa, shop):
    ask(client, "hello")
    _outside_window()
    sent_before = len(wa.requests)

    failed = outbound_send(message=_notice())
    assert not failed.is_success and not failed.retryable and "24-hour" in failed.error

    Customer.objects.filter(phone=PHONE).update(email="ann@example.com")
    assert outbound_send(message=_notice(whatsapp_template="back_in_stock")).is_success
    assert mail.outbox[-1].to == ["ann@example.com"] and "back" in mail.outbox[-1].body
    assert len(wa.requests) == sent_before


def test_a_reply_outside_the_window_waits_for_the_customers_next_message(client, wa, shop):
    ask(client, "hello")
    conversation = Conversation.objects.get(channel=Channel.WHATSAPP)
    _outside_window()
    from conversations.services.messages import conversation_message_create
    from conversations.services.whatsapp_outbound import conversation_message_relay

    late = conversation_message_create(conversation=conversation, role=Role.ASSISTANT, content="About your order…")
    conversation_message_relay(message=late)
    delivery = OutboundDelivery.objects.get(key=f"whatsapp:{late.id}:0")
    assert delivery.status == DeliveryStatus.CANCELLED and "window" in delivery.last_error
    assert "About your order…" not in wa.texts()

    ask(client, "are you there?")  # the window opens again: the waiting reply goes first

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert "About your order…" in wa.texts()


# --- STOP -------------------------------------------------------------------------------------


def test_stop_unsubscribes_the_number_from_alerts(client, wa, shop):
    product = Product.objects.get(ps_number="PS11750057")
    live = BackInStockSubscription.objects.create(
        product=product, channel="whatsapp", contact=PHONE, status=SubscriptionStatus.ACTIVE
    )
    other = BackInStockSubscription.objects.create(
        product=product, channel="whatsapp", contact="+15557654321", status=SubscriptionStatus.ACTIVE
    )

    ask(client, "STOP")

    live.refresh_from_db()
    other.refresh_from_db()
    assert live.status == SubscriptionStatus.UNSUBSCRIBED and other.status == SubscriptionStatus.ACTIVE
    assert WhatsAppContact.objects.get(phone=PHONE).opted_out_at is not None
    assert wa.texts() == [
        "Done: this number is unsubscribed from 1 back-in-stock alert. You can still write to us here any time."
    ]
    assert not Message.objects.filter(metadata__has_key="reply_to").exists()  # the assistant did not answer STOP


# --- a person holds the conversation ------------------------------------------------------------


def test_while_an_operator_holds_it_the_assistant_is_silent_and_the_operator_answers_on_whatsapp(
    client, wa, shop, django_user_model
):
    from conversations.services.handoff import handoff_claim
    from conversations.services.operator_replies import operator_reply_send

    ask(client, "hello")
    conversation = Conversation.objects.get(channel=Channel.WHATSAPP)
    operator = django_user_model.objects.create_user(username="olga", first_name="Olga", is_staff=True)
    handoff_claim(conversation_id=conversation.id, operator=operator)
    sent_before = len(wa.requests)

    ask(client, QUESTION)  # stored for the operator; the assistant drafts nothing
    assert len(wa.requests) == sent_before
    assert Message.objects.filter(conversation=conversation, role=Role.USER, content=QUESTION).exists()

    reply = operator_reply_send(conversation_id=conversation.id, operator=operator, content="Yes, it fits. Olga.")
    body = wa.requests[-1]["json"]
    assert body["to"] == "15551234567" and body["text"]["body"].endswith("Yes, it fits. Olga.")

    wamid = WhatsAppMessage.objects.get(message=reply).wamid
    wh.post(client, wh.envelope(statuses=[wh.status(wamid, "delivered")]))
    reply.refresh_from_db()
    assert reply.metadata["whatsapp"]["status"] == "delivered"


def test_odd_shapes_inside_a_signed_body_are_answered_not_crashed_on(client, wa, shop):
    now = str(int(timezone.now().timestamp()))
    odd = [
        {"from": "15551234567", "id": wh.wamid(), "timestamp": now, "type": "interactive", "interactive": "x"},
        {"from": "15551234567", "id": wh.wamid(), "timestamp": now, "type": "text", "text": {"body": 42}},
        {"from": "15551234567", "id": wh.wamid(), "timestamp": now, "type": "button", "button": ["x"]},
    ]
    assert wh.post(client, wh.envelope(messages=odd)).status_code == 200

    assert set(WhatsAppEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
    assert wa.texts() == [
        "Sorry, I can only read text messages and button taps here. Please type your question.",
        "The message must be text.",
        "That button is no longer available.",
    ]


def test_an_event_that_keeps_failing_is_marked_failed_not_retried_forever(client, wa, shop):
    from conversations.services.whatsapp_inbound import MAX_ATTEMPTS, whatsapp_events_due

    ask(client, "hello")
    event = WhatsAppEvent.objects.get()
    WhatsAppEvent.objects.filter(pk=event.pk).update(
        status="received",
        attempts=MAX_ATTEMPTS,
        error="RuntimeError: boom",
        created_at=timezone.now() - timedelta(hours=1),
    )
    assert whatsapp_events_due() == [event.pk]

    assert whatsapp_event_process(event_id=event.pk) == "failed"
    event.refresh_from_db()
    assert event.status == "failed" and event.error == "RuntimeError: boom"
    assert whatsapp_events_due() == []


def test_notify_and_alternatives_buttons_work_from_whatsapp(client, wa, shop):
    wa_id = "12025550143"  # a number phonenumbers accepts as a mobile (alerts check it)
    wh.post(client, wh.envelope(messages=[wh.text("Is PS12584610 in stock?", wa_id=wa_id)], wa_id=wa_id))
    buttons = wa.requests[0]["json"]["interactive"]["action"]["buttons"]
    titles = [b["reply"]["title"] for b in buttons]
    assert len(titles) == 2 and len(set(titles)) == 2 and all(len(t) <= 20 for t in titles)
    by_type = {Action.objects.get(id=b["reply"]["id"]).type: b["reply"] for b in buttons}

    notify = by_type["notify_when_in_stock"]
    wh.post(client, wh.envelope(messages=[wh.tap(notify["id"], notify["title"], wa_id=wa_id)], wa_id=wa_id))
    subscription = BackInStockSubscription.objects.get()
    # The number proved itself by writing from it: active at once, on WhatsApp, to this number.
    assert (subscription.channel, subscription.contact, subscription.status) == ("whatsapp", "+" + wa_id, "active")
    assert "back in stock" in wa.texts()[-1] and "STOP" in wa.texts()[-1]

    alternatives = by_type["check_compatible_alternatives"]
    wh.post(client, wh.envelope(messages=[wh.tap(alternatives["id"], alternatives["title"], wa_id=wa_id)], wa_id=wa_id))
    assert Action.objects.get(id=alternatives["id"]).status == ActionStatus.SUCCEEDED
    answer = wa.texts()[-1]
    assert answer.startswith("Compatible alternatives:") or answer.startswith("I couldn't find")

    wh.post(client, wh.envelope(messages=[wh.text("stop", wa_id=wa_id)], wa_id=wa_id))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED
