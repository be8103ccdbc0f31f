"""The customer chat page in a real browser: Chromium against Daphne, under the real CSP.

One live stack and one browser for the module; every test opens a fresh browser context (a
new customer). Screenshots of the main states go to test-artifacts/screenshots/.
"""

import json
import re

import httpx
import pytest

from conversations.tests.browser import (
    chromium,
    contrast_ratio,
    create_staff,
    expect,
    new_context,
    screenshot,
    staff_login,
    watch_problems,
)
from core.testing.axe import axe_serious
from core.testing.live import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live]

COMPATIBLE = "Is PS11750057 compatible with my WDT780SAEM1?"
OUT_OF_STOCK = "Is PS12584610 in stock?"
MISSED = "How can I install part number PS11752778?"


@pytest.fixture(scope="module")
def browser(live_sqlite):
    with chromium() as browser:
        yield browser


@pytest.fixture
def customer(browser, live_sqlite):
    """A customer's tab on the chat page; fails the test on console errors or dialogs."""
    context = new_context(browser)
    page = context.new_page()
    problems = watch_problems(page)
    page.parley_problems = problems
    page.goto(live_sqlite.url("/"))
    yield page
    context.close()
    assert problems == [], problems


def online(page, timeout=5000):
    expect()(page.locator(".chat-connection")).to_have_text("Online", timeout=timeout)


def ask(page, text):
    """Type and send with the keyboard only."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def last_reply(page):
    return page.locator(".msg--assistant").last


def test_ask_a_question_see_cards_and_buttons(customer):
    page = customer
    # Welcome with example questions, the log as a live region, labelled controls.
    expect()(page.get_by_role("heading", name="Hi! How can we help?")).to_be_visible()
    expect()(page.get_by_role("button", name=COMPATIBLE)).to_be_visible()
    log = page.get_by_role("log", name="Conversation")
    expect()(log).to_have_attribute("aria-live", "polite")
    expect()(page.get_by_role("button", name="Send")).to_be_disabled()
    online(page)
    screenshot(page, "chat-welcome")

    page.get_by_role("button", name=COMPATIBLE).click()  # an example question is one click
    reply = page.locator(".msg--assistant", has=page.locator(".card"))
    expect()(reply).to_have_count(1)
    card = reply.locator(".card").first
    expect()(card.locator(".card__name")).to_have_text("Dishwasher Upper Rack Adjuster")
    expect()(card.locator(".card__ps")).to_have_text("PS11750057")
    expect()(card.locator(".card__price")).to_contain_text("$")
    expect()(card.locator(".card__stock")).to_have_text("In stock")
    expect()(card.locator(".card__rating")).to_have_attribute("aria-label", "Rated 4.7 out of 5")
    expect()(card.locator("img.card__image")).to_have_attribute("alt", "Dishwasher Upper Rack Adjuster")
    expect()(page.locator(".chat-welcome")).to_be_hidden()
    # Buttons from actions[]: the primary one styled as such.
    checkout = reply.get_by_role("button", name="Checkout now")
    expect()(checkout).to_be_enabled()
    expect()(checkout).to_have_class("action__button action__button--primary")
    assert reply.locator(".action__button--primary").count() == 1
    screenshot(page, "chat-reply-cards-and-buttons")

    # History on reload: the same conversation, the same buttons.
    page.reload()
    expect()(page.locator(".card__name").first).to_have_text("Dishwasher Upper Rack Adjuster")
    expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
    expect()(page.locator(".msg--user")).to_have_count(1)


def test_checkout_with_confirmation_then_the_payment_shows_in_the_chat(customer, live_sqlite):
    page = customer
    online(page)
    ask(page, COMPATIBLE)
    checkout = page.get_by_role("button", name="Checkout now")
    expect()(checkout).to_be_visible()

    # Keyboard only: back from the message box to the button, Enter opens the confirmation.
    for _ in range(12):
        if checkout.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    else:
        pytest.fail("the Checkout now button is not reachable with the keyboard")
    page.keyboard.press("Enter")
    confirm = page.locator(".confirm")
    expect()(confirm).to_contain_text("Buy 1 × Dishwasher Upper Rack Adjuster (PS11750057)")
    expect()(page.get_by_role("button", name="Confirm and pay")).to_be_focused()
    screenshot(page, "chat-checkout-confirmation")
    page.keyboard.press("Escape")  # changed my mind: back on the button
    expect()(confirm).to_have_count(0)
    expect()(checkout).to_be_focused()
    page.keyboard.press("Enter")

    with page.context.expect_page() as tab:
        page.keyboard.press("Enter")  # "Confirm and pay" has the focus
    provider = tab.value
    provider.wait_for_load_state()
    result = page.locator(".action[data-action-type=checkout_now] .action__result")
    expect()(result).to_contain_text("Checkout opened in a new tab")
    expect()(page.get_by_role("link", name="Continue to secure checkout")).to_be_visible()

    provider.get_by_role("button", name=re.compile(r"^Pay ")).click()
    confirmed = page.locator(".msg--type-payment_confirmed")
    expect()(confirmed).to_contain_text("Payment received")
    expect()(confirmed).to_contain_text("PS11750057")
    screenshot(page, "chat-payment-confirmed")
    provider.close()
    # Following the payment link is something only the browser sees: it reports it.
    conversation_id = page.evaluate("JSON.parse(localStorage.getItem('parley.conversation')).id")
    page.evaluate("window.dispatchEvent(new Event('pagehide'))")
    clicked = (
        "SELECT count(*) FROM analytics_event WHERE name = 'payment_link_clicked' AND source = 'client'"
        " AND conversation_id = %s AND ps_number = 'PS11750057'"
    )
    wait_for(
        lambda: live_sqlite.sql(clicked, [conversation_id]) == [(1,)],
        timeout=20,
        what="payment_link_clicked to be recorded",
    )


def pay_page(page, confirm=True):
    """Press the checkout button (and confirm): the offline provider's page, opened in a new tab."""
    page.locator(".action[data-action-type=checkout_now] .action__button").click()
    with page.context.expect_page() as tab:
        page.get_by_role("button", name="Confirm and pay").click()
    provider = tab.value
    provider.wait_for_load_state()
    return provider


def test_the_checkout_button_follows_the_payment(customer, live_sqlite):
    page = customer
    online(page)
    ask(page, COMPATIBLE)
    action = page.locator(".action[data-action-type=checkout_now]")
    expect()(action.get_by_role("button", name="Checkout now")).to_be_visible()

    # The page is open: waiting for the payment, never "Done." before it.
    provider = pay_page(page)
    expect()(action.locator(".action__status")).to_have_text("Waiting for your payment…")
    expect()(page.get_by_role("link", name="Continue to secure checkout")).to_be_visible()
    screenshot(page, "chat-checkout-waiting")

    # Declined: the button says try again, the closed page's link is gone; the page leads back.
    closed_url = provider.url
    provider.get_by_role("button", name="Decline payment").click()
    expect()(page.locator(".msg--type-payment_failed")).to_contain_text("did not go through")
    expect()(action.locator(".action__error")).to_have_text("The payment did not go through.")
    retry = action.get_by_role("button", name="Try again")
    expect()(retry).to_be_enabled()
    expect()(page.get_by_role("link", name="Continue to secure checkout")).to_have_count(0)
    screenshot(page, "chat-checkout-failed-try-again")
    provider.goto(closed_url)
    expect()(provider.locator("#status")).to_have_text(
        "This payment did not go through. You can try again from the chat."
    )
    back = provider.get_by_role("link", name="Back to the chat")
    screenshot(provider, "checkout-page-finished-links-back")
    back.click()
    expect()(provider.locator(".msg--type-payment_failed")).to_be_visible()  # the same conversation
    assert "conversation=" not in provider.url  # the address is tidied
    provider.close()

    # Tried again and paid: the button is done with the order, and offers no checkout any more.
    provider = pay_page(page)
    expect()(action.locator(".action__error")).to_be_hidden()
    provider.get_by_role("button", name=re.compile(r"^Pay ")).click()
    confirmed = page.locator(".msg--type-payment_confirmed")
    expect()(confirmed).to_contain_text("Payment received")
    expect()(action.locator(".action__status")).to_have_text(re.compile(r"^Paid\. Order ORD-[\w-]+\.$"))
    expect()(action.locator(".action__button")).to_be_disabled()
    expect()(page.get_by_role("link", name="Continue to secure checkout")).to_have_count(0)
    expect()(action).not_to_contain_text("Done.")
    # Announced (a status region) and reachable (focusable, scrolled to).
    expect()(page.locator(".chat-announcer")).to_contain_text("Payment received")
    expect()(confirmed).to_have_attribute("tabindex", "-1")
    expect()(confirmed).to_be_in_viewport()
    screenshot(page, "chat-checkout-paid")
    assert axe_serious(page) == []
    provider.close()
    # After a reload, from the server's copy: the same.
    page.reload()
    expect()(action.locator(".action__status")).to_have_text(re.compile(r"^Paid\. Order "))
    expect()(page.get_by_role("link", name="Continue to secure checkout")).to_have_count(0)


def test_the_conversation_survives_new_tabs_and_a_new_one_can_be_started(customer, browser, live_sqlite):
    page = customer
    online(page)
    ask(page, COMPATIBLE)
    expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
    saved = json.loads(page.evaluate("() => localStorage.getItem('parley.conversation')"))

    # A new tab of the same browser: the same conversation.
    tab = page.context.new_page()
    tab.goto(live_sqlite.url("/"))
    online(tab)
    expect()(tab.locator(".msg--user .msg__text")).to_have_text([COMPATIBLE])
    expect()(tab.locator(".chat-welcome")).to_be_hidden()
    screenshot(tab, "chat-new-tab-same-conversation")

    # Someone else, given its id (a shared link), sees none of it: the id alone opens nothing.
    stranger = new_context(browser).new_page()
    stranger.goto(live_sqlite.url(f"/?conversation={saved['id']}&checkout=success"))
    online(stranger)
    expect()(stranger.locator(".msg--assistant")).to_have_count(1)  # a welcome of their own
    expect()(stranger.locator(".msg--user")).to_have_count(0)
    assert json.loads(stranger.evaluate("() => localStorage.getItem('parley.conversation')"))["id"] != saved["id"]
    stranger.context.close()

    # An old save is let go: past its expiry the browser starts afresh.
    tab.evaluate(
        "() => { const s = JSON.parse(localStorage.getItem('parley.conversation'));"
        " s.savedAt = Date.now() - 8 * 24 * 3600 * 1000; localStorage.setItem('parley.conversation', JSON.stringify(s)); }"
    )
    tab.reload()
    online(tab)
    expect()(tab.locator(".msg--user")).to_have_count(0)
    expect()(tab.locator(".chat-welcome")).to_be_visible()
    tab.close()

    # The first tab starts a new one on purpose.
    page.reload()
    online(page)
    new = page.get_by_role("button", name="New conversation")
    expect()(new).to_be_hidden()  # (the expired save above was this browser's: a fresh one)
    ask(page, "Hello")
    expect()(new).to_be_visible()
    first = json.loads(page.evaluate("() => localStorage.getItem('parley.conversation')"))["id"]
    new.click()
    expect()(page.locator(".chat-welcome")).to_be_visible()
    expect()(page.locator(".msg--user")).to_have_count(0)
    expect()(page.get_by_label("Your message")).to_be_focused()
    online(page)
    expect()(page.locator(".msg--assistant")).to_have_count(1)
    second = json.loads(page.evaluate("() => localStorage.getItem('parley.conversation')"))["id"]
    assert second != first
    screenshot(page, "chat-new-conversation")
    ask(page, COMPATIBLE)
    expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()


TOO_FAST = "Is PS11752778 in stock?"


def test_a_message_sent_too_fast_counts_down_and_is_sent_when_the_wait_is_over(browser, live_sqlite):
    """The server's refusal (an `error` frame naming the message, with retry_after: see
    test_consumers) is played here by the socket route, with a 3 s wait."""
    context = new_context(browser)
    page = context.new_page()
    problems = watch_problems(page)
    refused = []

    def route(ws):
        server = ws.connect_to_server()

        def from_page(message):
            data = json.loads(message)
            if data.get("type") == "message" and data.get("content") == TOO_FAST and not refused:
                refused.append(data["client_message_id"])
                detail = "You've sent too many messages. Please wait 3 seconds."
                frame = {"type": "error", "code": "rate_limited", "detail": detail, "retry_after": 3}
                ws.send(json.dumps({**frame, "client_message_id": data["client_message_id"]}))
                return
            server.send(message)

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    page.route_web_socket(re.compile(r".*/ws/chat/.*"), route)
    try:
        page.goto(live_sqlite.url("/"))
        online(page)
        ask(page, TOO_FAST)
        bubble = page.locator(".msg--user.msg--waiting")
        expect()(bubble.locator(".msg__wait")).to_have_text(
            re.compile(r"^Too many messages at once: sending in [123] s…$")
        )
        expect()(bubble.get_by_role("button", name="Don't send")).to_be_visible()
        expect()(page.locator(".chat-announcer")).to_contain_text("will be sent in 3 seconds")
        screenshot(page, "chat-rate-limited-countdown")
        assert axe_serious(page) == []
        # The wait is over: sent under the same id, answered; nothing left pending.
        expect()(page.locator(".msg--assistant").last).to_contain_text("PS11752778", timeout=8000)
        expect()(page.locator(".msg--pending, .msg--waiting")).to_have_count(0)
        expect()(page.locator(".msg--user")).to_have_count(1)
        screenshot(page, "chat-rate-limited-sent")

        # Dropped instead: said so, and never sent.
        refused.clear()
        ask(page, TOO_FAST)
        page.locator(".msg--waiting").get_by_role("button", name="Don't send").click()
        failed = page.locator(".msg--user.msg--failed")
        expect()(failed.locator(".msg__note")).to_have_text("Not sent.")
        page.wait_for_timeout(3500)
        expect()(page.locator(".msg--user")).to_have_count(2)
        expect()(page.locator(".msg--assistant")).to_have_count(2)  # the welcome and one reply
    finally:
        context.close()
    assert problems == [], problems


def test_a_reply_below_the_view_is_hinted_not_scrolled_to(customer, live_sqlite):
    page = customer
    online(page)
    for replies, question in enumerate((COMPATIBLE, OUT_OF_STOCK, "Is PS11750057 in stock?"), start=2):
        ask(page, question)
        expect()(page.locator(".msg--assistant")).to_have_count(replies)  # the welcome and the replies
    saved = json.loads(page.evaluate("() => localStorage.getItem('parley.conversation')"))
    page.locator(".chat-window").evaluate("w => { w.style.scrollBehavior = 'auto'; w.scrollTop = 0; }")
    # Asked in another tab meanwhile: the answer arrives here below the view.
    httpx.post(
        live_sqlite.url(f"/api/chat/conversations/{saved['id']}/messages"),
        headers={"Authorization": f"Bearer {saved['token']}"},
        json={"content": MISSED, "client_message_id": "other-tab"},
    ).raise_for_status()
    hint = page.get_by_role("button", name=re.compile(r"new message", re.I))
    reply = page.locator(".msg--assistant").last
    expect()(reply).to_contain_text("PS11752778")
    # 'New message ↓'; on a busy machine the previous reply's last frame can land after the
    # scroll and be counted too ('2 new messages ↓'): the count is not what this test is about.
    expect()(hint).to_have_text(re.compile(r"^(New message|\d+ new messages) ↓$"))
    expect()(reply).not_to_be_in_viewport()
    assert page.locator(".chat-window").evaluate("w => w.scrollTop") == 0  # not moved under the reader
    screenshot(page, "chat-new-message-hint")
    assert axe_serious(page) == []
    hint.click()
    expect()(hint).to_be_hidden()
    # Taken to the first of them, focused, in view.
    first_unseen = page.locator(".msg--assistant:focus")
    expect()(first_unseen).to_have_count(1)
    expect()(first_unseen).to_be_in_viewport()


def test_subscribe_to_an_alert_and_hear_of_the_restock_in_the_chat(customer, browser, live_sqlite):
    page = customer
    online(page)
    ask(page, OUT_OF_STOCK)
    notify = page.get_by_role("button", name="Notify me when in stock")
    expect()(notify).to_be_visible()
    notify.click()
    expect()(page.get_by_label("Email address")).to_be_focused()
    page.get_by_role("radio", name="Here in this chat").check()
    expect()(page.get_by_label("Email address")).to_be_hidden()
    screenshot(page, "chat-alert-form")
    page.get_by_role("button", name="Notify me", exact=True).click()
    status = page.locator(".action[data-action-type=notify_when_in_stock] .action__status")
    expect()(status).to_have_text("We'll tell you here as soon as it's back.")
    expect()(notify).to_be_disabled()

    # An operator restocks the part in the admin; the alert arrives in the open chat.
    create_staff(live_sqlite, "stock-keeper")
    admin = new_context(browser).new_page()
    staff_login(admin, live_sqlite, "stock-keeper", "/admin/catalog/product/")
    admin.goto(live_sqlite.url("/admin/catalog/product/?q=PS12584610"))
    admin.get_by_role("link", name="PS12584610").click()
    admin.fill("#id_stock_quantity", "5")
    admin.click("[name=_save]")  # a button in the themed admin
    admin.context.close()

    notice = page.locator(".msg--type-alert_notified")
    expect()(notice).to_contain_text("Back in stock")
    expect()(notice).to_contain_text("PS12584610")
    # With the button the action rules allow now that it is in stock: its checkout.
    expect()(notice.get_by_role("button", name="Checkout now")).to_be_enabled()
    screenshot(page, "chat-alert-notified")


def test_one_price_format_in_text_and_on_cards(customer):
    page = customer
    online(page)
    ask(page, COMPATIBLE)
    reply = page.locator(".msg--assistant", has=page.locator(".card"))
    expect()(reply.locator(".card__price")).to_have_text("$34.79")  # the shop's locale (en-US) and currency
    expect()(reply.locator(".msg__text").first).to_contain_text("It costs $34.79")
    assert "USD" not in reply.inner_text()
    reply.get_by_role("button", name="Checkout now").click()
    expect()(page.locator(".confirm__text")).to_contain_text("for $34.79?")


LIST = "Show me parts for my WDT780SAEM1"


def test_an_answer_listing_several_parts_has_a_button_for_each(customer):
    page = customer
    online(page)
    ask(page, LIST)
    reply = page.locator(".msg--assistant", has=page.locator(".card"))
    expect()(reply.locator(".card")).to_have_count(3)
    names = reply.locator(".card__ps").all_text_contents()
    buttons = reply.locator(".actions .action__button")
    # Each part's own checkout, named after it; the first one primary, at most three (the rules).
    expect()(buttons).to_have_text([f"Buy {ps}" for ps in names])
    assert reply.locator(".action__button--primary").count() == 1
    screenshot(page, "chat-list-with-buttons")
    assert axe_serious(page) == []
    buttons.nth(1).click()
    expect()(page.locator(".confirm__text")).to_contain_text(f"({names[1]})")


XSS = [
    "<img src=x onerror=\"alert('xss-img')\">",
    "<script>alert('xss-script')</script>",
    '<a href="javascript:alert(1)">click</a><svg onload=alert(3)>',
]


def test_html_and_script_in_messages_are_shown_as_text(customer):
    page = customer
    online(page)
    for payload in XSS:
        ask(page, payload)
        expect()(page.locator(".msg--user .msg__text").last).to_have_text(payload)
    expect()(page.locator(".msg--user")).to_have_count(len(XSS))
    expect()(last_reply(page)).to_be_visible()
    log = page.locator(".chat-log")
    assert log.locator("img:not(.card__image), script, svg, a[href^='javascript']").count() == 0
    # And after a reload (history rendered from the server's copy), still text.
    page.reload()
    expect()(page.locator(".msg--user")).to_have_count(len(XSS))
    expect()(page.locator(".msg--user .msg__text").first).to_have_text(XSS[0])
    assert log.locator("img:not(.card__image), script, svg, a[href^='javascript']").count() == 0
    screenshot(page, "chat-xss-as-text")
    # (the fixture fails the test if any dialog opened or any console error was logged)


def test_reconnect_after_the_server_restarts_fetches_what_was_missed(customer, live_sqlite):
    page = customer
    online(page)
    ask(page, "Hello")
    expect()(page.locator(".msg--assistant")).to_have_count(2)  # welcome + reply
    saved = json.loads(page.evaluate("() => localStorage.getItem('parley.conversation')"))

    live_sqlite.server.stop()
    expect()(page.locator(".chat-connection")).to_have_text("Reconnecting…")
    screenshot(page, "chat-reconnecting")
    # Said while the page was away: a message in the conversation, straight into the database.
    live_sqlite.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from conversations.models import Conversation; "
        "from conversations.services.replies import customer_message_handle; "
        f"c = Conversation.objects.get(pk={saved['id']!r}); "
        f"customer_message_handle(conversation=c, content={MISSED!r}, client_message_id='other-tab')",
    )
    live_sqlite.restart_server()

    online(page, timeout=30000)  # the page retries with backoff (at most a few seconds apart here)
    expect()(page.locator(".msg--user .msg__text").last).to_have_text(MISSED)
    expect()(page.locator(".msg--user")).to_have_count(2)
    expect()(page.locator(".msg--assistant")).to_have_count(3)  # the missed reply too
    expect()(last_reply(page)).to_contain_text("PS11752778")
    # And the socket is live again: a new question is answered.
    ask(page, COMPATIBLE)
    expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
    # The browser logged its refused connections while the server was down: expected here.
    page.parley_problems[:] = [p for p in page.parley_problems if "ERR_CONNECTION_REFUSED" not in p]


def test_a_failed_action_is_disabled_with_an_inline_error(customer, live_sqlite):
    page = customer
    online(page)
    ask(page, COMPATIBLE)
    checkout = page.get_by_role("button", name="Checkout now")
    expect()(checkout).to_be_visible()
    # The part sells out between the reply and the click: the server refuses the checkout.
    live_sqlite.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from catalog.models import Product; Product.objects.filter(ps_number='PS11750057').update(stock_quantity=0)",
    )
    try:
        checkout.click()
        page.get_by_role("button", name="Confirm and pay").click()
        error = page.locator(".action[data-action-type=checkout_now] .action__error")
        expect()(error).to_be_visible()
        expect()(error).to_have_attribute("role", "alert")
        expect()(error).not_to_be_empty()
        expect()(checkout).to_be_disabled()
        screenshot(page, "chat-action-failed")
        page.parley_problems[:] = [p for p in page.parley_problems if "409 (Conflict)" not in p]  # the refusal
    finally:
        live_sqlite.run_manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from catalog.models import Product; "
            "Product.objects.filter(ps_number='PS11750057').update(stock_quantity=34)",
        )


# --- colours ------------------------------------------------------------------------------

# The main colour pairs: (what, selector of the text, minimum ratio). The background is the
# first opaque one found walking up from the element.
PAIRS = [
    ("body text", ".chat-title", 4.5),
    ("connection status", ".chat-connection", 4.5),
    ("welcome text", ".chat-welcome__text", 4.5),
    ("example question", ".chat-example", 4.5),
    ("assistant bubble", ".msg--assistant .msg__text", 4.5),
    ("user bubble", ".msg--user .msg__text", 4.5),
    ("card name", ".card__name", 4.5),
    ("card part number", ".card__ps", 4.5),
    ("stock badge", ".card__stock", 4.5),
    ("rating", ".card__rating", 4.5),
    ("primary button", ".action__button--primary", 4.5),
    ("secondary button", ".action__button--secondary", 4.5),
    ("message time", ".msg__time", 4.5),
    ("composer hint", ".chat-composer__hint", 4.5),
    ("composer text", ".chat-composer__input", 4.5),
    ("send button", ".chat-composer__send", 4.5),
]
COLOURS_JS = """(element) => {
  const style = getComputedStyle(element);
  let node = element, background = "rgba(0, 0, 0, 0)";
  while (node && node.nodeType === 1) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && !/rgba\\(.*,\\s*0\\)$/.test(bg) && bg !== "transparent") { background = bg; break; }
    node = node.parentElement;
  }
  return {color: style.color, background};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_colour_pairs_meet_wcag_aa(browser, live_sqlite, scheme):
    context = new_context(browser, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(live_sqlite.url("/"))
        online(page)
        page.get_by_role("button", name=COMPATIBLE).click()
        expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
        page.get_by_role("button", name="Checkout now").click()  # the confirmation: a secondary button
        page.get_by_label("Your message").fill("typing")  # enabled Send, text in the box
        page.locator(".chat-welcome").evaluate("e => e.hidden = false")  # measured too
        failures = []
        for what, selector, minimum in PAIRS:
            element = page.locator(selector).first
            colours = element.evaluate(COLOURS_JS, timeout=2000)
            ratio = contrast_ratio(colours["color"], colours["background"])
            if ratio < minimum:
                failures.append(f"{what}: {colours['color']} on {colours['background']} = {ratio:.2f}")
        screenshot(page, f"chat-{scheme}-scheme")
        assert failures == [], failures
    finally:
        context.close()


def test_mobile_layout(browser, live_sqlite):
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_sqlite.url("/"))
        online(page)
        page.get_by_role("button", name=COMPATIBLE).tap()
        expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
        # Nothing wider than the screen; the composer stays on screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        box = page.get_by_label("Your message").bounding_box()
        assert box["y"] + box["height"] <= 844
        screenshot(page, "chat-mobile")
    finally:
        context.close()
