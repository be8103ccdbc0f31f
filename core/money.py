"""Amounts between the catalogue (decimals in a currency's major unit) and payment APIs (integers
in its minor unit): the one conversion, by currency. Stripe, the offline provider, the Agentic
Commerce Protocol, refunds and webhooks all go through it, so a quoted total is what is charged.

Most currencies have 2 decimals (cents, pence). Stripe's zero-decimal currencies have none: ¥1500
is sent as 1500, not 150000. Its three-decimal currencies (BHD, JOD, KWD, OMR, TND) have 3.
https://docs.stripe.com/currencies#zero-decimal
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings

ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def currency_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has: 0 (JPY), 2 (USD) or 3 (KWD)."""
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` (major units) as an integer of minor units, rounded half up: 49.98 USD → 4998,
    1500 JPY → 1500."""
    scaled = Decimal(amount) * (10 ** currency_exponent(currency))
    return int(scaled.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor(amount: int, currency: str) -> Decimal:
    """An integer of minor units as a decimal amount with the currency's decimals: 4998 USD →
    49.98, 1500 JPY → 1500."""
    exponent = currency_exponent(currency)
    return (Decimal(int(amount)) / (10**exponent)).quantize(Decimal(1).scaleb(-exponent))


@lru_cache(maxsize=8)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"PARLEY_LOCALE {tag!r} is not a locale (a BCP 47 tag such as en-US, de-DE)") from None


def money_display(amount: Decimal, currency: str | None = None) -> str:
    """An amount as the shop's customers read it: the one server-side price format (chat replies,
    notices, emails, pages). The shop's locale (PARLEY_LOCALE, a BCP 47 tag) and the amount's
    currency (else the shop's, PARLEY_CURRENCY), by CLDR through Babel: $21.99, £59.00, ¥1,500
    in en-US; 21,99 € in de-DE. The chat's client-side formatter (Intl.NumberFormat, CLDR too)
    is given the same two settings, so a price reads the same in text and on cards."""
    code = (currency or settings.PARLEY_CURRENCY).upper()
    exponent = currency_exponent(code)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    return format_currency(value, code, locale=_locale(settings.PARLEY_LOCALE))
