"""The dashboard in a real browser: Chromium against Daphne, under the real CSP."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.live]

STAFF_SCRIPT = (
    "from django.contrib.auth import get_user_model; "
    "U = get_user_model(); U.objects.filter(username='dash').exists() or "
    "U.objects.create_user('dash', password='dash-pw-12345', is_staff=True)"
)


def test_the_dashboard_draws_its_charts_and_tables(live_sqlite):
    from playwright.sync_api import sync_playwright

    stack = live_sqlite
    stack.run_manage("shell", "-c", STAFF_SCRIPT)
    stack.run_manage("generate_events", "3000", "--seed", "11", "--no-progress", "--backfill")

    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
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

            page.wait_for_selector("#chart-funnel svg rect.dash-bar")
            assert page.locator("#chart-funnel svg rect").count() == 5
            assert page.locator("#chart-trend svg path.dash-line").count() == 1
            assert page.locator("#chart-actions svg rect").count() >= 2
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
            page.locator("#dash-status", has_text="checkout_now").wait_for()  # (the CSP forbids eval'd waits)
            assert page.locator("#table-daily tbody tr").count() == 90
            assert [t.strip() for t in page.locator("#table-actions tbody th").all_text_contents()] == ["checkout_now"]
            assert "action_type=checkout_now" in page.url

            # a bad part is refused in the page, not sent
            page.fill("#f-ps-number", "bad part!")
            page.click(".dash-filters button[type=submit]")
            assert page.locator("#dash-error").is_visible()
        finally:
            browser.close()
    assert problems == [], problems
