"""The owner's admin in a real browser (Chromium against Daphne, under the admin's CSP): the
landing page, the sidebar grouped by job, the JSON panels; desktop and phone, light and dark.
Screenshots: test-artifacts/screenshots/admin-*.png."""

import pytest

from conversations.tests.browser import chromium, new_context, screenshot, staff_login, watch_problems

pytestmark = [pytest.mark.browser, pytest.mark.live]

SETUP = """
from django.contrib.auth import get_user_model
from actions.enums import ActionStatus
from actions.tests.factories import ActionFactory
from checkout.tests.factories import OrderFactory
from conversations.enums import Handling
from conversations.models import Conversation
from conversations.tests.factories import ConversationFactory

get_user_model().objects.create_superuser("owner", "owner@example.com", "operator-pw-4821")
pending = ActionFactory(status=ActionStatus.PENDING_APPROVAL)
OrderFactory(total="20.00")
waiting = ConversationFactory(customer_name="Ann")
Conversation.objects.filter(pk=waiting.pk).update(
    handling=Handling.WAITING_FOR_HUMAN,
    context={"psNumber": "PS11750057", "modelNumber": "WDT780SAEM1", "cart": [{"psNumber": "PS11750057", "quantity": 2}]},
)
print(waiting.pk, pending.pk)
"""


@pytest.fixture(scope="module")
def created(live_sqlite):
    conversation, action = live_sqlite.run_manage("shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1].split()
    return {"conversation": conversation, "action": action}


@pytest.fixture(scope="module")
def conversation_id(created):
    return created["conversation"]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def _owner_page(browser, stack, **context_options):
    context = new_context(browser, **context_options)
    page = context.new_page()
    problems = watch_problems(page)
    staff_login(page, stack, "owner", "/admin/")
    return page, problems


@pytest.mark.parametrize(
    "name, options",
    [
        ("desktop-light", {"viewport": {"width": 1366, "height": 900}, "color_scheme": "light"}),
        ("desktop-dark", {"viewport": {"width": 1366, "height": 900}, "color_scheme": "dark"}),
        ("mobile-light", {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}),
        ("mobile-dark", {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "color_scheme": "dark"}),
    ],
)
def test_the_landing_page_shows_today_and_what_waits(live_sqlite, conversation_id, browser, name, options):
    page, problems = _owner_page(browser, live_sqlite, **options)
    response = page.goto(live_sqlite.url("/admin/"))
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-eval';" in csp and "https:" not in csp.split("img-src")[0]

    figures = page.locator("#parley-figures")
    assert "Orders" in figures.inner_text() and "$69.98" in figures.inner_text()
    waiting = page.locator("#parley-waiting-list")
    assert "Action requests waiting for approval" in waiting.inner_text()
    answer = page.get_by_role("link", name="Answer in the inbox")
    assert answer.get_attribute("href") == "/operator/?view=waiting"
    assert page.title().startswith("Parley Appliance Parts") or "Parley Appliance Parts" in page.title()
    screenshot(page, f"admin-home-{name}", full_page=True)
    assert problems == [], problems  # no CSP refusal, no script error
    page.context.close()


def test_the_sidebar_is_grouped_by_job_and_the_internals_fold_away(live_sqlite, conversation_id, browser):
    page, problems = _owner_page(browser, live_sqlite, viewport={"width": 1366, "height": 900})
    page.goto(live_sqlite.url("/admin/"))
    sidebar = page.locator("#nav-sidebar-apps")
    for title in ("Sell", "Catalogue", "Alerts", "Reports", "Settings", "System"):
        assert sidebar.get_by_role("heading", name=title).is_visible()
    assert sidebar.get_by_role("link", name="Operator inbox").is_visible()
    assert sidebar.get_by_role("link", name="Dashboard").get_attribute("href") == "/dashboard/"
    assert sidebar.get_by_role("link", name="Plans and bundles").is_visible()
    idempotency = sidebar.get_by_role("link", name="Idempotency records")
    assert not idempotency.is_visible()  # System starts folded
    sidebar.get_by_role("heading", name="System").click()
    idempotency.wait_for(state="visible")
    screenshot(page, "admin-sidebar-system-open")

    page.get_by_role("link", name="Plans and bundles").click()
    page.wait_for_url("**/admin/checkout/pricebook/**")
    assert "Parts are not priced here" in page.locator(".parley-list-help").inner_text()
    screenshot(page, "admin-plans-and-bundles")
    assert problems == [], problems
    page.context.close()


def test_the_conversation_context_is_a_readable_panel(live_sqlite, conversation_id, browser):
    page, problems = _owner_page(browser, live_sqlite, viewport={"width": 1366, "height": 900}, color_scheme="dark")
    page.goto(live_sqlite.url(f"/admin/conversations/conversation/{conversation_id}/change/"))
    panel = page.locator("pre.parley-json").first
    assert '"modelNumber": "WDT780SAEM1"' in panel.inner_text()
    assert page.locator('textarea[name="context"]').count() == 0
    panel.scroll_into_view_if_needed()
    screenshot(page, "admin-conversation-context-dark")
    assert problems == [], problems
    page.context.close()


PAGES = [
    "/admin/checkout/discountcode/add/",  # date and time widgets
    "/admin/checkout/order/",
    "/admin/catalog/product/",
    "/admin/catalog/product/import/",
    "/admin/auth/user/add/",
    "/admin/axes/accessattempt/",
    "/admin/core/outbounddelivery/",
    "/admin/analytics/event/",
    "/admin/conversations/conversation/?q=Ann",
]


def test_the_admin_pages_work_under_the_admin_csp(live_sqlite, created, browser):
    """No script error and no CSP refusal on the pages an owner opens, forms and widgets included;
    the decision form under a pending action fits the theme."""
    page, problems = _owner_page(browser, live_sqlite, viewport={"width": 1366, "height": 900})
    for path in PAGES:
        response = page.goto(live_sqlite.url(path))
        assert response.status == 200, path
        page.wait_for_load_state("load")
    page.goto(live_sqlite.url(f"/admin/actions/action/{created['action']}/change/"))
    decision = page.locator("#operator-decision")
    assert decision.get_by_role("button", name="Approve").is_visible()
    assert decision.get_by_label("Reply to the customer (optional)").is_visible()
    decision.scroll_into_view_if_needed()
    screenshot(page, "admin-action-decision")
    assert problems == [], problems
    page.context.close()
