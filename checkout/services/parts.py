"""Parts bought outside the chat: priced baskets and their checkout sessions.

The second front door (the Agentic Commerce Protocol API in `agentic/`, and the GPT
actions' "start a checkout") sells through the same rules as the chat's `checkout_now`:
the part must be in the catalogue and in the shop's scope, the quantity between 1 and
`PARLEY_MAX_QUANTITY`, the stock enough (`part_problem`, shared with the chat), prices from
the catalogue, discount codes through `discount_apply`, and the order through
`order_create_from_session` (stock taken, code used up, exactly one order per session).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.enums import EventName
from analytics.services import event_record
from catalog import selectors as catalog
from catalog.models import Product
from checkout import gateway
from checkout.addresses import address_clean, contact_clean
from checkout.enums import CheckoutMode, CheckoutStatus
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.models import CheckoutSession, Order
from checkout.providers.base import ChargeResult, DelegatedChargeRequest
from checkout.services.discounts import AppliedDiscount, discount_apply
from checkout.services.orders import checkout_session_close_unpaid, order_create_from_session


@dataclass(frozen=True)
class PartProblem:
    """Why a line cannot be bought as asked. `code`: not_found, not_sold, quantity_invalid,
    quantity_exceeded, out_of_stock, low_stock, currency_mismatch."""

    code: str
    message: str


@dataclass(frozen=True)
class PartLine:
    requested_id: str
    quantity: int
    product: Product | None
    problem: PartProblem | None = None

    @property
    def unit_price(self) -> Decimal:
        return self.product.price if self.product is not None else Decimal("0")

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class PartsBasket:
    lines: tuple[PartLine, ...]
    currency: str
    problems: tuple[tuple[int, PartProblem], ...] = field(default=())

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines if line.product is not None), Decimal("0"))

    @property
    def is_buyable(self) -> bool:
        return bool(self.lines) and not self.problems


def part_problem(*, product: Product | None, quantity: int) -> PartProblem | None:
    """The shop's rule for selling `quantity` of `product` (the chat's `checkout_now` uses it too)."""
    if not catalog.product_is_sellable(product=product):
        return PartProblem(CheckoutErrorCode.NOT_SOLD, "That part is not sold here.")
    if quantity < 1:
        return PartProblem(CheckoutErrorCode.QUANTITY_INVALID, "The quantity must be at least 1.")
    if quantity > settings.PARLEY_MAX_QUANTITY:
        return PartProblem(CheckoutErrorCode.QUANTITY_EXCEEDED, f"At most {settings.PARLEY_MAX_QUANTITY} per order.")
    if not product.in_stock:
        return PartProblem(CheckoutErrorCode.OUT_OF_STOCK, f"{product.ps_number} is out of stock.")
    if product.stock_quantity < quantity:
        return PartProblem(
            CheckoutErrorCode.LOW_STOCK, f"Only {product.stock_quantity} of {product.ps_number} in stock."
        )
    return None


def parts_basket(*, items: list[tuple[str, int]], currency: str = "") -> PartsBasket:
    """Price `(part id, quantity)` pairs from the catalogue; what cannot be sold is listed by line index.

    A part id is a PS number (or manufacturer part number). Ids naming the same part are one
    line's quantity for the stock check. The basket's currency is the parts' (all must agree,
    and match `currency` when given).
    """
    lines, problems = [], []
    products = [catalog.product_get(ps_number=part_id) for part_id, _ in items]
    wanted: dict[int, int] = {}
    for product, (_, quantity) in zip(products, items, strict=True):
        if product is not None:
            wanted[product.pk] = wanted.get(product.pk, 0) + max(quantity, 0)
    basket_currency = (currency or "").upper() or next((p.currency for p in products if p is not None), "")
    for index, (product, (part_id, quantity)) in enumerate(zip(products, items, strict=True)):
        if product is None:
            problem = PartProblem(CheckoutErrorCode.NOT_FOUND, f"No part {part_id} in the catalogue.")
        elif product.currency.upper() != basket_currency:
            problem = PartProblem(
                CheckoutErrorCode.CURRENCY_MISMATCH,
                f"{product.ps_number} is sold in {product.currency}, not {basket_currency}.",
            )
        else:
            problem = part_problem(product=product, quantity=quantity) or part_problem(
                product=product, quantity=wanted[product.pk]
            )
        lines.append(PartLine(requested_id=part_id, quantity=quantity, product=product, problem=problem))
        if problem is not None:
            problems.append((index, problem))
    return PartsBasket(lines=tuple(lines), currency=basket_currency, problems=tuple(problems))


def parts_discount(*, code: str, basket: PartsBasket, customer=None) -> AppliedDiscount:
    """Price a discount code for a basket (raises `DiscountInvalid`). Call inside a transaction."""
    return discount_apply(code=code, currency=basket.currency, subtotal=basket.subtotal, customer=customer)


def checkout_session_create_for_parts(
    *,
    items: list[tuple[str, int]],
    channel: str,
    idempotency_key: str,
    currency: str = "",
    discount_code: str = "",
    shipping_total: Decimal = Decimal("0"),
    tax_total: Decimal = Decimal("0"),
    shipping_option: str = "",
    shipping_address: dict | None = None,
    contact: dict | None = None,
    customer=None,
    email: str = "",
    hosted: bool = True,
) -> CheckoutSession:
    """A checkout session for a basket of parts sold through `channel` (e.g. `acp:chatgpt`).

    `hosted`: start the provider's hosted payment page (its URL is the session's `url`, paid
    through the usual webhook), after the session is committed and with no row locked;
    otherwise the session waits for `checkout_session_charge_delegated`. Refuses (nothing
    written) when a line cannot be sold, the discount code does not apply or the provider
    refuses the page.
    """
    from checkout.services.sessions import _provider_start

    previous = CheckoutSession.objects.filter(idempotency_key=idempotency_key).first()
    if previous is not None:
        if hosted and not previous.url:
            _provider_start(previous, created=False, customer_email=email or (customer.email if customer else ""))
        return previous
    session = _reserve_for_parts(
        items=items,
        channel=channel,
        idempotency_key=idempotency_key,
        currency=currency,
        discount_code=discount_code,
        shipping_total=shipping_total,
        tax_total=tax_total,
        shipping_option=shipping_option,
        shipping_address=shipping_address,
        contact=contact,
        customer=customer,
    )
    if hosted:
        _provider_start(session, created=True, customer_email=email or (customer.email if customer else ""))
    event_record(
        name=EventName.PAYMENT_LINK_GENERATED,
        ps_number=session.line_items[0]["sku"],
        properties={
            "checkout_session_id": session.id,
            "amount": f"{session.amount_total:.2f}",
            "currency": session.currency,
            "discount": f"{session.discount_total:.2f}",
            "channel": channel,
            "hosted": hosted,
        },
    )
    return session


@transaction.atomic
def _reserve_for_parts(
    *,
    items: list[tuple[str, int]],
    channel: str,
    idempotency_key: str,
    currency: str,
    discount_code: str,
    shipping_total: Decimal,
    tax_total: Decimal,
    shipping_option: str,
    shipping_address: dict | None,
    contact: dict | None,
    customer,
) -> CheckoutSession:
    """Check the basket and the code (locking the code), write the session: nothing leaves yet."""
    basket = parts_basket(items=items, currency=currency)
    if not basket.lines:
        raise CheckoutError("Name at least one part.", code=CheckoutErrorCode.ITEMS_REQUIRED)
    if basket.problems:
        index, problem = basket.problems[0]
        raise CheckoutError(
            problem.message,
            code=problem.code,
            status_code=409 if problem.code in ("out_of_stock", "low_stock") else 400,
            fields={f"items[{index}]": [problem.message]},
        )
    applied = parts_discount(code=discount_code, basket=basket, customer=customer) if discount_code else None
    discount = applied.amount if applied else Decimal("0")
    subtotal = basket.subtotal
    session = CheckoutSession.objects.create(
        customer=customer,
        provider=gateway.payment_provider().name,
        idempotency_key=idempotency_key,
        mode=CheckoutMode.PAYMENT,
        currency=basket.currency,
        subtotal=subtotal,
        discount_total=discount,
        discount_code=applied.code if applied else None,
        shipping_total=shipping_total,
        tax_total=tax_total,
        shipping_option=shipping_option,
        shipping_address=address_clean(shipping_address),
        contact=contact_clean(contact),
        amount_total=subtotal - discount + shipping_total + tax_total,
        channel=channel,
        line_items=[
            {
                "sku": line.product.ps_number,
                "name": line.product.name,
                "quantity": line.quantity,
                "unitPrice": f"{line.unit_price:.2f}",
                "lineTotal": f"{line.line_total:.2f}",
            }
            for line in basket.lines
        ],
        expires_at=timezone.now() + timedelta(minutes=settings.CHECKOUT_SESSION_TTL_MINUTES),
    )
    return session


def checkout_session_charge_delegated(
    *, session: CheckoutSession, token: str, authentication: dict | None = None, description: str = ""
) -> ChargeResult:
    """Ask the provider to charge an agent's delegated payment token for `session`, with no row
    locked and no transaction of ours open (a slow provider holds nothing up). The provider's
    idempotency key is the session's, so asking again (a retry, a completion resumed after a
    crash) is never a second charge. Record the answer with `checkout_session_charge_record`.

    Answers a succeeded charge at once when the session already has its order; refuses a
    session that is closed (`checkout_session_closed`).
    """
    existing = Order.objects.filter(checkout_session=session).first()
    if existing is not None:
        return ChargeResult(status="succeeded", provider_ref=existing.provider_payment_ref)
    session = CheckoutSession.objects.get(pk=session.pk)
    if session.status != CheckoutStatus.OPEN:
        raise CheckoutError(
            "This checkout session is closed.", code=CheckoutErrorCode.CHECKOUT_SESSION_CLOSED, status_code=409
        )
    return gateway.delegated_charge(
        DelegatedChargeRequest(
            reference=session.id,
            idempotency_key=f"{session.idempotency_key}:charge",
            token=token,
            amount=session.amount_total,
            currency=session.currency,
            metadata={"channel": session.channel},
            authentication=authentication,
            description=description,
        )
    )


@transaction.atomic
def checkout_session_charge_record(*, session: CheckoutSession, result: ChargeResult) -> Order | None:
    """Under the session's lock: the provider's answer to `checkout_session_charge_delegated`.

    Paid: the order (made once: the session's order when it has one). Declined: the session
    closed as failed (its discount hold freed). 3-D Secure wanted or the provider unreachable:
    the session stays open. Returns the order, None unless paid.
    """
    session = CheckoutSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
    existing = Order.objects.filter(checkout_session=session).first()
    if existing is not None:
        return existing
    if result.status == "succeeded":
        order, _ = order_create_from_session(
            session=session,
            payment_ref=result.provider_ref,
            amount_paid=result.amount if result.amount else None,
        )
        return order
    if result.status == "declined":
        checkout_session_close_unpaid(
            session=session, status=CheckoutStatus.FAILED, reason=result.error or "The payment was declined."
        )
    return None
