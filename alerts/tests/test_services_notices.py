"""Notices through the outbox: what the subscriber gets, and that nobody gets it twice."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from alerts.models import AlertNotice, BackInStockSubscription, RestockRound
from alerts.services.notices import alerts_reconcile, notices_create
from analytics.models import Event
from conversations.models import Message
from conversations.tests.factories import ConversationFactory, whatsapp_window_open_for
from core import realtime
from core.outbox.models import OutboundDelivery
from core.outbox.services import deliveries_claim, deliveries_reconcile, deliveries_send


def make_notices(product, subs, key="PS11750057:restock:1"):
    """Notices and their deliveries, not sent (their on-commit hand-off is dropped): the delivery ids."""
    with transaction.atomic():
        created = notices_create(
            subscriptions=[(sub.id, sub.channel, sub.conversation_id is not None) for sub in subs], restock_key=key
        )
    return [notice.delivery_id for notice in created]


def status(delivery_id):
    return OutboundDelivery.objects.get(pk=delivery_id).status


@pytest.mark.django_db
def test_the_email_carries_the_part_and_a_working_one_click_unsubscribe(out_of_stock, subscribe, restock):
    (sub,) = subscribe(out_of_stock, 1)
    restock(out_of_stock, 4)

    (email,) = mail.outbox
    assert email.subject == "Back in stock: Dishwasher Upper Rack Adjuster (PS11750057)"
    assert "$24.99" in email.body
    html = email.alternatives[0][0]
    unsubscribe = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in email.body and unsubscribe in html
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notice = AlertNotice.objects.get()
    assert email.extra_headers["Message-ID"].startswith(f"<{notice.delivery.key}@")
    assert email.extra_headers["X-Parley-Notice"] == notice.delivery.key == f"alert-{sub.id}.PS11750057.restock.1"

    path = re.sub(r"^https?://[^/]+", "", unsubscribe)
    response = Client().post(path, {"List-Unsubscribe": "One-Click"})  # what a mail client does
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    sub.refresh_from_db()
    assert sub.status == "unsubscribed"


@pytest.mark.django_db(transaction=True)
def test_a_chat_subscriber_gets_an_alert_message_with_a_checkout_button_live(out_of_stock, settings, capture_realtime):
    from catalog.services.stock import product_stock_set

    conversation = ConversationFactory()
    sub = BackInStockSubscription.objects.create(
        product=out_of_stock, channel="web", contact=conversation.id, conversation=conversation, status="active"
    )
    product_stock_set(product=out_of_stock, quantity=3)  # commits; everything after runs eagerly

    (event,) = capture_realtime.events(group=realtime.conversation_group(conversation.id), type="alert.notified")
    assert event["message"]["type"] == "alert_notified" and "back in stock" in event["message"]["content"]
    (button,) = event["message"]["actions"]
    assert button["type"] == "checkout_now" and button["payload"] == {"psNumber": "PS11750057", "quantity": 1}
    assert button["requiresConfirmation"] is True
    notice = AlertNotice.objects.get(subscription=sub)
    assert notice.delivery.status == "sent" and notice.action_id == button["id"]
    stored = Message.objects.get(id=event["message"]["id"])
    assert stored.metadata["alert_notice_id"] == notice.pk and stored.conversation_id == conversation.id
    # Attribution: an order placed through this button points at the notice.
    assert notice.action.alert_notices.get() == notice
    sub.refresh_from_db()
    assert sub.status == "notified"
    assert Event.objects.filter(name="alert_notified", conversation_id=conversation.id).count() == 1


@pytest.mark.django_db
def test_a_notice_is_claimed_by_one_worker_only_and_a_dead_workers_claim_is_taken_over(
    out_of_stock, subscribe, settings
):
    settings.OUTBOX_LEASE_SECONDS = 60
    subs = subscribe(out_of_stock, 3)
    ids = make_notices(out_of_stock, subs)
    _, claimed = deliveries_claim(delivery_ids=ids)
    assert [row.pk for row in claimed] == ids
    assert deliveries_claim(delivery_ids=ids)[1] == []  # held: a second worker gets nothing

    batch = deliveries_send(delivery_ids=ids)  # a redelivered task while the claim is alive
    assert batch.outcomes == [] and mail.outbox == []

    OutboundDelivery.objects.filter(pk=ids[0]).update(leased_until=timezone.now() - timedelta(seconds=1))
    batch = deliveries_send(delivery_ids=ids)  # the claim of a dead worker ran out: taken over
    assert batch.count("sent") == 1 and [m.to[0] for m in mail.outbox] == [subs[0].contact]
    assert OutboundDelivery.objects.get(pk=ids[0]).attempts == 2


@pytest.mark.django_db
def test_sending_a_batch_twice_sends_each_notice_once(out_of_stock, subscribe):
    subs = subscribe(out_of_stock, 4)
    ids = make_notices(out_of_stock, subs)
    first = deliveries_send(delivery_ids=ids)
    second = deliveries_send(delivery_ids=ids)
    assert first.count("sent") == 4 and second.outcomes == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.contact for s in subs)
    deliveries = OutboundDelivery.objects.filter(pk__in=ids)
    assert {d.status for d in deliveries} == {"sent"}
    assert all(d.external_id.startswith(f"<{d.key}@") for d in deliveries)
    assert set(BackInStockSubscription.objects.values_list("status", flat=True)) == {"notified"}
    assert Event.objects.filter(name="alert_notified").count() == 4


@pytest.mark.django_db
def test_nobody_is_told_twice_across_two_restocks_racing(out_of_stock, subscribe):
    (sub,) = subscribe(out_of_stock, 1)
    first = make_notices(out_of_stock, [sub], key="PS11750057:restock:1")
    second = make_notices(out_of_stock, [sub], key="PS11750057:restock:2")
    deliveries_claim(delivery_ids=first)  # round 1's worker holds it …
    batch = deliveries_send(delivery_ids=second)  # … so round 2's worker must not send
    assert batch.count("cancelled") == 1 and mail.outbox == []
    delivery = OutboundDelivery.objects.get(pk=second[0])
    assert delivery.status == "cancelled" and delivery.last_error.startswith("Another notice to this subscriber")


@pytest.mark.django_db
def test_unsubscribing_before_the_send_cancels_the_notice(out_of_stock, subscribe):
    subs = subscribe(out_of_stock, 2)
    ids = make_notices(out_of_stock, subs)
    BackInStockSubscription.objects.filter(pk=subs[1].pk).update(status="unsubscribed")
    deliveries_send(delivery_ids=ids)
    assert [m.to[0] for m in mail.outbox] == [subs[0].contact]
    assert OutboundDelivery.objects.get(pk=ids[1]).last_error == "The subscriber unsubscribed."
    assert status(ids[1]) == "cancelled"


@pytest.mark.django_db
def test_retryable_failures_go_back_to_pending_and_fail_after_the_last_attempt(out_of_stock, subscribe, settings):
    settings.WHATSAPP_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", "123"
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"  # nothing listens: a retryable connection error
    sub = BackInStockSubscription.objects.create(
        product=out_of_stock, channel="whatsapp", contact="+12025550143", status="active"
    )
    whatsapp_window_open_for(sub.contact)  # inside WhatsApp's 24-hour window: a plain text may go
    ids = make_notices(out_of_stock, [sub])
    batch = deliveries_send(delivery_ids=ids)
    delivery = OutboundDelivery.objects.get()
    assert batch.retry_ids == ids and delivery.status == "pending" and "unreachable" in delivery.last_error
    OutboundDelivery.objects.filter(pk=delivery.pk).update(attempts=4)
    deliveries_send(delivery_ids=ids)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 5
    sub.refresh_from_db()
    assert sub.status == "active"  # not told: still waiting (alerts_resend can try again)


@pytest.mark.django_db
def test_whatsapp_notices_go_through_the_outbound_adapter(out_of_stock, settings):
    import httpx

    from conversations.outbound import whatsapp

    sent = []

    def fake_post(url, json, headers, timeout):
        sent.append((url, json, headers))
        return httpx.Response(200, json={"messages": [{"id": "wamid.1"}]}, request=httpx.Request("POST", url))

    settings.WHATSAPP_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "token", "123"
    sub = BackInStockSubscription.objects.create(
        product=out_of_stock, channel="whatsapp", contact="+12025550143", status="active"
    )
    whatsapp_window_open_for(sub.contact)  # inside WhatsApp's 24-hour window: a plain text may go
    ids = make_notices(out_of_stock, [sub])
    original = whatsapp.httpx.post
    whatsapp.httpx.post = fake_post
    try:
        deliveries_send(delivery_ids=ids)
    finally:
        whatsapp.httpx.post = original
    ((url, body, headers),) = sent
    assert url.endswith("/123/messages")
    assert body["to"] == "12025550143" and "PS11750057" in body["text"]["body"]
    assert "/alerts/unsubscribe/" in body["text"]["body"]
    delivery = OutboundDelivery.objects.get()
    assert headers["Idempotency-Key"] == delivery.key
    assert delivery.status == "sent" and delivery.external_id == "wamid.1"


@pytest.mark.django_db
def test_a_dead_workers_notices_are_sent_by_the_outbox_reconcile_and_alerts_reconcile_marks_the_told(
    out_of_stock, subscribe
):
    subs = subscribe(out_of_stock, 3)
    ids = make_notices(out_of_stock, subs)
    deliveries_claim(delivery_ids=ids)  # a worker claimed them and died
    OutboundDelivery.objects.filter(pk__in=ids).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_reconcile(grace_seconds=0, inline=True)["sent"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.contact for s in subs)
    assert set(BackInStockSubscription.objects.values_list("status", flat=True)) == {"notified"}

    # A worker that died after sending but before its batch's bookkeeping: alerts' beat repairs it.
    BackInStockSubscription.objects.update(status="active", notified_at=None)
    Event.objects.filter(name="alert_notified").delete()
    counts = alerts_reconcile()
    assert counts == {"waves": 0, "marked_notified": 3, "telemetry_backfilled": 3}
    assert set(BackInStockSubscription.objects.values_list("status", flat=True)) == {"notified"}
    assert Event.objects.filter(name="alert_notified").count() == 3
    assert RestockRound.objects.count() == 0


def test_the_shared_mime_template_gives_the_message_django_would_build(settings):
    import email

    from django.core.mail import EmailMultiAlternatives

    from alerts.delivery import UNSUBSCRIBE_PLACEHOLDER, AlertMessage, Sender

    link = "http://shop.example/alerts/unsubscribe/abc:def"
    message = AlertMessage(
        channel="email",
        to="ana@example.com",
        subject="Back in stock: Ünïcode part",
        text=f"Hello — it's back.\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n",
        html=f'<p>Hello — <a href="{UNSUBSCRIBE_PLACEHOLDER}">unsubscribe</a></p>',
        unsubscribe_url=link,
        idempotency_key="alert-7",
    )
    fast = email.message_from_bytes(Sender()._prebuilt(message, key="alert-7", domain="parley.local"))
    reference = EmailMultiAlternatives(
        subject=message.subject,
        body=message.personal(message.text),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Message-ID": "<alert-7@parley.local>", "List-Unsubscribe": f"<{link}>"},
    )
    reference.attach_alternative(message.personal(message.html), "text/html")
    slow = email.message_from_bytes(reference.message().as_bytes())
    for header in ("Subject", "From", "To", "Message-ID", "List-Unsubscribe"):
        assert str(email.header.make_header(email.header.decode_header(fast[header]))) == str(
            email.header.make_header(email.header.decode_header(slow[header]))
        )
    assert fast["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and fast["Date"]
    fast_parts = [part.get_payload(decode=True) for part in fast.walk() if not part.is_multipart()]
    slow_parts = [part.get_payload(decode=True) for part in slow.walk() if not part.is_multipart()]
    assert fast_parts == slow_parts and link.encode() in fast_parts[0] and link.encode() in fast_parts[1]
