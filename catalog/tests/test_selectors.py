from decimal import Decimal

import pytest
from django.db import connection

from catalog import selectors
from catalog.models import Product
from catalog.tests.factories import ApplianceModelFactory, CompatibilityFactory, ProductFactory, SymptomFactory

pytestmark = pytest.mark.django_db


def test_product_get_by_ps_number_or_part_number_ignoring_case():
    part = ProductFactory(ps_number="PS11750057", manufacturer_part_number="WPW10350376")

    assert selectors.product_get(ps_number="ps11750057") == part
    assert selectors.product_get(ps_number=" PS 11750057 ") == part
    assert selectors.product_get(ps_number="wpw10350376") == part
    assert selectors.product_get(ps_number="PS00000000") is None


def test_appliance_model_get_tolerates_case_spaces_dashes_and_dots():
    model = ApplianceModelFactory(model_number="WDT780SAEM1")
    kenmore = ApplianceModelFactory(model_number="665.13223N410", brand="Kenmore")

    assert selectors.appliance_model_get(model_number="wdt-780 saem1") == model
    assert selectors.appliance_model_get(model_number="66513223n410") == kenmore
    assert selectors.appliance_model_get(model_number="nope") is None


def test_a_tolerant_model_lookup_uses_the_key_index():
    from django.db import connection

    from catalog.models import ApplianceModel, model_number_key

    ApplianceModelFactory(model_number="WDT780SAEM1")
    lookup = ApplianceModel.objects.alias(key=model_number_key()).filter(key="WDT780SAEM1")
    sql, params = lookup.query.sql_with_params()
    assert params == ("WDT780SAEM1",)  # the index's constants are written in the SQL, as in the index
    if connection.vendor == "sqlite":  # bound, they kept SQLite from matching the index: a table scan
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "catalog_model_number_key_idx" in plan
    assert [m.model_number for m in lookup] == ["WDT780SAEM1"]


def test_shared_reads_read_each_part_model_and_fit_once(django_assert_num_queries):
    fit = CompatibilityFactory(product=ProductFactory(ps_number="PS11750057"))
    part, model = fit.product, fit.appliance_model

    with selectors.catalog_reads_shared():
        with django_assert_num_queries(3):
            first = selectors.product_get(ps_number="ps11750057")
            selectors.appliance_model_get(model_number=model.model_number)
            assert selectors.compatibility_check(product=part, appliance_model=model).level == "yes"
        with django_assert_num_queries(0):
            again = selectors.product_get(ps_number="PS11750057")
            assert selectors.appliance_model_get(model_number=model.model_number.lower()) == model
            assert selectors.compatibility_check(product=part, appliance_model=model).level == "yes"
        assert again == first == part and again is not first  # each caller its own copy to annotate
    with django_assert_num_queries(1):  # outside a block, every call reads
        selectors.product_get(ps_number="PS11750057")


def test_parts_by_ps_number_read_only_what_the_reply_has_not_read(django_assert_num_queries):
    read, other = ProductFactory(ps_number="PS11750057"), ProductFactory(ps_number="PS11722130")

    with selectors.catalog_reads_shared():
        selectors.product_get(ps_number="PS11750057")
        assert selectors.product_get(ps_number="PS99999999") is None
        with django_assert_num_queries(1):  # only the one not read yet
            found = selectors.products_by_ps_number(ps_numbers={"PS11750057", "PS11722130", "PS99999999"})
        assert found == {"PS11750057": read, "PS11722130": other, "PS99999999": None}
        with django_assert_num_queries(0):  # and the rest of the reply reads it from there
            assert selectors.product_get(ps_number="PS11722130") == other
    with django_assert_num_queries(1):  # outside a block, one query for them all
        assert selectors.products_by_ps_number(ps_numbers={"PS11750057", "PS00000000"}) == {"PS11750057": read}


def test_a_part_kind_is_sold_when_a_sellable_part_has_every_word_of_it():
    ProductFactory(name="Washer Drain Pump", appliance_type="washer")  # not the shop's appliances
    ProductFactory(name="Dishwasher Drain Pump", appliance_type="dishwasher", is_active=False)
    assert not selectors.product_named_sold(words=["drain", "pump"])
    ProductFactory(name="Refrigerator DRAIN Pump Kit", appliance_type="refrigerator")
    assert selectors.product_named_sold(words=["drain", "pump"])
    assert not selectors.product_named_sold(words=["drain", "hose"])


def test_compatibility_check_yes_no_unknown():
    fit = CompatibilityFactory(confidence=0.85)
    part, model = fit.product, fit.appliance_model
    other_part = ProductFactory()
    fridge = ApplianceModelFactory(appliance_type="refrigerator")
    bare_dishwasher = ApplianceModelFactory()

    assert selectors.compatibility_check(product=part, appliance_model=model) == ("yes", 0.85)
    # The model's list is known and this part is not on it.
    assert selectors.compatibility_check(product=other_part, appliance_model=model) == ("no", 0.9)
    # Wrong appliance type.
    assert selectors.compatibility_check(product=part, appliance_model=fridge) == ("no", 1.0)
    # Nothing is known about this model.
    assert selectors.compatibility_check(product=part, appliance_model=bare_dishwasher) == ("unknown", 0.0)
    assert selectors.compatibility_check(product=part, appliance_model=None) == ("unknown", 0.0)


def test_alternatives_for_a_model_are_same_category_in_stock_first_with_confidence():
    model = ApplianceModelFactory()
    asked = CompatibilityFactory(appliance_model=model).product
    out_of_stock = CompatibilityFactory(appliance_model=model, product__stock_quantity=0, confidence=1.0).product
    in_stock = CompatibilityFactory(appliance_model=model, confidence=0.7).product
    CompatibilityFactory(appliance_model=model, product__category="Pumps")  # other category
    ProductFactory()  # same category, does not fit the model

    alternatives = selectors.compatible_alternatives(product=asked, appliance_model=model)

    assert [a.ps_number for a in alternatives] == [in_stock.ps_number, out_of_stock.ps_number]
    assert [a.confidence for a in alternatives] == [0.7, 1.0]


def test_alternatives_for_a_part_alone_share_its_models():
    model = ApplianceModelFactory()
    asked = CompatibilityFactory(appliance_model=model).product
    sibling = CompatibilityFactory(appliance_model=model, confidence=0.9).product
    CompatibilityFactory()  # same category, other model

    alternatives = selectors.compatible_alternatives(product=asked)

    assert [(a.ps_number, a.confidence) for a in alternatives] == [(sibling.ps_number, 0.9)]
    assert selectors.compatible_alternatives() == []


def test_symptom_match_prefers_the_appliance_named_in_the_text():
    SymptomFactory(
        slug="refrigerator-leaking",
        name="Refrigerator leaking",
        appliance_type="refrigerator",
        keywords=["leaking", "water on floor"],
    )
    dishwasher = SymptomFactory(slug="dishwasher-leaking", name="Dishwasher leaking", keywords=["leaking"])
    ice = SymptomFactory(
        slug="ice-maker-not-working",
        name="Ice maker not working",
        appliance_type="refrigerator",
        keywords=["not making ice", "ice maker not working"],
    )

    assert selectors.symptom_match(text="My dishwasher is leaking!") == dishwasher
    assert selectors.symptom_match(text="the fridge isn't making ice... not making ice at all") == ice
    assert selectors.symptom_match(text="leaking", appliance_type="dishwasher") == dishwasher
    assert selectors.symptom_match(text="hello there") is None


def test_parts_for_symptom_filters_by_model_and_puts_stock_first():
    symptom = SymptomFactory(slug="ice-maker-not-working", appliance_type="refrigerator", keywords=["not making ice"])
    fridge = ApplianceModelFactory(model_number="WRS325SDHZ", appliance_type="refrigerator")
    common = {"appliance_type": "refrigerator", "category": "Ice Makers", "symptoms": [symptom]}
    fits_no_stock = ProductFactory(stock_quantity=0, **common)
    fits = ProductFactory(**common)
    ProductFactory(**common)  # fixes the symptom but does not fit the model
    CompatibilityFactory(product=fits_no_stock, appliance_model=fridge)
    CompatibilityFactory(product=fits, appliance_model=fridge, confidence=0.8)

    by_text = selectors.parts_for_symptom(symptom_text="it's not making ice", appliance_model=fridge)
    by_slug = selectors.parts_for_symptom(slug="ice-maker-not-working", brand="whirlpool")

    assert [(p.ps_number, p.confidence) for p in by_text] == [(fits.ps_number, 0.8), (fits_no_stock.ps_number, 1.0)]
    assert len(by_slug) == 3 and by_slug[-1] == fits_no_stock
    assert selectors.parts_for_symptom(symptom=symptom, brand="GE") == []


def test_parts_for_symptom_of_a_model_are_read_from_the_models_list(django_assert_num_queries):
    symptom = SymptomFactory(appliance_type="dishwasher")
    model = ApplianceModelFactory(appliance_type="dishwasher")
    listed = [ProductFactory(symptoms=[symptom], rating=Decimal(r)) for r in ("4.1", "4.9", "4.5")]
    for part, confidence in zip(listed, (0.7, 0.7, 1.0), strict=True):
        CompatibilityFactory(product=part, appliance_model=model, confidence=confidence)
    CompatibilityFactory(product=ProductFactory(), appliance_model=model)  # listed, fixes something else
    ProductFactory(symptoms=[symptom], rating=Decimal("5.0"))  # fixes it, not listed for the model
    CompatibilityFactory(product=ProductFactory(symptoms=[symptom], is_active=False), appliance_model=model)

    with django_assert_num_queries(1):
        found = selectors.parts_for_symptom(symptom=symptom, appliance_model=model, limit=5)

    # In stock, then the surer fit, then the better rated; each with its fit's confidence, once.
    assert [(p.pk, p.confidence) for p in found] == [(listed[2].pk, 1.0), (listed[1].pk, 0.7), (listed[0].pk, 0.7)]


@pytest.mark.parametrize("walk", [1000, 6])
def test_a_symptoms_best_parts_are_the_same_walked_or_sorted(walk, monkeypatch, django_assert_max_num_queries):
    """Walked in the reply's order (`catalog_product_rank_idx`) when they turn up within
    SYMPTOM_WALK parts, else read from the symptom's own list: the same parts in the same order."""
    import random

    monkeypatch.setattr(selectors, "SYMPTOM_WALK", walk)
    rng = random.Random(4)
    symptom, other = SymptomFactory(appliance_type="dishwasher"), SymptomFactory(appliance_type="dishwasher")
    for n in range(40):
        ProductFactory(
            symptoms=[symptom] if n % 3 == 0 else [other],
            brand=rng.choice(["Whirlpool", "GE"]),
            appliance_type=rng.choice(["dishwasher", "dishwasher", "refrigerator"]),
            stock_quantity=rng.choice([0, 0, 4]),
            is_active=rng.random() > 0.1,
            rating=rng.choice([None, Decimal("3.5"), Decimal("4.0"), Decimal("4.5")]),
        )
    fixing = [p for p in Product.objects.filter(symptoms=symptom, is_active=True)]

    def expected(appliance_type=None, brand=None, limit=3):
        # The order written out: in stock first, then best rated (unrated last here, as SQLite
        # sorts them; PostgreSQL puts them first), then PS number.
        chosen = [p for p in fixing if appliance_type in (None, p.appliance_type) and brand in (None, p.brand)]
        return sorted(chosen, key=lambda p: (p.stock_quantity == 0, -(p.rating or -1), p.ps_number))[:limit]

    for filters in ({}, {"appliance_type": "dishwasher"}, {"brand": "GE"}, {"appliance_type": "refrigerator"}):
        for limit in (1, 3, 5):
            with django_assert_max_num_queries(2):  # the walk, and the list when the walk fell short
                found = selectors.parts_for_symptom(symptom=symptom, limit=limit, **filters)
            if connection.vendor == "sqlite":
                assert found == expected(limit=limit, **filters), (filters, limit)
            assert [p.confidence for p in found] == [None] * len(found)
            assert found == selectors.parts_for_symptom(symptom=symptom, limit=50, **filters)[:limit]


@pytest.mark.postgres
def test_the_planner_counts_every_common_symptoms_links():
    """Migration 0007: a finer sample of the links' symptoms on PostgreSQL, so a rare symptom is
    not planned as one of average size (a parallel read of thousands of rows for a few dozen)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'catalog_product_symptoms'::regclass AND attname = 'symptom_id'"
        )
        assert cursor.fetchone()[0] == 1000


def test_products_listed_for_brand_reads_only_the_others_and_ignores_case(django_assert_num_queries):
    maytag = ApplianceModelFactory(brand="Maytag")
    made = ProductFactory(brand="Maytag")
    listed = ProductFactory(brand="Whirlpool")
    CompatibilityFactory(product=listed, appliance_model=maytag)
    unlisted = ProductFactory(brand="Whirlpool")
    CompatibilityFactory(product=unlisted, appliance_model=ApplianceModelFactory(brand="GE"))

    with django_assert_num_queries(1):
        assert selectors.products_listed_for_brand(products=[made, listed, unlisted], brand="maytag") == {
            made.pk,
            listed.pk,
        }
    with django_assert_num_queries(0):  # made by the brand: nothing to read
        assert selectors.products_listed_for_brand(products=[made], brand="MAYTAG") == {made.pk}


def test_product_search_puts_exact_identifiers_first():
    target = ProductFactory(ps_number="PS11750057", name="Dishwasher Upper Rack Adjuster")
    ProductFactory(name="Dishwasher Upper Rack Adjuster Kit", description="Mentions PS11750057 nowhere.")
    by_mpn = ProductFactory(manufacturer_part_number="W10348269", name="Dishwasher Drain Pump", category="Pumps")

    results = selectors.product_search(query="rack adjuster PS11750057")

    assert results[0] == target and results[0].match == "ps_number"
    assert results[1].match == "all_terms"
    assert selectors.product_search(query="w10348269")[0] == by_mpn


def test_product_search_by_model_number_returns_its_parts_then_words():
    model = ApplianceModelFactory(model_number="WDT780SAEM1")
    wheel = CompatibilityFactory(appliance_model=model, product__name="Dishwasher Lower Rack Wheel").product
    pump = CompatibilityFactory(appliance_model=model, product__name="Dishwasher Drain Pump").product

    results = selectors.product_search(query="WDT780SAEM1 drain pump")

    assert [p.ps_number for p in results[:2]] == [pump.ps_number, wheel.ps_number]
    assert {p.match for p in results[:2]} == {"model_number"}


def test_product_search_lexical_and_before_or():
    both = ProductFactory(name="Refrigerator Door Shelf Bin", brand="Whirlpool", appliance_type="refrigerator")
    one = ProductFactory(name="Refrigerator Door Shelf Bin", brand="GE", appliance_type="refrigerator")
    ProductFactory(name="Dishwasher Drain Pump", brand="GE", is_active=False)

    results = selectors.product_search(query="whirlpool fridge door bin")

    assert [(p.ps_number, p.match) for p in results] == [(both.ps_number, "all_terms"), (one.ps_number, "any_term")]
    assert selectors.product_search(query="   ") == []


@pytest.mark.django_db
def test_sold_here_means_active_and_in_the_shops_scope(settings):
    settings.PARLEY_SHOP_SCOPE = ["dishwasher"]
    sold = ProductFactory(appliance_type="dishwasher", stock_quantity=0)
    discontinued = ProductFactory(appliance_type="dishwasher", is_active=False)
    elsewhere = ProductFactory(appliance_type="washer")

    assert selectors.product_is_sellable(product=sold)  # out of stock is still sold here
    assert not selectors.product_is_sellable(product=discontinued)
    assert not selectors.product_is_sellable(product=elsewhere)
    assert not selectors.product_is_sellable(product=None)
    assert selectors.product_sellable_get(ps_number=sold.ps_number.lower()) == sold
    assert selectors.product_sellable_get(ps_number=discontinued.ps_number) is None
    assert selectors.product_sellable_get(ps_number=elsewhere.ps_number) is None


def test_a_part_kind_is_no_longer_sold_once_its_only_part_is_deactivated_and_sold_again_once_reactivated():
    part = ProductFactory(name="Dishwasher Drain Pump", appliance_type="dishwasher")
    assert selectors.product_named_sold(words=["Drain", "PUMP"])  # the index is built with it
    part.is_active = False
    part.save()  # its text is unchanged: the index keeps it, and knows it is not sold
    assert not selectors.product_named_sold(words=["drain", "pump"])
    part.is_active = True
    part.save()
    assert selectors.product_named_sold(words=["drain", "pump"])
    assert not selectors.product_named_sold(words=["drain", "pump", "hose"])
    assert selectors.product_named_sold(words=["rain pu"])  # any part of the name, as written
