"""Shipping tells the customer, once: in the conversation the order was bought in (pushed on
commit), on WhatsApp through the outbox, by email for an email conversation."""

import pytest
from django.core import mail

from checkout.enums import FulfilmentStatus as S
from checkout.services.fulfilment import order_fulfilment_transition
from checkout.tests.factories import OrderFactory
from conversations.models import Customer, Message
from conversations.services.order_notices import ORDER_NOTICE_EMAIL
from conversations.services.whatsapp_outbound import KIND as WHATSAPP
from conversations.tests.factories import ConversationFactory
from core.exceptions import ApplicationError
from core.outbox.models import OutboundDelivery
from core.realtime import conversation_group

pytestmark = pytest.mark.django_db

TRACKING = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "tracking_url": "https://ups.example/t/1Z999"}


def notices(conversation):
    return Message.objects.filter(conversation=conversation, metadata__notice="fulfilment").order_by("seq")


def test_shipping_is_said_once_in_the_conversation_and_pushed_on_commit(
    capture_realtime, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_fulfilment_transition(order=order, to_status=S.PACKED)
    assert not notices(conversation).exists()  # packing is the warehouse's business

    capture_realtime.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
        assert capture_realtime.events(type="message") == []  # nothing leaves before the commit
    assert callbacks
    [notice] = notices(conversation)
    assert notice.content == (
        f"Good news: order {order.number} has shipped with UPS, tracking number 1Z999AA10123456784. "
        "Track it here: https://ups.example/t/1Z999"
    )
    assert notice.metadata["tracking_url"] == "https://ups.example/t/1Z999"
    [pushed] = capture_realtime.events(group=conversation_group(conversation.id), type="message")
    assert pushed["message"]["id"] == notice.id and "1Z999AA10123456784" in pushed["message"]["content"]

    # A second "mark shipped" (another tab, a retry) is refused and says nothing more.
    with pytest.raises(ApplicationError), django_capture_on_commit_callbacks(execute=True):
        order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    assert notices(conversation).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        order_fulfilment_transition(order=order, to_status=S.DELIVERED)
    assert [m.metadata["fulfilment_status"] for m in notices(conversation)] == ["shipped", "delivered"]
    assert notices(conversation).last().content.startswith(f"Order {order.number} has been delivered.")


def test_a_cancelled_parcel_is_said_without_promising_a_refund():
    conversation = ConversationFactory()
    order = order_fulfilment_transition(order=OrderFactory(conversation=conversation), to_status=S.CANCELLED)
    [notice] = notices(conversation)
    assert notice.content.startswith(f"Order {order.number} has been cancelled and will not be sent.")
    assert "refunded" not in notice.content


def test_a_whatsapp_customer_gets_it_on_whatsapp_once():
    customer = Customer.objects.create(phone="+15551234567")
    conversation = ConversationFactory(channel="whatsapp", customer=customer)
    order = order_fulfilment_transition(order=OrderFactory(conversation=conversation), to_status=S.PACKED)
    order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    [delivery] = OutboundDelivery.objects.filter(kind=WHATSAPP)
    assert delivery.payload["to"] == "+15551234567"
    assert "1Z999AA10123456784" in delivery.payload["text"]
    assert delivery.key == f"whatsapp:{notices(conversation).get().pk}:0"


def test_an_email_customer_gets_one_email(django_capture_on_commit_callbacks):
    conversation = ConversationFactory(channel="email", customer_email="ann@example.com")
    order = order_fulfilment_transition(order=OrderFactory(conversation=conversation), to_status=S.PACKED)
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    [delivery] = OutboundDelivery.objects.filter(kind=ORDER_NOTICE_EMAIL)
    assert delivery.status == "sent"
    [email] = mail.outbox
    assert email.to == ["ann@example.com"]
    assert email.subject == f"Your order {order.number}: shipped"
    assert "tracking number 1Z999AA10123456784" in email.body


def test_an_order_without_a_conversation_writes_no_message():
    order = order_fulfilment_transition(order=OrderFactory(), to_status=S.PACKED)
    order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    assert not Message.objects.filter(metadata__notice="fulfilment").exists()
    assert not OutboundDelivery.objects.filter(kind__in=[WHATSAPP, ORDER_NOTICE_EMAIL]).exists()


def test_a_conversations_order_is_not_also_emailed_by_checkout(django_capture_on_commit_callbacks, mailoutbox):
    conversation = ConversationFactory()
    order = OrderFactory(conversation=conversation, contact_email="dana@example.com")
    order = order_fulfilment_transition(order=order, to_status=S.PACKED)
    with django_capture_on_commit_callbacks(execute=True):
        order_fulfilment_transition(order=order, to_status=S.SHIPPED, **TRACKING)
    assert notices(conversation).count() == 1 and mailoutbox == []
