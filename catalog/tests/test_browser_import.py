"""The admin's catalogue import in a real browser: from the product list, a file is checked (the
report lists the rejected rows, escaped), then imported with one click, and the part is on sale."""

import pytest

from conversations.tests.browser import chromium, create_staff, new_context, screenshot, staff_login, watch_problems

pytestmark = [pytest.mark.browser, pytest.mark.live]

FEED = (
    "part_number,name,brand,appliance_type,price,stock,compatible_models\n"
    "PS7600001,Dishwasher Spray Arm Seal,Bosch,dishwasher,12.40,8,SHE3AR75UC\n"
    "PS7600002,<img src=x onerror=alert(1)>,Bosch,dishwasher,cheap,1,\n"
)


def test_an_owner_checks_then_imports_a_catalogue_file(live_sqlite, tmp_path):
    from playwright.sync_api import expect

    stack = live_sqlite
    create_staff(stack, "catalogue-owner")
    feed = tmp_path / "spring-catalogue.csv"
    feed.write_text(FEED)
    with chromium() as browser:
        page = new_context(browser, viewport={"width": 1280, "height": 900}).new_page()
        problems = watch_problems(page)
        staff_login(page, stack, "catalogue-owner", "/admin/catalog/product/")
        page.get_by_role("link", name="Import catalogue").click()
        page.locator("#id_file").set_input_files(str(feed))
        page.get_by_role("button", name="Check (dry run)").click()

        expect(
            page.get_by_role("heading", name="Check of spring-catalogue.csv: nothing was written yet")
        ).to_be_visible()
        rejected = page.locator("#rejected-rows tbody tr")
        expect(rejected).to_have_count(1)
        expect(rejected.first).to_contain_text("import_invalid_value")
        screenshot(page, "admin-catalogue-import-checked", full_page=True)

        page.get_by_role("button", name="Import spring-catalogue.csv").click()
        expect(page.get_by_role("heading", name="Imported spring-catalogue.csv")).to_be_visible()
        screenshot(page, "admin-catalogue-import-done", full_page=True)

        page.goto(stack.url("/admin/catalog/product/?q=PS7600001"))
        expect(page.get_by_text("Dishwasher Spray Arm Seal")).to_be_visible()
    assert problems == []
