"""Telling the conversation what happened to its payment (stored as a message, pushed live)."""

from checkout.models import CheckoutSession, Order
from conversations.enums import MessageType, Role
from conversations.models import Conversation
from conversations.services.messages import conversation_message_create, message_push


def order_summary(order: Order) -> dict:
    return {"number": order.number, "total": f"{order.total:.2f}", "currency": order.currency, "status": order.status}


def conversation_payment_confirmed(*, order: Order) -> None:
    if order.conversation_id is None:
        return
    conversation = Conversation.objects.get(pk=order.conversation_id)
    lines = ", ".join(f"{line.quantity} × {line.sku} {line.name}" for line in order.lines.all())
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.PAYMENT_CONFIRMED,
        content=f"Payment received, thank you! Order {order.number}: {lines}. Total {order.total:.2f} {order.currency}.",
        metadata={"order_number": order.number},
        push=False,
    )
    message_push(message=message, event_type="payment.confirmed", extra={"order": order_summary(order)})


def conversation_payment_failed(*, session: CheckoutSession, reason: str) -> None:
    if session.conversation_id is None:
        return
    conversation = Conversation.objects.get(pk=session.conversation_id)
    conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.PAYMENT_FAILED,
        content=reason,
        metadata={"checkout_session_id": session.id},
    )
