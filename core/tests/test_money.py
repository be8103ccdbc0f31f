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


# --- the one price format ----------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, amount, currency, shown",
    [
        ("en-US", Decimal("34.79"), "USD", "$34.79"),
        ("en-US", Decimal("1044.95"), "usd", "$1,044.95"),
        ("en-US", Decimal("59"), "GBP", "£59.00"),
        ("en-US", Decimal("1500"), "JPY", "¥1,500"),
        ("en-US", Decimal("0.005"), "USD", "$0.01"),  # half up, as charged (to_minor)
        ("de-DE", Decimal("34.79"), "EUR", "34,79\xa0€"),
        ("pt-BR", Decimal("10"), "BRL", "R$\xa010,00"),
        ("en-GB", Decimal("34.79"), "USD", "US$34.79"),
    ],
)
def test_prices_read_in_the_shops_locale(settings, locale, amount, currency, shown):
    from core.money import money_display

    settings.PARLEY_LOCALE = locale
    assert money_display(amount, currency) == shown


def test_the_shops_currency_when_none_is_given_and_the_template_filter(settings):
    from django.template import Context, Template

    from core.money import money_display

    settings.PARLEY_CURRENCY = "GBP"
    assert money_display(Decimal("5")) == "£5.00"
    page = Template("{% load money %}{{ total|money:'USD' }} {{ other|money }} [{{ missing|money }}]")
    assert page.render(Context({"total": Decimal("21.99"), "other": "3.5"})) == "$21.99 £3.50 []"


def test_a_locale_that_is_not_one_is_refused_plainly(settings):
    from core.money import money_display

    settings.PARLEY_LOCALE = "not a locale"
    with pytest.raises(ValueError, match="PARLEY_LOCALE"):
        money_display(Decimal("1"), "USD")
