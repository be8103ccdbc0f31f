"""Product pictures: the demo catalogue's shipped SVGs exist and are small; site paths become
absolute URLs under PARLEY_PUBLIC_URL for customers and platforms; the admin accepts both kinds."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from catalog.images import product_image_absolute_url, product_image_url_validate, shipped_picture_path
from catalog.serializers import product_card
from catalog.tests.factories import ProductFactory

STATIC = settings.BASE_DIR / "static"


def test_every_demo_part_has_a_shipped_picture_of_a_few_kb():
    parts = json.loads((settings.BASE_DIR / "demo_data" / "parts.json").read_text(encoding="utf-8"))
    urls = {part["image_url"] for part in parts}
    assert all(url.startswith("/static/parley/parts/") and url.endswith(".svg") for url in urls), urls
    for url in urls:
        path = STATIC / url.removeprefix(settings.STATIC_URL)
        assert path.is_file(), url
        assert path.stat().st_size < 4096, url
        assert path.read_text(encoding="utf-8").startswith("<svg ")
    assert len(urls) > 20  # a picture per appliance and category, not one for all


@pytest.mark.django_db
def test_a_site_path_becomes_absolute_on_the_card(settings):
    settings.PARLEY_PUBLIC_URL = "http://127.0.0.1:8304/"
    product = ProductFactory(image_url="/static/parley/parts/dishwasher-pumps.svg")
    assert product_card(product)["imageUrl"] == "http://127.0.0.1:8304/static/parley/parts/dishwasher-pumps.svg"
    product.image_url = "https://cdn.example.com/p.jpg"
    assert product_card(product)["imageUrl"] == "https://cdn.example.com/p.jpg"
    product.image_url = ""
    assert product_card(product)["imageUrl"] == ""


def test_protocol_relative_urls_are_not_site_paths():
    assert product_image_absolute_url("//evil.example/x.png") == "//evil.example/x.png"
    with pytest.raises(ValidationError):
        product_image_url_validate("//evil.example/x.png")


@pytest.mark.parametrize("value", ["", "/static/parley/parts/dishwasher-pumps.svg", "https://cdn.example.com/p.jpg"])
def test_the_admin_accepts_web_urls_and_site_paths(value):
    product_image_url_validate(value)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "data:image/png;base64,AAAA", "static/x.svg", "ftp://x/y"])
def test_the_admin_refuses_other_values(value):
    with pytest.raises(ValidationError) as caught:
        product_image_url_validate(value)
    assert caught.value.code == "invalid_image_url"


def test_the_synthetic_catalogue_uses_shipped_pictures_for_every_kind():
    from catalog.services.synthetic import APPLIANCES, KINDS

    for appliance in APPLIANCES:
        for kind in KINDS[appliance]:
            path = shipped_picture_path(appliance, kind.category)
            assert (STATIC / path.removeprefix(settings.STATIC_URL)).is_file(), path
