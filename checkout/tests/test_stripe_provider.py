import pytest

from actions.models import Action
from checkout.models import CheckoutSession
from checkout.tests.fixtures import BUY_TWO, chat_buttons

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def action_and_token(api, shop):
    conv, actions = chat_buttons(api, BUY_TWO, email="Ann@Example.com")
    return conv, actions[0]


def test_real_sdk_creates_a_checkout_session_with_idempotency_and_metadata(api, stripe_stub, action_and_token):
    conv, action = action_and_token
    assert action["payload"] == {"psNumber": "PS11750057", "quantity": 2}
    response = api.post("/api/checkout/session", {"action_id": action["id"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["checkout_url"] == "https://checkout.stripe.test/c/pay/cs_test_stub1"
    [request] = stripe_stub.requests
    assert request["path"] == "/v1/checkout/sessions"
    assert request["headers"]["Authorization"] == "Bearer sk_test_parley"
    session = CheckoutSession.objects.get()
    assert request["headers"]["Idempotency-Key"] == session.idempotency_key
    form = request["form"]
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["2499"]
    assert form["line_items[0][quantity]"] == ["2"]
    assert form["metadata[conversation_id]"] == [conv["id"]]
    assert form["metadata[action_id]"] == [action["id"]]
    assert form["client_reference_id"] == [session.id]
    assert form["customer_email"] == ["ann@example.com"]
    # Parts are posted: Stripe's page collects the address and a phone for the carrier.
    assert form["shipping_address_collection[allowed_countries][0]"] == ["US"]
    assert form["phone_number_collection[enabled]"] == ["true"]
    assert int(form["expires_at"][0]) == int(session.expires_at.timestamp())
    assert session.provider == "stripe"
    assert session.provider_session_id == "cs_test_stub1"


def test_provider_error_leaves_no_session_and_disables_the_button_with_the_reason(api, stripe_stub, action_and_token):
    _, action = action_and_token
    stripe_stub.fail_with = (400, {"error": {"type": "invalid_request_error", "message": "Currency not supported"}})
    response = api.post("/api/checkout/session", {"action_id": action["id"]}, format="json")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_error"
    assert not CheckoutSession.objects.exists()
    stored = Action.objects.get(id=action["id"])
    assert (stored.status, stored.enabled) == ("failed", False)
    assert stored.error
