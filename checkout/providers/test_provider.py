"""The offline provider: a hosted checkout page on this server that pays or fails.

It answers like Stripe does, and "paying" produces a Stripe-shaped event signed with the
webhook secret, so the same verification and processing code runs as in production.
"""

import json
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from checkout.providers.base import CheckoutRequest, CheckoutResult, RefundRequest, RefundResult
from checkout.providers.stripe_provider import stripe_signature_header


def _minor_units(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1")))


class TestProvider:
    name = "test"
    __test__ = False  # not a pytest class

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        provider_ref = "cs_test_" + secrets.token_hex(12)
        return CheckoutResult(
            is_success=True,
            provider_ref=provider_ref,
            url=reverse("test-checkout-page", kwargs={"session_id": request.reference}),
            amount=request.amount_total,
            currency=request.currency,
            raw={"id": provider_ref, "mode": request.mode},
        )

    def expire_checkout(self, provider_ref: str) -> bool:
        """Nothing to do: the local page reads our own session's status."""
        return True

    def refund(self, request: RefundRequest) -> RefundResult:
        """Offline money moves at once: the refund simply succeeds."""
        provider_ref = "re_test_" + secrets.token_hex(12)
        return RefundResult(
            is_success=True,
            provider_ref=provider_ref,
            status="succeeded",
            amount=request.amount,
            currency=request.currency,
            raw={"id": provider_ref, "payment_intent": request.payment_ref},
        )


def event_sign(event: dict) -> tuple[bytes, str]:
    """The body and `Stripe-Signature` header for an event, signed the way Stripe signs."""
    payload = json.dumps(event, separators=(",", ":")).encode()
    return payload, stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)


def signed_event(
    *, event_type: str, session, payment_status: str, status: str, created: int | None = None
) -> tuple[bytes, str]:
    """A Stripe-format event about one of our checkout sessions, and its `Stripe-Signature` header."""
    event = {
        "id": "evt_test_" + secrets.token_hex(12),
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
                "amount_total": _minor_units(session.amount_total),
                "currency": session.currency.lower(),
                "payment_intent": (
                    "pi_test_" + secrets.token_hex(10)
                    if payment_status == "paid" and session.mode == "payment"
                    else None
                ),
                "subscription": (
                    "sub_test_" + secrets.token_hex(10)
                    if payment_status == "paid" and session.mode == "subscription"
                    else None
                ),
                "customer": "cus_test_" + secrets.token_hex(8) if payment_status == "paid" else None,
                "metadata": {
                    "checkout_session_id": session.id,
                    "conversation_id": session.conversation_id or "",
                    "action_id": session.action_id or "",
                },
            }
        },
    }
    return event_sign(event)
