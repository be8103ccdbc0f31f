from decimal import Decimal

import pytest
from django.template import Context, Template

from actions.models import ResponseTemplate
from actions.services.templates import ResponseTemplateImportError, response_templates_import
from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.services.imports import catalog_import
from catalog.signals import stock_changed
from checkout.models import PriceBook, PriceBookEntry
from checkout.services.price_book import price_book_import

pytestmark = pytest.mark.django_db


def _data():
    return {
        "symptoms": [
            {
                "slug": "rack-drops",
                "name": "Rack drops",
                "appliance_type": "dishwasher",
                "keywords": ["rack drops", "upper rack falls"],
            },
            {"slug": "noisy", "name": "Noisy", "appliance_type": "dishwasher", "keywords": ["noisy"]},
        ],
        "models": [
            {"model_number": "WDT780SAEM1", "brand": "Whirlpool", "appliance_type": "dishwasher", "name": "W"},
            {"model_number": "wdt730pahz0", "brand": "Whirlpool", "appliance_type": "dishwasher"},
        ],
        "parts": [
            {
                "ps_number": "PS11750057",
                "manufacturer_part_number": "WPW10350376",
                "name": "Dishwasher Upper Rack Adjuster",
                "brand": "Whirlpool",
                "appliance_type": "dishwasher",
                "category": "Dishrack Adjusters",
                "price": "24.99",
                "stock_quantity": 3,
                "rating": 4.5,
                "install_steps": ["Pull the rack out.", "Swap the adjuster."],
                "install_difficulty": "easy",
                "symptoms": ["rack-drops", "noisy"],
            }
        ],
        "compatibility": [
            {"ps_number": "PS11750057", "model_number": "WDT780SAEM1", "confidence": 1.0},
            {"ps_number": "ps11750057", "model_number": "WDT730PAHZ0", "confidence": 0.8, "source": "cross_reference"},
        ],
    }


def test_catalog_import_creates_rows_then_a_second_run_changes_nothing():
    first = catalog_import(**_data())

    assert (first.parts.created, first.models.created, first.symptoms.created, first.compatibility.created) == (
        1,
        2,
        2,
        2,
    )
    product = Product.objects.get(ps_number="PS11750057")
    assert product.price == Decimal("24.99") and product.rating == Decimal("4.5")
    assert sorted(product.symptoms.values_list("slug", flat=True)) == ["noisy", "rack-drops"]
    assert ApplianceModel.objects.filter(model_number="WDT730PAHZ0").exists()  # stored upper-case
    stamp = product.updated_at

    second = catalog_import(**_data())

    assert not second.changed
    assert (second.parts.unchanged, second.compatibility.unchanged, second.models.unchanged) == (1, 2, 2)
    assert Product.objects.count() == 1 and Compatibility.objects.count() == 2 and Symptom.objects.count() == 2
    assert Product.objects.get(pk=product.pk).updated_at == stamp


def test_catalog_import_updates_changed_rows_and_syncs_symptom_links(django_capture_on_commit_callbacks):
    catalog_import(**_data())
    data = _data()
    data["parts"][0].update(price="19.99", stock_quantity=0, symptoms=["noisy"])
    data["compatibility"][1]["confidence"] = 0.6
    received = []

    def listener(sender, product_id, old_quantity, new_quantity, **kwargs):
        received.append((product_id, old_quantity, new_quantity))

    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = catalog_import(**data)
    finally:
        stock_changed.disconnect(listener)

    product = Product.objects.get(ps_number="PS11750057")
    assert result.parts.updated == 1 and result.compatibility.updated == 1
    assert product.price == Decimal("19.99") and product.stock_quantity == 0
    assert list(product.symptoms.values_list("slug", flat=True)) == ["noisy"]
    assert result.symptom_links_removed == 1
    assert Compatibility.objects.get(product=product, appliance_model__model_number="WDT730PAHZ0").confidence == 0.6
    assert received == [(product.pk, 3, 0)]


def test_catalog_import_refuses_unknown_references_and_writes_nothing():
    data = _data()
    data["compatibility"].append({"ps_number": "PS11750057", "model_number": "NOPE123", "confidence": 1})

    with pytest.raises(CatalogImportError) as error:
        catalog_import(**data)

    assert "NOPE123" in error.value.detail
    assert Product.objects.count() == 0 and ApplianceModel.objects.count() == 0


def test_catalog_import_refuses_an_invalid_row():
    data = _data()
    data["parts"][0]["price"] = "-1"

    with pytest.raises(CatalogImportError) as error:
        catalog_import(**data)

    assert error.value.code == "catalog_import_invalid"
    assert not Product.objects.exists()


def _book():
    return {
        "name": "Plans",
        "currency": "GBP",
        "bundle_rule": "addon_table",
        "chat_list_price": 59,
        "bundle_discount_percent": 5,
        "comment": "ignored",
        "entries": [
            {"kind": "email_plan", "code": "starter", "name": "Starter", "monthly_price": "49"},
            {"kind": "chat_addon", "code": "starter", "name": "Add-on", "monthly_price": "25", "note": "x"},
        ],
    }


def test_price_book_import_is_idempotent_and_keeps_one_active_book():
    PriceBook.objects.create(name="Old", is_active=True)

    book, counts = price_book_import(data=_book())
    again, counts_again = price_book_import(data=_book())

    assert counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert counts_again == {"created": 0, "updated": 0, "unchanged": 3}
    assert again.pk == book.pk
    assert list(PriceBook.objects.filter(is_active=True).values_list("name", flat=True)) == ["Plans"]
    assert PriceBookEntry.objects.get(price_book=book, kind="chat_addon", code="starter").monthly_price == Decimal(
        "25.00"
    )

    changed = _book()
    changed["entries"][0]["monthly_price"] = "55"
    _, counts_changed = price_book_import(data=changed)
    assert counts_changed["updated"] == 1
    assert PriceBookEntry.objects.get(price_book=book, kind="email_plan").monthly_price == Decimal("55.00")


def test_response_templates_import_is_idempotent_and_renders():
    rows = [
        {
            "action_type": "refund_request",
            "outcome": "approved",
            "body": "Great news! Your refund request has been approved. {{ reply }}",
        }
    ]

    assert response_templates_import(data=rows) == {"created": 1, "updated": 0, "unchanged": 0}
    assert response_templates_import(data=rows) == {"created": 0, "updated": 0, "unchanged": 1}
    body = ResponseTemplate.objects.get(action_type="refund_request", outcome="approved").body
    assert Template(body).render(Context({"reply": "£20 is on its way."})) == (
        "Great news! Your refund request has been approved. £20 is on its way."
    )


def test_response_templates_import_refuses_a_broken_template():
    with pytest.raises(ResponseTemplateImportError):
        response_templates_import(data=[{"action_type": "*", "outcome": "denied", "body": "{% if %}"}])
    assert not ResponseTemplate.objects.exists()
