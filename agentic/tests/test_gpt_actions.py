"""ChatGPT custom actions: the curated OpenAPI document and the endpoints it names."""

import pytest
from openapi_spec_validator import validate

from checkout.models import CheckoutSession, Order
from checkout.providers.offline_provider import signed_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def gpt(api, platform, shop):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {platform.raw_key}")
    return api


def test_the_document_is_valid_openapi_with_model_readable_operations(client, settings):
    response = client.get("/api/gpt/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["servers"] == [{"url": settings.PARLEY_PUBLIC_URL}]
    assert document["components"]["securitySchemes"]["apiKey"] == {"type": "http", "scheme": "bearer"}
    operations = {op["operationId"]: op for path in document["paths"].values() for op in path.values()}
    assert set(operations) == {
        "searchParts",
        "getPart",
        "checkCompatibility",
        "startCheckout",
        "subscribeBackInStockAlert",
    }
    for operation in operations.values():
        # Written for a model to read, within ChatGPT's 300-character limit on a description.
        assert 80 < len(operation["description"]) <= 300, operation["operationId"]
        assert len(operation["summary"]) <= 300
        assert "401" in operation["responses"]
    assert "refrigerator and dishwasher" in document["info"]["description"]


def test_every_operation_needs_a_platform_key(api, shop):
    assert api.get("/api/gpt/parts/search", {"q": "rack"}).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Bearer acp_wrong")
    response = api.get("/api/gpt/parts/PS11750057")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_search_part_and_compatibility(gpt):
    found = gpt.get("/api/gpt/parts/search", {"q": "PS11750057"}).json()
    assert found["results"][0]["psNumber"] == "PS11750057"
    part = gpt.get("/api/gpt/parts/ps11750057").json()
    assert (part["psNumber"], part["price"], part["stockQuantity"]) == ("PS11750057", "24.99", 12)
    assert gpt.get("/api/gpt/parts/PS00000000").status_code == 404
    fit = gpt.get("/api/gpt/compatibility", {"psNumber": "PS11750057", "modelNumber": "WDT780SAEM1"}).json()
    assert (fit["compatible"], fit["confidence"]) == ("yes", 1.0)
    assert gpt.get("/api/gpt/compatibility", {"psNumber": "PS11750057"}).status_code == 400


def test_start_checkout_gives_a_link_and_paying_it_makes_an_agentic_order(
    gpt, client, django_capture_on_commit_callbacks
):
    response = gpt.post(
        "/api/gpt/checkout",
        {"items": [{"psNumber": "PS11750057", "quantity": 2}], "email": "ann@example.com"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    session = CheckoutSession.objects.get(id=body["sessionId"])
    assert body["checkoutUrl"].startswith("http") and body["checkoutUrl"].endswith(f"/checkout/test/{session.id}/")
    assert (body["total"], body["currency"], session.channel) == ("49.98", "USD", "gpt:chatgpt")
    payload, signature = signed_event(
        event_type="checkout.session.completed", session=session, payment_status="paid", status="complete"
    )
    with django_capture_on_commit_callbacks(execute=True):
        hook = client.post(
            "/webhooks/stripe", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
    assert hook.status_code == 200
    order = Order.objects.get()
    assert (order.order_source, order.channel, order.total) == ("agentic", "gpt:chatgpt", session.amount_total)


def test_start_checkout_refuses_what_cannot_be_sold(gpt):
    out = gpt.post("/api/gpt/checkout", {"items": [{"psNumber": "PS12584610"}]}, format="json")
    assert out.status_code == 409 and out.json()["error"]["code"] == "out_of_stock"
    unknown = gpt.post("/api/gpt/checkout", {"items": [{"psNumber": "PS00000000"}]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "not_found"
    assert gpt.post("/api/gpt/checkout", {"items": []}, format="json").status_code == 400
    assert not CheckoutSession.objects.exists()


def test_subscribe_to_a_back_in_stock_alert(gpt, mailoutbox):
    response = gpt.post(
        "/api/gpt/alerts/back-in-stock", {"psNumber": "PS12584610", "email": "ann@example.com"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    again = gpt.post(
        "/api/gpt/alerts/back-in-stock", {"psNumber": "PS12584610", "email": "ann@example.com"}, format="json"
    )
    assert again.status_code == 202 and again.json() == response.json()  # nothing tells it was there
    in_stock = gpt.post(
        "/api/gpt/alerts/back-in-stock", {"psNumber": "PS11750057", "email": "ann@example.com"}, format="json"
    )
    assert in_stock.status_code == 409


# --- the document against the views it describes ------------------------------------------

_DOC_URI = "https://gpt.invalid/openapi.json"


def _conforms(document: dict, path: str, method: str, response) -> None:
    """The view's answer is one the document lists for that operation, in the documented shape."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    responses = document["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path} answered {status}, which the document does not list"
    pointer = "/".join(["paths", path.replace("~", "~0").replace("/", "~1"), method, "responses", status])
    schema = {"$ref": f"{_DOC_URI}#/{pointer}/content/application~1json/schema"}
    registry = Registry().with_resource(_DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    errors = list(Draft202012Validator(schema, registry=registry).iter_errors(response.json()))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def test_every_answer_of_the_views_is_the_one_the_document_describes(gpt, client):
    """The GPT reads only the document: each operation's real answers (success and refusal) must
    be listed there with that status and match its schema, required fields included."""
    document = client.get("/api/gpt/openapi.json").json()
    calls = [
        ("/api/gpt/parts/search", "get", lambda: gpt.get("/api/gpt/parts/search", {"q": "dishwasher rack wheel"})),
        ("/api/gpt/parts/search", "get", lambda: gpt.get("/api/gpt/parts/search", {"q": ""})),
        ("/api/gpt/parts/{psNumber}", "get", lambda: gpt.get("/api/gpt/parts/PS11750057")),
        ("/api/gpt/parts/{psNumber}", "get", lambda: gpt.get("/api/gpt/parts/PS00000000")),
        (
            "/api/gpt/compatibility",
            "get",
            lambda: gpt.get("/api/gpt/compatibility", {"psNumber": "PS11750057", "modelNumber": "WDT780SAEM1"}),
        ),
        ("/api/gpt/compatibility", "get", lambda: gpt.get("/api/gpt/compatibility", {"psNumber": "PS11750057"})),
        (
            "/api/gpt/checkout",
            "post",
            lambda: gpt.post(
                "/api/gpt/checkout", {"items": [{"psNumber": "PS11750057", "quantity": 1}]}, format="json"
            ),
        ),
        (
            "/api/gpt/checkout",
            "post",
            lambda: gpt.post("/api/gpt/checkout", {"items": [{"psNumber": "PS12584610"}]}, format="json"),
        ),
        (
            "/api/gpt/alerts/back-in-stock",
            "post",
            lambda: gpt.post(
                "/api/gpt/alerts/back-in-stock", {"psNumber": "PS12584610", "email": "ann@example.com"}, format="json"
            ),
        ),
        (
            "/api/gpt/alerts/back-in-stock",
            "post",
            lambda: gpt.post(
                "/api/gpt/alerts/back-in-stock", {"psNumber": "PS12584610", "email": "nope"}, format="json"
            ),
        ),
    ]
    assert {(path, method) for path, method, _ in calls} == {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    for path, method, call in calls:
        _conforms(document, path, method, call())
