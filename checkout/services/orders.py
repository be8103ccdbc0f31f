"""Orders: created exactly once per paid checkout session, attributed to the conversation."""

import secrets

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from actions.enums import ActionStatus
from actions.lifecycle import can_transition
from actions.services.lifecycle import action_transition
from analytics.enums import EventName
from analytics.services import event_record
from catalog.models import Product
from checkout.enums import CheckoutStatus, OrderSource
from checkout.models import CheckoutSession, Order, OrderLine

_ORDER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def order_number_new() -> str:
    return "ORD-" + timezone.now().strftime("%y%m%d") + "-" + "".join(secrets.choice(_ORDER_ALPHABET) for _ in range(6))


def _action_settle(action, to_status: str, *, enabled: bool, error: str = "", result: dict | None = None) -> None:
    if action is None or action.status == to_status:
        return
    if not can_transition(action.status, to_status) and can_transition(action.status, ActionStatus.CLICKED):
        action_transition(action=action, to_status=ActionStatus.CLICKED)
    if can_transition(action.status, to_status):
        action_transition(action=action, to_status=to_status, enabled=enabled, error=error, result=result)


@transaction.atomic
def order_create_from_session(*, session: CheckoutSession, payment_ref: str = "") -> tuple[Order, bool]:
    """The order for a paid session, and whether this call created it (a replayed event does not)."""
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("action", "conversation")
        .get(pk=session.pk)
    )
    existing = Order.objects.filter(checkout_session=session).first()
    if existing is not None:
        return existing, False

    order = Order.objects.create(
        number=order_number_new(),
        checkout_session=session,
        customer_id=session.customer_id,
        conversation=session.conversation,
        message_id=session.action.message_id if session.action else None,
        action=session.action,
        order_source=OrderSource.CONVERSATIONAL if session.conversation_id else OrderSource.TRADITIONAL,
        currency=session.currency,
        subtotal=session.subtotal,
        discount_total=session.discount_total,
        total=session.amount_total,
        provider=session.provider,
        provider_payment_ref=payment_ref,
    )
    products = {p.ps_number: p for p in Product.objects.filter(ps_number__in=[li["sku"] for li in session.line_items])}
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=products.get(li["sku"]),
                sku=li["sku"],
                name=li["name"],
                quantity=li["quantity"],
                unit_price=li["unitPrice"],
                line_total=li["lineTotal"],
            )
            for li in session.line_items
        ]
    )
    for line in session.line_items:
        Product.objects.filter(ps_number=line["sku"]).update(
            stock_quantity=Greatest(F("stock_quantity") - line["quantity"], 0)
        )
    session.status = CheckoutStatus.COMPLETE
    session.completed_at = timezone.now()
    session.save(update_fields=["status", "completed_at", "updated_at"])
    _action_settle(session.action, ActionStatus.SUCCEEDED, enabled=False, result={"orderNumber": order.number})
    event_record(
        name=EventName.PAYMENT_COMPLETED,
        conversation_id=session.conversation_id or "",
        action_type=session.action.type if session.action else "",
        ps_number=session.line_items[0]["sku"] if session.line_items else "",
        properties={"order_number": order.number, "total": f"{order.total:.2f}", "currency": order.currency},
    )
    return order, True


@transaction.atomic
def checkout_session_close_unpaid(*, session: CheckoutSession, status: str, reason: str) -> bool:
    """Payment failed or the session expired: the button becomes usable again. False if already settled."""
    session = CheckoutSession.objects.select_for_update(of=("self",)).select_related("action").get(pk=session.pk)
    if session.status != CheckoutStatus.OPEN:
        return False
    session.status = status
    session.save(update_fields=["status", "updated_at"])
    _action_settle(session.action, ActionStatus.FAILED, enabled=True, error=reason)
    event_record(
        name=EventName.PAYMENT_FAILED,
        conversation_id=session.conversation_id or "",
        action_type=session.action.type if session.action else "",
        properties={"checkout_session_id": session.id, "reason": reason},
    )
    return True
