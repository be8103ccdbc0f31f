"""Order events for agent platforms (the ACP webhook spec), through the outbox.

An event is an outbound delivery (`core.outbox`, kind `acp.order_event`) enqueued in the
transaction that changed the order, then POSTed to the platform's `webhook_url` with
`Merchant-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the
platform's `webhook_secret`. The outbox retries with backoff up to `ACP_WEBHOOK_MAX_ATTEMPTS`,
its reconcile beat picks up lost tasks and dead workers, and operators resend from the
outbox's admin (also after success: each delivery carries the full order as it is when it is
*sent*, so a repeat is a fresh snapshot). Each attempt keeps the body it sent.
"""

import hashlib
import hmac
import json
import time

import httpx
from django.conf import settings
from django.utils import timezone

from agentic.enums import OrderEventType
from agentic.models import AcpCheckoutSession, AgentPlatform
from agentic.selectors import order_permalink
from checkout.addresses import ADDRESS_REQUIRED_ACP, address_clean, address_is_complete
from checkout.enums import FulfilmentStatus, OrderStatus, RefundStatus
from checkout.models import Order
from core.ids import new_id
from core.money import to_minor
from core.outbox.models import OutboundDelivery
from core.outbox.registry import Sender, SendResult
from core.outbox.services import delivery_enqueue

_ORDER_STATUS = {
    OrderStatus.PAID: "confirmed",
    OrderStatus.PARTIALLY_REFUNDED: "confirmed",
    OrderStatus.REFUNDED: "canceled",
    OrderStatus.CANCELED: "canceled",
}
# Our fulfilment as the spec says it: the order's status, the fulfilment's, and its events' types.
_FULFILMENT_ORDER_STATUS = {
    FulfilmentStatus.PACKED: "processing",
    FulfilmentStatus.SHIPPED: "shipped",
    FulfilmentStatus.DELIVERED: "completed",
    FulfilmentStatus.CANCELLED: "canceled",
}
_FULFILMENT_STATUS = {
    FulfilmentStatus.UNFULFILLED: "pending",
    FulfilmentStatus.PACKED: "processing",
    FulfilmentStatus.SHIPPED: "shipped",
    FulfilmentStatus.DELIVERED: "delivered",
    FulfilmentStatus.CANCELLED: "canceled",
}
_FULFILMENT_EVENT_TYPE = {
    FulfilmentStatus.PACKED: "processing",
    FulfilmentStatus.SHIPPED: "shipped",
    FulfilmentStatus.DELIVERED: "delivered",
    FulfilmentStatus.CANCELLED: "canceled",
}
_ADJUSTMENT_STATUS = {
    RefundStatus.SUCCEEDED: "completed",
    RefundStatus.PENDING: "pending",
    RefundStatus.FAILED: "failed",
}


def merchant_signature(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _line_status(*, current: int, fulfilled: int) -> str:
    """The spec's rule: removed if current == 0, fulfilled if fulfilled == current, partial between."""
    if current == 0:
        return "removed"
    if fulfilled >= current:
        return "fulfilled"
    return "partial" if fulfilled else "processing"


def _fulfillments(order: Order, lines: list[dict]) -> list[dict]:
    """The order's one shipment (every line ships together) with its carrier, tracking and the
    append-only events of our audit trail; none for an order with nothing to ship."""
    if order.fulfilment_status == FulfilmentStatus.NOT_REQUIRED:
        return []
    fulfillment = {
        "id": f"ful_{order.number}",
        "type": "shipping",
        "status": _FULFILMENT_STATUS[order.fulfilment_status],
        "line_items": [{"id": line["id"], "quantity": line["quantity"]["ordered"]} for line in lines],
    }
    if order.tracking_number:
        fulfillment["carrier"] = order.carrier
        fulfillment["tracking_number"] = order.tracking_number
        if order.tracking_url:
            fulfillment["tracking_url"] = order.tracking_url
    destination = address_clean(order.shipping_address)
    if address_is_complete(destination, required=ADDRESS_REQUIRED_ACP):
        fulfillment["destination"] = destination
    fulfillment["events"] = [
        {"id": event.id, "type": _FULFILMENT_EVENT_TYPE[event.to_status], "occurred_at": _stamp(event.created_at)}
        for event in order.fulfilment_events.all()
        if event.to_status in _FULFILMENT_EVENT_TYPE
    ]
    return [fulfillment]


def order_acp_object(*, order: Order, checkout_session_id: str) -> dict:
    """The spec's `Order` for one of our orders: lines (with what has been fulfilled), the
    shipment (carrier, tracking, events), totals, refunds as adjustments."""
    currency = order.currency
    shipped = order.fulfilment_status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)
    cancelled = order.fulfilment_status == FulfilmentStatus.CANCELLED
    lines = []
    for line in order.lines.all():
        current = 0 if cancelled else line.quantity
        fulfilled = current if shipped else 0
        lines.append(
            {
                "id": f"oli_{line.pk}",
                "title": line.name,
                "product_id": line.sku,
                "quantity": {"ordered": line.quantity, "current": current, "fulfilled": fulfilled},
                "unit_price": to_minor(line.unit_price, currency),
                "subtotal": to_minor(line.line_total, currency),
                "status": _line_status(current=current, fulfilled=fulfilled),
            }
        )
    totals = [{"type": "subtotal", "display_text": "Subtotal", "amount": to_minor(order.subtotal, currency)}]
    if order.discount_total:
        totals.append(
            {"type": "discount", "display_text": "Discount", "amount": to_minor(order.discount_total, currency)}
        )
    totals += [
        {"type": "fulfillment", "display_text": "Shipping", "amount": to_minor(order.shipping_total, currency)},
        {"type": "tax", "display_text": "Tax", "amount": to_minor(order.tax_total, currency)},
        {"type": "total", "display_text": "Total", "amount": to_minor(order.total, currency)},
    ]
    if order.refunded_total:
        totals.append(
            {"type": "amount_refunded", "display_text": "Refunded", "amount": to_minor(order.refunded_total, currency)}
        )
    adjustments = [
        {
            "id": refund.id,
            "type": "refund",
            "occurred_at": _stamp(refund.created_at),
            "status": _ADJUSTMENT_STATUS.get(refund.status, "pending"),
            "amount": to_minor(refund.amount, refund.currency),
            "currency": refund.currency.lower(),
            "description": refund.reason or "Refund",
        }
        for refund in order.refunds.all()
    ]
    return {
        "type": "order",
        "id": order.number,
        "checkout_session_id": checkout_session_id,
        "order_number": order.number,
        "permalink_url": order_permalink(number=order.number),
        "status": _order_status(order),
        "line_items": lines,
        "fulfillments": _fulfillments(order, lines),
        "adjustments": adjustments,
        "totals": totals,
    }


def _order_status(order: Order) -> str:
    """Money first (refunded in full: canceled), then the parcel once it moved; an order flagged
    for an operator is `manual_review` until it does."""
    if order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELED):
        return "canceled"
    if order.fulfilment_status in _FULFILMENT_ORDER_STATUS:
        return _FULFILMENT_ORDER_STATUS[order.fulfilment_status]
    return "manual_review" if order.needs_attention else _ORDER_STATUS.get(order.status, "confirmed")


ORDER_EVENT = "acp.order_event"


def order_event_record(*, order: Order, event_type: str) -> OutboundDelivery | None:
    """Enqueue an event for the platform that sold `order`, sent once committed (None: nobody to tell)."""
    session = AcpCheckoutSession.objects.select_related("platform").filter(order=order).first()
    if session is None or not session.platform.webhook_url:
        return None
    return delivery_enqueue(
        kind=ORDER_EVENT,
        key=new_id("acpevt"),
        payload={
            "platform_id": session.platform_id,
            "order_id": order.pk,
            "event_type": OrderEventType(event_type).value,
            "checkout_session_id": session.id,
        },
    )


class OrderEventSender(Sender):
    """POSTs one order event, signed, with the order as it is now (the spec: full object, not a delta)."""

    kind = ORDER_EVENT
    resend_sent = True

    def attempts_allowed(self) -> int:
        return settings.ACP_WEBHOOK_MAX_ATTEMPTS

    def send(self, delivery: OutboundDelivery) -> SendResult:
        data = delivery.payload
        platform = AgentPlatform.objects.filter(pk=data["platform_id"]).first()
        order = (
            Order.objects.prefetch_related("lines", "refunds", "fulfilment_events").filter(pk=data["order_id"]).first()
        )
        if platform is None or order is None:
            return SendResult.failed("The platform or the order is gone.", retryable=False)
        if not platform.webhook_url:
            return SendResult.failed("The platform has no webhook URL.", retryable=False)
        payload = {
            "type": data["event_type"],
            "data": order_acp_object(order=order, checkout_session_id=data["checkout_session_id"]),
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Request-Id": new_id("whreq"),
            "Timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "User-Agent": "Parley-ACP-Webhooks/1.0",
        }
        if platform.webhook_secret:
            headers["Merchant-Signature"] = merchant_signature(secret=platform.webhook_secret, body=body)
        try:
            response = httpx.post(
                platform.webhook_url, content=body, headers=headers, timeout=settings.ACP_WEBHOOK_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            return SendResult.failed(f"{type(exc).__name__}: {exc}", retryable=True, request=payload)
        if 200 <= response.status_code < 300:
            return SendResult.ok(status_code=response.status_code, request=payload)
        return SendResult.failed(
            f"HTTP {response.status_code}: {response.text[:500]}",
            retryable=True,  # the platform decides when it is ready again; attempts are bounded
            status_code=response.status_code,
            request=payload,
        )
