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
