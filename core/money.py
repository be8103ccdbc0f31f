"""Amounts between the catalogue (decimals in a currency's major unit) and payment APIs (integers
in its minor unit): the one conversion, by currency. Stripe, the offline provider, the Agentic
Commerce Protocol, refunds and webhooks all go through it, so a quoted total is what is charged.

Most currencies have 2 decimals (cents, pence). Stripe's zero-decimal currencies have none: ¥1500
is sent as 1500, not 150000. Its three-decimal currencies (BHD, JOD, KWD, OMR, TND) have 3.
https://docs.stripe.com/currencies#zero-decimal
"""

from decimal import ROUND_HALF_UP, Decimal

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


_SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "BRL": "R$", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def money_display(amount: Decimal, currency: str) -> str:
    """An amount as a person reads it, with the currency's decimals: $21.99, £59.00, R$10.00,
    ¥1500; a currency without a known symbol keeps its code (10.00 CHF)."""
    code = (currency or "").upper()
    exponent = currency_exponent(code)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    text = f"{value:,.{exponent}f}"
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}".strip()
