"""Discount codes: checked and priced at session creation, used up exactly once at payment.

A code's `max_uses` counts payments (`times_used`) plus open, unexpired checkout sessions
holding it, both read under the code's row lock: two customers racing for the last use
cannot both get a session with it. A session that expires or fails frees its hold. The
use is consumed when the order is created (once per paid session, under the same lock);
money already taken at the discounted price is honoured even if the code ran out since.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F
from django.utils import timezone

from checkout.enums import CheckoutStatus, DiscountKind, OrderStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.models import CheckoutSession, DiscountCode, Order

CENT = Decimal("0.01")
# Card networks (and Stripe) will not charge less than this in the major currencies.
MINIMUM_CHARGE = Decimal("0.50")


class DiscountInvalid(CheckoutError):
    code = CheckoutErrorCode.DISCOUNT_CODE_INVALID
    status_code = 400


@dataclass(frozen=True)
class AppliedDiscount:
    code: DiscountCode
    amount: Decimal


def _refuse(code: str, detail: str) -> None:
    raise DiscountInvalid(detail, code=code, fields={"discount_code": [detail]})


def _first_time_buyer(customer) -> bool:
    if customer is None:
        return False  # cannot be checked: someone we do not know may have bought before
    paid = Order.objects.exclude(status=OrderStatus.CANCELED)
    if paid.filter(customer_id=customer.pk).exists():
        return False
    return not (customer.email and paid.filter(customer__email__iexact=customer.email).exists())


def discount_apply(*, code: str, currency: str, subtotal: Decimal, customer) -> AppliedDiscount:
    """Validate `code` for this basket and price it. Call inside the session's transaction (locks the code)."""
    normalised = (code or "").strip()
    discount = DiscountCode.objects.select_for_update().filter(code__iexact=normalised).first() if normalised else None
    if discount is None or not discount.is_active:
        _refuse(CheckoutErrorCode.DISCOUNT_CODE_INVALID, f"{normalised or 'That'} is not a valid discount code.")
    now = timezone.now()
    if discount.valid_from and now < discount.valid_from:
        _refuse(CheckoutErrorCode.DISCOUNT_CODE_NOT_YET_VALID, f"{discount.code} is not valid yet.")
    if discount.valid_until and now >= discount.valid_until:
        _refuse(CheckoutErrorCode.DISCOUNT_CODE_EXPIRED, f"{discount.code} has expired.")
    if discount.max_uses is not None:
        held = CheckoutSession.objects.filter(
            discount_code=discount, status=CheckoutStatus.OPEN, expires_at__gt=now
        ).count()
        if discount.times_used + held >= discount.max_uses:
            _refuse(CheckoutErrorCode.DISCOUNT_CODE_USED_UP, f"{discount.code} has been used up.")
    if discount.first_time_only and not _first_time_buyer(customer):
        _refuse(CheckoutErrorCode.DISCOUNT_CODE_FIRST_ORDER_ONLY, f"{discount.code} is for a first order only.")
    if discount.kind == DiscountKind.FIXED:
        if discount.currency and discount.currency.upper() != currency.upper():
            _refuse(
                CheckoutErrorCode.DISCOUNT_CODE_CURRENCY_MISMATCH,
                f"{discount.code} is worth {discount.value:.2f} {discount.currency.upper()}; this order is in {currency}.",
            )
        amount = min(discount.value, subtotal)
    else:
        amount = (subtotal * min(discount.value, Decimal(100)) / 100).quantize(CENT, ROUND_HALF_UP)
    if subtotal - amount < MINIMUM_CHARGE:
        _refuse(
            CheckoutErrorCode.DISCOUNT_EXCEEDS_TOTAL,
            f"{discount.code} would bring this order below the minimum charge of {MINIMUM_CHARGE} {currency}.",
        )
    return AppliedDiscount(code=discount, amount=amount)


def discount_use_consume(*, discount_code_id: int) -> None:
    """One paid order used the code (called once, by the service creating the order)."""
    DiscountCode.objects.select_for_update().filter(pk=discount_code_id).update(times_used=F("times_used") + 1)
