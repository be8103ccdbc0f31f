import pytest
from rest_framework.test import APIClient

from catalog.tests.factories import ApplianceModelFactory, CompatibilityFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def fit():
    return CompatibilityFactory(
        product__ps_number="PS11750057",
        product__price="24.5",
        product__stock_quantity=3,
        appliance_model__model_number="WDT780SAEM1",
        confidence=0.95,
    )


def test_search_returns_cards_exact_match_first(api, fit):
    ProductFactory(name="Dishwasher Upper Rack Adjuster Kit")

    response = api.get("/api/catalog/search", {"q": "ps11750057 adjuster", "limit": 5})

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "ps11750057 adjuster"
    first = body["results"][0]
    assert first == {
        "type": "product_card",
        "psNumber": "PS11750057",
        "name": "Dishwasher Upper Rack Adjuster",
        "price": "24.50",
        "currency": "USD",
        "inStock": True,
        "availability": "in_stock",
        "imageUrl": "https://images.parley.example/parts/PS11750057.jpg",
        "rating": 4.5,
        "match": "ps_number",
    }
    assert len(body["results"]) == 2


@pytest.mark.parametrize(
    "params, field",
    [({}, "q"), ({"q": "x" * 201}, "q"), ({"q": "rack", "limit": 0}, "limit"), ({"q": "rack", "limit": 51}, "limit")],
)
def test_search_refuses_bad_parameters(api, params, field):
    response = api.get("/api/catalog/search", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"] and error["detail"]


def test_product_detail(api, fit):
    response = api.get("/api/catalog/products/ps11750057")

    assert response.status_code == 200
    body = response.json()
    assert body["psNumber"] == "PS11750057" and body["price"] == "24.50" and body["inStock"] is True
    assert body["brand"] == "Whirlpool" and body["applianceType"] == "dishwasher"
    assert body["installSteps"] == ["Pull out the rack.", "Swap the adjuster.", "Refit the rack."]
    assert (body["installDifficulty"], body["installTimeMinutes"], body["reviewCount"]) == ("easy", 15, 12)


def test_product_detail_unknown_is_a_404_error_body(api):
    response = api.get("/api/catalog/products/PS00000000")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "product_not_found", "detail": "No part PS00000000 in the catalogue.", "fields": {}}
    }


def test_model_parts_in_stock_first(api, fit):
    model = fit.appliance_model
    gone = CompatibilityFactory(appliance_model=model, product__stock_quantity=0, confidence=1.0).product

    response = api.get("/api/catalog/models/wdt780-saem1/parts")

    assert response.status_code == 200
    body = response.json()
    assert body["model"] == {
        "modelNumber": "WDT780SAEM1",
        "brand": "Whirlpool",
        "applianceType": "dishwasher",
        "name": model.name,
    }
    assert body["count"] == 2
    assert [(p["psNumber"], p["confidence"], p["inStock"]) for p in body["parts"]] == [
        ("PS11750057", 0.95, True),
        (gone.ps_number, 1.0, False),
    ]
    assert api.get("/api/catalog/models/NOPE1/parts").json()["error"]["code"] == "appliance_model_not_found"


@pytest.mark.parametrize("offset", [2, 10**6, 10**20])
def test_a_page_past_the_last_part_is_empty_not_a_500(api, fit, offset):
    # Found by the API fuzz on PostgreSQL: an offset past bigint was a DataError (a 500).
    response = api.get("/api/catalog/models/WDT780SAEM1/parts", {"offset": offset})
    assert response.status_code == 200
    assert (response.json()["count"], response.json()["parts"]) == (1, [])


def test_compatibility_check(api, fit):
    fridge = ApplianceModelFactory(model_number="WRS325SDHZ", appliance_type="refrigerator")

    yes = api.get("/api/catalog/compatibility", {"psNumber": "PS11750057", "modelNumber": "wdt780saem1"}).json()
    no = api.get("/api/catalog/compatibility", {"psNumber": "PS11750057", "modelNumber": fridge.model_number}).json()
    unknown = api.get("/api/catalog/compatibility", {"psNumber": "PS11750057", "modelNumber": "XYZ1"}).json()

    assert (yes["compatible"], yes["confidence"], yes["modelNumber"]) == ("yes", 0.95, "WDT780SAEM1")
    assert yes["product"]["psNumber"] == "PS11750057" and yes["model"]["brand"] == "Whirlpool"
    assert (no["compatible"], no["confidence"]) == ("no", 1.0)
    assert (unknown["compatible"], unknown["model"]) == ("unknown", None)


def test_compatibility_check_errors(api, fit):
    missing = api.get("/api/catalog/compatibility", {"psNumber": "PS11750057"})
    unknown_part = api.get("/api/catalog/compatibility", {"psNumber": "PS0", "modelNumber": "WDT780SAEM1"})

    assert missing.status_code == 400 and "modelNumber" in missing.json()["error"]["fields"]
    assert unknown_part.status_code == 404 and unknown_part.json()["error"]["code"] == "product_not_found"


def test_schema_documents_the_catalogue(api):
    schema = api.get("/api/schema/?format=json").json()

    for path in (
        "/api/catalog/search",
        "/api/catalog/products/{ps_number}",
        "/api/catalog/models/{model_number}/parts",
        "/api/catalog/compatibility",
    ):
        assert "get" in schema["paths"][path], path
    params = {p["name"] for p in schema["paths"]["/api/catalog/search"]["get"]["parameters"]}
    assert {"q", "limit"} <= params
