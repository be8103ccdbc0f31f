"""Orders: created exactly once per paid checkout session, attributed to the conversation."""

import logging
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from actions.enums import ActionStatus
from actions.services.transitions import action_transition
from actions.state_machine import can_transition
from analytics.enums import EventName
from analytics.services import event_record
from analytics.services.experiments import order_completed_record
from catalog.services.stock import stock_take
from checkout.addresses import address_clean, contact_clean
from checkout.enums import CheckoutMode, CheckoutStatus, FulfilmentStatus, OrderSource
from checkout.models import CheckoutSession, Order, OrderLine
from checkout.services.discounts import discount_use_consume
from checkout.services.subscriptions import subscription_start
from checkout.signals import checkout_session_closed, order_changed

logger = logging.getLogger(__name__)

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


def _stock_take(session: CheckoutSession) -> tuple[dict, list[str]]:
    """Take the session's parts out of stock (catalog's service); what could not be covered is reported.

    The money is already taken when this runs, so a shortage does not stop the order: it is
    recorded, the order is flagged for an operator and the customer is told.
    """
    wanted = {}
    for line in session.line_items:
        wanted[line["sku"]] = wanted.get(line["sku"], 0) + int(line["quantity"])
    parts = {sku: quantity for sku, quantity in wanted.items() if not sku.startswith("plan:")}
    products, short = stock_take(quantities=parts)
    shortages = []
    for sku in parts:
        product = products.get(sku)
        if product is None:
            shortages.append(f"{sku} is no longer in the catalogue")
        elif sku in short:
            shortages.append(f"{sku} short by {short[sku]} (had {product.stock_quantity})")
    return products, shortages


def _order_source(session: CheckoutSession) -> str:
    if session.channel:
        return OrderSource.AGENTIC  # sold by an agent platform (ACP or a GPT action)
    return OrderSource.CONVERSATIONAL if session.conversation_id else OrderSource.TRADITIONAL


@transaction.atomic
def order_create_from_session(
    *,
    session: CheckoutSession,
    payment_ref: str = "",
    amount_paid: Decimal | None = None,
    provider_subscription_id: str = "",
    provider_customer_id: str = "",
    event_created: int = 0,
    shipping_address: dict | None = None,
    contact: dict | None = None,
) -> tuple[Order, bool]:
    """The order for a paid session, and whether this call created it (a replayed event does not).

    Runs once per session whatever the order of events: a session closed as expired or failed
    that is then paid still becomes an order (money was taken). Stock is checked again here;
    a shortage, or an amount paid that differs from ours, flags the order for an operator.
    `shipping_address` and `contact` are what the payment page collected (Stripe Checkout, the
    offline form); else the order keeps what the session was given (an ACP buyer's fulfilment
    details), and the customer's own contact fills what is still missing.
    """
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("action", "conversation", "customer")
        .get(pk=session.pk)
    )
    existing = Order.objects.filter(checkout_session=session).first()
    if existing is not None:
        return existing, False

    address = address_clean(shipping_address) or address_clean(session.shipping_address)
    customer = session.customer
    known = {"name": customer.name, "email": customer.email, "phone": customer.phone} if customer else {}
    who = {**contact_clean(known), **contact_clean(session.contact), **contact_clean(contact)}
    if not address.get("name") and who.get("name"):
        address = {"name": who["name"], **address} if address else {}
    products, problems = _stock_take(session)
    if amount_paid is not None and amount_paid != session.amount_total:
        problems.append(f"paid {amount_paid:.2f} {session.currency}, expected {session.amount_total:.2f}")
    order = Order.objects.create(
        number=order_number_new(),
        checkout_session=session,
        customer_id=session.customer_id,
        conversation=session.conversation,
        message_id=session.action.message_id if session.action else None,
        action=session.action,
        order_source=_order_source(session),
        channel=session.channel,
        currency=session.currency,
        subtotal=session.subtotal,
        discount_total=session.discount_total,
        shipping_total=session.shipping_total,
        tax_total=session.tax_total,
        shipping_option=session.shipping_option,
        shipping_address=address,
        contact_name=who.get("name", ""),
        contact_email=who.get("email", ""),
        contact_phone=who.get("phone", ""),
        fulfilment_status=(
            FulfilmentStatus.NOT_REQUIRED if session.mode == CheckoutMode.SUBSCRIPTION else FulfilmentStatus.UNFULFILLED
        ),
        discount_code_id=session.discount_code_id,
        total=session.amount_total,
        provider=session.provider,
        provider_payment_ref=payment_ref,
        needs_attention=bool(problems),
        attention_reason="; ".join(problems)[:500],
    )
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
    if session.discount_code_id:
        discount_use_consume(discount_code_id=session.discount_code_id)
    if session.mode == CheckoutMode.SUBSCRIPTION:
        subscription_start(
            session=session,
            order=order,
            provider_subscription_id=provider_subscription_id,
            provider_customer_id=provider_customer_id,
            event_created=event_created,
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
        properties={
            "order_number": order.number,
            "total": f"{order.total:.2f}",
            "discount": f"{order.discount_total:.2f}",
            "currency": order.currency,
            "order_source": order.order_source,
            "channel": order.channel,
            "mode": session.mode,
            "needs_attention": order.needs_attention,
        },
    )
    if session.conversation_id:
        # Paid in the chat: a conversion of the widget's visitor, for the holdout experiment.
        order_completed_record(
            order_key=f"parley:{order.number}",
            visitor_id=str((session.conversation.context or {}).get("visitorId", "")),
            value=order.total,
            currency=order.currency,
            occurred_at=order.created_at,
            source="parley",
        )
    if problems:
        logger.warning("order %s needs an operator: %s", order.number, order.attention_reason)
    order_changed.send(sender=Order, order=order, change="created")
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
    checkout_session_closed.send(sender=CheckoutSession, session=session)
    return True
