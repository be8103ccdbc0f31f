"""The authoritative cart of an ACP session, computed from the catalogue on every response.

Lines are priced by `checkout.services.parts.parts_basket` (the chat's stock and quantity
rules), codes by checkout's discount service, shipping from `ACP_SHIPPING_OPTIONS`. What
the agent can fix or must ask the buyer about comes back as `messages`, and decides the
status (`ready_for_payment` only with no error message).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from agentic.enums import AcpStatus
from agentic.error_codes import AcpErrorCode
from agentic.exceptions import AcpError
from catalog.images import product_image_absolute_url
from checkout.error_codes import CheckoutErrorCode
from checkout.services.discounts import AppliedDiscount, DiscountInvalid
from checkout.services.parts import PartsBasket, parts_basket, parts_discount
from checkout.services.tax import tax_minor, tax_rate_for
from core.money import from_minor, to_minor

# checkout's discount refusals → the spec's DiscountErrorCode
DISCOUNT_REASONS = {
    CheckoutErrorCode.DISCOUNT_CODE_INVALID: AcpErrorCode.DISCOUNT_CODE_INVALID,
    CheckoutErrorCode.DISCOUNT_CODE_NOT_YET_VALID: AcpErrorCode.DISCOUNT_CODE_INVALID,
    CheckoutErrorCode.DISCOUNT_CODE_EXPIRED: AcpErrorCode.DISCOUNT_CODE_EXPIRED,
    CheckoutErrorCode.DISCOUNT_CODE_USED_UP: AcpErrorCode.DISCOUNT_CODE_USAGE_LIMIT_REACHED,
    CheckoutErrorCode.DISCOUNT_CODE_FIRST_ORDER_ONLY: AcpErrorCode.DISCOUNT_CODE_USER_INELIGIBLE,
    CheckoutErrorCode.DISCOUNT_CODE_CURRENCY_MISMATCH: AcpErrorCode.DISCOUNT_CODE_INVALID,
    CheckoutErrorCode.DISCOUNT_EXCEEDS_TOTAL: AcpErrorCode.DISCOUNT_CODE_MINIMUM_NOT_MET,
}
# parts_basket problems a session can carry as messages (the rest refuse the request)
LINE_MESSAGES = {
    CheckoutErrorCode.OUT_OF_STOCK: (AcpErrorCode.OUT_OF_STOCK, "requires_buyer_input"),
    CheckoutErrorCode.LOW_STOCK: (AcpErrorCode.LOW_STOCK, "recoverable"),
    CheckoutErrorCode.QUANTITY_EXCEEDED: (AcpErrorCode.QUANTITY_EXCEEDED, "recoverable"),
    CheckoutErrorCode.QUANTITY_INVALID: (AcpErrorCode.INVALID, "recoverable"),
}


@dataclass
class Cart:
    basket: PartsBasket
    currency: str
    line_items: list[dict]
    fulfillment_options: list[dict]
    selected_fulfillment_options: list[dict]
    totals: list[dict]
    messages: list[dict]
    discounts: dict | None
    applied: AppliedDiscount | None
    shipping_option: dict | None
    shipping_amount: Decimal
    tax_amount: Decimal  # charged with the order (checkout's tax_total), in the major unit
    status: str
    total_minor: int
    extra: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        return {
            "line_items": self.line_items,
            "fulfillment_options": self.fulfillment_options,
            "selected_fulfillment_options": self.selected_fulfillment_options,
            "totals": self.totals,
            "messages": self.messages,
            "discounts": self.discounts,
        }


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add_business_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() and number >= 0 else None


def shipping_options(*, currency: str, goods_total: Decimal) -> list[tuple[dict, Decimal]]:
    """The configured options with a price in `currency`, as (spec FulfillmentOptionShipping, price)."""
    now = timezone.now()
    options = []
    for option in settings.ACP_SHIPPING_OPTIONS:
        price = _decimal((option.get("prices") or {}).get(currency.upper()))
        if price is None:
            continue
        description = option.get("description") or ""
        free_over = _decimal((option.get("free_over") or {}).get(currency.upper()))
        if free_over is not None:
            if goods_total >= free_over:
                price = Decimal("0")
            description = f"{description} (free over {free_over:.2f} {currency.upper()})".strip()
        rendered = {
            "type": "shipping",
            "id": str(option["id"]),
            "title": str(option.get("title") or option["id"]),
            "totals": [{"type": "total", "display_text": "Shipping", "amount": to_minor(price, currency)}],
        }
        if description:
            rendered["description"] = description
        if option.get("carrier"):
            rendered["carrier"] = str(option["carrier"])
        if option.get("min_business_days") is not None:
            rendered["earliest_delivery_time"] = _rfc3339(_add_business_days(now, int(option["min_business_days"])))
        if option.get("max_business_days") is not None:
            rendered["latest_delivery_time"] = _rfc3339(_add_business_days(now, int(option["max_business_days"])))
        options.append((rendered, price))
    return options


def _error(code: str, content: str, *, param: str | None = None, resolution: str = "recoverable") -> dict:
    message = {"type": "error", "code": code, "content_type": "plain", "content": content, "resolution": resolution}
    if param:
        message["param"] = param
    return message


def _apply_codes(codes: list[str], basket: PartsBasket, customer) -> tuple[AppliedDiscount | None, list, list]:
    applied, rejected, warnings = None, [], []
    for code in codes:
        try:
            candidate = parts_discount(code=code, basket=basket, customer=customer)
        except DiscountInvalid as exc:
            reason, text = DISCOUNT_REASONS.get(exc.code, AcpErrorCode.DISCOUNT_CODE_INVALID), exc.detail
        else:
            if applied is None:
                applied = candidate
                continue
            if candidate.code.pk == applied.code.pk:
                reason, text = AcpErrorCode.DISCOUNT_CODE_ALREADY_APPLIED, f"{code} is already applied."
            else:
                reason, text = (
                    AcpErrorCode.DISCOUNT_CODE_COMBINATION_DISALLOWED,
                    "Only one discount code applies per order.",
                )
        rejected.append({"code": code, "reason": reason, "message": text})
        warnings.append(
            {
                "type": "warning",
                "code": reason,
                "content_type": "plain",
                "content": text,
                "param": "$.discounts.codes",
                "resolution": "recoverable",
            }
        )
    return applied, rejected, warnings


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` minor units over lines in proportion to `weights` (the remainder to the largest)."""
    if not weights or sum(weights) == 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // sum(weights) for w in weights]
    shares[weights.index(max(weights))] += total - sum(shares)
    return shares


def cart_compute(
    *,
    items: list[dict],
    currency: str,
    fulfillment_details: dict | None,
    selected: list[dict] | None,
    discount_codes: list[str],
    customer=None,
) -> Cart:
    """Price the session's state. Raises AcpError (400) for what cannot be a cart at all:
    an unknown or unsold part, a currency the parts are not sold in, an unknown shipping option."""
    basket = parts_basket(items=[(i["id"], int(i.get("quantity", 1))) for i in items], currency=currency)
    messages = []
    for index, problem in basket.problems:
        if problem.code in (CheckoutErrorCode.NOT_FOUND, CheckoutErrorCode.NOT_SOLD):
            raise AcpError(problem.message, code=AcpErrorCode.INVALID_ITEM_ID, param=f"$.line_items[{index}].id")
        if problem.code == CheckoutErrorCode.CURRENCY_MISMATCH:
            raise AcpError(problem.message, code=AcpErrorCode.UNSUPPORTED_CURRENCY, param="$.currency")
        code, resolution = LINE_MESSAGES[problem.code]
        messages.append(_error(code, problem.message, param=f"$.line_items[{index}]", resolution=resolution))

    applied, rejected, warnings = _apply_codes(discount_codes, basket, customer) if discount_codes else (None, [], [])
    base = [to_minor(line.line_total, currency) for line in basket.lines]
    discount_minor = to_minor(applied.amount, currency) if applied else 0
    allocations = _allocate(discount_minor, base)
    goods = (basket.subtotal - (applied.amount if applied else Decimal("0"))).quantize(Decimal("0.01"))

    # Tax by the destination's rate (checkout/services/tax.py); none until there is an address.
    destination = (fulfillment_details or {}).get("address") or {}
    rate = tax_rate_for(country=str(destination.get("country", "")), region=str(destination.get("state", "")))
    line_taxes = [tax_minor(amount_minor=base[i] - allocations[i], rate=rate) for i in range(len(base))]

    line_ids = [f"li_{index + 1}" for index in range(len(basket.lines))]
    line_items = []
    for index, line in enumerate(basket.lines):
        product = line.product
        availability = "in_stock"
        if product.stock_quantity == 0:
            availability = "backorder" if product.backordered else "out_of_stock"
        elif product.stock_quantity < line.quantity:
            availability = "low_stock"
        rendered = {
            "id": line_ids[index],
            "item": {"id": product.ps_number},
            "quantity": line.quantity,
            "name": product.name,
            "unit_amount": to_minor(product.price, currency),
            "product_id": product.ps_number,
            "sku": product.manufacturer_part_number or product.ps_number,
            "availability_status": availability,
            "available_quantity": product.stock_quantity,
            "max_quantity_per_order": settings.PARLEY_MAX_QUANTITY,
            "totals": [
                {"type": "items_base_amount", "display_text": "Base amount", "amount": base[index]},
                {"type": "discount", "display_text": "Discount", "amount": allocations[index]},
                {"type": "subtotal", "display_text": "Subtotal", "amount": base[index] - allocations[index]},
                {"type": "tax", "display_text": "Tax", "amount": line_taxes[index]},
                {
                    "type": "total",
                    "display_text": "Total",
                    "amount": base[index] - allocations[index] + line_taxes[index],
                },
            ],
        }
        if product.description:
            rendered["description"] = product.description[:1000]
        image_url = product_image_absolute_url(product.image_url)
        if image_url.startswith(("https://", "http://")):
            rendered["images"] = [image_url]
        if product.category:
            rendered["category"] = product.category
        line_items.append(rendered)

    options = shipping_options(currency=currency, goods_total=goods)
    by_id = {rendered["id"]: (rendered, price) for rendered, price in options}
    chosen = None
    for position, choice in enumerate(selected or []):
        if choice.get("type", "shipping") != "shipping":
            # The spec's answer for a valid request the shop cannot serve: the session, with an
            # `unsupported` error message (MessageError), so it is not ready for payment.
            messages.append(
                _error(
                    AcpErrorCode.UNSUPPORTED,
                    f"{choice['type'].replace('_', ' ').capitalize()} is not offered: parts are shipped. "
                    "Choose one of the shipping options.",
                    param=f"$.selected_fulfillment_options[{position}].type",
                    resolution="requires_buyer_input",
                )
            )
            continue
        if choice.get("option_id") not in by_id:
            raise AcpError(
                f"No fulfillment option {choice.get('option_id')!r} for this cart.",
                code=AcpErrorCode.INVALID_FULFILLMENT_OPTION,
                param=f"$.selected_fulfillment_options[{position}].option_id",
            )
        chosen = by_id[choice["option_id"]]
    if chosen is None and options:
        chosen = options[0]
    selected_out = (
        [{"type": "shipping", "option_id": chosen[0]["id"], "item_ids": line_ids}] if chosen is not None else []
    )
    shipping_amount = chosen[1] if chosen is not None else Decimal("0")
    if not options:
        messages.append(
            _error(AcpErrorCode.UNSUPPORTED, f"We do not ship orders in {currency.upper()}.", param="$.currency")
        )

    address = (fulfillment_details or {}).get("address")
    if not address:
        messages.append(
            _error(
                AcpErrorCode.MISSING,
                "A shipping address is needed before payment.",
                param="$.fulfillment_details.address",
                resolution="requires_buyer_input",
            )
        )
    elif settings.ACP_SHIPPING_COUNTRIES and str(address.get("country", "")).upper() not in {
        c.upper() for c in settings.ACP_SHIPPING_COUNTRIES
    }:
        messages.append(
            _error(
                AcpErrorCode.REGION_RESTRICTED,
                f"We ship to {', '.join(settings.ACP_SHIPPING_COUNTRIES)} only.",
                param="$.fulfillment_details.address.country",
                resolution="requires_buyer_input",
            )
        )

    base_total = sum(base)
    subtotal = base_total - discount_minor
    shipping_minor = to_minor(shipping_amount, currency)
    tax_total_minor = sum(line_taxes) + (tax_minor(amount_minor=shipping_minor, rate=rate) if rate.on_shipping else 0)
    totals = [{"type": "items_base_amount", "display_text": "Item(s) total", "amount": base_total}]
    if applied:
        totals.append({"type": "discount", "display_text": f"Discount ({applied.code.code})", "amount": discount_minor})
    totals += [
        {"type": "subtotal", "display_text": "Subtotal", "amount": subtotal},
        {"type": "fulfillment", "display_text": "Shipping", "amount": shipping_minor},
        {"type": "tax", "display_text": rate.display, "amount": tax_total_minor},
        {"type": "total", "display_text": "Total", "amount": subtotal + shipping_minor + tax_total_minor},
    ]
    discounts = None
    if discount_codes:
        discounts = {"codes": list(discount_codes), "applied": [], "rejected": rejected}
        if applied:
            code = applied.code
            coupon = {"id": f"dc_{code.pk}", "name": code.code}
            if code.kind == "percent":
                coupon["percent_off"] = float(code.value)
            else:
                coupon["amount_off"] = to_minor(code.value, currency)
                coupon["currency"] = currency.lower()
            discounts["applied"] = [
                {
                    "id": f"ad_{code.pk}",
                    "code": code.code,
                    "coupon": coupon,
                    "amount": discount_minor,
                    "method": "across",
                    "allocations": [
                        {"path": f"$.line_items[{i}]", "amount": amount} for i, amount in enumerate(allocations)
                    ],
                }
            ]
    messages += warnings
    status = (
        AcpStatus.NOT_READY_FOR_PAYMENT if any(m["type"] == "error" for m in messages) else AcpStatus.READY_FOR_PAYMENT
    )
    return Cart(
        basket=basket,
        currency=currency,
        line_items=line_items,
        fulfillment_options=[rendered for rendered, _ in options],
        selected_fulfillment_options=selected_out,
        totals=totals,
        messages=messages,
        discounts=discounts,
        applied=applied,
        shipping_option=chosen[0] if chosen else None,
        shipping_amount=shipping_amount,
        tax_amount=from_minor(tax_total_minor, currency),
        status=status,
        total_minor=subtotal + shipping_minor + tax_total_minor,
    )
