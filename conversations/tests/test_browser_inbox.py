"""The operator inbox in a real browser, as an operator uses it: the list reads who, where, when
and how much is unread; search finds a customer by words, email or order number; a refund request
reads as the request it is, is edited through its own form (refused field by field, then
approved) and the customer is told what changed; "Recently decided" is still there after a
reload; a request for an order refunded in full is refused when pressed. In light and dark."""

import json
import re

import pytest

from conversations.tests.browser import (
    STAFF_PASSWORD,
    chromium,
    contrast_ratio,
    create_staff,
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
MessageFactory(conversation=bob, role="assistant", content="Your ice maker ships today.",
               metadata={"whatsapp": {"status": "delivered", "at": None, "error": ""}})

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
    with chromium() as browser:
        yield browser


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
        # Where a WhatsApp message stands (Meta's status callbacks), beside it.
        shipped = page.locator(".op-message", has_text="Your ice maker ships today.")
        expect(shipped.locator(".op-message__delivery")).to_have_text("WhatsApp: Delivered")

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


# --- a person takes over, from the inbox page ---------------------------------------------------

SAVED_REPLY = """
from conversations.models import SavedReply
SavedReply.objects.create(title="Greeting", body="Hi {{ customer.name|default:'there' }}, {{ operator.name }} here. Let me look.")
"""


@pytest.fixture(scope="module")
def handoff_stack():
    from core.testing.live import LiveStack

    # Someone is always there (the default shop hours would make the test depend on the clock).
    with LiveStack(database="sqlite", extra_env={"PARLEY_SHOP_HOURS": ""}) as live:
        live.run_manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.contrib.auth import get_user_model; U = get_user_model(); "
            f"U.objects.create_user('dana', password={STAFF_PASSWORD!r}, is_staff=True, first_name='Dana'); "
            f"U.objects.create_user('sam', password={STAFF_PASSWORD!r}, is_staff=True, first_name='Sam')",
        )
        live.run_manage("shell", "-v", "0", "-c", SAVED_REPLY)
        yield live


def test_an_operator_claims_answers_notes_and_resolves_from_the_inbox(browser, handoff_stack):
    from playwright.sync_api import expect

    stack = handoff_stack
    customer_context = new_context(browser)
    customer = customer_context.new_page()
    operator_context = new_context(browser, viewport={"width": 1440, "height": 1000})
    operator = operator_context.new_page()
    customer_problems, operator_problems = watch_problems(customer), watch_problems(operator)
    try:
        staff_login(operator, stack, "dana", "/operator/")
        expect(operator.locator("#op-connection")).to_have_text("Live")
        operator.get_by_role("button", name="Waiting for a person").click()
        expect(operator.locator("#op-conversations-empty")).to_have_text("No conversations here.")

        # The customer asks for a person in the chat.
        customer.goto(stack.url("/"))
        expect(customer.locator(".chat-connection")).to_have_text("Online", timeout=15000)
        customer.fill(".chat-composer__input", "Can I talk to a human please?")
        customer.keyboard.press("Enter")
        customer.get_by_role("button", name="Talk to a person").click()
        banner = customer.locator(".chat-handoff__text")
        expect(banner).to_have_text("Waiting for a person from our team to join…", timeout=10000)

        # It arrives, live, in the operator's "Waiting for a person" list.
        row = rows(operator).first
        expect(row.locator(".op-row__handling")).to_have_text("Waiting for a person", timeout=10000)
        row.get_by_role("button").click()
        state = operator.locator("#op-handling-state")
        expect(state).to_have_text("Waiting for a person.")
        expect(operator.locator("#op-messages")).to_contain_text("Can I talk to a human please?")

        # Claim: the customer is told who answers.
        operator.get_by_role("button", name="Claim", exact=True).click()
        expect(state).to_have_text("With you.")
        expect(banner).to_have_text("You're talking to Dana from our team.", timeout=10000)

        # A saved reply, previewed with this conversation's values, inserted, edited, sent.
        operator.get_by_label("Saved reply").select_option(label="Greeting")
        preview = operator.locator("#op-saved-preview-text")
        expect(preview).to_have_text("Hi there, Dana here. Let me look.")
        operator.get_by_role("button", name="Insert").click()
        box = operator.get_by_label("Reply to")
        expect(box).to_have_value("Hi there, Dana here. Let me look.")
        box.press("End")
        box.type(" <b>No markup</b>")
        expect(customer.locator(".chat-typing__text")).to_have_text("Dana is typing…", timeout=10000)
        operator.get_by_role("button", name="Send reply").click()
        expect(box).to_have_value("")
        said = customer.locator(".msg--operator").last
        expect(said).to_contain_text("Hi there, Dana here. Let me look. <b>No markup</b>", timeout=10000)
        assert customer.locator(".chat-log b").count() == 0
        mine = operator.locator(".op-message--operator").last
        expect(mine.locator(".op-message__who")).to_contain_text("Dana (operator)")

        # The customer answers; the operator sees it at once.
        customer.fill(".chat-composer__input", "My fridge water filter leaks.")
        customer.keyboard.press("Enter")
        expect(operator.locator("#op-messages")).to_contain_text("My fridge water filter leaks.", timeout=10000)

        # An internal note: in the inbox, never in the chat.
        operator.get_by_label("Add an internal note").fill("Customer changed the filter themselves.")
        operator.get_by_role("button", name="Add note").click()
        expect(operator.locator("#op-notes-list")).to_contain_text("Customer changed the filter themselves.")
        expect(operator.locator("#op-notes-list .op-note__who")).to_contain_text("Dana")
        screenshot(operator, "inbox-handoff-claimed")

        # Resolve: back to the assistant; the inbox offers to reopen.
        operator.get_by_role("button", name="Resolve", exact=True).click()
        expect(state).to_have_text("Resolved: back with the assistant.")
        expect(customer.locator(".chat-handoff")).to_be_hidden(timeout=10000)
        expect(operator.get_by_role("button", name="Reopen")).to_be_visible()
        operator.get_by_role("button", name="Resolved", exact=True).click()
        expect(rows(operator)).to_have_count(1)
        expect(customer.locator(".chat-log")).not_to_contain_text("changed the filter themselves")
        screenshot(operator, "inbox-handoff-resolved")
        screenshot(customer, "chat-after-inbox-handoff")
    finally:
        operator_context.close()
        customer_context.close()
    assert customer_problems == [] and operator_problems == [], (customer_problems, operator_problems)
