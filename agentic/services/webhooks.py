"""Order events for agent platforms (the ACP webhook spec), stored with the change, sent by Celery.

An event is a `WebhookDelivery` row written in the transaction that changed the order (an
outbox), then POSTed on commit to the platform's `webhook_url` with
`Merchant-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the
platform's `webhook_secret`. Failures are retried with exponential backoff up to
`ACP_WEBHOOK_MAX_ATTEMPTS`; a beat task picks up any whose task was lost; operators can
resend from the admin. Each delivery carries the full order as it is when it is *sent*.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agentic.enums import DeliveryStatus, OrderEventType
from agentic.models import AcpCheckoutSession, WebhookDelivery
from agentic.money import to_minor
from agentic.selectors import order_permalink
from checkout.enums import OrderStatus, RefundStatus
from checkout.models import Order
from core.ids import new_id

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"

_ORDER_STATUS = {
    OrderStatus.PAID: "confirmed",
    OrderStatus.PARTIALLY_REFUNDED: "confirmed",
    OrderStatus.REFUNDED: "canceled",
    OrderStatus.CANCELED: "canceled",
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


def order_acp_object(*, order: Order, checkout_session_id: str) -> dict:
    """The spec's `Order` for one of our orders: lines, totals, refunds as adjustments."""
    currency = order.currency
    lines = []
    for line in order.lines.all():
        lines.append(
            {
                "id": f"oli_{line.pk}",
                "title": line.name,
                "product_id": line.sku,
                "quantity": {"ordered": line.quantity, "current": line.quantity, "fulfilled": 0},
                "unit_price": to_minor(line.unit_price, currency),
                "subtotal": to_minor(line.line_total, currency),
                "status": "processing",
            }
        )
    totals = [{"type": "subtotal", "display_text": "Subtotal", "amount": to_minor(order.subtotal, currency)}]
    if order.discount_total:
        totals.append(
            {"type": "discount", "display_text": "Discount", "amount": to_minor(order.discount_total, currency)}
        )
    totals += [
        {"type": "fulfillment", "display_text": "Shipping", "amount": to_minor(order.shipping_total, currency)},
        {"type": "tax", "display_text": "Tax", "amount": 0},
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
            "occurred_at": refund.created_at.isoformat().replace("+00:00", "Z"),
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
        "status": "manual_review" if order.needs_attention else _ORDER_STATUS.get(order.status, "confirmed"),
        "line_items": lines,
        "adjustments": adjustments,
        "totals": totals,
    }


def order_event_record(*, order: Order, event_type: str) -> WebhookDelivery | None:
    """Store an event for the platform that sold `order` and send it once committed (None: nobody to tell)."""
    session = AcpCheckoutSession.objects.select_related("platform").filter(order=order).first()
    if session is None or not session.platform.webhook_url:
        return None
    delivery = WebhookDelivery.objects.create(
        platform=session.platform,
        order=order,
        event_type=OrderEventType(event_type),
        payload={"type": event_type, "data": {"checkout_session_id": session.id}},
        next_retry_at=timezone.now(),
    )
    _send_on_commit(delivery.pk)
    return delivery


def _send_on_commit(delivery_id: int) -> None:
    from agentic.tasks import webhook_delivery_send_task

    transaction.on_commit(lambda: webhook_delivery_send_task.delay(delivery_id))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts * 5, 3600))


def webhook_delivery_send(*, delivery_id: int) -> str:
    """POST one delivery; `sent`, `retry` (try again later), `failed` (gave up) or `skipped` (nothing to do)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("platform", "order")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return SKIPPED  # gone, done, or being sent by another worker right now
        platform = delivery.platform
        payload = delivery.payload
        if delivery.order is not None:
            # Always the whole order as it is now (the spec: full object, not a delta).
            order = Order.objects.prefetch_related("lines", "refunds").get(pk=delivery.order_id)
            payload = {
                "type": delivery.event_type,
                "data": order_acp_object(order=order, checkout_session_id=payload["data"]["checkout_session_id"]),
            }
            delivery.payload = payload
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Request-Id": new_id("whreq"),
            "Timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "User-Agent": "Parley-ACP-Webhooks/1.0",
        }
        if platform.webhook_secret:
            headers["Merchant-Signature"] = merchant_signature(secret=platform.webhook_secret, body=body)
        delivery.attempts += 1
        error, status_code = "", None
        if not platform.webhook_url:
            error = "The platform has no webhook URL."
        else:
            try:
                response = httpx.post(
                    platform.webhook_url, content=body, headers=headers, timeout=settings.ACP_WEBHOOK_TIMEOUT_SECONDS
                )
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}: {response.text[:500]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:1000]
        delivery.last_status_code = status_code
        delivery.last_error = error
        if not error:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_retry_at = None
            outcome = SENT
        elif delivery.attempts >= settings.ACP_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_retry_at = None
            outcome = FAILED
            logger.warning("webhook delivery %s to %s gave up: %s", delivery.pk, platform, error)
        else:
            delivery.next_retry_at = timezone.now() + _backoff(delivery.attempts)
            outcome = RETRY
        delivery.save()
    return outcome


@transaction.atomic
def webhook_deliveries_resend(*, delivery_ids: list[int]) -> int:
    """Send again (operator action): each becomes pending with a fresh set of attempts."""
    count = 0
    for delivery in WebhookDelivery.objects.select_for_update().filter(pk__in=delivery_ids):
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_retry_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_retry_at", "updated_at"])
        _send_on_commit(delivery.pk)
        count += 1
    return count


def webhook_deliveries_due(*, grace_seconds: int = 60, limit: int = 500) -> list[int]:
    """Pending deliveries whose retry time passed a while ago (their task was lost)."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_retry_at__lt=cutoff)
        .order_by("next_retry_at")
        .values_list("pk", flat=True)[:limit]
    )
