"""Fulfilment in a real browser (Chromium against Daphne, the admin's own CSP): the offline payment
page asks for the address and refuses a bad one; in the admin an order is packed, shipped with
carrier and tracking, its packing list printed. Screenshots in test-artifacts/screenshots/."""

import re

import pytest

from conversations.tests.browser import (
    STAFF_PASSWORD,
    chromium,
    expect,
    new_context,
    screenshot,
    staff_login,
    watch_problems,
)
from core.testing.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.live]

SETUP = f"""
from datetime import timedelta
from decimal import Decimal
from django.contrib.auth import get_user_model
from django.utils import timezone
from checkout.models import CheckoutSession, Order, OrderLine
get_user_model().objects.create_user("pat", password={STAFF_PASSWORD!r}, is_staff=True, is_superuser=True)
CheckoutSession.objects.create(
    id="chk_browser1", provider="test", idempotency_key="browser-1", currency="USD", subtotal=Decimal("24.99"),
    amount_total=Decimal("24.99"), expires_at=timezone.now() + timedelta(hours=1),
    line_items=[{{"sku": "PS11750057", "name": "Rack Adjuster", "quantity": 1, "unitPrice": "24.99",
                 "lineTotal": "24.99"}}],
)
order = Order.objects.create(
    number="ORD-261201-BRWSR1", currency="USD", subtotal=Decimal("49.98"), total=Decimal("49.98"),
    provider="test", provider_payment_ref="pi_test_b", contact_name="Dana Fixit", contact_email="dana@example.com",
    contact_phone="+12025550143",
    shipping_address={{"name": "Dana Fixit", "line_one": "12 Elm Street", "city": "Springfield", "state": "IL",
                      "postal_code": "62704", "country": "US"}},
)
OrderLine.objects.create(order=order, sku="PS11750057", name="Rack Adjuster", quantity=2, unit_price=Decimal("24.99"),
                         line_total=Decimal("49.98"))
waiting = Order.objects.create(
    number="ORD-261201-BRWSR2", currency="USD", subtotal=Decimal("24.99"), total=Decimal("24.99"), provider="test",
    provider_payment_ref="pi_test_c", contact_name="Eve <b>Bold</b>", contact_phone="+12025550199",
    shipping_address={{"name": "Eve <b>Bold</b>", "line_one": "3 Oak Lane", "city": "Dayton", "state": "OH",
                      "postal_code": "45402", "country": "US"}},
)
OrderLine.objects.create(order=waiting, sku="PS11752778", name="Door Shelf Bin", quantity=1,
                         unit_price=Decimal("24.99"), line_total=Decimal("24.99"))
print(order.pk)
"""


@pytest.fixture(scope="module")
def stack():
    with LiveStack(database="sqlite") as live:
        live.order_pk = live.run_manage("shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1]
        yield live


@pytest.fixture(scope="module")
def browser(stack):
    with chromium() as browser:
        yield browser


def test_the_offline_payment_page_asks_for_the_address_and_checks_it(browser, stack):
    page = new_context(browser).new_page()
    problems = watch_problems(page)
    page.goto(stack.url("/checkout/test/chk_browser1/"))
    expect()(page.get_by_label("Address line 1")).to_have_value("1 Test Street")
    page.get_by_label("Postal code").fill("")
    page.get_by_label("Phone (for the carrier) (optional)").fill("12")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect()(page.get_by_role("alert")).to_have_text("Please check the highlighted details.")
    expect()(page.locator("#id_postal_code-error")).to_have_text("This field is required.")
    screenshot(page, "checkout-test-page-address-refused", full_page=True)
    page.get_by_label("Postal code").fill("62704")
    page.get_by_label("Phone (for the carrier) (optional)").fill("+1 202 555 0143")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r".*checkout=success.*"))
    # The refused form was answered 400 on purpose (the browser logs that); nothing else went wrong.
    assert [p for p in problems if "status of 400" not in p] == []


def test_an_order_is_packed_shipped_and_listed_for_packing_in_the_admin(browser, stack):
    context = new_context(browser)
    page = context.new_page()
    problems = watch_problems(page)
    change = f"/admin/checkout/order/{stack.order_pk}/change/"
    staff_login(page, stack, "pat", change)
    page.wait_for_url(f"**{change}")
    expect()(page.get_by_text("12 Elm Street")).to_be_visible()
    expect()(page.get_by_role("link", name="Mark delivered")).to_have_count(0)
    screenshot(page, "admin-order-unfulfilled", full_page=True)

    page.get_by_role("link", name="Mark packed").click()
    page.get_by_role("button", name="Mark packed: order ORD-261201-BRWSR1").click()
    page.wait_for_url(f"**{change}")
    page.get_by_role("link", name="Mark shipped…").click()
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_label("Tracking link").fill("https://www.ups.com/track?tracknum=1Z999AA10123456784")
    screenshot(page, "admin-order-ship-form", full_page=True)
    page.get_by_role("button", name="Mark shipped: order ORD-261201-BRWSR1").click()
    page.wait_for_url(f"**{change}")
    expect()(page.get_by_text("Order ORD-261201-BRWSR1 marked shipped.")).to_be_visible()
    expect()(page.get_by_role("link", name="https://www.ups.com/track?tracknum=1Z999AA10123456784")).to_be_visible()
    expect()(page.get_by_role("link", name="Mark delivered")).to_be_visible()
    screenshot(page, "admin-order-shipped", full_page=True)

    # Shipping it again from a stale tab is refused with its code.
    page.goto(stack.url(f"/admin/checkout/order/{stack.order_pk}/fulfilment/shipped/"))
    expect()(page.get_by_role("alert")).to_contain_text("fulfilment_transition_invalid")
    assert [p for p in problems if "status of 409" not in p] == []  # the refusal is answered 409 on purpose


def test_the_packing_list_from_the_order_list(browser, stack):
    page = new_context(browser).new_page()
    problems = watch_problems(page)
    staff_login(page, stack, "pat", "/admin/checkout/order/")
    page.wait_for_url("**/admin/checkout/order/")
    page.locator("tr", has_text="ORD-261201-BRWSR2").locator("input.action-select").check()
    page.locator("select[name=action]").select_option("packing_list")
    page.locator("button[name=index]").click()
    expect()(page.get_by_role("heading", name=re.compile("ORD-261201-BRWSR2"))).to_be_visible()
    expect()(page.get_by_text("3 Oak Lane")).to_be_visible()
    expect()(page.get_by_text("Eve <b>Bold</b>").first).to_be_visible()  # shown as typed, not as markup
    screenshot(page, "admin-packing-list", full_page=True)
    assert problems == []
