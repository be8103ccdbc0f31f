"""Listeners: an order sold through an agent platform tells that platform when it changes."""

from django.dispatch import receiver

from checkout.models import Order
from checkout.signals import order_changed


@receiver(order_changed, sender=Order, dispatch_uid="agentic.order_changed")
def order_changed_notify_platform(sender, *, order: Order, change: str, **kwargs) -> None:
    if change == "created":
        return  # the ACP complete call records its own order_create event with the order
    from agentic.services.webhooks import order_event_record

    order_event_record(order=order, event_type="order_update")
