"""axe-core on every customer and staff page: no serious or critical violation on the chat page,
the embeddable widget, the operator inbox and the dashboard, in light and dark, on a desktop and
a phone. Each page is checked in a state with content (a reply with cards and buttons, an open
confirmation, a conversation read in the inbox, drawn charts), and a failure lists the
violations (rule, impact, elements, why). Screenshots: test-artifacts/screenshots/axe-*.png.
"""

import pytest

from conversations.tests.browser import chromium, create_staff, new_context, screenshot, staff_login, watch_problems
from conversations.tests.test_browser_chat import COMPATIBLE, OUT_OF_STOCK, ask, expect, online
from core.testing.axe import axe_serious

pytestmark = [pytest.mark.browser, pytest.mark.live]

DEMO = "/demo/product/PS11750057/?model=WDT780SAEM1"
STAFF = "axe-operator"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "mobile": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LOOKS = [(scheme, size) for scheme in ("light", "dark") for size in VIEWPORTS]


@pytest.fixture(scope="module")
def browser(live_sqlite):
    create_staff(live_sqlite, STAFF)
    live_sqlite.run_manage("generate_events", "800", "--seed", "5", "--no-progress", "--backfill")
    with chromium() as browser:
        yield browser


@pytest.fixture(params=LOOKS, ids=[f"{scheme}-{size}" for scheme, size in LOOKS])
def look(request, browser):
    """A fresh browser profile in one colour scheme and one viewport; fails on console errors."""
    scheme, size = request.param
    context = new_context(browser, color_scheme=scheme, **VIEWPORTS[size])
    page = context.new_page()
    problems = watch_problems(page)
    page.look = f"{scheme}-{size}"
    page.problems = problems
    yield page
    context.close()
    assert problems == [], problems


def assert_accessible(page, name):
    screenshot(page, f"axe-{name}-{page.look}")
    seen = len(page.problems)
    violations = axe_serious(page)
    # axe itself tries inline styles while it checks the widget's shadow root: the CSP refuses them.
    page.problems[seen:] = [p for p in page.problems[seen:] if "Applying inline style violates" not in p]
    assert violations == [], f"{len(violations)} serious/critical axe-core violations on {name}:\n" + "\n".join(
        violations
    )


def test_chat_page(look, live_sqlite):
    page = look
    page.goto(live_sqlite.url("/"))
    online(page)
    assert_accessible(page, "chat-welcome")
    ask(page, COMPATIBLE)
    expect()(page.get_by_role("button", name="Checkout now")).to_be_visible()
    ask(page, OUT_OF_STOCK)
    notify = page.get_by_role("button", name="Notify me when in stock")
    expect()(notify).to_be_visible()
    page.get_by_role("button", name="Checkout now").click()  # the confirmation, open
    notify.click()  # the alert form, open
    expect()(page.get_by_role("button", name="Confirm and pay")).to_be_visible()
    assert_accessible(page, "chat-conversation")


def test_widget(look, live_sqlite):
    page = look
    page.goto(live_sqlite.url(DEMO))
    launcher = page.locator("#parley-widget .pw-launcher")
    expect()(launcher).to_be_visible()
    assert_accessible(page, "widget-closed")
    launcher.click()
    expect()(page.locator("#parley-widget .chat-connection")).to_have_text("Online")
    ask(page, COMPATIBLE)
    expect()(page.locator("#parley-widget .card").first).to_be_visible()
    assert_accessible(page, "widget-open")


def test_operator_inbox(look, live_sqlite):
    page = look
    # A customer's conversation to read (another profile: the customer is not staff).
    customer = page.context.browser.new_context()
    chat = customer.new_page()
    chat.goto(live_sqlite.url("/"))
    online(chat)
    ask(chat, COMPATIBLE)
    expect()(chat.get_by_role("button", name="Checkout now")).to_be_visible()
    customer.close()

    staff_login(page, live_sqlite, STAFF, "/operator/")
    expect()(page.locator("#op-connection")).to_have_text("Live")
    assert_accessible(page, "operator-list")
    page.locator("#op-conversation-list .op-row").first.get_by_role("button").first.click()
    expect()(page.locator("#op-messages li").first).to_be_visible()
    assert_accessible(page, "operator-thread")


def test_dashboard(look, live_sqlite):
    page = look
    staff_login(page, live_sqlite, STAFF, "/dashboard/")
    page.wait_for_load_state("networkidle")
    expect()(page.locator("#kpis")).not_to_be_empty()
    assert_accessible(page, "dashboard")
