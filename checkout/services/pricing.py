"""Plan pricing (seeds/004): one function from the checkout payload to a price, or a precise refusal.

The payload is `product_type` (email | chat | bundle), `email_plan`, `chat_plan`,
`chat_addon` and `calculated_monthly_price`. Tiers, prices and the bundle rule all come
from the active `PriceBook`; the client's `calculated_monthly_price` is only compared
with the server's price, never used.

Refusals, checked in this order so every invalid payload gets one stable code (the
`fields` of the error list every problem found at the same step):

1. `plan_payload_invalid` — not a JSON object.
2. `product_type_missing` / `product_type_unknown`.
3. `chat_addon_invalid` — present but not a JSON boolean.
4. The combination, by product type:
   - email: `chat_plan_not_allowed` (a chat plan on email-only), `chat_addon_requires_bundle`
     (an add-on is bought as a bundle), `email_plan_missing`;
   - chat: `email_plan_not_allowed`, `chat_addon_not_allowed` (an add-on on chat-only),
     `chat_plan_missing`;
   - bundle: `chat_plan_not_allowed` (add-on features follow the email tier),
     `bundle_requires_chat_addon` (`chat_addon: false` on a bundle), `email_plan_missing`.
5. `email_plan_unknown` / `chat_plan_unknown` — not a tier of the active price book.
6. `price_missing` (only when the caller requires it), `price_invalid`, `price_mismatch`.

A price book that lacks an entry the payload needs is the vendor's problem, not the
client's: `price_book_incomplete` (503), as is having no active book (`price_book_missing`).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from checkout.enums import BundleRule, PriceKind
from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.models import PriceBook, PriceBookEntry

CENT = Decimal("0.01")
PRODUCT_TYPES = ("email", "chat", "bundle")


class PlanInvalid(CheckoutError):
    code = CheckoutErrorCode.PLAN_INVALID
    status_code = 400


class PriceBookUnavailable(CheckoutError):
    code = CheckoutErrorCode.PRICE_BOOK_MISSING
    status_code = 503


@dataclass(frozen=True)
class QuoteLine:
    kind: str  # email_plan | chat_plan | chat_addon | chat_list | bundle_discount
    code: str
    name: str
    monthly_price: Decimal
    stripe_price_id: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code, "name": self.name, "monthlyPrice": f"{self.monthly_price:.2f}"}


@dataclass(frozen=True)
class PlanQuote:
    product_type: str
    email_plan: str | None
    chat_plan: str | None
    chat_addon: bool
    currency: str
    monthly_price: Decimal
    lines: tuple[QuoteLine, ...]
    bundle_rule: str
    discount: Decimal = Decimal("0")
    chat_setup_steps: bool = False
    chat_features: str | None = None
    payment_link: str = ""
    payment_link_setting: str = ""
    price_book_id: int | None = None
    entries: tuple[PriceBookEntry, ...] = field(default=(), compare=False, repr=False)

    @property
    def name(self) -> str:
        return " + ".join(line.name for line in self.lines if line.kind != "bundle_discount")

    def payload(self) -> dict:
        """The normalised payload, as stored on the session and sent as metadata."""
        return {
            "product_type": self.product_type,
            "email_plan": self.email_plan,
            "chat_plan": self.chat_plan,
            "chat_addon": self.chat_addon,
            "calculated_monthly_price": f"{self.monthly_price:.2f}",
        }


@dataclass(frozen=True)
class _Book:
    book: PriceBook
    entries: dict[tuple[str, str], PriceBookEntry]

    def codes(self, kind: str) -> list[str]:
        return sorted(code for k, code in self.entries if k == kind)


def _active_book() -> _Book:
    entries = list(
        PriceBookEntry.objects.select_related("price_book")
        .filter(price_book__is_active=True)
        .order_by("-price_book_id")
    )
    if entries:
        book = entries[0].price_book
        return _Book(book=book, entries={(e.kind, e.code): e for e in entries if e.price_book_id == book.pk})
    book = PriceBook.objects.filter(is_active=True).order_by("-pk").first()
    if book is None:
        raise PriceBookUnavailable(
            "Plans are not on sale: there is no active price book.", code=CheckoutErrorCode.PRICE_BOOK_MISSING
        )
    return _Book(book=book, entries={})


def chat_setup_steps(payload: dict) -> bool:
    """Seeds/004: chat-only always; a bundle only when `chat_addon` is true; email-only never,
    unless chat was explicitly bought with it (`chat_addon` true)."""
    if not isinstance(payload, dict):
        return False
    return payload.get("product_type") == "chat" or payload.get("chat_addon") is True


def _plan_code(value) -> str | None:
    """None for absent / null / empty; the lower-cased code otherwise (anything else is kept to be refused)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip().lower()
        return value or None
    return value  # a number, a list…: unknown tier, refused at step 5


def _refuse(code: str, detail: str, fields: dict) -> None:
    raise PlanInvalid(detail, code=code, fields=fields)


def _combination(product_type: str, email_plan, chat_plan, chat_addon: bool | None) -> None:
    problems: list[tuple[str, str, str, str]] = []  # (code, field, field message, detail)
    if product_type == "email":
        if chat_plan is not None:
            problems.append(
                (
                    CheckoutErrorCode.CHAT_PLAN_NOT_ALLOWED,
                    "chat_plan",
                    "Must be null for email-only.",
                    "An email-only purchase has no chat plan.",
                )
            )
        if chat_addon:
            problems.append(
                (
                    CheckoutErrorCode.CHAT_ADDON_REQUIRES_BUNDLE,
                    "chat_addon",
                    "Use product_type bundle.",
                    "Email with the chat add-on is a bundle: send product_type bundle.",
                )
            )
        if email_plan is None:
            problems.append((CheckoutErrorCode.EMAIL_PLAN_MISSING, "email_plan", "Required.", "Choose an email plan."))
    elif product_type == "chat":
        if email_plan is not None:
            problems.append(
                (
                    CheckoutErrorCode.EMAIL_PLAN_NOT_ALLOWED,
                    "email_plan",
                    "Must be null for chat-only.",
                    "A standalone chat purchase has no email plan; for both, send product_type bundle.",
                )
            )
        if chat_addon:
            problems.append(
                (
                    CheckoutErrorCode.CHAT_ADDON_NOT_ALLOWED,
                    "chat_addon",
                    "Must be false for chat-only.",
                    "The chat add-on goes with an email plan, not with standalone chat.",
                )
            )
        if chat_plan is None:
            problems.append((CheckoutErrorCode.CHAT_PLAN_MISSING, "chat_plan", "Required.", "Choose a chat plan."))
    else:  # bundle
        if chat_plan is not None:
            problems.append(
                (
                    CheckoutErrorCode.CHAT_PLAN_NOT_ALLOWED,
                    "chat_plan",
                    "Must be null for a bundle.",
                    "A bundle's chat features follow its email plan; it takes no chat plan.",
                )
            )
        if chat_addon is False:
            problems.append(
                (
                    CheckoutErrorCode.BUNDLE_REQUIRES_CHAT_ADDON,
                    "chat_addon",
                    "Must be true for a bundle.",
                    "A bundle is an email plan with the chat add-on; for email only, send product_type email.",
                )
            )
        if email_plan is None:
            problems.append(
                (CheckoutErrorCode.EMAIL_PLAN_MISSING, "email_plan", "Required.", "A bundle needs an email plan.")
            )
    if problems:
        code, _, _, detail = problems[0]
        _refuse(code, detail, {f: [message] for _, f, message, _ in problems})


# The documented field's bound (PlanPayloadSerializer: 10 digits, 2 of them decimals).
MAX_CLIENT_PRICE = Decimal("99999999.99")


def _client_price(value, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            _refuse(
                CheckoutErrorCode.PRICE_MISSING,
                "Send the monthly price the customer was shown.",
                {"calculated_monthly_price": ["Required."]},
            )
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        _refuse(
            CheckoutErrorCode.PRICE_INVALID,
            "The price is not a number.",
            {"calculated_monthly_price": ["Not a number."]},
        )
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _refuse(
            CheckoutErrorCode.PRICE_INVALID,
            "The price is not a number.",
            {"calculated_monthly_price": ["Not a number."]},
        )
    if not price.is_finite() or price < 0:
        _refuse(
            CheckoutErrorCode.PRICE_INVALID,
            "The price must be 0 or more.",
            {"calculated_monthly_price": ["Must be a finite amount."]},
        )
    # Compared to the cent later: a number past decimal's 28 digits (1e308, 1e30) cannot be.
    if price > MAX_CLIENT_PRICE:
        _refuse(
            CheckoutErrorCode.PRICE_INVALID,
            f"The price must be at most {MAX_CLIENT_PRICE}.",
            {"calculated_monthly_price": [f"At most {MAX_CLIENT_PRICE}."]},
        )
    return price


def _entry(book: _Book, kind: str, code: str) -> PriceBookEntry:
    entry = book.entries.get((kind, code))
    if entry is None:
        raise PriceBookUnavailable(
            f"The price book has no {PriceKind(kind).label.lower()} for {code!r}.",
            code=CheckoutErrorCode.PRICE_BOOK_INCOMPLETE,
        )
    return entry


def _line(entry: PriceBookEntry, *, kind: str | None = None) -> QuoteLine:
    return QuoteLine(
        kind=kind or entry.kind,
        code=entry.code,
        name=entry.name,
        monthly_price=entry.monthly_price,
        stripe_price_id=entry.stripe_price_id,
    )


def plan_quote(*, payload, require_price: bool = False) -> PlanQuote:
    """Price a plan payload from the active price book, or raise `PlanInvalid` with a precise code."""
    if not isinstance(payload, dict):
        _refuse(CheckoutErrorCode.PLAN_PAYLOAD_INVALID, "The plan payload must be a JSON object.", {})
    product_type = payload.get("product_type")
    if product_type is None or product_type == "":
        _refuse(
            CheckoutErrorCode.PRODUCT_TYPE_MISSING,
            "Say what is bought: email, chat or bundle.",
            {"product_type": ["Required."]},
        )
    if product_type not in PRODUCT_TYPES:
        _refuse(
            CheckoutErrorCode.PRODUCT_TYPE_UNKNOWN,
            f"Unknown product_type {product_type!r}: one of email, chat, bundle.",
            {"product_type": ["One of email, chat, bundle."]},
        )
    chat_addon = payload.get("chat_addon")
    if chat_addon is not None and not isinstance(chat_addon, bool):
        _refuse(
            CheckoutErrorCode.CHAT_ADDON_INVALID,
            "chat_addon must be true or false.",
            {"chat_addon": ["Must be a boolean."]},
        )
    email_plan = _plan_code(payload.get("email_plan"))
    chat_plan = _plan_code(payload.get("chat_plan"))
    _combination(product_type, email_plan, chat_plan, chat_addon)

    book = _active_book()
    for kind, value, name in (
        (PriceKind.EMAIL_PLAN, email_plan, "email_plan"),
        (PriceKind.CHAT_PLAN, chat_plan, "chat_plan"),
    ):
        if value is not None and (not isinstance(value, str) or (kind, value) not in book.entries):
            tiers = ", ".join(book.codes(kind))
            _refuse(
                CheckoutErrorCode(f"{name}_unknown"),
                f"Unknown {name.replace('_', ' ')} {value!r}: one of {tiers}.",
                {name: [f"One of {tiers}."]},
            )
    client_price = _client_price(payload.get("calculated_monthly_price"), required=require_price)

    price_book = book.book
    discount = Decimal("0")
    link_setting = ""
    payment_link = ""
    if product_type == "email":
        entry = _entry(book, PriceKind.EMAIL_PLAN, email_plan)
        lines = (_line(entry),)
        link_setting, payment_link = f"ACTIVATION_LINK_{email_plan.upper()}", entry.payment_link
    elif product_type == "chat":
        entry = _entry(book, PriceKind.CHAT_PLAN, chat_plan)
        lines = (_line(entry),)
        link_setting, payment_link = f"CHAT_PAYMENT_LINK_{chat_plan.upper()}", entry.payment_link
    else:
        email = _entry(book, PriceKind.EMAIL_PLAN, email_plan)
        link_setting = f"ACTIVATION_LINK_{email_plan.upper()}_BUNDLE"
        if price_book.bundle_rule == BundleRule.LIST_DISCOUNT:
            gross = email.monthly_price + price_book.chat_list_price
            net = (gross * (Decimal(100) - price_book.bundle_discount_percent) / 100).quantize(CENT, ROUND_HALF_UP)
            discount = gross - net
            lines = (
                _line(email),
                QuoteLine(
                    kind="chat_list", code="chat", name="Chat Assistant", monthly_price=price_book.chat_list_price
                ),
                QuoteLine(
                    kind="bundle_discount",
                    code=f"{price_book.bundle_discount_percent.normalize()}pct",
                    name=f"Bundle discount ({price_book.bundle_discount_percent.normalize()}%)",
                    monthly_price=-discount,
                ),
            )
        else:
            addon = _entry(book, PriceKind.CHAT_ADDON, email_plan)
            lines = (_line(email), _line(addon))
            payment_link = addon.payment_link
    total = sum((line.monthly_price for line in lines), Decimal("0")).quantize(CENT)
    if client_price is not None and client_price.quantize(CENT, ROUND_HALF_UP) != total:
        _refuse(
            CheckoutErrorCode.PRICE_MISMATCH,
            f"The monthly price is {total:.2f} {price_book.currency}, not {client_price}.",
            {"calculated_monthly_price": [f"Expected {total:.2f}."]},
        )
    return PlanQuote(
        product_type=product_type,
        email_plan=email_plan,
        chat_plan=chat_plan,
        chat_addon=product_type == "bundle",
        currency=price_book.currency,
        monthly_price=total,
        lines=lines,
        bundle_rule=price_book.bundle_rule,
        discount=discount,
        chat_setup_steps=chat_setup_steps({**payload, "chat_addon": product_type == "bundle"}),
        chat_features=email_plan if product_type == "bundle" else ("standalone" if product_type == "chat" else None),
        payment_link=payment_link,
        payment_link_setting=link_setting,
        price_book_id=price_book.pk,
    )
