from django.db.models import Q, QuerySet

from checkout.enums import FulfilmentStatus, OrderStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.models import CheckoutSession, Order, WebhookEvent
from core.exceptions import NotFound

# Waiting for the warehouse: paid (a part refunded still ships the rest), not sent yet.
TO_SHIP = (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PACKED)
PAID = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


def orders_for_conversation(*, conversation_id: str) -> list[Order]:
    return list(Order.objects.filter(conversation_id=conversation_id).order_by("-created_at"))


def orders_to_ship(*, queryset: QuerySet | None = None, statuses=TO_SHIP) -> QuerySet:
    """Paid orders whose parcel has not left (`statuses`), oldest first, with their lines."""
    queryset = Order.objects.all() if queryset is None else queryset
    return (
        queryset.filter(fulfilment_status__in=statuses, status__in=PAID)
        .prefetch_related("lines")
        .order_by("created_at", "number")
    )


def checkout_session_get(*, session_id: str) -> CheckoutSession | None:
    return CheckoutSession.objects.select_related("action", "conversation").filter(id=session_id).first()


def order_get_for_staff(*, number: str) -> Order:
    order = (
        Order.objects.select_related("discount_code")
        .prefetch_related("lines", "refunds", "fulfilment_events")
        .filter(number=number.strip().upper())
        .first()
    )
    if order is None:
        raise NotFound(f"No order {number}.", code=CheckoutErrorCode.ORDER_NOT_FOUND)
    return order


def checkout_session_for_channel(*, session_id: str, channel: str) -> CheckoutSession | None:
    """A session sold through `channel` (an agent platform sees only its own; another's id is not found)."""
    return CheckoutSession.objects.filter(id=str(session_id)[:32], channel=channel).first()


def order_for_channel(*, channel: str, number: str = "", checkout_session_id: str = "") -> Order | None:
    """An order sold through `channel`, by its number or by the checkout session that made it."""
    orders = Order.objects.filter(channel=channel)
    if number:
        return orders.filter(number=number.strip().upper()[:32]).first()
    if checkout_session_id:
        return orders.filter(checkout_session_id=checkout_session_id).first()
    return None


def order_conversation_ids(*, number: str):
    """The conversation an order number belongs to, as a subquery (the operator inbox's search).
    Order numbers are made upper-case; the unique index answers the exact match."""
    return Order.objects.filter(number=number.strip().upper(), conversation__isnull=False).values("conversation_id")


def order_payment_events(*, order: Order, limit: int = 50) -> list[WebhookEvent]:
    """The provider's events about this order's money, oldest first: its checkout session's
    (completed, failed, expired) and its payment's (`charge.refunded`)."""
    match = Q()
    if order.checkout_session_id:
        match |= Q(payload__data__object__metadata__checkout_session_id=order.checkout_session_id)
        match |= Q(payload__data__object__client_reference_id=order.checkout_session_id)
    if order.provider_payment_ref:
        match |= Q(payload__data__object__payment_intent=order.provider_payment_ref)
    if not match:
        return []
    return list(WebhookEvent.objects.filter(match).order_by("created_at")[:limit])
