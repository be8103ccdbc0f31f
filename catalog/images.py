"""Where a product's picture is: an http(s) URL, or a path on this site (the demo's shipped SVGs).

The demo catalogue stores site-relative paths (/static/parley/parts/…svg) so its pictures load from
whatever address the shop is served at; everything handed to a customer or another platform
(cards, ACP line items) gets the absolute URL, under PARLEY_PUBLIC_URL.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from catalog.error_codes import CatalogErrorCode

_web_url = URLValidator(schemes=["http", "https"])

# The pictures drawn for the demo and synthetic catalogues (demo_data/tools/make_part_images.py).
SHIPPED_PICTURES = "/static/parley/parts/"


def shipped_picture_path(appliance_type: str, category: str) -> str:
    """The site path of the shipped picture for a part of this appliance and category."""
    slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")
    return f"{SHIPPED_PICTURES}{appliance_type}-{slug}.svg"


def product_image_url_validate(value: str) -> None:
    """An http(s) URL or a path on this site ("/…", not "//host"): what `image_url` may hold."""
    if not value or (value.startswith("/") and not value.startswith("//")):
        return
    try:
        _web_url(value)
    except ValidationError:
        raise ValidationError(
            "Enter an http(s) URL or a path on this site starting with /.", code=CatalogErrorCode.INVALID_IMAGE_URL
        ) from None


def product_image_absolute_url(image_url: str) -> str:
    """The picture's absolute URL ("" when the product has none)."""
    if image_url.startswith("/") and not image_url.startswith("//"):
        return settings.PARLEY_PUBLIC_URL.rstrip("/") + image_url
    return image_url
