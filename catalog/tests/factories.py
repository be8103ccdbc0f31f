"""Catalogue factories; other apps import these.

PS numbers here are PS5xxxxxxx: never the demo's PS1… nor generate_catalog's PS9….
"""

from decimal import Decimal

import factory

from catalog.enums import Difficulty
from catalog.models import ApplianceModel, Compatibility, Product, Symptom


class SymptomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Symptom
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"test-symptom-{n}")
    name = factory.Sequence(lambda n: f"Test symptom {n}")
    appliance_type = "dishwasher"
    keywords = factory.LazyAttribute(lambda o: [o.name.lower()])


class ApplianceModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplianceModel
        django_get_or_create = ("model_number",)

    model_number = factory.Sequence(lambda n: f"TM{n:06d}")
    brand = "Whirlpool"
    appliance_type = "dishwasher"
    name = factory.LazyAttribute(lambda o: f"{o.brand} {o.appliance_type.title()} {o.model_number}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("ps_number",)
        skip_postgeneration_save = True

    ps_number = factory.Sequence(lambda n: f"PS5{n:07d}")
    manufacturer_part_number = factory.Sequence(lambda n: f"TMPN{n:07d}")
    name = "Dishwasher Upper Rack Adjuster"
    description = "A test part."
    brand = "Whirlpool"
    appliance_type = "dishwasher"
    category = "Dishrack Adjusters"
    price = Decimal("24.99")
    currency = "USD"
    stock_quantity = 10
    backordered = False
    is_active = True
    image_url = factory.LazyAttribute(lambda o: f"https://images.parley.example/parts/{o.ps_number}.jpg")
    rating = Decimal("4.5")
    review_count = 12
    install_steps = factory.LazyFunction(lambda: ["Pull out the rack.", "Swap the adjuster.", "Refit the rack."])
    install_difficulty = Difficulty.EASY
    install_time_minutes = 15
    install_tools = factory.LazyFunction(list)

    @factory.post_generation
    def symptoms(self, create, extracted, **kwargs):
        if create and extracted:
            self.symptoms.add(*extracted)


class CompatibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compatibility

    product = factory.SubFactory(ProductFactory)
    appliance_model = factory.SubFactory(
        ApplianceModelFactory,
        appliance_type=factory.SelfAttribute("..product.appliance_type"),
        brand=factory.SelfAttribute("..product.brand"),
    )
    confidence = 1.0
    source = "manufacturer"
