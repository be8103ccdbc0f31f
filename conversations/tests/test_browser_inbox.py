"""The operator inbox in a real browser, as an operator uses it: the list reads who, where, when
and how much is unread; search finds a customer by words, email or order number; a refund request
reads as the request it is, is edited through its own form (refused field by field, then
approved) and the customer is told what changed; "Recently decided" is still there after a
reload; a request for an order refunded in full is refused when pressed. In light and dark."""

import json
import re

import pytest

from conversations.tests.browser import (
    contrast_ratio,
    create_staff,
    launch,
    new_context,
    screenshot,
    staff_login,
    watch_problems,
)

pytestmark = [pytest.mark.browser, pytest.mark.live]

HOSTILE_NAME = '<img src=x onerror=alert("name")>Eve'

# Run in the stack's own database (manage.py shell) before the operator signs in.
SEED = """
import json
from actions.services.clicks import action_click
from actions.tests.factories import ActionFactory
from checkout.tests.factories import OrderFactory
from conversations.models import Customer
from conversations.tests.factories import ConversationFactory, MessageFactory

def says(conversation, text, role="user"):
    MessageFactory(conversation=conversation, role=role, content=text)

ann = ConversationFactory(customer_name="Ann Lee", customer_email="ann@example.com")
Customer.objects.filter(pk=ann.customer_id).update(phone="+15551234567")
says(ann, "My dishwasher rack arrived cracked")
order = OrderFactory(conversation=ann, total="21.99")
says(ann, "I want a refund please")
refund = action_click(action=ActionFactory(
    conversation=ann, payload={"orderNumber": order.number, "reason": "The rack arrived cracked"}))

bob = ConversationFactory(customer_name="Bob Stone", customer_email="bob@shop.test", channel="whatsapp")
says(bob, "Where is my ice maker?")
says(bob, "Hello?")

eve = ConversationFactory(customer_name=HOSTILE_NAME, customer_email="eve@example.com")
says(eve, "<script>alert('message')</script> my order was refunded already")
done = OrderFactory(conversation=eve, total="15.00")
stale = action_click(action=ActionFactory(
    conversation=eve, payload={"orderNumber": done.number, "reason": "<b>Twice</b> please"}))
done.status, done.refunded_total = "refunded", done.total
done.save()

print(json.dumps({"ann": ann.id, "bob": bob.id, "eve": eve.id, "order": order.number,
                  "refund": refund.id, "stale": stale.id}))
""".replace("HOSTILE_NAME", repr(HOSTILE_NAME))


@pytest.fixture(scope="module")
def browser(live_sqlite):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


def seed(stack) -> dict:
    out = stack.run_manage("shell", "-v", "0", "-c", SEED)
    return json.loads(out.strip().splitlines()[-1])


def rows(page):
    return page.locator("#op-conversation-list .op-row")


def test_an_operator_finds_reads_edits_and_decides_requests(browser, live_sqlite):
    from playwright.sync_api import expect

    stack = live_sqlite
    create_staff(stack, "inbox-lead")
    ids = seed(stack)
    context = new_context(browser, viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    problems = watch_problems(page)
    try:
        staff_login(page, stack, "inbox-lead", "/operator/")
        expect(page.locator("#op-connection")).to_have_text("Live")

        # The list: who, where, when, unread; a hostile name is text.
        bob = page.locator(f".op-row[data-conversation-id='{ids['bob']}']")
        expect(bob.locator(".op-row__name")).to_have_text("Bob Stone")
        expect(bob.locator(".op-row__channel")).to_have_text("WhatsApp")
        expect(bob.locator(".op-row__contact")).to_have_text("bob@shop.test")
        expect(bob.locator(".op-row__unread")).to_have_text("2")
        expect(bob.locator(".op-row__time")).to_have_text("just now")
        ann = page.locator(f".op-row[data-conversation-id='{ids['ann']}']")
        expect(ann.locator(".op-row__contact")).to_have_text("ann@example.com · +15551234567")
        expect(page.locator(f".op-row[data-conversation-id='{ids['eve']}'] .op-row__name")).to_have_text(HOSTILE_NAME)
        assert page.locator("#op-conversation-list img").count() == 0
        screenshot(page, "inbox-list")

        # Search: words of a message, an email, an order number; nothing found says so.
        search = page.get_by_label("Search by customer, email, phone, order number or words")
        for query, expected in (("ice maker", ids["bob"]), ("ann@example", ids["ann"]), (ids["order"], ids["ann"])):
            search.fill(query)
            search.press("Enter")
            expect(rows(page)).to_have_count(1)
            expect(rows(page).first).to_have_attribute("data-conversation-id", expected)
        search.fill("nobody-like-this")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#op-conversations-empty")).to_have_text("No conversation matches “nobody-like-this”.")
        search.fill("")
        search.press("Enter")
        expect(rows(page)).to_have_count(3)

        # Opening a conversation reads it: its unread count goes.
        bob.get_by_role("button").click()
        expect(page.locator("#op-thread-title")).to_have_text("Bob Stone")
        expect(page.locator("#op-messages")).to_contain_text("Where is my ice maker?")
        expect(bob.locator(".op-row__unread")).to_have_count(0)

        # A refund request reads as one: the order, its amounts, the customer's reason.
        card = page.locator(f".op-action[data-action-id='{ids['refund']}']")
        expect(card.locator(".op-action__title")).to_have_text("Refund request")
        facts = card.locator(".op-action__facts")
        expect(facts).to_contain_text(f"{ids['order']} · Paid")
        expect(facts).to_contain_text("$21.99 paid · $0.00 refunded so far")
        expect(facts).to_contain_text("The rack arrived cracked")
        assert "{" not in facts.inner_text()  # no raw JSON
        card.get_by_role("button", name="Show conversation").click()
        expect(page.locator("#op-thread-title")).to_have_text("Ann Lee")
        expect(page.locator("#op-customer")).to_contain_text("+15551234567")
        screenshot(page, "inbox-request")

        # Edit is the type's own form, checked by the server field by field.
        card.get_by_role("button", name="Edit…").click()
        amount = card.get_by_label("Amount to refund")
        expect(card.get_by_label("Order number")).to_be_focused()
        expect(card.get_by_label("Order number")).to_have_value(ids["order"])
        amount.fill("30.00")
        card.get_by_role("button", name="Approve with changes").click()
        expect(card.locator(".op-error")).to_contain_text("can still be refunded")
        expect(card.locator("[data-field=amount] .op-field__error")).to_have_text("At most 21.99.")
        expect(amount).to_have_attribute("aria-invalid", "true")
        expect(amount).to_be_focused()
        screenshot(page, "inbox-edit-refused")
        amount.fill("10.00")
        card.get_by_label("Reply to the customer").fill("The rest as store credit.")
        card.get_by_role("button", name="Approve with changes").click()

        decided = page.locator("#op-decided-list")
        expect(decided.locator(f"[data-action-id='{ids['refund']}']")).to_be_visible()
        expect(card.locator(".op-action__facts")).to_contain_text("refund of $10.00 of $21.99")
        expect(card).to_have_attribute("data-status", re.compile("^(edited|succeeded)$"))
        # The customer was told what changed (their conversation, open on this screen).
        expect(page.locator("#op-messages")).to_contain_text("refund of $10.00 of $21.99")

        # A request for an order refunded in full is flagged, and refused when pressed.
        stale = page.locator(f".op-action[data-action-id='{ids['stale']}']")
        expect(stale.locator(".op-action__warning")).to_contain_text("already refunded in full")
        expect(stale.locator(".op-action__facts")).to_contain_text("<b>Twice</b> please")
        stale.get_by_role("button", name="Approve", exact=True).click()
        expect(stale.locator(".op-error")).to_contain_text("already fully refunded")
        expect(stale).to_have_attribute("data-status", "pending_approval")
        screenshot(page, "inbox-refused-refund")
        stale.get_by_role("button", name="Deny").click()
        expect(decided.locator(f"[data-action-id='{ids['stale']}']")).to_be_visible()

        # "Recently decided" comes from the server: a reload keeps it, newest first.
        page.reload()
        expect(page.locator("#op-connection")).to_have_text("Live")
        expect(decided.locator(".op-action")).to_have_count(2)
        expect(decided.locator(".op-action").first).to_have_attribute("data-action-id", ids["stale"])
        kept = decided.locator(f"[data-action-id='{ids['refund']}']")
        expect(kept.locator(".op-action__meta")).to_contain_text("by inbox-lead")
        expect(kept.locator(".op-action__facts")).to_contain_text("refund of $10.00 of $21.99")
        expect(page.locator("#op-pending-empty")).to_be_visible()
        screenshot(page, "inbox-after-reload", full_page=True)

        # Readable in both colour schemes.
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for selector in (".op-row__name", ".op-row__time", ".op-action__status", ".op-fact dt", ".op-view"):
                node = page.locator(selector).first
                colour, background = node.evaluate(
                    """(el) => {
                        let bg = 'rgba(0, 0, 0, 0)', n = el;
                        while (n && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg)) {
                            bg = getComputedStyle(n).backgroundColor; n = n.parentElement;
                        }
                        return [getComputedStyle(el).color, bg];
                    }"""
                )
                assert contrast_ratio(colour, background) >= 4.5, (scheme, selector, colour, background)
            screenshot(page, f"inbox-{scheme}")
    finally:
        context.close()
    # Chromium logs the two refusals asked for above (the edit over the balance, the approval of a
    # refunded order) as failed loads; anything else (a script error, an alert) is a problem.
    refused = "console: Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert problems == [refused, refused], problems
