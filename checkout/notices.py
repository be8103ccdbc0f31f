"""What a customer is told about their parcel, in the order's own facts (no date or place the order
does not hold), and the email for an order no conversation can carry the news to.

The words are shared: conversations says them in the order's conversation (and its channel);
an order sold through a hosted checkout link with no conversation (a GPT or MCP agent's buyer,
a traditional checkout) is emailed at its contact address through the outbox (kind
`checkout.order_notice_email`, keyed by the audit row, so once). An ACP order is told to its
platform instead (`order_update`), which tells its buyer.
"""

from __future__ import annotations

from django.conf import settings

from checkout.enums import FulfilmentStatus
from checkout.models import FulfilmentEvent, Order
from core.outbound import OutboundMessage, outbound_send
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import delivery_enqueue

ORDER_NOTICE_EMAIL = "checkout.order_notice_email"
TOLD = (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED, FulfilmentStatus.CANCELLED)


def fulfilment_text(order: Order) -> str | None:
    """The news of `order`'s parcel as it stands; None when there is nothing to tell (packed)."""
    status = order.fulfilment_status
    if status == FulfilmentStatus.SHIPPED:
        text = (
            f"Good news: order {order.number} has shipped with {order.carrier}, "
            f"tracking number {order.tracking_number}."
        )
        if order.tracking_url:
            text += f" Track it here: {order.tracking_url}"
        return text
    if status == FulfilmentStatus.DELIVERED:
        return f"Order {order.number} has been delivered. If anything is wrong with it, reply here and we'll help."
    if status == FulfilmentStatus.CANCELLED:
        return (
            f"Order {order.number} has been cancelled and will not be sent. "
            "Questions about it or a refund? Reply here and our team will answer."
        )
    return None


def order_notice_email_enqueue(*, order: Order, event: FulfilmentEvent) -> OutboundDelivery | None:
    """In the transition's transaction: the email for an order no conversation or platform tells."""
    if (
        order.conversation_id is not None
        or order.channel.startswith("acp:")
        or not order.contact_email
        or order.fulfilment_status not in TOLD
    ):
        return None
    return delivery_enqueue(
        kind=ORDER_NOTICE_EMAIL,
        key=f"order_notice:{event.pk}:email",
        payload={"order_id": order.pk, "event_id": event.pk},
    )


class OrderNoticeEmailSender(Sender):
    kind = ORDER_NOTICE_EMAIL

    def send(self, delivery: OutboundDelivery) -> SendResult:
        event = FulfilmentEvent.objects.select_related("order").filter(pk=delivery.payload["event_id"]).first()
        if event is None:
            return SendResult.nothing_to_send("The order's step is gone.")
        order = event.order
        if order.fulfilment_status != event.to_status:
            return SendResult.nothing_to_send("The parcel has moved on since; the newer step has its own email.")
        text = fulfilment_text(order)
        if text is None or not order.contact_email:
            return SendResult.nothing_to_send("Nothing to tell, or nobody to tell it to.")
        text = text.replace("reply here and we'll help", "reply to this email and we'll help").replace(
            "Reply here and", "Reply to this email and"
        )
        return outbound_send(
            message=OutboundMessage(
                channel="email",
                to=order.contact_email,
                text=f"{text}\n\n— {settings.PARLEY_SHOP_NAME}",
                subject=f"Your order {order.number}: {order.get_fulfilment_status_display().lower()}",
                idempotency_key=delivery.key,
                extra={"order_number": order.number, "order_notice": True},
            )
        )
