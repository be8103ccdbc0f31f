"""Product pictures in a real browser: the demo's shipped SVGs load (on the demo product page and
on a chat card), and a part whose picture is missing or fails shows the drawn placeholder with
a text alternative, never the browser's broken-image icon. The stack serves its own static files."""

import re

import pytest

from conversations.tests.browser import chromium, expect, screenshot, watch_problems

pytestmark = [pytest.mark.browser, pytest.mark.live]

SHIPPED = "PS11752778"  # Refrigerator Door Shelf Bin: /static/parley/parts/refrigerator-bins-and-shelves.svg
BROKEN = "PS13935242"  # given a picture URL that answers 404
NONE = "PS10436717"  # given no picture at all


@pytest.fixture(scope="module")
def stack(live_sqlite):
    live_sqlite.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from catalog.models import Product; "
        f"Product.objects.filter(ps_number={BROKEN!r}).update(image_url='/static/parley/parts/no-such-part.svg'); "
        f"Product.objects.filter(ps_number={NONE!r}).update(image_url='')",
    )
    return live_sqlite


@pytest.fixture(scope="module")
def browser(stack):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    # No image routing: every picture must come from the stack itself.
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.parley_problems = watch_problems(page)
    yield page
    context.close()


def natural_width(locator) -> int:
    locator.wait_for()
    return locator.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")


def test_the_demo_product_page_shows_the_shipped_picture(page, stack):
    page.goto(stack.url(f"/demo/product/{SHIPPED}/"))
    image = page.locator(".demo-product__media img")
    expect()(image).to_have_attribute("alt", "Refrigerator Door Shelf Bin")
    assert image.get_attribute("src") == "/static/parley/parts/refrigerator-bins-and-shelves.svg"
    assert natural_width(image) > 0
    expect()(page.locator(".product-image--missing")).to_have_count(0)
    screenshot(page, "product-image-demo-page")
    assert page.parley_problems == [], page.parley_problems


@pytest.mark.parametrize("ps_number", [BROKEN, NONE])
def test_the_demo_product_page_without_a_picture_shows_the_placeholder(page, stack, ps_number):
    page.goto(stack.url(f"/demo/product/{ps_number}/"))
    placeholder = page.locator(".demo-product__media")
    expect()(placeholder).to_have_class("demo-product__media product-image--missing")
    expect()(placeholder).to_have_attribute("role", "img")
    expect()(placeholder).to_have_attribute("aria-label", re.compile(r"^\S.*: no picture available$"))
    assert page.get_by_role("img", name="no picture available").count() == 1
    expect()(placeholder.locator("img")).to_have_count(0)  # no broken-image icon
    background = placeholder.evaluate("el => getComputedStyle(el).backgroundImage")
    assert "part-placeholder.svg" in background
    screenshot(page, f"product-image-placeholder-{ps_number}")
    # The only problem the page has is the 404 of the broken picture itself.
    expected = 1 if ps_number == BROKEN else 0
    assert len(page.parley_problems) == expected, page.parley_problems


def ask(page, text):
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_chat_cards_show_the_picture_or_the_placeholder(page, stack):
    page.goto(stack.url("/"))
    expect()(page.locator(".chat-connection")).to_have_text("Online", timeout=5000)

    ask(page, f"Is {SHIPPED} in stock?")
    card = page.locator(".card", has=page.locator(".card__ps", has_text=SHIPPED)).first
    image = card.locator("img.card__image")
    expect()(image).to_have_attribute("alt", "Refrigerator Door Shelf Bin")
    assert image.get_attribute("src") == stack.url("/static/parley/parts/refrigerator-bins-and-shelves.svg")
    assert natural_width(image) > 0

    ask(page, f"Is {BROKEN} in stock?")
    broken = page.locator(".card", has=page.locator(".card__ps", has_text=BROKEN)).first
    media = broken.locator(".card__media")
    expect()(media).to_have_class("card__media card__media--empty")
    expect()(media).to_have_attribute("role", "img")
    expect()(broken.locator("img")).to_have_count(0)
    assert media.get_attribute("aria-label").endswith(": no picture available")
    assert "part-placeholder.svg" in media.evaluate("el => getComputedStyle(el).backgroundImage")
    screenshot(page, "product-image-chat-cards")
    assert [p for p in page.parley_problems if "404" not in p] == [], page.parley_problems
