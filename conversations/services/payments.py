"""Telling the conversation what happened to its payment (stored as a message, pushed live).

Checkout does not call this: it sends its signals (`order_changed`, `checkout_session_closed`,
`subscription_changed`) inside the transaction of the change, and `conversations.receivers`
calls these services, so the message commits or rolls back with the payment's state.
"""

from checkout.enums import CheckoutStatus
from checkout.models import CheckoutSession, Order, Subscription
from checkout.services.pricing import chat_setup_steps
from conversations.enums import MessageType, Role
from conversations.models import Conversation
from conversations.services.messages import conversation_message_create, message_push
from conversations.services.whatsapp_outbound import conversation_message_relay
from core.money import money_display


def order_summary(order: Order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "subtotal": f"{order.subtotal:.2f}",
        "discount": f"{order.discount_total:.2f}",
        "total": f"{order.total:.2f}",
        "lines": [
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "lineTotal": f"{line.line_total:.2f}"}
            for line in order.lines.all()
        ],
        "needsAttention": order.needs_attention,
    }


def _plan_text(order: Order) -> str:
    session = order.checkout_session
    plan = session.plan if session else {}
    setup = ""
    if chat_setup_steps(plan):
        setup = " Next, the chat setup steps: we'll walk you through adding the chat to your site."
    names = " + ".join(line.name for line in order.lines.all())
    return (
        f"Payment received, thank you! Your subscription to {names} is active: "
        f"{money_display(order.total, order.currency)} a month. Order {order.number}.{setup}"
    )


def _parts_text(order: Order) -> str:
    lines = ", ".join(f"{line.quantity} × {line.sku} {line.name}" for line in order.lines.all())
    total = money_display(order.total, order.currency)
    text = f"Payment received, thank you! Order {order.number}: {lines}. Total {total}."
    if order.discount_total > 0:
        code = f" with code {order.discount_code.code}" if order.discount_code_id else ""
        text += f" You saved {money_display(order.discount_total, order.currency)}{code}."
    if order.needs_attention:
        text += (
            " One thing went wrong on our side: part of this order sold out while you were paying. "
            "A member of our team will contact you to offer a refund for what we cannot send, "
            "or a delivery date; you will not pay for anything we cannot send."
        )
    return text


def conversation_payment_confirmed(*, order: Order) -> None:
    if order.conversation_id is None:
        return
    order = (
        Order.objects.select_related("checkout_session", "discount_code", "conversation")
        .prefetch_related("lines")
        .get(pk=order.pk)
    )
    conversation = order.conversation
    is_plan = order.checkout_session is not None and order.checkout_session.mode == "subscription"
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.PAYMENT_CONFIRMED,
        content=_plan_text(order) if is_plan else _parts_text(order),
        metadata={"order_number": order.number, "needs_attention": order.needs_attention},
        push=False,
    )
    message_push(message=message, event_type="payment.confirmed", extra={"order": order_summary(order)})
    conversation_message_relay(message=message)


_CLOSED_TEXT = {
    CheckoutStatus.FAILED: "The payment did not go through. You can try again.",
    CheckoutStatus.EXPIRED: "The checkout link expired. Press Checkout now for a new one.",
}


def conversation_checkout_closed(*, session: CheckoutSession) -> None:
    """A checkout closed unpaid (failed or expired): the conversation is told it may try again."""
    if session.conversation_id is None or session.status not in _CLOSED_TEXT:
        return
    conversation = Conversation.objects.get(pk=session.conversation_id)
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=MessageType.PAYMENT_FAILED,
        content=_CLOSED_TEXT[session.status],
        metadata={"checkout_session_id": session.id},
    )
    conversation_message_relay(message=message)


def conversation_subscription_notice(*, subscription: Subscription, kind: str) -> None:
    """A renewal payment failed, or the subscription ended: said in the conversation it was bought in."""
    if subscription.conversation_id is None:
        return
    conversation = Conversation.objects.get(pk=subscription.conversation_id)
    if kind == "payment_failed":
        content = (
            f"Your monthly payment of {money_display(subscription.monthly_price, subscription.currency)} did not go through. "
            "Please update your card; your plan stays on while the payment is retried."
        )
        message_type = MessageType.PAYMENT_FAILED
    else:
        content = "Your subscription has been canceled. You can subscribe again at any time."
        message_type = MessageType.TEXT
    message = conversation_message_create(
        conversation=conversation,
        role=Role.ASSISTANT,
        message_type=message_type,
        content=content,
        metadata={"subscription_id": subscription.id, "notice": kind},
    )
    conversation_message_relay(message=message)
