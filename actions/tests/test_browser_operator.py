"""The operator inbox and the customer's chat side by side in a real browser: a customer pays
through the test provider, asks for a refund, and an operator approving it in a second browser
context changes the customer's bubble live and sends the reply."""

import re

import pytest

from conversations.tests.browser import chromium, create_staff, new_context, screenshot, staff_login, watch_problems

pytestmark = [pytest.mark.browser, pytest.mark.live]

COMPATIBLE = "Is PS11750057 compatible with my WDT780SAEM1?"
REPLY = "Refund approved: the money is on its way to your card <b>today</b>."


@pytest.fixture(scope="module")
def browser(live_sqlite):
    with chromium() as browser:
        yield browser


def test_an_operator_approves_a_refund_while_the_customer_watches(browser, live_sqlite):
    from playwright.sync_api import expect

    stack = live_sqlite
    create_staff(stack, "inbox-operator")
    customer_context = new_context(browser)
    operator_context = new_context(browser, viewport={"width": 1400, "height": 900})
    customer = customer_context.new_page()
    operator = operator_context.new_page()
    problems = watch_problems(customer)
    try:
        # The scene, through the UI: the customer buys the part in the chat…
        customer.goto(stack.url("/"))
        expect(customer.locator(".chat-connection")).to_have_text("Online")
        customer.get_by_role("button", name=COMPATIBLE).click()
        customer.get_by_role("button", name="Checkout now").click()
        with customer_context.expect_page() as tab:
            customer.get_by_role("button", name="Confirm and pay").click()
        tab.value.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(customer.locator(".msg--type-payment_confirmed")).to_contain_text("Payment received")
        tab.value.close()

        # …and asks for a refund: the button is the request.
        box = customer.get_by_label("Your message")
        box.fill("The part arrived broken, I want a refund please")
        box.press("Enter")
        request = customer.get_by_role("button", name="Request a refund")
        request.click()
        refund = customer.locator(".action[data-action-type=refund_request]")
        expect(refund).to_have_attribute("data-status", "pending_approval")
        expect(refund.locator(".action__status")).to_contain_text("A team member will review this")
        expect(request).to_be_disabled()
        action_id = refund.get_attribute("data-action-id")

        # The operator, signed in, sees it waiting, live.
        staff_login(operator, stack, "inbox-operator", "/operator/")
        item = operator.locator(f".op-action[data-action-id='{action_id}']")
        expect(item).to_be_visible()
        expect(item.locator(".op-action__title")).to_have_text("Refund request")
        expect(item.locator(".op-action__facts")).to_contain_text("refunded so far")
        item.get_by_role("button", name="Show conversation").click()
        expect(operator.locator("#op-messages")).to_contain_text("I want a refund please")
        item.get_by_label("Reply to the customer").fill(REPLY)
        screenshot(operator, "operator-inbox-pending-refund")
        item.get_by_role("button", name="Approve").click()

        # The customer's bubble changes as it happens, and the reply arrives (as text).
        expect(refund).to_have_attribute("data-status", re.compile(r"^(approved|succeeded)$"))
        expect(refund.locator(".action__status")).to_have_text(
            re.compile(r"^(Approved\.|Handled by our team: see their reply below\.)$")
        )
        expect(customer.locator(".chat-log")).to_contain_text(REPLY)
        assert customer.locator(".chat-log b").count() == 0
        expect(refund).to_have_attribute("data-status", "succeeded")
        screenshot(customer, "chat-refund-approved")
        expect(item.locator(".op-action__status")).not_to_have_text("Waiting")
        screenshot(operator, "operator-inbox-decided")
    finally:
        customer_context.close()
        operator_context.close()
    assert problems == [], problems
