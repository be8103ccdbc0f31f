"""Telling the customer where their parcel is: shipped (carrier, tracking), delivered, cancelled.

Checkout moves the order (`order_fulfilment_transition`, under the order's lock, once per step)
and sends `order_changed(change="fulfilment")` inside that transaction; the receiver calls
`conversation_fulfilment_notice`, which stores one message in the conversation the order was
bought in (pushed to its sockets on commit) and relays it on the conversation's channel: WhatsApp
through its outbox kind, email through `conversations.order_notice_email`, keyed by the message,
so a retry or a second worker sends nothing more. Packing is internal: nothing is said.
"""

from __future__ import annotations

from django.conf import settings

from checkout.enums import FulfilmentStatus
from checkout.models import Order
from checkout.notices import fulfilment_text
from conversations.enums import Channel, MessageType, Role
from conversations.models import Conversation, Message
from conversations.services.messages import conversation_message_create
from conversations.services.whatsapp_outbound import conversation_message_relay
from core.outbound import OutboundMessage, outbound_send
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import delivery_enqueue

ORDER_NOTICE_EMAIL = "conversations.order_notice_email"
NOTICE = "fulfilment"


def order_fulfilment_sentence(order: Order) -> str:
    """Where `order`'s parcel stands, in one sentence of the order's own facts (the assistant's
    answer to "where is my order"); "" for an order with nothing to ship."""
    status = order.fulfilment_status
    if status == FulfilmentStatus.UNFULFILLED:
        return "It has not shipped yet; we'll write here when it does."
    if status == FulfilmentStatus.PACKED:
        return "It is packed and waiting for the carrier; it has no tracking number yet."
    if status == FulfilmentStatus.SHIPPED:
        when = f" on {order.shipped_at:%d %b %Y}" if order.shipped_at else ""
        text = f"It shipped{when} with {order.carrier}, tracking number {order.tracking_number}."
        return text + (f" Track it here: {order.tracking_url}" if order.tracking_url else "")
    if status == FulfilmentStatus.DELIVERED:
        when = f" on {order.delivered_at:%d %b %Y}" if order.delivered_at else ""
        return f"It was delivered{when} ({order.carrier}, tracking number {order.tracking_number})."
    if status == FulfilmentStatus.CANCELLED:
        return "Its shipment was cancelled; it will not be sent."
    return ""


def conversation_fulfilment_notice(*, order: Order) -> Message | None:
    """One message per fulfilment step in the order's conversation, relayed on its channel."""
    text = fulfilment_text(order)
    if order.conversation_id is None or text is None:
        return None
    conversation = Conversation.objects.select_related("customer").get(pk=order.conversation_id)
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.TEXT,
        content=text,
        metadata={
            "notice": NOTICE,
            "order_number": order.number,
            "fulfilment_status": order.fulfilment_status,
            **(
                {"carrier": order.carrier, "tracking_number": order.tracking_number, "tracking_url": order.tracking_url}
                if order.fulfilment_status == FulfilmentStatus.SHIPPED
                else {}
            ),
        },
    )
    conversation_message_relay(message=message)
    if conversation.channel == Channel.EMAIL:
        delivery_enqueue(
            kind=ORDER_NOTICE_EMAIL, key=f"order_notice:{message.pk}:email", payload={"message_id": message.pk}
        )
    return message


class OrderNoticeEmailSender(Sender):
    """Emails a fulfilment notice of an email conversation (outbox kind `conversations.order_notice_email`)."""

    kind = ORDER_NOTICE_EMAIL

    def send(self, delivery: OutboundDelivery) -> SendResult:
        message = (
            Message.objects.select_related("conversation__customer").filter(pk=delivery.payload["message_id"]).first()
        )
        if message is None:
            return SendResult.nothing_to_send("The message is gone.")
        address = message.conversation.customer.email
        if not address:
            return SendResult.failed("No email address for this customer.", retryable=False)
        number = message.metadata.get("order_number", "")
        return outbound_send(
            message=OutboundMessage(
                channel=Channel.EMAIL,
                to=address,
                text=f"{message.content}\n\n— {settings.PARLEY_SHOP_NAME}\n\n{settings.PARLEY_PUBLIC_URL}",
                subject=f"Your order {number}: {message.metadata.get('fulfilment_status', 'update')}",
                conversation_id=message.conversation_id,
                idempotency_key=delivery.key,
                extra={"message_id": message.pk, "order_notice": True},
            )
        )
