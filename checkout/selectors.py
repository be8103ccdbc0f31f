from checkout.error_codes import CheckoutErrorCode
from checkout.models import CheckoutSession, Order
from core.exceptions import NotFound


def orders_for_conversation(*, conversation_id: str) -> list[Order]:
    return list(Order.objects.filter(conversation_id=conversation_id).order_by("-created_at"))


def checkout_session_get(*, session_id: str) -> CheckoutSession | None:
    return CheckoutSession.objects.select_related("action", "conversation").filter(id=session_id).first()


def order_get_for_staff(*, number: str) -> Order:
    order = (
        Order.objects.select_related("discount_code")
        .prefetch_related("lines", "refunds")
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
