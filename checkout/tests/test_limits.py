"""Opening checkouts and trying discount codes are limited per address and per customer."""

import pytest

from checkout.models import CheckoutSession


@pytest.fixture
def button(api, shop):
    """A checkout_now button of a fresh conversation: (token, action id)."""
    conversation = api.post("/api/chat/conversations", {}, format="json").json()
    reply = api.post(
        f"/api/chat/conversations/{conversation['id']}/messages",
        {"content": "Is PS11750057 compatible with my WDT780SAEM1?"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {conversation['token']}",
    ).json()["reply"]
    return conversation["token"], reply["actions"][0]["id"]


def test_guessing_discount_codes_is_throttled_per_address_and_per_customer(api, button, settings):
    settings.PARLEY_DISCOUNT_RATE_PER_ADDRESS = "10/h"
    settings.PARLEY_DISCOUNT_RATE_PER_CUSTOMER = "3/h"

    token, action_id = button

    def session(address, code=None, bearer=token):
        body = {"action_id": action_id, **({"discount_code": code} if code else {})}
        headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
        return api.post("/api/checkout/session", body, format="json", REMOTE_ADDR=address, **headers)

    # Per address: the token changes nothing for the address count (a bad token still counts).
    guesses = [session("10.0.0.1", f"GUESS{i}", bearer=f"other-{i}").status_code for i in range(11)]
    as_customer = [session(f"10.0.1.{i}", f"TRY{i}").status_code for i in range(4)]

    assert guesses == [404] * 10 + [429]  # counted before the token is even checked
    assert as_customer == [400] * 3 + [429]  # was: 400 for every guess; a new address each time does not help
    refused = session("10.0.1.9", "ONEMORE")
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    assert session("10.0.1.9").status_code == 201  # buying without a code still works
    assert CheckoutSession.objects.count() == 1


def test_opening_checkouts_is_limited_per_address_and_per_customer(api, button, settings):
    settings.PARLEY_CHECKOUT_RATE_PER_ADDRESS = "5/m"
    settings.PARLEY_CHECKOUT_RATE_PER_CUSTOMER = "3/m"
    token, action_id = button

    def session(address, bearer):
        return api.post(
            "/api/checkout/session",
            {"action_id": action_id},
            format="json",
            REMOTE_ADDR=address,
            HTTP_AUTHORIZATION=f"Bearer {bearer}",
        )

    by_address = [session("10.0.2.1", f"wrong-{i}").status_code for i in range(6)]
    by_customer = [session(f"10.0.3.{i}", token).status_code for i in range(4)]

    assert by_address == [404] * 5 + [429]
    assert by_customer == [201] * 3 + [429]
    assert CheckoutSession.objects.count() == 1
