"""Fulfilment: an order's parcel from `unfulfilled` to `packed`, `shipped` (carrier, tracking
number, tracking link) and `delivered`, or `cancelled` before it leaves.

Every move goes through `order_fulfilment_transition`: under the order's row lock the move is
checked against `FULFILMENT_NEXT` (a second admin pressing "Mark shipped" a moment later finds
it shipped and is refused, so nothing is said twice), the order updated, an audit row written
(`FulfilmentEvent`: who, when, from, to) and `order_changed(change="fulfilment")` sent inside the
transaction: conversations tells the customer in their conversation and on its channel, agentic
sends the ACP platform an `order_update`, and an order with neither is emailed at its contact
address (`checkout/notices.py`); all are written with the change and leave on commit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from analytics.services import event_record
from checkout.enums import FULFILMENT_NEXT, FulfilmentStatus, OrderStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.models import FulfilmentEvent, Order
from checkout.notices import order_notice_email_enqueue
from checkout.signals import order_changed

FULFILMENT_CHANGED = "fulfilment_changed"  # telemetry event name
# What may be packed or shipped: paid, possibly partly refunded (a part refunded, the rest sent).
SHIPPABLE_PAYMENT = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
_STAMP = {
    FulfilmentStatus.PACKED: "packed_at",
    FulfilmentStatus.SHIPPED: "shipped_at",
    FulfilmentStatus.DELIVERED: "delivered_at",
    FulfilmentStatus.CANCELLED: "cancelled_at",
}
_url_valid = URLValidator(schemes=["http", "https"])


class FulfilmentNotAllowed(CheckoutError):
    code = CheckoutErrorCode.FULFILMENT_TRANSITION_INVALID
    status_code = 409


def _label(status: str) -> str:
    return FulfilmentStatus(status).label.lower()


def fulfilment_refusal(*, order: Order, to_status: str) -> CheckoutError | None:
    """Why `order` cannot move to `to_status` as it stands, or None (the rule the service applies
    under the lock; the admin asks it first to show only the buttons that would work)."""
    if to_status not in FulfilmentStatus.values:
        return CheckoutError(
            f"Unknown fulfilment status {to_status!r}; one of: {', '.join(FulfilmentStatus.values)}.",
            code=CheckoutErrorCode.FULFILMENT_TRANSITION_INVALID,
            fields={"status": ["Unknown status."]},
        )
    current = order.fulfilment_status
    if current == FulfilmentStatus.NOT_REQUIRED:
        return FulfilmentNotAllowed(
            f"Order {order.number} has nothing to ship (a subscription).",
            code=CheckoutErrorCode.FULFILMENT_NOT_REQUIRED,
        )
    if to_status not in FULFILMENT_NEXT.get(current, ()):
        allowed = ", ".join(_label(s) for s in FULFILMENT_NEXT.get(current, ())) or "nothing (it is final)"
        return FulfilmentNotAllowed(
            f"Order {order.number} is {_label(current)}; it cannot be marked {_label(to_status)}. "
            f"From {_label(current)} it can go to: {allowed}.",
            fields={"status": [f"Not allowed from {current}."]},
        )
    if to_status in (FulfilmentStatus.PACKED, FulfilmentStatus.SHIPPED) and order.status not in SHIPPABLE_PAYMENT:
        return FulfilmentNotAllowed(
            f"Order {order.number} is {order.get_status_display().lower()}; only a paid order is packed or shipped.",
            code=CheckoutErrorCode.ORDER_NOT_PAID,
            fields={"status": ["The order is not paid."]},
        )
    return None


def _tracking(*, carrier: str, tracking_number: str, tracking_url: str) -> tuple[str, str, str]:
    carrier, tracking_number, tracking_url = (
        " ".join(str(carrier or "").split()),
        "".join(str(tracking_number or "").split()),
        str(tracking_url or "").strip(),
    )
    missing = {
        name: ["Required to mark an order shipped."]
        for name, value in (("carrier", carrier), ("tracking_number", tracking_number))
        if not value
    }
    if missing:
        raise CheckoutError(
            "A shipped order needs its carrier and tracking number.",
            code=CheckoutErrorCode.TRACKING_REQUIRED,
            fields=missing,
        )
    problems = {}
    if len(carrier) > 80:
        problems["carrier"] = ["At most 80 characters."]
    if len(tracking_number) > 80 or not tracking_number.isprintable():
        problems["tracking_number"] = ["At most 80 printable characters."]
    if tracking_url:
        try:
            _url_valid(tracking_url)
        except ValidationError:
            problems["tracking_url"] = ["An http(s) link to the carrier's tracking page."]
        if len(tracking_url) > 500:
            problems["tracking_url"] = ["At most 500 characters."]
    if problems:
        raise CheckoutError(
            "The carrier or tracking details are not valid.", code=CheckoutErrorCode.TRACKING_INVALID, fields=problems
        )
    return carrier, tracking_number, tracking_url


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return (actor.get_full_name() or actor.get_username())[:150]


@transaction.atomic
def order_fulfilment_transition(
    *,
    order: Order,
    to_status: str,
    actor=None,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
    note: str = "",
) -> Order:
    """Move `order`'s fulfilment to `to_status`, once, with an audit row; the order as it now is.

    Refused with nothing written: an unknown status or a move `FULFILMENT_NEXT` does not allow
    (409 `fulfilment_transition_invalid`, also when asked twice), packing or shipping an order
    that is not paid (409 `order_not_paid`), an order with nothing to ship (409
    `fulfilment_not_required`), `shipped` without carrier and tracking number (400
    `tracking_required`) or with a bad tracking link (400 `tracking_invalid`).
    """
    if to_status == FulfilmentStatus.SHIPPED:
        carrier, tracking_number, tracking_url = _tracking(
            carrier=carrier, tracking_number=tracking_number, tracking_url=tracking_url
        )
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    problem = fulfilment_refusal(order=order, to_status=to_status)
    if problem is not None:
        raise problem
    now = timezone.now()
    from_status = order.fulfilment_status
    order.fulfilment_status = to_status
    fields = ["fulfilment_status", "updated_at"]
    if to_status in _STAMP:
        setattr(order, _STAMP[to_status], now)
        fields.append(_STAMP[to_status])
    if to_status == FulfilmentStatus.SHIPPED:
        order.carrier, order.tracking_number, order.tracking_url = carrier, tracking_number, tracking_url
        fields += ["carrier", "tracking_number", "tracking_url"]
    order.save(update_fields=fields)
    event = FulfilmentEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=_actor_label(actor),
        carrier=carrier if to_status == FulfilmentStatus.SHIPPED else "",
        tracking_number=tracking_number if to_status == FulfilmentStatus.SHIPPED else "",
        tracking_url=tracking_url if to_status == FulfilmentStatus.SHIPPED else "",
        note=str(note or "")[:500],
    )
    event_record(
        name=FULFILMENT_CHANGED,
        conversation_id=order.conversation_id or "",
        properties={
            "order_number": order.number,
            "from": from_status,
            "to": to_status,
            "channel": order.channel,
            **({"carrier": carrier} if to_status == FulfilmentStatus.SHIPPED else {}),
        },
    )
    order_changed.send(sender=Order, order=order, change="fulfilment")
    order_notice_email_enqueue(order=order, event=event)
    return order
