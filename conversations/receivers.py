"""Conversations listen to checkout (the app below) instead of checkout calling into them.

Each receiver runs inside the transaction of the payment change and only hands over to
`conversations.services.payments`, which writes the message (pushed on commit).
"""

from django.dispatch import receiver

from checkout.models import CheckoutSession, Order, Subscription
from checkout.signals import checkout_session_closed, order_changed, subscription_changed
from conversations.services.payments import (
    conversation_checkout_closed,
    conversation_payment_confirmed,
    conversation_subscription_notice,
)


@receiver(order_changed, sender=Order, dispatch_uid="conversations.order_changed")
def on_order_changed(sender, *, order: Order, change: str, **kwargs) -> None:
    if change == "created":
        conversation_payment_confirmed(order=order)


@receiver(checkout_session_closed, sender=CheckoutSession, dispatch_uid="conversations.checkout_session_closed")
def on_checkout_session_closed(sender, *, session: CheckoutSession, **kwargs) -> None:
    conversation_checkout_closed(session=session)


@receiver(subscription_changed, sender=Subscription, dispatch_uid="conversations.subscription_changed")
def on_subscription_changed(sender, *, subscription: Subscription, change: str, **kwargs) -> None:
    conversation_subscription_notice(subscription=subscription, kind=change)
