"""Conversations listen to checkout and actions (the apps below) instead of them calling in.

Each receiver runs inside the transaction of the change and only hands over to a service of
conversations (`payments`, `decisions`), which writes the message (pushed on commit).
"""

from django.dispatch import receiver

from actions.models import ActionResponse
from actions.signals import action_response_delivered
from checkout.models import CheckoutSession, Order, Subscription
from checkout.signals import checkout_session_closed, order_changed, subscription_changed
from conversations.services.decisions import conversation_decision_record
from conversations.services.order_notices import conversation_fulfilment_notice
from conversations.services.payments import (
    conversation_checkout_closed,
    conversation_payment_confirmed,
    conversation_subscription_notice,
)


@receiver(order_changed, sender=Order, dispatch_uid="conversations.order_changed")
def on_order_changed(sender, *, order: Order, change: str, **kwargs) -> None:
    if change == "created":
        conversation_payment_confirmed(order=order)
    elif change == "fulfilment":
        conversation_fulfilment_notice(order=order)


@receiver(checkout_session_closed, sender=CheckoutSession, dispatch_uid="conversations.checkout_session_closed")
def on_checkout_session_closed(sender, *, session: CheckoutSession, **kwargs) -> None:
    conversation_checkout_closed(session=session)


@receiver(subscription_changed, sender=Subscription, dispatch_uid="conversations.subscription_changed")
def on_subscription_changed(sender, *, subscription: Subscription, change: str, **kwargs) -> None:
    conversation_subscription_notice(subscription=subscription, kind=change)


@receiver(action_response_delivered, sender=ActionResponse, dispatch_uid="conversations.action_response_delivered")
def on_action_response_delivered(sender, *, action, response: ActionResponse, status_text: str, **kwargs) -> None:
    conversation_decision_record(
        conversation=action.conversation, action=action, response=response, status_text=status_text
    )
