"""The one serialisation of a product for customers: the `product_card` part (DESIGN.md).

The assistant, the action executors and the catalogue API all use `product_card`, so a card
looks the same wherever it appears. Prices are strings with two decimals; stock comes from
the database at the moment of the call.
"""

from rest_framework import serializers

from catalog.enums import Availability, Difficulty
from catalog.images import product_image_absolute_url
from catalog.models import ApplianceModel, Product


def _money(value) -> str:
    return f"{value:.2f}"


def product_card(product: Product) -> dict:
    """`{"type": "product_card", "psNumber", "name", "price", "currency", "inStock", "availability", "imageUrl", "rating"}`."""
    return {
        "type": "product_card",
        "psNumber": product.ps_number,
        "name": product.name,
        "price": _money(product.price),
        "currency": product.currency,
        "inStock": product.in_stock,
        "availability": str(product.availability),
        "imageUrl": product_image_absolute_url(product.image_url),
        "rating": float(product.rating) if product.rating is not None else None,
    }


def product_detail(product: Product) -> dict:
    """The card plus what a product page shows (brand, type, install guide, reviews)."""
    return {
        **product_card(product),
        "manufacturerPartNumber": product.manufacturer_part_number,
        "description": product.description,
        "brand": product.brand,
        "applianceType": product.appliance_type,
        "category": product.category,
        "reviewCount": product.review_count,
        "stockQuantity": product.stock_quantity,
        "backordered": product.backordered,
        "installSteps": list(product.install_steps or []),
        "installDifficulty": product.install_difficulty or None,
        "installTimeMinutes": product.install_time_minutes,
        "installTools": list(product.install_tools or []),
    }


def appliance_model_summary(model: ApplianceModel) -> dict:
    return {
        "modelNumber": model.model_number,
        "brand": model.brand,
        "applianceType": model.appliance_type,
        "name": model.name,
    }


# --- OpenAPI documentation of the shapes above ----------------------------------------


class ProductCardSerializer(serializers.Serializer):
    type = serializers.CharField(default="product_card")
    psNumber = serializers.CharField()
    name = serializers.CharField()
    price = serializers.CharField(help_text='Decimal string with two places, e.g. "24.99".')
    currency = serializers.CharField()
    inStock = serializers.BooleanField()
    availability = serializers.ChoiceField(choices=Availability.choices)
    imageUrl = serializers.CharField(allow_blank=True)
    rating = serializers.FloatField(allow_null=True)


class ProductDetailSerializer(ProductCardSerializer):
    manufacturerPartNumber = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    brand = serializers.CharField()
    applianceType = serializers.CharField()
    category = serializers.CharField(allow_blank=True)
    reviewCount = serializers.IntegerField()
    stockQuantity = serializers.IntegerField()
    backordered = serializers.BooleanField()
    installSteps = serializers.ListField(child=serializers.CharField())
    installDifficulty = serializers.ChoiceField(choices=Difficulty.choices, allow_null=True)
    installTimeMinutes = serializers.IntegerField(allow_null=True)
    installTools = serializers.ListField(child=serializers.CharField())


class ApplianceModelSummarySerializer(serializers.Serializer):
    modelNumber = serializers.CharField()
    brand = serializers.CharField()
    applianceType = serializers.CharField()
    name = serializers.CharField(allow_blank=True)


def compatibility_answer(*, ps_number: str, model_number: str) -> dict:
    """Does a part fit a model, as every front door (catalogue API, GPT actions) answers it.

    An unknown part is refused (ProductNotFound); an unknown model answers `unknown`.
    """
    from catalog import selectors
    from catalog.exceptions import ProductNotFound

    product = selectors.product_get(ps_number=ps_number)
    if product is None:
        raise ProductNotFound(f"No part {ps_number} in the catalogue.", fields={"psNumber": ["Unknown part."]})
    model = selectors.appliance_model_get(model_number=model_number)
    level, confidence = selectors.compatibility_check(product=product, appliance_model=model)
    return {
        "psNumber": product.ps_number,
        "modelNumber": model.model_number if model else model_number.strip().upper(),
        "compatible": level,
        "confidence": confidence,
        "product": product_card(product),
        "model": appliance_model_summary(model) if model else None,
    }
