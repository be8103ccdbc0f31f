"""A holdout experiment in a real browser: a shop's site on another origin embeds the widget and
the beacon; a holdout visitor never sees the widget, a chat-arm visitor does, and both visitors'
orders (sent by the beacon from the shop's confirmation page) arrive in the right arm. Then the
Experiments page draws the result for a staff member."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from conversations.tests.browser import chromium, create_staff, new_context, screenshot, staff_login, watch_problems
from core.testing.http_stub import LocalServer, QuietHandler
from core.testing.live import LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.live]


class ShopSite(LocalServer):
    """The shop's own server: /product embeds the widget, /thanks?order=…&value=… is the order
    confirmation page with the beacon."""

    def __init__(self):
        self.parley = ""
        site = self

        class Handler(QuietHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/thanks":
                    query = parse_qs(url.query)
                    order, value = query["order"][0], query["value"][0]
                    script = (
                        f'<script src="{site.parley}/static/parley/beacon.js" defer data-event="order_completed" '
                        f'data-order-id="{order}" data-value="{value}"></script>'
                    )
                    body = f"<!doctype html><html lang='en'><title>Thanks</title><h1>Order {order}</h1>{script}</html>"
                else:
                    body = (
                        "<!doctype html><html lang='en'><title>Shop</title><h1>Door shelf bin</h1>"
                        '<div data-ps-number="PS11752778" data-appliance-type="refrigerator"></div>'
                        f'<script src="{site.parley}/static/parley/widget.js" defer></script></html>'
                    )
                self.reply(200, body.encode(), "text/html; charset=utf-8")

        super().__init__(Handler)

    def url(self, path):
        return f"http://localhost:{self.port}{path}"


SETUP = """
from analytics.models import Experiment
from analytics.services.experiments import experiment_arm, experiment_start
e = experiment_start(experiment=Experiment.objects.create(name="Chat or not", holdout_percent=50, salt="browser"))
ids = [f"v_browser{i:04d}" for i in range(200)]
chat = next(v for v in ids if experiment_arm(experiment=e, visitor_id=v) == "chat")
holdout = next(v for v in ids if experiment_arm(experiment=e, visitor_id=v) == "holdout")
print("ARMS", e.pk, chat, holdout)
"""

REPORT = """
import json
from datetime import timedelta
from django.utils import timezone
from analytics.selectors.experiments import experiment_report_get
from analytics.services.rollups import analytics_rollups_refresh
analytics_rollups_refresh(now=timezone.now() + timedelta(minutes=1))
print("REPORT", json.dumps(experiment_report_get(experiment_id={pk})["arms"]))
"""


def _line(output: str, tag: str) -> list[str]:
    return next(line for line in output.splitlines() if line.startswith(tag)).split(" ", 1)[1].split(" ")


@pytest.fixture(scope="module")
def shop():
    with ShopSite() as site:
        yield site


@pytest.fixture(scope="module")
def stack(shop):
    with LiveStack(database="sqlite", extra_env={"PARLEY_EMBED_ORIGINS": f"http://localhost:{shop.port}"}) as stack:
        shop.parley = stack.base_url.rstrip("/")
        yield stack


def visit_as(browser, visitor: str):
    """A browser profile whose shop localStorage already holds this visitor id."""
    context = new_context(browser)
    context.add_init_script(f"window.localStorage.setItem('parley.visitor', {json.dumps(visitor)});")
    return context


def test_holdout_never_sees_the_widget_and_both_conversions_land_in_their_arm(stack, shop):
    from playwright.sync_api import expect

    pk, chat, holdout = _line(stack.run_manage("shell", "-v", "0", "-c", SETUP), "ARMS")
    with chromium() as browser:
        for visitor, arm, order, value in ((holdout, "holdout", "H-1", "20.00"), (chat, "chat", "C-1", "30.00")):
            context = visit_as(browser, visitor)
            page = context.new_page()
            problems = watch_problems(page)
            with page.expect_response(lambda r: r.url.endswith("/api/analytics/experiments/assign")) as assigned:
                page.goto(shop.url("/product"))
            answer = assigned.value.json()
            assert answer["arm"] == arm and answer["experiment_id"] == int(pk)
            launcher = page.get_by_role("button", name="Chat with us")
            if arm == "chat":
                expect(launcher).to_be_visible()
            else:
                page.wait_for_load_state("networkidle")
                expect(launcher).to_have_count(0)
                assert page.locator("#parley-widget").count() == 0
            # The same visitor id reaches the shop's confirmation page; the beacon reports the order.
            with page.expect_response(lambda r: r.url.endswith("/api/analytics/events")) as sent:
                page.goto(shop.url(f"/thanks?order={order}&value={value}"))
            assert sent.value.json()["accepted"] == 1
            assert problems == [], problems
            context.close()

    arms = json.loads(" ".join(_line(stack.run_manage("shell", "-v", "0", "-c", REPORT.format(pk=pk)), "REPORT")))
    by_arm = {row["arm"]: row for row in arms}
    assert (by_arm["chat"]["visitors"], by_arm["chat"]["converters"], by_arm["chat"]["revenue"]) == (1, 1, 30.0)
    assert (by_arm["holdout"]["visitors"], by_arm["holdout"]["converters"], by_arm["holdout"]["revenue"]) == (
        1,
        1,
        20.0,
    )


# Whether Chart.js drew a chart in the container, with data, at a readable font size.
DRAWN = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  const chart = canvas && window.Chart.getChart(canvas);
  return Boolean(chart && chart.data.datasets.length && window.Chart.defaults.font.size >= 12);
}"""


def test_the_experiments_page_draws_the_result(stack):
    from playwright.sync_api import expect

    out = stack.run_manage("generate_events", "20000", "--experiment", "--seed", "4", "--no-progress", "--backfill")
    experiment_id = re.search(r"Experiment (\d+):", out).group(1)
    create_staff(stack, "experimenter")
    with chromium() as browser:
        page = new_context(browser).new_page()
        staff_login(page, stack, "experimenter", "/dashboard/experiments/")
        problems = watch_problems(page)
        page.goto(stack.url(f"/dashboard/experiments/?experiment={experiment_id}"))
        expect(page.locator("#exp-select option:checked")).to_contain_text("Synthetic")
        expect(page.locator("#exp-verdict")).not_to_be_empty()
        # the two intervals and the cumulative curve, drawn by Chart.js, each labelled in words
        for chart_id in ("exp-interval-conversion", "exp-interval-revenue", "exp-curve"):
            expect(page.locator(f"#{chart_id} canvas[role=img]")).to_have_count(1)
            assert page.evaluate(DRAWN, chart_id), chart_id
        assert "95% interval" in page.get_attribute("#exp-interval-conversion canvas", "aria-label")
        expect(page.locator("#exp-interval-text")).to_contain_text("Revenue per visitor")
        assert page.locator("#exp-arms tbody tr").count() == 7
        assert "format=csv" in page.get_attribute("#exp-csv", "href")
        screenshot(page, "experiments-desktop-light", full_page=True)
        assert problems == [], problems

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark")
        page = phone.new_page()
        staff_login(page, stack, "experimenter", "/dashboard/experiments/")
        problems = watch_problems(page)
        page.goto(stack.url(f"/dashboard/experiments/?experiment={experiment_id}"))
        expect(page.locator("#exp-curve canvas")).to_have_count(1)
        assert page.evaluate(DRAWN, "exp-curve")
        screenshot(page, "experiments-mobile-dark", full_page=True)
        assert problems == [], problems
