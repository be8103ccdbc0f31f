"""The offline engine and the grounding check on the small exact shop."""

import pytest

from conversations.assistant.draft import Draft
from conversations.assistant.engines import draft_reply
from conversations.assistant.grounding import ground

pytestmark = pytest.mark.django_db


def say(text, context=None):
    return draft_reply(text=text, context=context or {}, conversation_id="conv_test")


def test_follow_ups_use_the_conversation_and_the_page(shop):
    first = say("How much is PS11750057?")
    assert first.intent == "price_stock" and "$24.99" in first.content

    follow = say("and will it fit my WDT780SAEM1?", first.context)
    assert follow.intent == "compatibility" and follow.content.startswith("Yes: PS11750057")

    # The follow-up keeps the question (compatibility) and the model, and changes the part.
    gasket = say("and the door gasket?", {**first.context, **follow.context})
    assert gasket.intent == "compatibility"
    assert gasket.content.startswith("Yes: PS12584610 (Dishwasher Door Gasket) is compatible with WDT780SAEM1.")
    assert "backordered" in gasket.content

    on_page = say("how do I instal this?", {"page": {"psNumber": "PS11752778"}, "psNumber": "PS11752778"})
    assert on_page.intent == "install" and "Lift the old bin up and out." in on_page.content


def test_preferences_are_remembered(shop):
    draft = say("I need a Whirlpool dishwasher rack under $30 for my WDT780SAEM1")
    assert draft.context["preferences"] == {
        "brand": "Whirlpool",
        "budget": 30.0,
        "applianceType": "dishwasher",
        "modelNumber": "WDT780SAEM1",
    }
    assert all(float(card["price"]) <= 30 for card in draft.parts)


def test_recommendations_give_reasons_and_respect_model_and_budget(shop):
    draft = say("recommend a dishwasher rack part for my WDT780SAEM1")
    assert draft.intent in ("recommend", "search")  # both list parts; the cards are what counts
    assert {c["psNumber"] for c in draft.parts} <= {"PS11750057", "PS11750058"}
    assert "fits your WDT780SAEM1" in draft.content and "in stock" in draft.content

    cheap = say("recommend a dishwasher rack part under $10")
    assert [c["psNumber"] for c in cheap.parts] == ["PS11750058"]


def test_delivery_comes_from_settings_not_invention(shop, settings):
    settings.PARLEY_DELIVERY_STANDARD = "2-4 business days"
    settings.PARLEY_DELIVERY_EXPRESS = ""
    draft = say("how long does delivery take for PS11750057?")
    assert draft.intent == "delivery"
    assert "2-4 business days" in draft.content and "Express" not in draft.content


def test_compare_two_parts(shop):
    draft = say("PS11750057 vs PS11750058, which is better?")
    assert draft.intent == "compare"
    assert "PS11750058 is $15.49 cheaper." in draft.content
    assert [c["psNumber"] for c in draft.parts] == ["PS11750057", "PS11750058"]


def test_grounding_corrects_prices_stock_compatibility_and_drops_invented_parts(shop):
    draft = Draft(
        content="PS11750057 costs 3.00 USD and is out of stock. PS11752778 fits WDT780SAEM1. Try PS12345678 instead.",
        intent="product_info",
        parts=[{"type": "product_card", "psNumber": "PS11750057", "price": "1.00"}, {"psNumber": "PS00000000"}],
    )

    grounded, report = ground(draft)

    assert "3.00" not in grounded.content and "$24.99" in grounded.content
    assert "in stock (12 available)" in grounded.content
    assert "PS11752778 is not listed as compatible with WDT780SAEM1." in grounded.content
    assert "PS12345678" not in grounded.content
    assert [c["psNumber"] for c in grounded.parts] == ["PS11750057"] and grounded.parts[0]["price"] == "24.99"
    assert {c["kind"] for c in report.corrections} == {
        "price",
        "stock",
        "compatibility",
        "unknown_part",
        "unknown_card",
    }


def test_a_reply_made_only_of_invented_facts_is_replaced(shop):
    grounded, report = ground(Draft(content="PS12345678 is perfect.", intent="product_info"))
    assert report.replaced and "couldn't confirm" in grounded.content and grounded.parts == []


def test_a_symptoms_parts_for_a_brand_are_the_best_three_of_its_best_fifty_listed_for_it(django_assert_num_queries):
    from decimal import Decimal

    from catalog.tests.factories import ApplianceModelFactory, CompatibilityFactory, ProductFactory, SymptomFactory
    from conversations.assistant.rules_engine import _symptom_parts_for_brand

    symptom = SymptomFactory(appliance_type="dishwasher")

    def part(rating: str, brand: str = "Maytag"):
        return ProductFactory(symptoms=[symptom], brand=brand, rating=Decimal(rating))

    made = [part("4.9"), part("4.8"), part("4.7")]
    with django_assert_num_queries(1):  # the best three, all made by the brand: nothing more is read
        assert _symptom_parts_for_brand(symptom, "maytag") == made

    elsewhere = part("5.0", brand="Whirlpool")  # now the best, and listed for no Maytag model
    listed = part("4.95", brand="Whirlpool")
    CompatibilityFactory(product=listed, appliance_model=ApplianceModelFactory(brand="Maytag"))
    with django_assert_num_queries(4):  # the best three and their listings; then the best fifty, theirs
        found = _symptom_parts_for_brand(symptom, "Maytag")
    assert found == [listed, made[0], made[1]] and elsewhere not in found
