from decimal import Decimal

import pytest

from core.money import from_minor, to_minor


@pytest.mark.parametrize(
    "amount, currency, minor",
    [
        (Decimal("49.98"), "USD", 4998),
        (Decimal("49.98"), "usd", 4998),
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1500"), "krw", 1500),
        (Decimal("1.255"), "KWD", 1255),
    ],
)
def test_to_and_from_minor_units_by_currency(amount, currency, minor):
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == amount


def test_to_minor_rounds_half_up():
    assert to_minor(Decimal("0.005"), "GBP") == 1
    assert to_minor(Decimal("10.5"), "JPY") == 11


def test_from_minor_keeps_the_currencys_decimals():
    assert str(from_minor(4998, "USD")) == "49.98"
    assert str(from_minor(1500, "JPY")) == "1500"
    assert str(from_minor(1255, "KWD")) == "1.255"
