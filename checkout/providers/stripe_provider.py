"""Stripe Checkout Sessions. The only module that imports `stripe` to call its API."""

import json
import time

import stripe
from django.conf import settings

from checkout.providers.base import (
    ChargeResult,
    CheckoutRequest,
    CheckoutResult,
    DelegatedChargeRequest,
    RefundRequest,
    RefundResult,
)
from core.money import from_minor, to_minor


class StripeProvider:
    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str = ""):
        options = {"max_network_retries": 2}
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self.client = stripe.StripeClient(api_key, **options)

    def _line_items(self, request: CheckoutRequest) -> list[dict]:
        items = []
        for line in request.lines:
            if line.stripe_price_id:
                items.append({"price": line.stripe_price_id, "quantity": line.quantity})
                continue
            price_data = {
                "currency": request.currency.lower(),
                "unit_amount": to_minor(line.unit_amount, request.currency),
                "product_data": {"name": line.name, "metadata": {"sku": line.sku}},
            }
            if request.mode == "subscription":
                price_data["recurring"] = {"interval": "month"}
            items.append({"price_data": price_data, "quantity": line.quantity})
        return items

    def create_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        params = {
            "mode": request.mode,
            "line_items": self._line_items(request),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "metadata": {**request.metadata, "checkout_session_id": request.reference},
            "expires_at": int(request.expires_at.timestamp()),
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.mode == "payment":
            # Parts are posted: Stripe's page asks for the address and a phone for the carrier,
            # and the completed session's `collected_information` brings them to the order.
            params["shipping_address_collection"] = {"allowed_countries": list(settings.PARLEY_SHIPPING_COUNTRIES)}
            params["phone_number_collection"] = {"enabled": True}
        if request.currency.upper() == "BRL" and request.mode == "payment":
            params["payment_method_types"] = ["card", "pix"]
        # The payment and the subscription carry the same links, so their own events can be matched.
        if request.mode == "subscription":
            params["subscription_data"] = {"metadata": params["metadata"]}
        else:
            params["payment_intent_data"] = {"metadata": params["metadata"]}
        try:
            if request.discount_amount > 0:
                # A one-use coupon shows the saving on Stripe's page and keeps the line items true.
                coupon = self.client.v1.coupons.create(
                    {
                        "amount_off": to_minor(request.discount_amount, request.currency),
                        "currency": request.currency.lower(),
                        "duration": "once",
                        "max_redemptions": 1,
                        "name": "Discount",
                        "metadata": {"checkout_session_id": request.reference},
                    },
                    options={"idempotency_key": f"{request.idempotency_key}:coupon"},
                )
                params["discounts"] = [{"coupon": coupon.id}]
            session = self.client.v1.checkout.sessions.create(
                params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as exc:
            return CheckoutResult(is_success=False, error=exc.user_message or str(exc) or "Stripe error")
        return CheckoutResult(
            is_success=True,
            provider_ref=session.id,
            url=session.url or "",
            amount=from_minor(session.amount_total or 0, session.currency or request.currency),
            currency=(session.currency or request.currency).upper(),
            raw={"id": session.id, "url": session.url, "status": session.status},
        )

    def expire_checkout(self, provider_ref: str) -> bool:
        """Close an open Stripe session so it can no longer be paid. False if Stripe could not be asked."""
        if not provider_ref:
            return True
        try:
            self.client.v1.checkout.sessions.expire(provider_ref)
        except stripe.InvalidRequestError:
            return True  # already complete or expired
        except stripe.StripeError:
            return False
        return True

    def refund(self, request: RefundRequest) -> RefundResult:
        params = {
            "payment_intent": request.payment_ref,
            "amount": to_minor(request.amount, request.currency),
            # Stripe's `reason` is an enum; our words go in the metadata.
            "reason": "requested_by_customer",
            "metadata": {**request.metadata, "refund_id": request.reference, "reason": request.reason[:500]},
        }
        try:
            refund = self.client.v1.refunds.create(params, options={"idempotency_key": request.idempotency_key})
        except stripe.StripeError as exc:
            return RefundResult(is_success=False, error=exc.user_message or str(exc) or "Stripe error")
        if refund.status in ("failed", "canceled"):
            return RefundResult(
                is_success=False,
                provider_ref=refund.id,
                status="failed",
                error=getattr(refund, "failure_reason", None) or f"refund {refund.status}",
            )
        return RefundResult(
            is_success=True,
            provider_ref=refund.id,
            status="succeeded" if refund.status == "succeeded" else "pending",
            amount=from_minor(refund.amount or 0, refund.currency or request.currency),
            currency=(refund.currency or request.currency).upper(),
            raw={"id": refund.id, "status": refund.status},
        )

    def charge_delegated(self, request: DelegatedChargeRequest) -> ChargeResult:
        """A PaymentIntent confirmed at once with the agent's shared payment token (SPT).

        `payment_method_data[shared_payment_granted_token]` carries the token; an agent's
        3-D Secure result goes in as externally authenticated `three_d_secure` card options.
        `requires_action` means the issuer wants authentication the agent has to perform.
        """
        params = {
            "amount": to_minor(request.amount, request.currency),
            "currency": request.currency.lower(),
            "confirm": True,
            "payment_method_data": {"shared_payment_granted_token": request.token},
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {**request.metadata, "checkout_session_id": request.reference},
        }
        if request.description:
            params["description"] = request.description[:1000]
        details = (request.authentication or {}).get("outcome_details") or {}
        if details.get("three_ds_cryptogram"):
            params["payment_method_options"] = {
                "card": {
                    "three_d_secure": {
                        "cryptogram": details["three_ds_cryptogram"],
                        "electronic_commerce_indicator": details.get("electronic_commerce_indicator", ""),
                        "transaction_id": details.get("transaction_id", ""),
                        "version": details.get("version", ""),
                    }
                }
            }
        try:
            intent = self.client.v1.payment_intents.create(params, options={"idempotency_key": request.idempotency_key})
        except stripe.CardError as exc:
            error = exc.error
            return ChargeResult(
                status="declined",
                provider_ref=getattr(getattr(error, "payment_intent", None), "id", "") or "",
                error=exc.user_message or str(exc) or "The card was declined.",
                decline_code=getattr(error, "decline_code", None) or getattr(error, "code", None) or "card_declined",
            )
        except stripe.InvalidRequestError as exc:
            # A used, revoked or expired token, or one for another amount: the agent must get a new one.
            return ChargeResult(status="declined", error=exc.user_message or str(exc), decline_code="invalid_token")
        except stripe.StripeError as exc:
            return ChargeResult(status="error", error=exc.user_message or str(exc) or "Stripe error")
        raw = {"id": intent.id, "status": intent.status}
        if intent.status in ("succeeded", "requires_capture"):
            return ChargeResult(
                status="succeeded",
                provider_ref=intent.id,
                amount=from_minor(intent.amount or 0, intent.currency or request.currency),
                currency=(intent.currency or request.currency).upper(),
                raw=raw,
            )
        if intent.status == "requires_action":
            return ChargeResult(status="requires_authentication", provider_ref=intent.id, raw=raw)
        return ChargeResult(
            status="declined",
            provider_ref=intent.id,
            error=f"The payment was not completed ({intent.status}).",
            decline_code=intent.status or "declined",
            raw=raw,
        )


def stripe_event_construct(*, payload: bytes, signature: str) -> dict:
    """Verify a webhook with Stripe's own code; raise ValueError or SignatureVerificationError.

    Stripe's check refuses only timestamps too far in the past; one dated in the future beyond
    the same tolerance is refused here (a captured or pre-signed event must not outlive it)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise stripe.SignatureVerificationError("no webhook secret is configured", signature, payload)
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret, tolerance)
    signed_at = int(dict(item.split("=", 1) for item in signature.split(",") if "=" in item)["t"])
    if signed_at > time.time() + tolerance:
        raise stripe.SignatureVerificationError("timestamp is in the future", signature, payload)
    event = json.loads(payload)
    if not isinstance(event, dict):
        raise ValueError("an event is a JSON object")
    return event


def stripe_signature_header(*, payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header made by the library's own signing code (for the offline provider and tests)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload.decode()}", secret)
    return f"t={timestamp},v1={signature}"


SignatureError = stripe.SignatureVerificationError
