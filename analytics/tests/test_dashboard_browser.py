"""The dashboard in a real browser: Chromium against Daphne, under the real CSP."""

import pytest

from conversations.tests.browser import SCREENSHOTS, chromium, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

STAFF_SCRIPT = (
    "from django.contrib.auth import get_user_model; "
    "U = get_user_model(); U.objects.filter(username='dash').exists() or "
    "U.objects.create_user('dash', password='dash-pw-12345', is_staff=True)"
)


# What Chart.js drew in a container: its type, labels, data, y/x tick labels and font size.
CHART_DATA = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  const chart = canvas && window.Chart.getChart(canvas);
  if (!chart) return null;
  const ticks = (axis) => chart.scales[axis] ? chart.scales[axis].ticks.map((t) => String(t.label)) : [];
  return {
    type: chart.config.type,
    labels: chart.data.labels.map(String),
    data: chart.data.datasets.map((d) => d.data),
    xTicks: ticks('x'),
    yTicks: ticks('y'),
    fontSize: window.Chart.defaults.font.size,
    canvasWidth: canvas.getBoundingClientRect().width,
    containerWidth: canvas.parentElement.getBoundingClientRect().width,
    label: canvas.getAttribute('aria-label'),
  };
}"""


def chart_data(page, container_id):
    return page.evaluate(CHART_DATA, container_id)


@pytest.fixture(scope="module")
def stack(live_sqlite):
    live_sqlite.run_manage("shell", "-c", STAFF_SCRIPT)
    live_sqlite.run_manage("generate_events", "3000", "--seed", "11", "--no-progress", "--backfill")
    return live_sqlite


def test_the_dashboard_draws_its_charts_and_tables(stack):
    problems = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(stack.url("/dashboard/"))
        assert "/admin/login/" in page.url  # staff only
        page.fill("#id_username", "dash")
        page.fill("#id_password", "dash-pw-12345")
        page.click("#login-form [type=submit]")
        page.wait_for_url("**/dashboard/**")
        problems.clear()  # the admin login page's own favicon 404 is not the dashboard's

        page.wait_for_selector("#chart-funnel canvas[role=img]")
        funnel = chart_data(page, "chart-funnel")
        assert funnel["labels"] == [
            "Chat opened",
            "Message sent",
            "Purchase intent",
            "Payment link clicked",
            "Paid",
        ]
        assert len(funnel["data"][0]) == 5
        trend = chart_data(page, "chart-trend")
        assert len(trend["labels"]) == 30 and trend["type"] == "line"
        actions = chart_data(page, "chart-actions")
        assert len(actions["data"]) == 2 and actions["labels"]  # click-through and success per type
        assert not any("_" in label for label in actions["labels"])  # names, not action codes
        assert page.locator("#table-funnel tbody tr").count() == 5
        assert page.locator("#table-daily tbody tr").count() == 30
        kpis = page.locator("#kpis").inner_text()
        assert "Conversations" in kpis and "Chat → payment" in kpis
        assert "Showing" in page.locator("#dash-status").inner_text()
        csv_link = page.get_attribute("#csv-actions", "href")
        assert "format=csv" in csv_link and "report=actions" in csv_link

        # filters: 90 days and one action type; the URL keeps them
        page.select_option("#f-days", "90")
        page.select_option("#f-action-type", "checkout_now")
        page.click(".dash-filters button[type=submit]")
        page.locator("#dash-status", has_text="Checkout now").wait_for()  # (the CSP forbids eval'd waits)
        assert page.locator("#table-daily tbody tr").count() == 90
        assert [t.strip() for t in page.locator("#table-actions tbody th").all_text_contents()] == ["Checkout now"]
        assert chart_data(page, "chart-actions")["labels"] == ["Checkout now"]
        assert "action_type=checkout_now" in page.url

        # a bad part is refused in the page, not sent
        page.fill("#f-ps-number", "bad part!")
        page.click(".dash-filters button[type=submit]")
        assert page.locator("#dash-error").is_visible()
    assert problems == [], problems


SCREENS = {
    "desktop-light": {"viewport": {"width": 1366, "height": 900}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1366, "height": 900}, "color_scheme": "dark"},
    "mobile-light": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "device_scale_factor": 2},
    "mobile-dark": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "color_scheme": "dark"},
}
CHARTS = [
    "chart-funnel",
    "chart-trend",
    "chart-actions",
    "chart-orders",
    "chart-mentions",
    "chart-recommendations",
    "chart-sales",
]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_charts_are_readable_on_a_phone_and_in_the_dark(stack, screen):
    """Text at 12-13 px whatever the width (no viewBox scaling), charts inside their cards, y ticks
    never repeated, dates that fit, action names and AOV said in words; screenshots for a person."""
    problems = []
    with chromium() as browser:
        page = browser.new_context(**SCREENS[screen]).new_page()
        page.goto(stack.url("/admin/login/?next=/dashboard/"))
        page.fill("#id_username", "dash")
        page.fill("#id_password", "dash-pw-12345")
        page.click("#login-form [type=submit]")
        page.wait_for_url("**/dashboard/**")
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.reload()
        page.wait_for_selector("#chart-sales canvas")
        for chart_id in CHARTS:
            data = chart_data(page, chart_id)
            assert data is not None, chart_id
            assert data["fontSize"] >= 12, chart_id
            assert data["canvasWidth"] <= data["containerWidth"] + 1, chart_id  # nothing cut at the card's edge
            assert data["label"], chart_id
        trend = chart_data(page, "chart-trend")
        assert len(set(trend["yTicks"])) == len(trend["yTicks"]), trend["yTicks"]
        assert len(trend["xTicks"]) <= (8 if screen.startswith("mobile") else 16), trend["xTicks"]
        funnel = chart_data(page, "chart-funnel")
        assert len(set(funnel["xTicks"])) == len(funnel["xTicks"]), funnel["xTicks"]
        assert "Average order value (AOV)" in page.locator("#h-orders").inner_text()
        assert "AOV" in chart_data(page, "chart-orders")["label"]
        page.select_option("#trend-series", "revenue_conversational")
        assert chart_data(page, "chart-trend")["yTicks"][-1].startswith("$")
        screenshot(page, f"dashboard-{screen}", full_page=True)
        if screen.startswith("mobile"):  # each chart's card at a phone's size, to be read
            for card in ("funnel", "trend", "actions", "orders", "parts"):
                section = page.locator(f"section[aria-labelledby=h-{card}]")
                section.screenshot(path=str(SCREENSHOTS / f"dashboard-{screen}-{card}.png"))
    assert problems == [], problems
