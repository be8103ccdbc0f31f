"""Sales tax by destination, from the shop's own table (`PARLEY_TAX_RATES`).

The table maps a country (`"GB"`) or a country and region (`"US-CA"`, ISO 3166-2 style) to a
rate in percent; the most specific entry wins, a destination in no entry pays none. Tax is
computed per line on what the line costs after its share of the discount (and on shipping when
`PARLEY_TAX_SHIPPING`), in the currency's minor unit, rounded half up: what a cart shows is what
is charged, to the cent. Stripe Tax is not wired in: a shop that needs it sets no table here.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

NO_TAX = Decimal("0")


@dataclass(frozen=True)
class TaxRate:
    percent: Decimal
    jurisdiction: str  # the table's key that matched ("US-CA"), "" when none did
    on_shipping: bool

    @property
    def display(self) -> str:
        return f"Tax ({self.jurisdiction} {self.percent.normalize():f}%)" if self.jurisdiction else "Tax"


def _percent(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() and 0 <= number <= 100 else None


def tax_rate_for(*, country: str, region: str = "") -> TaxRate:
    """The rate for a destination: `COUNTRY-REGION`, else `COUNTRY`, else none."""
    table = {str(key).strip().upper(): rate for key, rate in (settings.PARLEY_TAX_RATES or {}).items()}
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    for key in (f"{country}-{region}" if country and region else None, country or None):
        if key and key in table and (percent := _percent(table[key])) is not None:
            return TaxRate(percent=percent, jurisdiction=key, on_shipping=settings.PARLEY_TAX_SHIPPING)
    return TaxRate(percent=NO_TAX, jurisdiction="", on_shipping=False)


def tax_minor(*, amount_minor: int, rate: TaxRate) -> int:
    """Tax on an amount in minor units, rounded half up to a whole minor unit."""
    if amount_minor <= 0 or not rate.percent:
        return 0
    return int((Decimal(amount_minor) * rate.percent / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
