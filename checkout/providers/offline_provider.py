"""The offline provider: a hosted checkout page on this server that pays or fails.

It answers like Stripe does, and "paying" produces a Stripe-shaped event signed with the
webhook secret, so the same verification and processing code runs as in production.

Delegated payments (ACP): it accepts only its own test tokens, like Stripe accepts only
the shared payment tokens granted to the account:
- `tok_test_<anything>`: paid (e.g. `tok_test_visa`);
- `tok_test_decline…`: declined (`card_declined`), `tok_test_insufficient…`: `insufficient_funds`;
- `tok_test_3ds…`: the issuer asks for 3-D Secure until an `authenticated` (or
  `attempt_acknowledged` / `informational`) result comes with the charge.
Any other token is refused as `invalid_token`.
"""

import hashlib
import json
import secrets
import time

from django.conf import settings
from django.urls import reverse

from checkout.providers.base import (
    ChargeResult,
    CheckoutRequest,
    CheckoutResult,
    DelegatedChargeRequest,
    RefundRequest,
    RefundResult,
)
from checkout.providers.stripe_provider import stripe_signature_header
from core.money import to_minor


class OfflineProvider:
    name = "test"

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
        # Same key, same refund (as Stripe answers): asking again never refunds twice.
        provider_ref = "re_test_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        return RefundResult(
            is_success=True,
            provider_ref=provider_ref,
            status="succeeded",
            amount=request.amount,
            currency=request.currency,
            raw={"id": provider_ref, "payment_intent": request.payment_ref},
        )

    def charge_delegated(self, request: DelegatedChargeRequest) -> ChargeResult:
        token = request.token or ""
        if not token.startswith(TEST_TOKEN_PREFIX):
            return ChargeResult(
                status="declined",
                error="This payment token was not issued by the test payment provider.",
                decline_code="invalid_token",
            )
        if token.startswith(TEST_TOKEN_PREFIX + "decline"):
            return ChargeResult(status="declined", error="Your card was declined.", decline_code="card_declined")
        if token.startswith(TEST_TOKEN_PREFIX + "insufficient"):
            return ChargeResult(
                status="declined", error="Your card has insufficient funds.", decline_code="insufficient_funds"
            )
        # Same key, same payment: a retried charge is not a second one.
        provider_ref = "pi_test_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        if token.startswith(TEST_TOKEN_PREFIX + "3ds"):
            outcome = (request.authentication or {}).get("outcome")
            if outcome not in AUTHENTICATED_OUTCOMES:
                if outcome is None:
                    return ChargeResult(status="requires_authentication", provider_ref=provider_ref)
                return ChargeResult(
                    status="declined",
                    provider_ref=provider_ref,
                    error="The card issuer did not authenticate the buyer.",
                    decline_code="authentication_failed",
                )
        return ChargeResult(
            status="succeeded",
            provider_ref=provider_ref,
            amount=request.amount,
            currency=request.currency,
            raw={"id": provider_ref, "status": "succeeded", "token": token},
        )


TEST_TOKEN_PREFIX = "tok_test_"
AUTHENTICATED_OUTCOMES = ("authenticated", "attempt_acknowledged", "informational")


def event_sign(event: dict) -> tuple[bytes, str]:
    """The body and `Stripe-Signature` header for an event, signed the way Stripe signs."""
    payload = json.dumps(event, separators=(",", ":")).encode()
    return payload, stripe_signature_header(payload=payload, secret=settings.STRIPE_WEBHOOK_SECRET)


def session_event(
    *,
    session,
    event_type: str,
    event_id: str,
    payment_status: str = "paid",
    status: str = "complete",
    created: int | None = None,
    payment_intent: str | None = None,
    subscription: str | None = None,
    customer: str | None = None,
    collected: dict | None = None,
) -> dict:
    """A Stripe-format event about one of our checkout sessions (unsigned). `collected`: what the
    page asked (`customer_details`, `collected_information`), as Stripe adds it."""
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
                "subscription": subscription,
                "customer": customer,
                "metadata": {
                    "checkout_session_id": session.id,
                    "conversation_id": session.conversation_id or "",
                    "action_id": session.action_id or "",
                },
                **(collected or {}),
            }
        },
    }


def signed_event(
    *,
    event_type: str,
    session,
    payment_status: str,
    status: str,
    created: int | None = None,
    collected: dict | None = None,
) -> tuple[bytes, str]:
    """What the offline page delivers: `session_event` with ids as Stripe makes them, and its
    `Stripe-Signature` header."""
    paid = payment_status == "paid"
    event = session_event(
        session=session,
        event_type=event_type,
        event_id="evt_test_" + secrets.token_hex(12),
        payment_status=payment_status,
        status=status,
        created=created,
        payment_intent="pi_test_" + secrets.token_hex(10) if paid and session.mode == "payment" else None,
        subscription="sub_test_" + secrets.token_hex(10) if paid and session.mode == "subscription" else None,
        customer="cus_test_" + secrets.token_hex(8) if paid else None,
        collected=collected,
    )
    return event_sign(event)
