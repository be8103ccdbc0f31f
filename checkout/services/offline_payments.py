"""Settling a session on the offline provider's hosted page: it sends Stripe-signed webhooks to ourselves."""

from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import CheckoutError
from checkout.models import CheckoutSession
from checkout.providers.offline_provider import signed_event
from checkout.services.webhooks import stripe_webhook_receive

_OUTCOMES = {
    "pay": ("checkout.session.completed", "paid", "complete"),
    "fail": ("checkout.session.async_payment_failed", "unpaid", "complete"),
    "expire": ("checkout.session.expired", "unpaid", "expired"),
}


def offline_checkout_settle(*, session: CheckoutSession, outcome: str, collected: dict | None = None) -> None:
    """Pay, fail or expire `session` as Stripe would tell us; `collected` is what the page asked
    (the payer's contact and, for parts, the shipping address) in Stripe's shape."""
    if session.provider != "test":
        raise CheckoutError(
            "This session is not handled by the offline test provider.", code=CheckoutErrorCode.WRONG_PROVIDER
        )
    if outcome not in _OUTCOMES:
        raise CheckoutError("Unknown outcome.", code=CheckoutErrorCode.INVALID_OUTCOME)
    event_type, payment_status, status = _OUTCOMES[outcome]
    payload, signature = signed_event(
        event_type=event_type,
        session=session,
        payment_status=payment_status,
        status=status,
        collected=collected if outcome == "pay" else None,
    )
    # The same entry point as POST /webhooks/stripe: verification included.
    stripe_webhook_receive(payload=payload, signature=signature)
