"""The plan pricing function against the seeds/004 rules, over every combination (hypothesis)."""

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from checkout.exceptions import CheckoutError
from checkout.models import PriceBook, PriceBookEntry
from checkout.services.price_book import price_book_import
from checkout.services.pricing import chat_setup_steps, plan_quote

BOOK = json.loads((Path(settings.BASE_DIR) / "demo_data" / "price_book.json").read_text())
PRICES = {(e["kind"], e["code"]): Decimal(e["monthly_price"]) for e in BOOK["entries"]}
EMAIL = {code for kind, code in PRICES if kind == "email_plan"}
CHAT = {code for kind, code in PRICES if kind == "chat_plan"}
ABSENT = object()

product_types = st.sampled_from(["email", "chat", "bundle", None, "", "enterprise", 3, ABSENT])
email_plans = st.sampled_from([None, "", "starter", "standard", "premium", "STANDARD ", "gold", 7, ["starter"], ABSENT])
chat_plans = st.sampled_from([None, "", "starter", "growth", "pro", "Growth", "mega", True, ABSENT])
addons = st.sampled_from([True, False, None, "true", 1, 0, ABSENT])
price_kinds = st.sampled_from(["absent", "right", "right_str", "right_float", "off_by_a_penny", "abc", "neg", "bool"])


@pytest.fixture(params=["addon_table", "list_discount"])
def book(request, db):
    price_book_import(data={**BOOK, "bundle_rule": request.param})
    return request.param


def _norm(value):
    if value is None or value is ABSENT:
        return None
    if isinstance(value, str):
        return value.strip().lower() or None
    return value


def expected_price(payload: dict, rule: str) -> Decimal:
    email, chat = _norm(payload.get("email_plan")), _norm(payload.get("chat_plan"))
    if payload["product_type"] == "email":
        return PRICES[("email_plan", email)]
    if payload["product_type"] == "chat":
        return PRICES[("chat_plan", chat)]
    if rule == "addon_table":
        return PRICES[("email_plan", email)] + PRICES[("chat_addon", email)]
    gross = PRICES[("email_plan", email)] + Decimal(BOOK["chat_list_price"])
    return (gross * (100 - Decimal(BOOK["bundle_discount_percent"])) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def expected_error(payload: dict, rule: str) -> str | None:
    """The documented order of checks (checkout/services/pricing.py), written out independently."""
    kind = payload.get("product_type")
    if kind is None or kind == "":
        return "product_type_missing"
    if kind not in ("email", "chat", "bundle"):
        return "product_type_unknown"
    addon = payload.get("chat_addon")
    if addon is not None and not isinstance(addon, bool):
        return "chat_addon_invalid"
    email, chat = _norm(payload.get("email_plan")), _norm(payload.get("chat_plan"))
    combination = {
        "email": [
            (chat is not None, "chat_plan_not_allowed"),
            (addon is True, "chat_addon_requires_bundle"),
            (email is None, "email_plan_missing"),
        ],
        "chat": [
            (email is not None, "email_plan_not_allowed"),
            (addon is True, "chat_addon_not_allowed"),
            (chat is None, "chat_plan_missing"),
        ],
        "bundle": [
            (chat is not None, "chat_plan_not_allowed"),
            (addon is False, "bundle_requires_chat_addon"),
            (email is None, "email_plan_missing"),
        ],
    }[kind]
    for broken, code in combination:
        if broken:
            return code
    if email is not None and not (isinstance(email, str) and email in EMAIL):
        return "email_plan_unknown"
    if chat is not None and not (isinstance(chat, str) and chat in CHAT):
        return "chat_plan_unknown"
    price = payload.get("calculated_monthly_price", ABSENT)
    if price is ABSENT:
        return None
    if isinstance(price, bool) or price == "abc" or (isinstance(price, (int, Decimal)) and price < 0):
        return "price_invalid"
    if Decimal(str(price)).quantize(Decimal("0.01")) != expected_price(payload, rule):
        return "price_mismatch"
    return None


def build(product_type, email_plan, chat_plan, addon, price_kind, rule):
    payload = {}
    for key, value in (
        ("product_type", product_type),
        ("email_plan", email_plan),
        ("chat_plan", chat_plan),
        ("chat_addon", addon),
    ):
        if value is not ABSENT:
            payload[key] = value
    if price_kind != "absent":
        probe = dict(payload)
        right = expected_price(probe, rule) if expected_error(probe, rule) is None else Decimal("84.00")
        payload["calculated_monthly_price"] = {
            "right": int(right) if right == int(right) else float(right),
            "right_str": f"{right:.2f}",
            "right_float": float(right),
            "off_by_a_penny": f"{right + Decimal('0.01'):.2f}",
            "abc": "abc",
            "neg": -1,
            "bool": True,
        }[price_kind]
    return payload


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(product_types, email_plans, chat_plans, addons, price_kinds)
def test_every_combination_prices_correctly_or_gets_its_own_error(book, product_type, email, chat, addon, price_kind):
    payload = build(product_type, email, chat, addon, price_kind, book)
    error = expected_error(payload, book)
    if error is None:
        quote = plan_quote(payload=payload)
        assert quote.monthly_price == expected_price(payload, book)
        assert sum(line.monthly_price for line in quote.lines) == quote.monthly_price
        assert quote.currency == "GBP"
        assert quote.chat_setup_steps == (payload["product_type"] in ("chat", "bundle"))
    else:
        with pytest.raises(CheckoutError) as exc:
            plan_quote(payload=payload)
        assert exc.value.code == error, payload
        assert exc.value.status_code == 400


@pytest.mark.parametrize(
    ("payload", "price", "lines"),
    [
        ({"product_type": "email", "email_plan": "standard"}, "99.00", [("email_plan", "99.00")]),
        ({"product_type": "chat", "chat_plan": "growth"}, "59.00", [("chat_plan", "59.00")]),
        (
            {"product_type": "bundle", "email_plan": "starter", "chat_addon": True},
            "74.00",
            [("email_plan", "49.00"), ("chat_addon", "25.00")],
        ),
        (
            {"product_type": "bundle", "email_plan": "standard", "chat_addon": True},
            "134.00",
            [("email_plan", "99.00"), ("chat_addon", "35.00")],
        ),
        (
            {"product_type": "bundle", "email_plan": "premium"},
            "244.00",
            [("email_plan", "199.00"), ("chat_addon", "45.00")],
        ),
    ],
)
def test_the_demo_book_uses_the_addon_table(db, payload, price, lines):
    price_book_import(data=BOOK)
    quote = plan_quote(payload={**payload, "calculated_monthly_price": price})
    assert f"{quote.monthly_price:.2f}" == price
    assert [(line.kind, f"{line.monthly_price:.2f}") for line in quote.lines] == lines
    assert quote.bundle_rule == "addon_table"


def test_list_discount_rule_is_tier_plus_list_price_less_the_percentage(db):
    price_book_import(data={**BOOK, "bundle_rule": "list_discount"})
    quote = plan_quote(payload={"product_type": "bundle", "email_plan": "standard", "chat_addon": True})
    # (99 + 59) × 0.95 = 150.10
    assert quote.monthly_price == Decimal("150.10")
    assert quote.discount == Decimal("7.90")
    assert [line.kind for line in quote.lines] == ["email_plan", "chat_list", "bundle_discount"]


def test_an_edited_price_book_changes_the_price_at_once(db):
    price_book_import(data=BOOK)
    PriceBookEntry.objects.filter(kind="chat_addon", code="standard").update(monthly_price=Decimal("30.00"))
    assert plan_quote(payload={"product_type": "bundle", "email_plan": "standard"}).monthly_price == Decimal("129.00")


def test_no_price_book_or_a_missing_entry_is_the_vendors_problem(db):
    with pytest.raises(CheckoutError) as none:
        plan_quote(payload={"product_type": "email", "email_plan": "standard"})
    assert (none.value.code, none.value.status_code) == ("price_book_missing", 503)
    price_book_import(data=BOOK)
    PriceBookEntry.objects.filter(kind="chat_addon", code="premium").delete()
    with pytest.raises(CheckoutError) as missing:
        plan_quote(payload={"product_type": "bundle", "email_plan": "premium"})
    assert (missing.value.code, missing.value.status_code) == ("price_book_incomplete", 503)
    assert PriceBook.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "shown"),
    [
        ({"product_type": "chat", "chat_plan": "pro"}, True),
        ({"product_type": "bundle", "email_plan": "starter", "chat_addon": True}, True),
        ({"product_type": "bundle", "email_plan": "starter", "chat_addon": False}, False),
        ({"product_type": "email", "email_plan": "starter"}, False),
        ({"product_type": "email", "email_plan": "starter", "chat_addon": False}, False),
        ({"product_type": "email", "email_plan": "starter", "chat_addon": True}, True),
        ("not a payload", False),
    ],
)
def test_chat_setup_steps_follow_the_seed(payload, shown):
    assert chat_setup_steps(payload) is shown


@pytest.mark.parametrize("price", [1e308, 10**30, "1e999", "1" + "0" * 40, "100000000.00"])
def test_a_price_too_large_to_compare_is_refused_not_a_500(db, api, price):
    """Found by the outside attack run: a price past decimal's 28 digits (1e308, 1e30, "1e999")
    could not be rounded to the cent for the comparison (InvalidOperation), a 500 from the quote
    and from a plan's checkout."""
    price_book_import(data=BOOK)
    payload = {"product_type": "bundle", "email_plan": "standard", "calculated_monthly_price": price}
    with pytest.raises(CheckoutError) as refused:
        plan_quote(payload=payload)
    assert (refused.value.code, refused.value.status_code) == ("price_invalid", 400)
    quote = api.post("/api/checkout/quote", payload, format="json")
    assert (quote.status_code, quote.json()["error"]["code"]) == (400, "price_invalid")
    checkout = api.post("/api/checkout/session", {"plan": payload, "email": "ann@example.com"}, format="json")
    assert (checkout.status_code, checkout.json()["error"]["code"]) == (400, "price_invalid")
