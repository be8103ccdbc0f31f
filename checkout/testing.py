"""Stripe-shaped events about our sessions, for tests and benchmarks (signed by `event_sign`)."""

import time
from decimal import Decimal

from checkout.models import CheckoutSession
from core.money import to_minor


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


def sessions_for_replay(*, count: int, ps_number: str, prefix: str) -> list[CheckoutSession]:
    """`count` open test-provider sessions for one part, each in a conversation of its own."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Product
    from conversations.services.conversations import conversation_start

    product = Product.objects.get(ps_number=ps_number)
    sessions = []
    for i in range(count):
        conversation, _ = conversation_start()
        sessions.append(
            CheckoutSession(
                conversation=conversation,
                customer_id=conversation.customer_id,
                provider="test",
                provider_session_id=f"cs_{prefix}_{i}",
                idempotency_key=f"{prefix}:{i}",
                currency=product.currency,
                subtotal=product.price,
                amount_total=product.price,
                line_items=[
                    {
                        "sku": product.ps_number,
                        "name": product.name,
                        "quantity": 1,
                        "unitPrice": f"{product.price:.2f}",
                        "lineTotal": f"{product.price:.2f}",
                    }
                ],
                expires_at=timezone.now() + timedelta(minutes=30),
            )
        )
    return sessions
