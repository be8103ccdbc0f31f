"""The embeddable widget in a real browser: on the demo product page (same origin) and on a
shop's page of another origin (CORS + the socket's origin check), with the page's product
context reaching the conversation. One live stack (with an embed origin) and one browser."""

import json

import httpx
import pytest

from conversations.tests.browser import chromium, contrast_ratio, expect, new_context, screenshot, watch_problems
from conversations.tests.test_browser_chat import COLOURS_JS
from core.testing.http_stub import LocalServer, QuietHandler
from core.testing.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.live]

DEMO = "/demo/product/PS11750057/?model=WDT780SAEM1"


class ShopSite(LocalServer):
    """A shop's own web server on another origin (another port and host name), serving one
    product page that embeds the widget from the stack. `origin_for(port)` names it."""

    def __init__(self):
        self.widget_src = ""
        site = self

        class Handler(QuietHandler):
            def do_GET(self):
                self.reply(200, shop_page(site.widget_src).encode(), "text/html; charset=utf-8")

        super().__init__(Handler)

    def origin(self, host="localhost"):
        return f"http://{host}:{self.port}"


@pytest.fixture(scope="module")
def shop():
    with ShopSite() as site:
        yield site


@pytest.fixture(scope="module")
def stack(shop):
    # The shop at http://localhost:<port> may embed the chat; the same server named by its
    # address (http://127.0.0.1:<port>) is another origin and may not.
    with LiveStack(database="sqlite", extra_env={"PARLEY_EMBED_ORIGINS": shop.origin()}) as stack:
        shop.widget_src = stack.url("/static/parley/widget.js")
        yield stack


@pytest.fixture(scope="module")
def browser(stack):
    with chromium() as browser:
        yield browser


def shop_page(widget_src, ps_number="PS11752778"):
    """A shop's own product page on another origin: its product block carries the context."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Refrigerator Door Shelf Bin</h1>
<div class="product" data-ps-number="{ps_number}" data-appliance-type="refrigerator"></div>
<script src="{widget_src}" defer></script></body></html>"""


def conversation_context(stack, conversation_id):
    out = stack.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "import json; from conversations.models import Conversation; "
        f"print(json.dumps(Conversation.objects.get(pk={conversation_id!r}).context['page']))",
    )
    return json.loads(out.strip().splitlines()[-1])


def test_the_widget_on_the_demo_product_page(browser, stack):
    context = new_context(browser)
    page = context.new_page()
    problems = watch_problems(page)
    started = []
    page.on("request", lambda r: started.append(r.url) if r.url.endswith("/api/chat/conversations") else None)
    try:
        page.goto(stack.url(DEMO))
        launcher = page.get_by_role("button", name="Questions? Chat with us")
        expect()(launcher).to_be_visible()
        expect()(launcher).to_have_attribute("aria-expanded", "false")
        dialog = page.get_by_role("dialog", name="Parley Appliance Parts")
        expect()(dialog).to_be_hidden()
        assert started == []  # no conversation for a mere page view
        screenshot(page, "widget-closed-on-product-page")

        # Keyboard: Tab to the launcher, Enter opens it, the focus lands in the message box.
        launcher.focus()
        page.keyboard.press("Enter")
        expect()(dialog).to_be_visible()
        expect()(launcher).to_have_attribute("aria-expanded", "true")
        box = page.get_by_label("Your message")
        expect()(box).to_be_focused()
        expect()(page.get_by_role("log", name="Conversation")).to_have_attribute("aria-live", "polite")
        # Example questions about this page's product.
        expect()(dialog.get_by_role("button", name="Is PS11750057 compatible with my WDT780SAEM1?")).to_be_visible()
        expect()(page.locator("#parley-widget .chat-connection")).to_have_text("Online")

        # The page's product is the conversation's: "it" is PS11750057 for the WDT780SAEM1.
        box.fill("Is it compatible?")
        box.press("Enter")
        reply = dialog.locator(".msg--assistant").last
        expect()(reply).to_contain_text("PS11750057")
        expect()(dialog.get_by_role("button", name="Checkout now")).to_be_visible()
        saved = json.loads(page.evaluate(f"() => localStorage.getItem('parley.widget@{stack.base_url}')"))
        page_context = conversation_context(stack, saved["id"])
        assert page_context["psNumber"] == "PS11750057"
        assert page_context["modelNumber"] == "WDT780SAEM1"
        assert page_context["applianceType"] == "dishwasher"
        assert page_context["pageUrl"].endswith("/demo/product/PS11750057/")
        screenshot(page, "widget-open-with-reply")

        # Escape closes it and gives the focus back to the launcher.
        page.keyboard.press("Escape")
        expect()(dialog).to_be_hidden()
        expect()(launcher).to_be_focused()

        # A reply while it is closed: counted on the launcher.
        httpx.post(
            stack.url(f"/api/chat/conversations/{saved['id']}/messages"),
            headers={"Authorization": f"Bearer {saved['token']}"},
            json={"content": "How do I install it?", "client_message_id": "from-another-tab"},
        ).raise_for_status()
        expect()(page.get_by_role("button", name="Questions? Chat with us (1 new message)")).to_be_visible()
        screenshot(page, "widget-unread-badge")

        # Next page of the shop (a reload here): the same conversation, the chat still closed.
        page.reload()
        page.get_by_role("button", name="Questions? Chat with us").click()
        expect()(dialog.locator(".msg--user")).to_have_count(2)
        assert len(started) == 1
    finally:
        context.close()
    assert problems == [], problems


def test_the_widget_on_another_sites_page(browser, stack, shop):
    context = new_context(browser)
    page = context.new_page()
    problems = watch_problems(page)
    try:
        page.goto(f"{shop.origin()}/parts/PS11752778")
        page.get_by_role("button", name="Chat with us").click()
        dialog = page.get_by_role("dialog")
        expect()(dialog.locator(".chat-connection")).to_have_text("Online")  # the socket, cross-origin
        expect()(dialog.get_by_role("button", name="How do I install PS11752778?")).to_be_visible()
        dialog.get_by_role("button", name="Is PS11752778 in stock?").click()
        card = dialog.locator(".card").first
        expect()(card.locator(".card__ps")).to_have_text("PS11752778")
        expect()(card.locator(".card__stock")).to_have_text("In stock")
        saved = json.loads(page.evaluate(f"() => localStorage.getItem('parley.widget@{stack.base_url}')"))
        assert conversation_context(stack, saved["id"])["psNumber"] == "PS11752778"
        screenshot(page, "widget-on-another-origin")
        # The chat stays open across the shop's pages.
        page.reload()
        expect()(page.get_by_role("dialog")).to_be_visible()
        expect()(page.get_by_role("dialog").locator(".card__ps").first).to_have_text("PS11752778")
    finally:
        context.close()
    assert problems == [], problems


def test_an_origin_not_allowed_gets_nothing(browser, stack, shop):
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{shop.origin('127.0.0.1')}/parts/PS11752778")
        page.get_by_role("button", name="Chat with us").click()
        expect()(page.get_by_role("dialog").locator(".chat-error")).to_contain_text("Can't reach the shop")
        expect()(page.get_by_role("dialog").locator(".chat-connection")).to_have_text("Offline")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_widget_colours_and_mobile_layout(browser, stack, scheme):
    context = new_context(browser, color_scheme=scheme, viewport={"width": 390, "height": 800}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(stack.url(DEMO))
        launcher = page.get_by_role("button", name="Questions? Chat with us")
        colours = launcher.evaluate(COLOURS_JS)
        assert contrast_ratio(colours["color"], colours["background"]) >= 4.5, colours
        launcher.click()
        dialog = page.get_by_role("dialog")
        expect()(dialog.locator(".chat-connection")).to_have_text("Online")
        # Full screen on a phone, the launcher out of the way, the close button reachable.
        box = dialog.bounding_box()
        assert box["width"] == 390 and box["height"] == 800
        expect()(launcher).to_be_hidden()
        for selector in (".chat-title", ".chat-connection", ".chat-example", ".msg--assistant .msg__text"):
            colours = dialog.locator(selector).first.evaluate(COLOURS_JS)
            ratio = contrast_ratio(colours["color"], colours["background"])
            assert ratio >= 4.5, (selector, colours, ratio)
        screenshot(page, f"widget-mobile-{scheme}")
        dialog.get_by_role("button", name="Close chat").click()
        expect()(launcher).to_be_focused()
    finally:
        context.close()
