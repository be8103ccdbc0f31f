import io

import pytest
from django.core.management import call_command
from django.template import Context, Template

from actions.models import ResponseTemplate
from catalog import selectors
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from checkout.models import PriceBook


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_the_second_time():
    first, second = io.StringIO(), io.StringIO()

    call_command("seed_demo", stdout=first)
    counts = (
        Product.objects.count(),
        ApplianceModel.objects.count(),
        Compatibility.objects.count(),
        Symptom.objects.count(),
        ResponseTemplate.objects.count(),
    )
    stamps = dict(Product.objects.values_list("ps_number", "updated_at"))
    call_command("seed_demo", stdout=second)

    assert f"parts:            {counts[0]} ({counts[0]} created" in first.getvalue()
    assert (
        Product.objects.count(),
        ApplianceModel.objects.count(),
        Compatibility.objects.count(),
        Symptom.objects.count(),
        ResponseTemplate.objects.count(),
    ) == counts
    assert dict(Product.objects.values_list("ps_number", "updated_at")) == stamps
    assert second.getvalue().count("(0 created, 0 updated") == 7
    assert "shop policies:    5 (5 created" in first.getvalue()
    for line in second.getvalue().splitlines():
        if "created" in line:
            assert "(0 created, 0 updated" in line, line


@pytest.mark.django_db
def test_demo_catalogue_sizes(demo_shop):
    assert Product.objects.count() >= 320
    assert ApplianceModel.objects.count() >= 110
    assert Compatibility.objects.count() >= 2000
    for appliance in ("refrigerator", "dishwasher"):
        assert Symptom.objects.filter(appliance_type=appliance).count() >= 25
    total = Product.objects.count()
    out_of_stock = Product.objects.filter(stock_quantity=0, backordered=False).count()
    backordered = Product.objects.filter(stock_quantity=0, backordered=True).count()
    assert 0.05 <= out_of_stock / total <= 0.15
    assert 0.02 <= backordered / total <= 0.08
    assert not Product.objects.exclude(ps_number__regex=r"^PS1[0-9]{7}$").exists()
    assert not Compatibility.objects.filter(confidence__lt=0.5).exists()


@pytest.mark.django_db
def test_seed_examples_have_the_documented_facts(demo_shop):
    adjuster = Product.objects.get(ps_number="PS11750057")
    dishwasher = ApplianceModel.objects.get(model_number="WDT780SAEM1")
    assert (adjuster.brand, adjuster.appliance_type, dishwasher.brand, dishwasher.appliance_type) == (
        "Whirlpool",
        "dishwasher",
        "Whirlpool",
        "dishwasher",
    )
    assert adjuster.in_stock and adjuster.availability == "in_stock"
    assert selectors.compatibility_check(product=adjuster, appliance_model=dishwasher) == ("yes", 1.0)

    pump = Product.objects.get(ps_number="PS12584610")
    assert (pump.stock_quantity, pump.backordered, pump.availability) == (0, True, "backordered")

    bin_ = Product.objects.get(ps_number="PS11752778")
    assert bin_.appliance_type == "refrigerator" and bin_.brand == "Whirlpool"
    assert 3 <= len(bin_.install_steps) <= 8 and bin_.install_difficulty
    fits = set(bin_.compatibilities.values_list("appliance_model__model_number", flat=True))
    assert {"WRS325SDHZ", "WRF555SDFZ"} <= fits and len(fits) >= 4

    ice_parts = Product.objects.filter(
        symptoms__slug="ice-maker-not-working",
        brand="Whirlpool",
        appliance_type="refrigerator",
        compatibilities__appliance_model__model_number="WRS325SDHZ",
    )
    assert ice_parts.filter(name="Ice Maker Assembly").exists()


@pytest.mark.django_db
def test_demo_price_book_and_templates(demo_shop):
    book = PriceBook.objects.get(is_active=True)
    prices = {(e.kind, e.code): str(e.monthly_price) for e in book.entries.all()}
    assert (book.currency, book.bundle_rule, str(book.chat_list_price), str(book.bundle_discount_percent)) == (
        "GBP",
        "addon_table",
        "59.00",
        "5.00",
    )
    assert prices[("chat_plan", "growth")] == "59.00"
    assert [prices[("chat_addon", t)] for t in ("starter", "standard", "premium")] == ["25.00", "35.00", "45.00"]
    assert [prices[("email_plan", t)] for t in ("starter", "standard", "premium")] == ["49.00", "99.00", "199.00"]

    for action_type in ("refund_request", "order_cancellation", "policy_exception", "policy_clarification", "*"):
        for outcome in ("approved", "denied", "edited"):
            assert ResponseTemplate.objects.filter(action_type=action_type, outcome=outcome).exists()
    body = ResponseTemplate.objects.get(action_type="refund_request", outcome="approved").body
    text = Template(body).render(Context({"reply": "It is on its way.", "payload": {}, "customer": None}))
    assert text == "Great news! Your refund request has been approved. It is on its way."


@pytest.mark.django_db
def test_if_empty_leaves_an_edited_catalogue_alone():
    from io import StringIO

    from django.core.management import call_command

    from catalog.models import Product

    call_command("seed_demo", stdout=StringIO())
    Product.objects.filter(ps_number="PS11750057").update(stock_quantity=3)
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Product.objects.get(ps_number="PS11750057").stock_quantity == 3
    call_command("seed_demo", stdout=StringIO())
    assert Product.objects.get(ps_number="PS11750057").stock_quantity != 3
