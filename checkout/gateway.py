"""The one module that talks to payment providers: which one is configured, and calling it."""

from functools import cache

from django.conf import settings

from checkout.error_codes import CheckoutErrorCode
from checkout.exceptions import PaymentError
from checkout.providers.base import (
    ChargeResult,
    CheckoutRequest,
    CheckoutResult,
    DelegatedChargeRequest,
    PaymentProvider,
    RefundRequest,
    RefundResult,
)


class PaymentsOff:
    """No Stripe key and the offline provider not allowed (production): every payment is refused.

    Plans with a configured Payment Link still sell: they never reach a provider."""

    name = "none"

    def _refuse(self, request=None):
        raise PaymentError(
            "Payments are not set up on this server.", code=CheckoutErrorCode.PAYMENTS_UNAVAILABLE, status_code=503
        )

    create_checkout = refund = charge_delegated = _refuse

    def expire_checkout(self, provider_ref: str) -> bool:
        return True  # nothing was ever opened


@cache
def _provider(secret_key: str, api_base: str, offline_allowed: bool) -> PaymentProvider:
    if secret_key:
        from checkout.providers.stripe_provider import StripeProvider

        return StripeProvider(api_key=secret_key, api_base=api_base)
    if not offline_allowed:
        return PaymentsOff()
    from checkout.providers.offline_provider import OfflineProvider

    return OfflineProvider()


def payment_provider() -> PaymentProvider:
    return _provider(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.PARLEY_OFFLINE_PAYMENTS)


def checkout_create(request: CheckoutRequest) -> CheckoutResult:
    return payment_provider().create_checkout(request)


def provider_for(name: str) -> PaymentProvider:
    """The provider that took a payment: a refund goes back through the same one."""
    current = payment_provider()
    if name and name != current.name:
        if name == "test" and settings.PARLEY_OFFLINE_PAYMENTS:
            from checkout.providers.offline_provider import OfflineProvider

            return OfflineProvider()
        raise LookupError(f"payment provider {name!r} is not configured")
    return current


def refund_create(*, provider: str, request: RefundRequest) -> RefundResult:
    return provider_for(provider).refund(request)


def checkout_expire(*, provider: str, provider_ref: str) -> bool:
    """Close an open hosted checkout at its provider (Payment Links have nothing to close)."""
    if provider == "payment_link":
        return True
    return provider_for(provider).expire_checkout(provider_ref)


def delegated_charge(request: DelegatedChargeRequest) -> ChargeResult:
    """Charge an agent platform's delegated payment token with the configured provider."""
    return payment_provider().charge_delegated(request)
