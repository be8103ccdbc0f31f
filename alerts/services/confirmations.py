"""The double opt-in message: a signed confirmation link (and a signed way out) to the contact.

Sent through the outbox (`core.outbox`, kind `alerts.confirmation`): enqueued with the
subscription (or its repeat request, or the admin's "send again"), sent after commit with the
delivery's key as the message's idempotency key, retried with backoff; a subscription that is
no longer waiting for its opt-in by then is left alone (the delivery ends `cancelled`).
"""

from django.conf import settings
from django.utils import timezone

from alerts.delivery import AlertMessage, Sender, render
from alerts.enums import AlertChannel, SubscriptionStatus
from alerts.models import BackInStockSubscription
from alerts.tokens import confirm_url, unsubscribe_url
from core.ids import new_id
from core.outbox import registry as outbox
from core.outbox.models import OutboundDelivery
from core.outbox.services import delivery_enqueue

CONFIRMATION = "alerts.confirmation"


def subscription_confirmation_enqueue(*, subscription_id: str) -> OutboundDelivery:
    """In the caller's transaction: the opt-in message goes out once that commits (a new message
    each call: a repeat request or the admin's "send again" is meant to send it again)."""
    return delivery_enqueue(
        kind=CONFIRMATION, key=new_id(f"alert-confirm-{subscription_id}-"), payload={"subscription_id": subscription_id}
    )


class ConfirmationSender(outbox.Sender):
    """What to send for an opt-in (outbox kind `alerts.confirmation`)."""

    kind = CONFIRMATION

    def send(self, delivery: OutboundDelivery) -> outbox.SendResult:
        subscription = (
            BackInStockSubscription.objects.select_related("product")
            .filter(id=delivery.payload["subscription_id"])
            .first()
        )
        if subscription is None or subscription.status != SubscriptionStatus.PENDING:
            return outbox.SendResult.nothing_to_send("The subscription is no longer waiting for its opt-in.")
        link = unsubscribe_url(subscription.id)
        subject, text, html = render(
            "confirm",
            {
                "shop_name": settings.PARLEY_SHOP_NAME,
                "product": subscription.product,
                "confirm_url": confirm_url(subscription.id),
                "unsubscribe_url": link,
                "valid_days": max(1, settings.ALERTS_CONFIRM_MAX_AGE_SECONDS // 86400),
            },
        )
        with Sender() as sender:
            return sender.send(
                AlertMessage(
                    channel=subscription.channel,
                    to=subscription.contact,
                    subject=subject,
                    text=text,
                    html=html if subscription.channel == AlertChannel.EMAIL else "",
                    unsubscribe_url=link,
                    idempotency_key=delivery.key,
                    conversation_id=subscription.conversation_id or "",
                )
            )

    def on_sent(self, delivery: OutboundDelivery, result: outbox.SendResult) -> None:
        BackInStockSubscription.objects.filter(pk=delivery.payload["subscription_id"]).update(
            confirmation_sent_at=timezone.now()
        )
