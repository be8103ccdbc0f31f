"""Amounts: the catalogue keeps decimals, the ACP speaks integers in minor units."""

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies without minor units (the catalogue could price in them).
ZERO_DECIMAL = {
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


def exponent(currency: str) -> int:
    return 0 if (currency or "").upper() in ZERO_DECIMAL else 2


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = Decimal(amount) * (10 ** exponent(currency))
    return int(scaled.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount) / (10 ** exponent(currency))
