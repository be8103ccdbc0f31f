"""Where a product's picture is: an http(s) URL, or a path on this site (the demo's shipped SVGs).

The demo catalogue stores site-relative paths (/static/parley/parts/…svg) so its pictures load from
whatever address the shop is served at; everything handed to a customer or another platform
(cards, ACP line items) gets the absolute URL, under PARLEY_PUBLIC_URL.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_web_url = URLValidator(schemes=["http", "https"])


def product_image_url_validate(value: str) -> None:
    """An http(s) URL or a path on this site ("/…", not "//host"): what `image_url` may hold."""
    if not value or (value.startswith("/") and not value.startswith("//")):
        return
    try:
        _web_url(value)
    except ValidationError:
        raise ValidationError(
            "Enter an http(s) URL or a path on this site starting with /.", code="invalid_image_url"
        ) from None


def product_image_absolute_url(image_url: str) -> str:
    """The picture's absolute URL ("" when the product has none)."""
    if image_url.startswith("/") and not image_url.startswith("//"):
        return settings.PARLEY_PUBLIC_URL.rstrip("/") + image_url
    return image_url
