"""Catalogue fixtures shared by every app's tests (a pytest plugin: the root conftest lists it in
`pytest_plugins`). `shop`: a tiny, exact shop, the seed examples and nothing else, built with the ORM."""

from decimal import Decimal

import pytest


@pytest.fixture
def shop(db):
    from catalog.models import ApplianceModel, Compatibility, Product, Symptom

    dishwasher = ApplianceModel.objects.create(
        model_number="WDT780SAEM1", brand="Whirlpool", appliance_type="dishwasher"
    )
    fridge = ApplianceModel.objects.create(model_number="WRS325SDHZ", brand="Whirlpool", appliance_type="refrigerator")
    washer = ApplianceModel.objects.create(model_number="WTW5000DW", brand="Whirlpool", appliance_type="washer")
    ice = Symptom.objects.create(
        slug="ice-maker-not-working",
        name="Ice maker not working",
        appliance_type="refrigerator",
        keywords=["ice maker not working", "not making ice"],
    )
    rack = Product.objects.create(
        ps_number="PS11750057",
        manufacturer_part_number="WPW10350376",
        name="Dishwasher Upper Rack Adjuster",
        brand="Whirlpool",
        appliance_type="dishwasher",
        category="Racks",
        price=Decimal("24.99"),
        stock_quantity=12,
        install_steps=["Pull out the upper rack.", "Unclip the old adjuster.", "Clip in the new adjuster."],
        install_difficulty="easy",
        install_time_minutes=15,
        install_tools=["None"],
    )
    wheel = Product.objects.create(
        ps_number="PS11750058",
        manufacturer_part_number="WP8565925",
        name="Dishwasher Rack Wheel",
        brand="Whirlpool",
        appliance_type="dishwasher",
        category="Racks",
        price=Decimal("9.50"),
        stock_quantity=40,
    )
    backordered = Product.objects.create(
        ps_number="PS12584610",
        manufacturer_part_number="W10190929",
        name="Dishwasher Door Gasket",
        brand="Whirlpool",
        appliance_type="dishwasher",
        category="Seals",
        price=Decimal("31.20"),
        stock_quantity=0,
        backordered=True,
    )
    seal = Product.objects.create(
        ps_number="PS11750099",
        manufacturer_part_number="W10300924",
        name="Dishwasher Door Seal",
        brand="Whirlpool",
        appliance_type="dishwasher",
        category="Seals",
        price=Decimal("18.40"),
        stock_quantity=7,
    )
    bin_ = Product.objects.create(
        ps_number="PS11752778",
        manufacturer_part_number="WPW10321304",
        name="Refrigerator Door Shelf Bin",
        brand="Whirlpool",
        appliance_type="refrigerator",
        category="Shelves",
        price=Decimal("44.95"),
        stock_quantity=5,
        install_steps=["Empty the bin.", "Lift the old bin up and out.", "Slide the new bin down until it snaps."],
        install_difficulty="really_easy",
        install_time_minutes=5,
    )
    ice_maker = Product.objects.create(
        ps_number="PS11739035",
        manufacturer_part_number="W10190965",
        name="Refrigerator Ice Maker Assembly",
        brand="Whirlpool",
        appliance_type="refrigerator",
        category="Ice Makers",
        price=Decimal("119.00"),
        stock_quantity=3,
    )
    ice_maker.symptoms.add(ice)
    agitator = Product.objects.create(
        ps_number="PS99000001",
        name="Washer Agitator",
        brand="Whirlpool",
        appliance_type="washer",
        price=Decimal("60.00"),
        stock_quantity=9,
    )
    Compatibility.objects.create(product=rack, appliance_model=dishwasher, confidence=1.0)
    Compatibility.objects.create(product=wheel, appliance_model=dishwasher, confidence=1.0)
    Compatibility.objects.create(product=backordered, appliance_model=dishwasher, confidence=1.0)
    Compatibility.objects.create(product=seal, appliance_model=dishwasher, confidence=0.85)
    Compatibility.objects.create(product=bin_, appliance_model=fridge, confidence=1.0)
    Compatibility.objects.create(product=ice_maker, appliance_model=fridge, confidence=0.9)
    Compatibility.objects.create(product=agitator, appliance_model=washer, confidence=1.0)
    return {
        "rack": rack,
        "wheel": wheel,
        "backordered": backordered,
        "seal": seal,
        "bin": bin_,
        "ice_maker": ice_maker,
        "agitator": agitator,
        "dishwasher": dishwasher,
        "fridge": fridge,
        "washer": washer,
    }


@pytest.fixture
def vectors_off(settings):
    """No embedder (search lexical only, nothing embedded on import) unless a test sets one; the
    loaded embedder is forgotten before and after."""
    from catalog.search import embeddings

    settings.PARLEY_EMBEDDINGS = "off"
    embeddings.embedder_reset()
    yield
    embeddings.embedder_reset()
