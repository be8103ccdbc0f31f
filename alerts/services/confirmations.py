"""The double opt-in message: a signed confirmation link (and a signed way out) to the contact."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.delivery import AlertMessage, Sender, render
from alerts.enums import SubscriptionStatus
from alerts.models import BackInStockSubscription
from alerts.tokens import confirm_url, unsubscribe_url

logger = logging.getLogger(__name__)


def subscription_confirmation_send(*, subscription_id: str) -> str:
    """Send the opt-in message of a pending subscription; anything else is left alone (idempotent)."""
    from alerts.services.notices import AlertDeliveryRetryable

    subscription = BackInStockSubscription.objects.select_related("product").filter(id=subscription_id).first()
    if subscription is None or subscription.status != SubscriptionStatus.PENDING:
        return "skipped"
    product = subscription.product
    link = unsubscribe_url(subscription.id)
    subject, text, html = render(
        "confirm",
        {
            "shop_name": settings.PARLEY_SHOP_NAME,
            "product": product,
            "confirm_url": confirm_url(subscription.id),
            "unsubscribe_url": link,
            "valid_days": max(1, settings.ALERTS_CONFIRM_MAX_AGE_SECONDS // 86400),
        },
    )
    with Sender() as sender:
        result = sender.send(
            AlertMessage(
                channel=subscription.channel,
                to=subscription.contact,
                subject=subject,
                text=text,
                html=html if subscription.channel == "email" else "",
                unsubscribe_url=link,
                idempotency_key=f"alert-confirm-{subscription.id}-{int(timezone.now().timestamp())}",
                conversation_id=subscription.conversation_id or "",
            )
        )
    if result.is_success:
        with transaction.atomic():
            BackInStockSubscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=timezone.now())
        return "sent"
    if result.retryable:
        raise AlertDeliveryRetryable(result.error)
    logger.warning("alert confirmation for %s not sent: %s", subscription.id, result.error)
    return "failed"
