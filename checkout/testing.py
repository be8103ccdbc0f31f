"""Stripe-shaped events about our sessions, and the offline payment page's answers, for tests and benchmarks."""

from decimal import Decimal

from core.money import to_minor

# What a payer types into the offline test provider's page (checkout/forms.py) to pay for parts:
# post it with `outcome=pay`.
TEST_CHECKOUT_FORM = {
    "name": "Dana Fixit",
    "email": "dana@example.com",
    "phone": "+1 202 555 0143",
    "line_one": "12 Elm Street",
    "line_two": "Apt 3",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "country": "US",
}


def charge_refunded_event(
    *,
    event_id: str,
    payment_intent: str,
    amount: Decimal,
    refunded: Decimal,
    session_id: str,
    created: int,
    currency: str = "USD",
) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.refunded",
        "created": created,
        "data": {
            "object": {
                "id": "ch_" + payment_intent[3:],
                "object": "charge",
                "payment_intent": payment_intent,
                "amount": to_minor(amount, currency),
                "amount_refunded": to_minor(refunded, currency),
                "currency": currency.lower(),
                "refunded": refunded >= amount,
                "metadata": {"checkout_session_id": session_id},
            }
        },
    }
