"""Stripe-shaped events about our sessions, and the offline payment page's answers, for tests and benchmarks."""

import time
from decimal import Decimal

from checkout.models import CheckoutSession
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


def session_event(
    *,
    session: CheckoutSession,
    event_type: str,
    event_id: str,
    payment_status: str = "paid",
    status: str = "complete",
    created: int | None = None,
    payment_intent: str | None = None,
) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": session.provider_session_id,
                "object": "checkout.session",
                "client_reference_id": session.id,
                "mode": session.mode,
                "status": status,
                "payment_status": payment_status,
                "amount_total": to_minor(session.amount_total, session.currency),
                "currency": session.currency.lower(),
                "payment_intent": payment_intent,
                "metadata": {"checkout_session_id": session.id, "conversation_id": session.conversation_id or ""},
            }
        },
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
