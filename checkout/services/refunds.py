"""Refunds: asked for here through the provider that took the money, or reconciled from `charge.refunded`.

Both paths lock the order row (never across the provider call): `order_refund` writes its
refund `requested` before asking the provider, so the webhook that announces it finds that
row (by the provider's refund id, or by our refund id in the refund's metadata) and completes
it instead of adding another; whichever records second changes nothing.
`Order.refunded_total` only ever grows.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from analytics.services import event_record
from checkout import gateway
from checkout.enums import OrderStatus, RefundStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError, PaymentError
from checkout.models import Order, Refund
from checkout.providers.base import RefundRequest
from checkout.signals import order_changed
from core.money import currency_exponent, from_minor, to_minor

logger = logging.getLogger(__name__)

PAYMENT_REFUNDED = "payment_refunded"  # telemetry event name
REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


class RefundNotAllowed(CheckoutError):
    code = CheckoutErrorCode.REFUND_NOT_ALLOWED
    status_code = 409


def _amount(value: Decimal | None, *, order: Order, remaining: Decimal) -> Decimal:
    if value is None:
        if remaining <= 0:  # paid, not refunded yet, but refunds of all of it are on their way
            raise RefundNotAllowed(
                f"Nothing more of order {order.number} can be refunded: the rest is already being refunded.",
                code=CheckoutErrorCode.REFUND_EXCEEDS_BALANCE,
                fields={"amount": ["Nothing left to refund."]},
            )
        return remaining
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise CheckoutError(
            "The refund amount is not a number.",
            code=CheckoutErrorCode.REFUND_AMOUNT_INVALID,
            fields={"amount": ["Not a number."]},
        ) from exc
    if not amount.is_finite() or amount <= 0:
        raise CheckoutError(
            "A refund must be more than zero.",
            code=CheckoutErrorCode.REFUND_AMOUNT_INVALID,
            fields={"amount": ["Must be > 0."]},
        )
    decimals = currency_exponent(order.currency)
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise CheckoutError(
            f"A refund in {order.currency} has at most {decimals} decimals.",
            code=CheckoutErrorCode.REFUND_AMOUNT_INVALID,
            fields={"amount": [f"At most {decimals} decimals."]},
        )
    if amount > remaining:
        raise RefundNotAllowed(
            f"Only {remaining:.2f} {order.currency} of order {order.number} can still be refunded.",
            code=CheckoutErrorCode.REFUND_EXCEEDS_BALANCE,
            fields={"amount": [f"At most {remaining:.2f}."]},
        )
    return amount


def _status_for(order: Order) -> str:
    if order.refunded_total <= 0:
        return order.status
    return OrderStatus.REFUNDED if order.refunded_total >= order.total else OrderStatus.PARTIALLY_REFUNDED


def _order_totals_update(order: Order, *, at_least: Decimal = Decimal("0")) -> None:
    # A refund still `requested` is not money given back yet (the provider may refuse it).
    made = order.refunds.exclude(status__in=(RefundStatus.FAILED, RefundStatus.REQUESTED))
    recorded = made.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    order.refunded_total = min(max(order.refunded_total, recorded, at_least), order.total)
    if order.status in REFUNDABLE or order.status == OrderStatus.REFUNDED:
        order.status = _status_for(order)
    order.save(update_fields=["refunded_total", "status", "updated_at"])


def order_refund(*, order: Order, amount: Decimal | None = None, reason: str = "", idempotency_key: str = "") -> Order:
    """Refund `amount` (default: all that is left) of a paid order through its payment provider.

    Three steps, so no row stays locked while the provider answers (Saleor's
    `complete_checkout`): under the order's lock the refund is checked and written as
    `requested` (its amount is held against what is left), committed; the provider is asked
    with the refund's idempotency key; then, under the lock again, the outcome is recorded.
    With an `idempotency_key` (e.g. the operator decision asking for it), asking again with
    the same key refunds nothing more: a refund already made is returned as it is, one left
    `requested` by a crash is completed with the same key (the provider answers with the
    refund it made), and Stripe's own `charge.refunded` event completes it too.

    Refused, with nothing written, when the order was never paid (`order_not_paid`), is
    already fully refunded (`order_already_refunded`), the amount is not positive or not in
    cents (`refund_amount_invalid`) or exceeds what is left (`refund_exceeds_balance`). A
    provider refusal is a `payment_provider_error` (502), again with nothing left written.
    """
    refund = _refund_request(order=order, amount=amount, reason=reason, idempotency_key=idempotency_key)
    if refund.status != RefundStatus.REQUESTED:
        return Order.objects.get(pk=order.pk)  # made before: nothing more to do
    return _refund_ask(refund)


def _refund_ask(refund: Refund) -> Order:
    """Outside any lock: the provider asked for a `requested` refund with its idempotency key (so
    asking again never refunds twice), then its answer recorded. A refusal deletes the row."""
    try:
        result = gateway.refund_create(
            provider=refund.provider,
            request=RefundRequest(
                reference=refund.id,
                idempotency_key=refund.idempotency_key,
                payment_ref=refund.order.provider_payment_ref,
                amount=refund.amount,
                currency=refund.currency,
                reason=refund.reason,
                metadata={"order_number": refund.order.number, "conversation_id": refund.order.conversation_id or ""},
            ),
        )
    except LookupError as exc:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).delete()
        raise PaymentError(f"The refund could not be made: {exc}.") from exc
    if not result.is_success:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).delete()
        raise PaymentError(f"The payment provider refused the refund: {result.error}")
    return _refund_record(refund_id=refund.pk, provider_ref=result.provider_ref, status=result.status)


def refunds_stuck_complete(*, limit: int = 100) -> dict:
    """Beat: refunds left `requested` by a process that died between writing them and recording
    the provider's answer (older than PARLEY_REFUND_STUCK_SECONDS, so one still in flight is left
    to its process) are asked of the provider again with their own idempotency key: the provider
    answers with the refund it made, or makes it now, never a second one; then recorded as
    `order_refund` records it. Stripe's `charge.refunded` completes most of them first; this is
    for the rest (an event lost, the offline provider). A refusal deletes the row, as it does
    when the operator asks."""
    cutoff = timezone.now() - timedelta(seconds=settings.PARLEY_REFUND_STUCK_SECONDS)
    stuck = (
        Refund.objects.select_related("order")
        .filter(status=RefundStatus.REQUESTED, updated_at__lt=cutoff)
        .order_by("updated_at")[:limit]
    )
    counts = {"completed": 0, "refused": 0}
    for refund in stuck:
        try:
            _refund_ask(refund)
        except PaymentError as exc:
            logger.warning("refund %s (order %s) left requested was refused: %s", refund.pk, refund.order.number, exc)
            counts["refused"] += 1
        else:
            counts["completed"] += 1
    return counts


def refund_refusal(*, order: Order, amount=None) -> CheckoutError | None:
    """Why `amount` (None: everything left) cannot be refunded on `order` as it stands, or None:
    the rule `order_refund` applies under the order's lock, and what an operator's inbox and a
    customer's refund button check first (`refund_request`)."""
    if order.status == OrderStatus.REFUNDED or (order.status in REFUNDABLE and order.refundable_amount <= 0):
        return RefundNotAllowed(
            f"Order {order.number} is already fully refunded.",
            code=CheckoutErrorCode.ORDER_ALREADY_REFUNDED,
            fields={"orderNumber": ["Already fully refunded."]},
        )
    if order.status not in REFUNDABLE:
        return RefundNotAllowed(
            f"Order {order.number} has not been paid, so there is nothing to refund.",
            code=CheckoutErrorCode.ORDER_NOT_PAID,
            fields={"orderNumber": ["Not paid."]},
        )
    if amount in (None, ""):
        return None
    try:
        _amount(amount, order=order, remaining=order.refundable_amount)
    except CheckoutError as exc:
        return exc
    return None


@transaction.atomic
def _refund_request(*, order: Order, amount, reason: str, idempotency_key: str) -> Refund:
    """Under the order's lock: the refund checked and written `requested` (or the one this key made)."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if idempotency_key:
        previous = order.refunds.filter(idempotency_key=idempotency_key).first()
        if previous is not None:
            previous.order = order
            return previous
    problem = refund_refusal(order=order)
    if problem is not None:
        raise problem
    in_flight = order.refunds.filter(status=RefundStatus.REQUESTED).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    value = _amount(amount, order=order, remaining=max(order.refundable_amount - in_flight, Decimal("0")))
    if order.provider != "test" and not order.provider_payment_ref:
        raise RefundNotAllowed(
            f"Order {order.number} has no payment reference to refund against.",
            code=CheckoutErrorCode.PAYMENT_REFERENCE_MISSING,
        )
    attempt = order.refunds.count() + 1
    return Refund.objects.create(
        order=order,
        amount=value,
        currency=order.currency,
        reason=reason[:500],
        provider=order.provider,
        status=RefundStatus.REQUESTED,
        idempotency_key=idempotency_key or f"refund:{order.number}:{attempt}:{to_minor(value, order.currency)}",
    )


@transaction.atomic
def _refund_record(*, refund_id: str, provider_ref: str, status: str) -> Order:
    """Under the order's lock: the provider's answer on the refund, the order's totals, the news."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    order = Order.objects.select_for_update(of=("self",)).get(pk=refund.order_id)
    refund.refresh_from_db()
    if refund.status != RefundStatus.REQUESTED:
        return order  # the provider's own event recorded it meanwhile (order_refund_reconcile)
    refund.provider_refund_id = provider_ref
    refund.status = RefundStatus.SUCCEEDED if status == "succeeded" else RefundStatus.PENDING
    refund.save(update_fields=["provider_refund_id", "status", "updated_at"])
    _order_totals_update(order)
    event_record(
        name=PAYMENT_REFUNDED,
        conversation_id=order.conversation_id or "",
        action_type=order.action.type if order.action_id else "",
        properties={
            "order_number": order.number,
            "refund_id": refund.id,
            "amount": f"{refund.amount:.2f}",
            "currency": order.currency,
            "order_status": order.status,
        },
    )
    order_changed.send(sender=Order, order=order, change="refunded")
    return order


def _from_minor(value, currency: str) -> Decimal:
    try:
        return from_minor(value, currency)
    except (TypeError, ValueError):
        return Decimal("0")


@transaction.atomic
def order_refund_reconcile(*, charge: dict) -> Order | None:
    """Bring an order in line with a Stripe `charge` object (from `charge.refunded`); idempotent.

    Refunds listed on the charge are recorded once by their id; any refunded amount the
    list does not explain (a dashboard refund, or a charge sent without its refund list) is
    recorded as one reconciliation row. Returns None when no order took that payment.
    """
    payment_ref = charge.get("payment_intent") or charge.get("id") or ""
    if not payment_ref:
        return None
    order = Order.objects.select_for_update(of=("self",)).filter(provider_payment_ref=payment_ref).first()
    if order is None:
        return None
    created = []
    refunds = (charge.get("refunds") or {}).get("data") or []
    for data in refunds:
        if not isinstance(data, dict) or not data.get("id"):
            continue
        ours = (data.get("metadata") or {}).get("refund_id")
        requested = order.refunds.filter(pk=ours, status=RefundStatus.REQUESTED).first() if ours else None
        if requested is not None:
            # Asked for by order_refund and made by the provider, not recorded yet (still in
            # flight, or its process died): this is that refund, not a new one.
            status = data.get("status")
            requested.provider_refund_id = data["id"]
            requested.status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED}.get(
                status, RefundStatus.FAILED if status == "canceled" else RefundStatus.PENDING
            )
            requested.save(update_fields=["provider_refund_id", "status", "updated_at"])
            created.append(requested)
            continue
        if Refund.objects.filter(order=order, provider_refund_id=data["id"]).exists():
            status = data.get("status")
            if status in ("succeeded", "failed"):
                Refund.objects.filter(order=order, provider_refund_id=data["id"]).exclude(status=status).update(
                    status=RefundStatus.SUCCEEDED if status == "succeeded" else RefundStatus.FAILED
                )
            continue
        amount = _from_minor(data.get("amount"), order.currency)
        if amount <= 0 or data.get("status") in ("failed", "canceled"):
            continue
        unnamed = order.refunds.filter(from_webhook=True, provider_refund_id="", amount=amount).first()
        if unnamed is not None:
            unnamed.provider_refund_id = data["id"]
            unnamed.save(update_fields=["provider_refund_id", "updated_at"])
            continue
        created.append(
            Refund.objects.create(
                order=order,
                amount=amount,
                currency=order.currency,
                reason=((data.get("metadata") or {}).get("reason") or "Refunded at the payment provider")[:500],
                status=RefundStatus.SUCCEEDED if data.get("status") == "succeeded" else RefundStatus.PENDING,
                provider=order.provider,
                provider_refund_id=data["id"],
                idempotency_key=f"webhook:{data['id']}",
                from_webhook=True,
            )
        )
    charged_refunded = min(_from_minor(charge.get("amount_refunded"), order.currency), order.total)
    recorded = order.refunds.exclude(status=RefundStatus.FAILED).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    if charged_refunded > recorded:
        created.append(
            Refund.objects.create(
                order=order,
                amount=charged_refunded - recorded,
                currency=order.currency,
                reason="Refunded at the payment provider",
                provider=order.provider,
                idempotency_key=f"webhook:{charge.get('id', payment_ref)}:{to_minor(charged_refunded, order.currency)}",
                from_webhook=True,
            )
        )
    before = (order.refunded_total, order.status)
    _order_totals_update(order, at_least=charged_refunded)
    if created or before != (order.refunded_total, order.status):
        event_record(
            name=PAYMENT_REFUNDED,
            conversation_id=order.conversation_id or "",
            properties={
                "order_number": order.number,
                "refund_ids": [r.id for r in created],
                "refunded_total": f"{order.refunded_total:.2f}",
                "currency": order.currency,
                "order_status": order.status,
                "source": "webhook",
            },
        )
        order_changed.send(sender=Order, order=order, change="refunded")
    return order
